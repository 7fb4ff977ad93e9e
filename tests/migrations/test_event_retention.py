"""The retention and privacy columns: events that exist get the default and keep their data."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import text

from app.config import Settings
from app.db import make_engine
from app.migrate import downgrade, upgrade
from tests.conftest import SECRET

BEFORE = "f4c1d9a7b2e3"
RETENTION = "a3c5e7f9b1d2"


def test_existing_events_are_kept_180_days_after_the_upgrade(
    empty_url: str, tmp_path: Path
) -> None:
    engine = make_engine(
        Settings(database_url=empty_url, secret_key=SECRET, environment="test", data_dir=tmp_path)
    )
    try:
        upgrade(engine, BEFORE)
        with engine.begin() as connection:
            connection.execute(
                text(
                    "INSERT INTO event (id, name, slug, description, languages, timezone, venue,"
                    " join_code, board_nonce, phase, created_at) VALUES (7, 'Lab', 'lab', '',"
                    " '[\"en\"]', 'UTC', '', 'ABCDEF', 'n', 'setup', '2026-06-01 10:00:00')"
                )
            )
        upgrade(engine, RETENTION)
        with engine.connect() as connection:
            row = connection.execute(
                text("SELECT retention_days, host_organisation, privacy_contact FROM event")
            ).one()
        assert tuple(row) == (180, "", "")

        downgrade(engine, BEFORE)
        with engine.connect() as connection:
            assert connection.execute(text("SELECT id, slug FROM event")).all() == [(7, "lab")]
    finally:
        downgrade(engine, "base")
        engine.dispose()
