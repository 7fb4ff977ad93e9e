"""Helpers shared by the route tests (plain functions, like tests/factories.py)."""

from __future__ import annotations

import re
from html import unescape

from fastapi.testclient import TestClient
from sqlalchemy import Engine, select
from sqlmodel import Session, SQLModel

from app.config import Settings
from app.models.events import Event
from tests.factories import post


def sync(session: Session) -> None:
    """End the test session's transaction and forget loaded rows, to see what the app wrote."""
    session.commit()
    session.expire_all()


def snapshot(engine: Engine, *, skip: tuple[str, ...] = ()) -> dict[str, list[str]]:
    """Every row of every table, to prove that a request changed nothing."""
    with engine.connect() as connection:
        return {
            table.name: sorted(repr(tuple(row)) for row in connection.execute(select(table)))
            for table in SQLModel.metadata.sorted_tables
            if table.name not in skip
        }


def join(client: TestClient, settings: Settings, event: Event, name: str = "Mira") -> None:
    """Join ``event`` from this browser, as a phone would."""
    response = post(client, settings, f"/j/{event.join_code}", {"name": name, "locale": "en"})
    assert response.status_code == 303, response.text
    assert response.headers["location"] == f"/e/{event.slug}"


def input_value(html: str, element_id: str) -> str:
    """The value of the <input id=...> on a page."""
    match = re.search(rf'<input id="{re.escape(element_id)}"[^>]*?value="([^"]*)"', html)
    assert match, f"no input #{element_id}"
    return unescape(match.group(1))
