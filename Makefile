# Open Space Lab. `make run` and `make test` do all set-up on a fresh machine.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 8000
STAMP := $(VENV)/.installed

.PHONY: run test lint typecheck pytest i18n services os-packages install clean bench

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $(STAMP)

install: $(STAMP)

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

pytest: $(STAMP)
	$(BIN)/pytest

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
