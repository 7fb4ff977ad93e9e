"""Shared fixtures. Database tests run twice: on SQLite and on PostgreSQL.

PostgreSQL gets a database of its own per test run, or per worker under ``-n``
(``openspace_test_<pid>``), created from ``OPENSPACE_TEST_POSTGRES`` (default: the local
``test`` database), and dropped at the end.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from pwdlib import PasswordHash
from pwdlib.hashers.argon2 import Argon2Hasher
from sqlalchemy import Engine, make_url
from sqlmodel import Session, SQLModel

import app.models
from app import security
from app.config import Settings
from app.db import make_engine, open_session
from app.main import configure, create_app

POSTGRES_ADMIN_URL = os.environ.get(
    "OPENSPACE_TEST_POSTGRES", "postgresql://postgres@127.0.0.1:5432/test"
)
DATABASES = ("sqlite", "postgresql")
SECRET = "test-secret-key-that-is-long-enough-0123456789"
FAST_HASHER = PasswordHash((Argon2Hasher(time_cost=1, memory_cost=1024, parallelism=1),))
MEMORY_FOLDER = Path("/dev/shm")  # noqa: S108  (tmpfs on Linux; pytest makes its own folders in it)


def pytest_configure(config: pytest.Config) -> None:
    """Temporary folders (tmp_path, the servers' data folders) in memory when there is a tmpfs.

    The tests' SQLite files commit with synchronous=FULL, as in production: every commit waits
    for an fsync, about 4 ms on this disk and nothing on tmpfs, and a test makes dozens. The
    code under test is the same; only the disk is faster. ``--basetemp`` or pytest's own
    ``PYTEST_DEBUG_TEMPROOT`` still choose another place."""
    if (
        config.option.basetemp is None
        and "PYTEST_DEBUG_TEMPROOT" not in os.environ
        and MEMORY_FOLDER.is_dir()
        and os.access(MEMORY_FOLDER, os.W_OK)
    ):
        os.environ["PYTEST_DEBUG_TEMPROOT"] = str(MEMORY_FOLDER)


@pytest.fixture(autouse=True)
def fast_password_hashing(monkeypatch: pytest.MonkeyPatch) -> None:
    """Cheap Argon2 in this process: the production cost (64 MiB, three passes, about half a
    second here) would make every test that signs someone up or in slow, the CLI's and the
    demo's among them. Hashes keep their own parameters, so the real servers the tests start
    (which hash at the production cost) still verify them."""
    monkeypatch.setattr(security, "password_hasher", FAST_HASHER)


def _create_database(name: str) -> str:
    with psycopg.connect(POSTGRES_ADMIN_URL, autocommit=True) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        connection.execute(f'CREATE DATABASE "{name}"')
    return POSTGRES_ADMIN_URL.rsplit("/", 1)[0] + f"/{name}"


def _drop_database(name: str) -> None:
    with psycopg.connect(POSTGRES_ADMIN_URL, autocommit=True) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(scope="session")
def postgres_database() -> Iterator[str]:
    """A fresh PostgreSQL database for this run, with the schema created once."""
    name = f"openspace_test_{os.getpid()}"
    url = _create_database(name)
    # A commit returns before PostgreSQL has flushed its log to disk (an fsync each, ~4 ms on
    # this disk). What a commit makes visible is the same; only a crash of PostgreSQL itself
    # could lose the last ones, and this database is thrown away. test_crash.py, which kills
    # the app and counts what survived, makes a database of its own with the default.
    with psycopg.connect(POSTGRES_ADMIN_URL, autocommit=True) as connection:
        connection.execute(f'ALTER DATABASE "{name}" SET synchronous_commit = off')
    engine = make_engine(Settings(database_url=url, secret_key=SECRET, environment="test"))
    SQLModel.metadata.create_all(engine)
    engine.dispose()
    yield url
    _drop_database(name)


@pytest.fixture(scope="session")
def empty_postgres_database() -> Iterator[str]:
    """An empty PostgreSQL database (for migration tests)."""
    name = f"openspace_empty_{os.getpid()}"
    yield _create_database(name)
    _drop_database(name)


@pytest.fixture(scope="session")
def sqlite_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    """The run's SQLite file: every test starts from a fresh copy of the schema in it."""
    return f"sqlite:///{tmp_path_factory.mktemp('database') / 'test.db'}"


@pytest.fixture(params=DATABASES)
def database_url(request: pytest.FixtureRequest) -> str:
    url: str = request.getfixturevalue(
        "sqlite_url" if request.param == "sqlite" else "postgres_database"
    )
    return url


@pytest.fixture
def settings(database_url: str, tmp_path: Path) -> Settings:
    return Settings(
        environment="test",
        data_dir=tmp_path,
        database_url=database_url,
        secret_key=SECRET,
        base_url="http://testserver",
        use_cdn=False,
    )


@pytest.fixture(scope="session")
def sqlite_schema(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An SQLite file with the schema, made once per run: each test gets a copy of it."""
    path = tmp_path_factory.mktemp("schema") / "schema.db"
    engine = make_engine(Settings(database_url=f"sqlite:///{path}", secret_key=SECRET))
    SQLModel.metadata.create_all(engine)
    engine.dispose()
    return path


# Every table emptied and every id counter back to 1, in one round trip. Deleting from the
# (mostly empty) tables, children first, costs far less than TRUNCATE, which rewrites them all.
_EMPTY_POSTGRES = ";".join(
    [f'DELETE FROM "{table.name}"' for table in reversed(SQLModel.metadata.sorted_tables)]
    + [
        "SELECT setval(sequence.oid, 1, false) FROM pg_class AS sequence"
        " JOIN pg_namespace AS space ON space.oid = sequence.relnamespace"
        " WHERE sequence.relkind = 'S' AND space.nspname = 'public'"
    ]
)


@pytest.fixture(scope="session")
def engines() -> Iterator[dict[str, Engine]]:
    """One engine per database for the whole run, as in production: SQLAlchemy caches each
    statement's compiled form per engine, and compiling them afresh for every test (and
    every test's app) took most of a test's time."""
    made: dict[str, Engine] = {}
    yield made
    for engine in made.values():
        engine.dispose()


@pytest.fixture
def engine(settings: Settings, sqlite_schema: Path, engines: dict[str, Engine]) -> Engine:
    """The run's engine for this test's database, the database emptied first."""
    url = settings.sqlalchemy_url
    engine = engines.get(url)
    if engine is None:
        engine = engines[url] = make_engine(settings)
    if engine.dialect.name == "sqlite":
        engine.dispose()  # close the previous test's connections before replacing the file
        database = Path(make_url(url).database or "")
        for leftover in (f"{database}-wal", f"{database}-shm"):
            Path(leftover).unlink(missing_ok=True)
        shutil.copyfile(sqlite_schema, database)
    else:
        with engine.begin() as connection:
            connection.exec_driver_sql(_EMPTY_POSTGRES)
    return engine


@pytest.fixture
def session(engine: Engine) -> Iterator[Session]:
    # Deferred, not IMMEDIATE: on SQLite an idle test session must not hold the write lock
    # while the app under test serves requests.
    with open_session(engine) as session:
        yield session


@pytest.fixture(scope="session")
def apps() -> dict[str, FastAPI]:
    return {}


@pytest.fixture
def app(settings: Settings, engine: Engine, apps: dict[str, FastAPI]) -> FastAPI:
    """One app per database for the whole run, configured anew for each test (its settings,
    with the test's own data folder, and a fresh hub): building an app analyses every route,
    which cost each route test a quarter of a second."""
    built = apps.get(settings.sqlalchemy_url)
    if built is None or _shaped_differently(built.state.settings, settings):
        built = apps[settings.sqlalchemy_url] = create_app(settings, engine=engine)
    else:
        configure(built, settings, engine=engine)
    return built


def _shaped_differently(built_with: Settings, settings: Settings) -> bool:
    """Settings that differ in more than the data folder (the middleware keeps its own)."""
    return built_with.model_copy(update={"data_dir": settings.data_dir}) != settings


@pytest.fixture
def client(app: FastAPI) -> Iterator[TestClient]:
    with TestClient(app, base_url="http://testserver") as client:
        yield client


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Browser tests last: Playwright's sync API keeps an event loop running in this thread
    until the session ends, and asyncio tests after it could not start their own."""
    items.sort(key=lambda item: item.get_closest_marker("browser") is not None)
