"""Audit item 8: a date at the ends of the calendar gave a 500 (``first_day=9999-12-31``).

Every day an event can have is checked, first to last, with a message next to the field."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy import Engine

from app.config import Settings
from app.models.events import Event
from tests.factories import field_error, post
from tests.routes.helpers import snapshot

BETWEEN = "Choose a date between 2000-01-01 and 2100-12-31."
NEW_EVENT = {"name": "Far Lab", "languages": "en", "timezone": "UTC", "day_count": "1"}


def test_a_new_event_refuses_days_outside_the_calendar_it_can_have(
    engine: Engine, settings: Settings, organiser: TestClient
) -> None:
    before = snapshot(engine, skip=("auth_session",))
    for first_day, day_count in (
        ("9999-12-31", "1"),
        ("9999-12-31", "14"),
        ("0001-01-01", "1"),
        ("2100-12-25", "14"),  # the first day is fine, the last is not
        ("1999-12-31", "2"),
    ):
        form = {**NEW_EVENT, "first_day": first_day, "day_count": day_count}
        response = post(organiser, settings, "/o/new", form)
        assert (response.status_code, field_error(response.text, "first_day")) == (
            422,
            BETWEEN,
        ), first_day
    assert snapshot(engine, skip=("auth_session",)) == before

    fine = post(
        organiser, settings, "/o/new", {**NEW_EVENT, "first_day": "2100-12-18", "day_count": "14"}
    )
    assert fine.status_code == 303


def test_a_day_added_to_the_programme_is_checked_as_well(
    engine: Engine, settings: Settings, organiser: TestClient, event: Event
) -> None:
    before = snapshot(engine, skip=("auth_session",))
    response = post(organiser, settings, f"/o/{event.slug}/days", {"date": "9999-12-31"})
    assert (response.status_code, field_error(response.text, "date")) == (422, BETWEEN)
    assert snapshot(engine, skip=("auth_session",)) == before
