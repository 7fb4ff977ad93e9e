"""Data rights through HTTP: "Download my data" and "Delete my data" on the phone, and staff
forgetting a participant from the participants page."""

from __future__ import annotations

from collections.abc import Callable

from fastapi.testclient import TestClient
from sqlalchemy import Engine
from sqlmodel import Session, select

from app.config import Settings
from app.models.events import Event
from app.models.people import Participant
from tests.factories import post
from tests.routes.helpers import join, snapshot, sync


def _participant_id(session: Session, event: Event, name: str) -> int:
    sync(session)
    person = session.exec(
        select(Participant).where(Participant.event_id == event.id, Participant.name == name)
    ).one()
    return person.id or 0


def test_a_participant_downloads_their_data(
    client: TestClient, settings: Settings, event: Event
) -> None:
    join(client, settings, event, name="Mira Downloads")
    profile = client.get(f"/e/{event.slug}/me").text
    assert f'href="/e/{event.slug}/me/data"' in profile
    assert f'href="/e/{event.slug}/me/forget"' in profile

    response = client.get(f"/e/{event.slug}/me/data")

    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/json")
    assert response.headers["content-disposition"] == (
        f'attachment; filename="{event.slug}-my-data.json"'
    )
    data = response.json()
    assert data["format"] == "openspace-my-data/1"
    assert data["profile"]["name"] == "Mira Downloads"


def test_delete_my_data_asks_first_then_forgets_this_phone(
    client: TestClient, settings: Settings, session: Session, engine: Engine, event: Event
) -> None:
    join(client, settings, event, name="Ivo Leaves")
    person_id = _participant_id(session, event, "Ivo Leaves")
    page = client.get(f"/e/{event.slug}/me/forget")
    assert page.status_code == 200
    assert "What is deleted" in page.text and "What stays, without a name" in page.text
    before = snapshot(engine)
    refused = client.post(f"/e/{event.slug}/me/forget", follow_redirects=False)  # no CSRF token
    assert refused.status_code == 403
    assert snapshot(engine) == before

    answer = post(client, settings, f"/e/{event.slug}/me/forget")

    assert answer.status_code == 200
    assert "Your data was deleted" in answer.text
    sync(session)
    assert session.get(Participant, person_id) is None
    home = client.get(f"/e/{event.slug}", follow_redirects=False)
    assert 'action="/join"' in home.text or home.status_code == 303
    # Asking for "my data" now leads to the code form: there is nobody's data to give.
    data = client.get(f"/e/{event.slug}/me/data")
    assert data.headers["content-type"].startswith("text/html")
    assert "Ivo Leaves" not in data.text


def test_staff_forget_a_participant_who_asked_by_email(
    organiser: TestClient,
    new_client: Callable[[], TestClient],
    settings: Settings,
    session: Session,
    engine: Engine,
    event: Event,
) -> None:
    asker, other = new_client(), new_client()
    join(asker, settings, event, name="Asked By Email")
    join(other, settings, event, name="Someone Else")
    person_id = _participant_id(session, event, "Asked By Email")
    listing = organiser.get(f"/o/{event.slug}/participants").text
    assert f'href="/o/{event.slug}/participants/{person_id}/forget"' in listing
    confirm = organiser.get(f"/o/{event.slug}/participants/{person_id}/forget")
    assert confirm.status_code == 200 and "Delete the data of Asked By Email" in confirm.text
    # Another participant may not forget them.
    before = snapshot(engine)
    refused = post(other, settings, f"/o/{event.slug}/participants/{person_id}/forget")
    assert refused.status_code in (403, 404)
    assert snapshot(engine) == before

    answer = post(organiser, settings, f"/o/{event.slug}/participants/{person_id}/forget")

    assert answer.status_code == 303
    listing = organiser.get(answer.headers["location"]).text
    assert "data was deleted." in listing
    assert "Asked By Email" not in listing and "Someone Else" in listing
    # Their phone is nobody here any more; forgetting them again finds no one.
    assert asker.get(f"/e/{event.slug}/me", follow_redirects=False).status_code == 303
    again = post(organiser, settings, f"/o/{event.slug}/participants/{person_id}/forget")
    assert again.status_code == 404
    for junk in ("x", "-1", "99999999999999999999"):  # a hand-edited address
        page = organiser.get(f"/o/{event.slug}/participants?forgotten={junk}")
        assert page.status_code in (200, 422) and "<html" in page.text, junk
    for wrong in ("0", "-1", "99999999999999999999", "x"):
        answer = post(organiser, settings, f"/o/{event.slug}/participants/{wrong}/forget")
        assert answer.status_code in (404, 422), wrong
