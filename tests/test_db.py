"""SQLite's connection settings: every new connection is durable (synchronous=FULL) unless
OPENSPACE_SQLITE_SYNCHRONOUS says normal, and a wrong value is a configuration error."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import ValidationError
from sqlalchemy import Engine
from typer.testing import CliRunner

from app.cli import cli
from app.config import Settings
from app.db import make_engine

SECRET = "test-secret-key-that-is-long-enough-0123456789"


def _pragmas(engine: Engine) -> tuple[int, str]:
    """synchronous and journal_mode as a new pooled connection reports them."""
    engine.dispose()
    with engine.connect() as connection:
        synchronous = connection.exec_driver_sql("PRAGMA synchronous").scalar_one()
        journal = connection.exec_driver_sql("PRAGMA journal_mode").scalar_one()
    return int(synchronous), str(journal)


@pytest.fixture
def no_synchronous_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("OPENSPACE_SQLITE_SYNCHRONOUS", raising=False)


@pytest.mark.usefixtures("no_synchronous_variable")
def test_sqlite_connection_syncs_fully_by_default(tmp_path: Path) -> None:
    engine = make_engine(Settings(data_dir=tmp_path, secret_key=SECRET))
    try:
        assert _pragmas(engine) == (2, "wal")  # 2 is FULL
    finally:
        engine.dispose()


def test_sqlite_connection_syncs_normally_when_chosen(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OPENSPACE_SQLITE_SYNCHRONOUS", " NORMAL ")
    settings = Settings(data_dir=tmp_path, secret_key=SECRET)
    assert settings.sqlite_synchronous == "normal"
    engine = make_engine(settings)
    try:
        assert _pragmas(engine) == (1, "wal")  # 1 is NORMAL
    finally:
        engine.dispose()


def test_sqlite_synchronous_refuses_other_modes(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENSPACE_SQLITE_SYNCHRONOUS", "off")
    with pytest.raises(ValidationError) as refused:
        Settings(secret_key=SECRET)
    assert [error["msg"] for error in refused.value.errors()] == [
        "Value error, OPENSPACE_SQLITE_SYNCHRONOUS must be full or normal, not 'off'"
    ]


def test_cli_reports_a_bad_synchronous_mode_and_creates_nothing(tmp_path: Path) -> None:
    env = {
        "OPENSPACE_DATA_DIR": str(tmp_path / "var"),
        "OPENSPACE_DATABASE_URL": "",
        "OPENSPACE_SQLITE_SYNCHRONOUS": "fast",
    }
    result = CliRunner().invoke(cli, ["migrate"], env=env)
    assert result.exit_code == 2
    assert result.output == (
        "Configuration error: Value error, "
        "OPENSPACE_SQLITE_SYNCHRONOUS must be full or normal, not 'fast'\n"
    )
    assert not (tmp_path / "var").exists()
