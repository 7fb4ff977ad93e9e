"""Alembic: empty → head → base → head works, and the models agree with the migrations."""

from __future__ import annotations

from pathlib import Path

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect
from sqlmodel import SQLModel

import app.models  # noqa: F401
from app.config import Settings
from app.db import make_engine
from app.migrate import downgrade, upgrade
from tests.conftest import SECRET


def test_migrations_round_trip_and_match_models(empty_url: str, tmp_path: Path) -> None:
    engine = make_engine(
        Settings(database_url=empty_url, secret_key=SECRET, environment="test", data_dir=tmp_path)
    )
    try:
        upgrade(engine)
        tables = set(inspect(engine).get_table_names())
        assert tables == set(SQLModel.metadata.tables) | {"alembic_version"}

        downgrade(engine, "base")
        assert set(inspect(engine).get_table_names()) == {"alembic_version"}

        upgrade(engine)
        with engine.connect() as connection:
            context = MigrationContext.configure(connection, opts={"compare_type": True})
            assert compare_metadata(context, SQLModel.metadata) == []
    finally:
        downgrade(engine, "base")
        engine.dispose()
