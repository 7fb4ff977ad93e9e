"""Audit item 9: pages for a signed-in person were cacheable, the personal link among them.

Every answer to a browser with a session says ``no-store``: no proxy keeps it, and neither does
the phone, where the next person to hold it could page back to a personal link."""

from __future__ import annotations

from collections.abc import Callable

from fastapi.testclient import TestClient
from sqlmodel import Session, select

from app.config import Settings
from app.models.events import Event
from app.models.people import Participant
from app.services.people import participants
from app.services.schedule import calendar
from tests.routes.helpers import join


def test_staff_and_phone_pages_are_never_stored(
    session: Session,
    settings: Settings,
    organiser: TestClient,
    new_client: Callable[[], TestClient],
    event: Event,
) -> None:
    phone = new_client()
    join(phone, settings, event)
    participant = session.exec(select(Participant)).one()
    link = f"/e/{event.slug}/p/{participants.personal_token(participant, settings.secret)}"
    other_phone = new_client()
    other_phone.get("/join")

    answers = {
        "overview": organiser.get(f"/o/{event.slug}"),
        "team": organiser.get(f"/o/{event.slug}/team"),
        "qr": organiser.get(f"/e/{event.slug}/qr.svg"),
        "phone home": phone.get(f"/e/{event.slug}"),
        "profile with the personal link": phone.get(f"/e/{event.slug}/me"),
        "htmx partial": phone.get(f"/e/{event.slug}", headers={"HX-Request": "true"}),
        "personal link opened": other_phone.get(link),
        "not found": phone.get("/e/no-such-event/me", follow_redirects=False),
    }
    assert link.rsplit("/", 1)[1] in answers["profile with the personal link"].text
    for name, response in answers.items():
        assert response.headers["cache-control"] == "no-store", name


def test_static_files_and_a_calendar_apps_feed_stay_cacheable(
    client: TestClient, settings: Settings, event: Event
) -> None:
    feed = client.get(
        f"/e/{event.slug}/calendar.ics?k={calendar.event_feed_key(event, settings.secret)}"
    )
    assert (feed.status_code, feed.headers["cache-control"]) == (200, "private, max-age=300")
    style = client.get("/static/css/app.css")
    assert style.status_code == 200
    assert "no-store" not in style.headers.get("cache-control", "")
