"""`openspace purge` on an SQLite file: what it lists, what it deletes, and its error message."""

from __future__ import annotations

import re
import sqlite3
from contextlib import closing
from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

from app.cli import cli

runner = CliRunner()
LEFTOVERS = (
    "expired sign-in sessions: 0, vote retry keys: 0, notes presence rows: 0, "
    "attempt counters: 0, wrong-password streaks: 0."
)


def _run(args: list[str], folder: Path, **env: str | None) -> Result:
    return runner.invoke(
        cli,
        args,
        env={
            "OPENSPACE_DATA_DIR": str(folder),
            "OPENSPACE_DATABASE_URL": None,
            "OPENSPACE_SECRET_KEY": None,
            "OPENSPACE_ENVIRONMENT": "development",
            "COLUMNS": "200",
            **env,
        },
    )


def _sql(folder: Path, statement: str) -> list[tuple[object, ...]]:
    with closing(sqlite3.connect(folder / "openspace.db")) as db:
        rows = db.execute(statement).fetchall()
        db.commit()
    return rows


def _files(folder: Path) -> list[Path]:
    return sorted(path for path in (folder / "uploads").rglob("*") if path.is_file())


@pytest.fixture
def demo(tmp_path: Path) -> Path:
    """The demo event, held in 2001 and kept a day: long past its retention."""
    assert _run(["migrate"], tmp_path).exit_code == 0
    assert _run(["demo"], tmp_path).exit_code == 0
    _sql(tmp_path, "UPDATE day SET date = replace(date, '2026-', '2001-')")
    _sql(tmp_path, "UPDATE event SET retention_days = 1")
    return tmp_path


def test_dry_run_lists_the_expired_event_and_deletes_nothing(demo: Path) -> None:
    files = _files(demo)
    (event_id,) = _sql(demo, "SELECT id FROM event")[0]
    assert len(files) >= 2

    result = _run(["purge", "--dry-run"], demo)

    assert result.exit_code == 0, result.output
    first, leftovers = result.output.splitlines()
    assert re.fullmatch(
        rf"Would delete demo 'Laboratory for Cooperation — Лаборатория за сътрудничество'"
        rf" \(last day 2001-06-10\): [\d,]+ rows, {len(files)} files\.",
        first,
    ), first
    assert leftovers == f"Would also delete: {LEFTOVERS}"
    assert _sql(demo, "SELECT id FROM event") == [(event_id,)]
    assert _files(demo) == files


def test_purge_deletes_the_expired_event_and_its_files(demo: Path) -> None:
    dry = _run(["purge", "--dry-run"], demo).output.splitlines()[0]

    result = _run(["purge"], demo)

    assert result.exit_code == 0, result.output
    assert result.output.splitlines() == [
        dry.replace("Would delete", "Deleted"),
        f"Also deleted: {LEFTOVERS}",
    ]
    assert _sql(demo, "SELECT count(*) FROM event") == [(0,)]
    assert _sql(demo, "SELECT count(*) FROM participant") == [(0,)]
    assert _files(demo) == []
    again = _run(["purge"], demo)
    assert again.output.splitlines() == [
        "No event is past its retention.",
        f"Also deleted: {LEFTOVERS}",
    ]


def test_purge_keeps_an_event_within_its_retention(demo: Path) -> None:
    _sql(demo, "UPDATE day SET date = replace(date, '2001-', '2099-')")
    files = _files(demo)

    result = _run(["purge"], demo)

    assert result.exit_code == 0
    assert result.output.splitlines()[0] == "No event is past its retention."
    assert _files(demo) == files


def test_purge_on_a_database_without_tables_says_so(tmp_path: Path) -> None:
    result = _run(["purge"], tmp_path)

    assert result.exit_code == 2
    assert result.output == (
        "Database error: no such table: day (has `openspace migrate` been run?)\n"
    )
