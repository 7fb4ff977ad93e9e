"""The ``openspace`` command: migrate, create-organiser, set-password, backup, and its error
messages."""

from __future__ import annotations

import sqlite3
from contextlib import closing
from pathlib import Path

import pytest
from typer.testing import CliRunner

from app.cli import cli

runner = CliRunner()


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    return {"OPENSPACE_DATA_DIR": str(tmp_path / "var"), "OPENSPACE_DATABASE_URL": ""}


def _migrate_with_an_organiser(env: dict[str, str], email: str) -> None:
    assert runner.invoke(cli, ["migrate"], env=env).exit_code == 0
    made = runner.invoke(
        cli,
        ["create-organiser", email, "--password-stdin"],
        input="a long enough password\n",
        env=env,
    )
    assert made.exit_code == 0, made.output


def test_cli_help_lists_every_command() -> None:
    result = runner.invoke(cli, ["--help"])
    assert result.exit_code == 0
    for command in ("serve", "migrate", "demo", "create-organiser", "set-password", "backup"):
        assert command in result.output


def test_migrate_then_create_organiser(env: dict[str, str], tmp_path: Path) -> None:
    assert runner.invoke(cli, ["migrate"], env=env).exit_code == 0
    result = runner.invoke(
        cli,
        ["create-organiser", "Maria@Example.org", "--name", "Maria", "--password-stdin"],
        input="a long enough password\n",
        env=env,
    )
    assert result.exit_code == 0, result.output
    assert "Organiser maria@example.org created." in result.output
    with closing(sqlite3.connect(tmp_path / "var" / "openspace.db")) as db:
        rows = db.execute("SELECT email, name, can_create_events FROM user").fetchall()
    assert rows == [("maria@example.org", "Maria", 1)]


def test_create_organiser_rejects_weak_password_cleanly(env: dict[str, str]) -> None:
    runner.invoke(cli, ["migrate"], env=env)
    result = runner.invoke(
        cli, ["create-organiser", "a@example.org", "--password-stdin"], input="short\n", env=env
    )
    assert result.exit_code == 2
    assert "password: Use at least 10 characters." in result.output
    assert "Traceback" not in result.output


def test_set_password_resets_an_account_and_refuses_unknown_ones(
    env: dict[str, str], tmp_path: Path
) -> None:
    _migrate_with_an_organiser(env, "c@example.org")
    with closing(sqlite3.connect(tmp_path / "var" / "openspace.db")) as db:
        (before,) = db.execute("SELECT password_hash FROM user").fetchone()

    result = runner.invoke(
        cli,
        ["set-password", "C@example.org", "--password-stdin"],
        input="another long one\n",
        env=env,
    )
    assert result.exit_code == 0, result.output
    assert "Password of c@example.org set" in result.output
    with closing(sqlite3.connect(tmp_path / "var" / "openspace.db")) as db:
        (after,) = db.execute("SELECT password_hash FROM user").fetchone()
    assert after != before

    for email, password, message in (
        ("nobody@example.org", "another long one", "email: There is no account with this email."),
        ("c@example.org", "short", "password: Use at least 10 characters."),
    ):
        refused = runner.invoke(
            cli, ["set-password", email, "--password-stdin"], input=f"{password}\n", env=env
        )
        assert refused.exit_code == 2
        assert message in refused.output
        assert "Traceback" not in refused.output
    with closing(sqlite3.connect(tmp_path / "var" / "openspace.db")) as db:
        assert db.execute("SELECT password_hash FROM user").fetchone() == (after,)


def test_backup_copies_a_consistent_database(env: dict[str, str], tmp_path: Path) -> None:
    _migrate_with_an_organiser(env, "b@example.org")
    target = tmp_path / "copy.db"
    result = runner.invoke(cli, ["backup", str(target)], env=env)
    assert result.exit_code == 0, result.output
    with closing(sqlite3.connect(target)) as db:
        assert db.execute("SELECT email FROM user").fetchall() == [("b@example.org",)]
    again = runner.invoke(cli, ["backup", str(target)], env=env)
    assert again.exit_code == 2
    assert "exists already" in again.output


def test_backup_refuses_postgresql(env: dict[str, str], tmp_path: Path) -> None:
    env = {**env, "OPENSPACE_DATABASE_URL": "postgresql://postgres@127.0.0.1:5432/test"}
    result = runner.invoke(cli, ["backup", str(tmp_path / "x.db")], env=env)
    assert result.exit_code == 2
    assert "pg_dump" in result.output


def test_bad_configuration_gets_a_message_not_a_traceback(env: dict[str, str]) -> None:
    result = runner.invoke(cli, ["migrate"], env={**env, "OPENSPACE_ENVIRONMENT": "production"})
    assert result.exit_code == 2
    assert "OPENSPACE_SECRET_KEY is required" in result.output


def test_serve_refuses_several_workers_without_shared_broadcast(env: dict[str, str]) -> None:
    result = runner.invoke(cli, ["serve", "--workers", "2"], env=env)
    assert result.exit_code == 2
    assert "OPENSPACE_BROADCAST_URL=redis://" in result.output


def test_serve_rejects_a_port_out_of_range(env: dict[str, str]) -> None:
    result = runner.invoke(cli, ["serve", "--port", "70000"], env={**env, "COLUMNS": "200"})
    assert result.exit_code == 2
    assert "Invalid value for '--port'" in result.output
    assert "less than or equal to 65535" in result.output
