# Open Space Lab. `make run` and `make test` do all set-up on a fresh machine.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 8000
STAMP := $(VENV)/.installed

.PHONY: run test lint typecheck pytest i18n services os-packages install lock lock-upgrade clean bench

LOCK := requirements.lock
UV_VERSION := 0.13.8

# Every package comes from the lock, each file checked against its hashes; then the project
# itself, built by the locked setuptools (no build isolation, so nothing unpinned is fetched).
$(STAMP): pyproject.toml $(LOCK)
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --require-hashes -r $(LOCK)
	$(BIN)/python -m pip install --quiet --no-deps --no-build-isolation -e .
	touch $(STAMP)

install: $(STAMP)

# Resolve pyproject.toml's dependencies, the test extra and the build backend for CPython 3.11
# on Linux x86_64, with the hashes of every file of each pinned version. `make lock` keeps the
# pins that still fit pyproject.toml; `make lock-upgrade` takes the newest of everything.
lock:
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/uv --version 2>/dev/null | grep -qF 'uv $(UV_VERSION) ' \
	  || $(BIN)/python -m pip install --quiet 'uv==$(UV_VERSION)'
	$(BIN)/python -c 'import tomllib; print(*tomllib.load(open("pyproject.toml", "rb"))["build-system"]["requires"], sep="\n")' \
	  | $(BIN)/uv pip compile --quiet pyproject.toml - --extra test --generate-hashes $(UPGRADE) \
	      --python-version 3.11 --python-platform x86_64-manylinux_2_28 \
	      --custom-compile-command 'make lock' --output-file $(LOCK)

lock-upgrade:
	$(MAKE) lock UPGRADE=--upgrade

run: $(STAMP)
	$(BIN)/openspace migrate
	OPENSPACE_BASE_URL=$${OPENSPACE_BASE_URL:-http://127.0.0.1:$(PORT)} $(BIN)/openspace demo
	OPENSPACE_BASE_URL=$${OPENSPACE_BASE_URL:-http://127.0.0.1:$(PORT)} $(BIN)/openspace serve --port $(PORT)

os-packages:
	bash scripts/ensure-os-packages.sh

services:
	bash scripts/ensure-services.sh

lint: $(STAMP)
	$(BIN)/ruff check app tests bench migrations
	$(BIN)/ruff format --check app tests bench

typecheck: $(STAMP)
	$(BIN)/mypy

# Two pytest-xdist workers, one per core of the machines this runs on (README, "Tests");
# `make test PYTEST_WORKERS=0` runs the suite in one process.
PYTEST_WORKERS ?= 2

pytest: $(STAMP)
	$(BIN)/pytest -n $(PYTEST_WORKERS)

test: $(STAMP) os-packages services i18n-compile lint typecheck pytest

# Extract every translatable string, update the catalogues, compile them.
i18n: $(STAMP)
	$(BIN)/pybabel extract --no-location --omit-header -F babel.cfg -k N_ -k _ -o app/locale/messages.pot app
	$(BIN)/pybabel update --no-fuzzy-matching --ignore-pot-creation-date -i app/locale/messages.pot -d app/locale -D messages
	$(BIN)/pybabel compile --statistics -d app/locale -D messages

i18n-compile: $(STAMP)
	$(BIN)/pybabel compile -d app/locale -D messages

bench: $(STAMP)
	@echo "See bench/README.md for each benchmark's options."

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache
