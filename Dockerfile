# Open Space Lab — production image. Configure with OPENSPACE_* variables (see README).
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    OPENSPACE_ENVIRONMENT=production \
    OPENSPACE_DATA_DIR=/data \
    WORKERS=1

WORKDIR /srv/openspace
# The PDF proceedings: WeasyPrint's Pango and HarfBuzz, and fonts with Cyrillic (DejaVu)
# and Arabic script (Noto Naskh Arabic, in fonts-noto-core).
RUN apt-get update \
    && apt-get install -y --no-install-recommends \
       libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 fonts-dejavu-core fonts-noto-core \
    && rm -rf /var/lib/apt/lists/*
RUN groupadd --system --gid 10001 openspace \
    && useradd --system --uid 10001 --gid openspace --home-dir /srv/openspace openspace \
    && mkdir -p /data \
    && chown openspace:openspace /data

# Dependencies first, so code changes do not reinstall them: exactly the versions of the lock,
# each file checked against its hashes (the lock also holds the test tools; they stay unused).
COPY requirements.lock ./
RUN pip install --require-hashes -r requirements.lock

COPY pyproject.toml README.md alembic.ini babel.cfg ./
COPY migrations migrations
COPY app app
# Editable, so migrations/ and alembic.ini stay beside the code that finds them; built by the
# locked setuptools, so nothing unpinned is fetched.
RUN pip install --no-deps --no-build-isolation -e . \
    && pybabel compile -d app/locale -D messages

USER openspace
VOLUME ["/data"]
EXPOSE 8000

HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
    CMD python -c "import sys, urllib.request; sys.exit(urllib.request.urlopen('http://127.0.0.1:8000/healthz', timeout=4).status != 200)"

# Migrations on start (with several replicas, let one start first or run `openspace migrate`
# as a release step), then uvicorn trusting proxy headers from OPENSPACE_FORWARDED_ALLOW_IPS.
CMD ["sh", "-c", "openspace migrate && exec openspace serve --host 0.0.0.0 --port 8000 --workers \"$WORKERS\""]
