"""The organisations that run an event: an event's one ``host_organisation`` becomes its first
``event_host`` row on the way up, and the rows become that column again on the way down."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import inspect, text

from app.config import Settings
from app.db import make_engine
from app.migrate import downgrade, upgrade
from tests.conftest import SECRET

BEFORE = "c6e8a0b2d4f6"
HOSTS = "d8e0f2a4c6b8"
EVENT = (
    "INSERT INTO event (id, name, slug, description, languages, timezone, venue, join_code,"
    " board_nonce, phase, created_at, host_organisation) VALUES (:id, :name, :slug, '',"
    " '[\"en\"]', 'UTC', '', :code, 'n', 'setup', '2026-06-01 10:00:00', :host)"
)


def test_the_one_host_becomes_the_first_of_the_list_and_back(
    empty_url: str, tmp_path: Path
) -> None:
    engine = make_engine(
        Settings(database_url=empty_url, secret_key=SECRET, environment="test", data_dir=tmp_path)
    )
    try:
        upgrade(engine, BEFORE)
        with engine.begin() as connection:
            for values in (
                {"id": 7, "name": "Lab", "slug": "lab", "code": "ABCDEF", "host": "Council"},
                {"id": 8, "name": "Bare", "slug": "bare", "code": "GHJKLM", "host": ""},
            ):
                connection.execute(text(EVENT), values)

        upgrade(engine, HOSTS)

        with engine.begin() as connection:
            rows = connection.execute(
                text("SELECT event_id, name, logo_key, position FROM event_host")
            ).all()
            assert [tuple(row) for row in rows] == [(7, "Council", "", 0)]
            summaries = connection.execute(text("SELECT report_summary FROM event")).all()
            assert [tuple(row) for row in summaries] == [("",), ("",)]
            connection.execute(
                text(
                    "INSERT INTO event_host (event_id, name, logo_key, position)"
                    " VALUES (7, 'UNHCR', 'k', 1), (8, :long, '', 0)"
                ),
                {"long": "Ж" * 160},
            )
        columns = {column["name"] for column in inspect(engine).get_columns("event")}
        assert "host_organisation" not in columns

        downgrade(engine, BEFORE)

        with engine.connect() as connection:
            hosts = connection.execute(
                text("SELECT id, host_organisation FROM event ORDER BY id")
            ).all()
        assert [tuple(row) for row in hosts] == [(7, "Council, UNHCR"), (8, "Ж" * 160)]
        assert "event_host" not in inspect(engine).get_table_names()
    finally:
        downgrade(engine, "base")
        engine.dispose()
