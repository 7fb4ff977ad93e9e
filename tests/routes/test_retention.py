"""Retention and privacy on the web: the settings form, the event page, the join page's privacy
notice, and deleting an event from its settings page (its files go too)."""

from __future__ import annotations

import re
from collections.abc import Callable
from html import unescape

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine
from sqlmodel import Session

from app.config import Settings
from app.models.events import Event, EventHost, EventMember, Role
from app.models.people import User
from app.services.notes import photos
from tests.factories import field_error, login, make_user, post
from tests.retention_helpers import event_with_photo, upload_files
from tests.routes.helpers import snapshot, sync

# The event fixture's only day is 9 June 2026: kept 180 days, deleted the day after.
DELETED_ON = "Monday, 7 December 2026"
SETTINGS = {
    "name": "Lab Sofia",
    "slug": "lab-sofia",
    "languages": "en, bg",
    "timezone": "Europe/Sofia",
    "report_summary": "We met and agreed.",
    "privacy_contact": "privacy@council.example.org",
    "retention_days": "30",
    "organiser_fields": "true",
}


def _text(html: str, element_id: str) -> str:
    """The text of the element with this id, tags dropped and spaces joined."""
    match = re.search(rf'<(\w+)[^>]* id="{element_id}"[^>]*>(.*?)</\1>', html, re.S)
    assert match, f"no #{element_id}"
    return " ".join(unescape(re.sub(r"<[^>]+>", " ", match.group(2))).split())


def _facilitator(session: Session, settings: Settings, event: Event, browser: TestClient) -> None:
    user = make_user(session, organiser=False, name="Fatme")
    session.add(EventMember(event_id=event.id or 0, user_id=user.id or 0, role=Role.FACILITATOR))
    session.commit()
    login(browser, settings, user)


def test_organiser_sets_retention_and_the_privacy_contact(
    organiser: TestClient, settings: Settings, session: Session, event: Event
) -> None:
    page = organiser.get(f"/o/{event.slug}/edit").text
    assert 'name="retention_days" type="number" value="180"' in page
    assert f"as saved now, on {DELETED_ON}." in page
    assert _text(organiser.get(f"/o/{event.slug}").text, "retention-date") == (
        f"Participants' data is kept 180 days after the last day and deleted on {DELETED_ON}."
    )

    added = post(organiser, settings, f"/o/{event.slug}/hosts", {"name": "Council for Refugees"})
    response = post(organiser, settings, f"/o/{event.slug}/edit", SETTINGS)

    assert added.status_code == 303
    assert (response.status_code, response.headers["location"]) == (303, "/o/lab-sofia")
    sync(session)
    stored = session.get(Event, event.id)
    assert stored is not None
    assert (stored.report_summary, stored.privacy_contact, stored.retention_days) == (
        "We met and agreed.",
        "privacy@council.example.org",
        30,
    )
    overview = organiser.get("/o/lab-sofia").text
    assert _text(overview, "retention-date") == (
        "Participants' data is kept 30 days after the last day and deleted on Friday, 10 July 2026."
    )
    assert "Run by Council for Refugees." in overview
    assert "Participants ask privacy@council.example.org about their data." in overview


@pytest.mark.parametrize(
    ("days", "message"),
    [
        ("", "Enter a whole number."),
        ("half a year", "Enter a whole number."),
        ("0", "Choose between 1 and 3650 days."),
        ("3651", "Choose between 1 and 3650 days."),
    ],
)
def test_a_wrong_retention_gets_a_message_and_changes_nothing(
    organiser: TestClient,
    settings: Settings,
    engine: Engine,
    event: Event,
    days: str,
    message: str,
) -> None:
    before = snapshot(engine, skip=("rate_counter",))

    response = post(
        organiser, settings, f"/o/{event.slug}/edit", {**SETTINGS, "retention_days": days}
    )

    assert response.status_code == 422
    assert field_error(response.text, "retention_days") == message
    assert ">We met and agreed.</textarea>" in response.text  # what was typed stays
    assert snapshot(engine, skip=("rate_counter",)) == before


def test_facilitators_neither_see_nor_change_retention_and_privacy(
    client: TestClient, settings: Settings, session: Session, engine: Engine, event: Event
) -> None:
    _facilitator(session, settings, event, client)
    page = client.get(f"/o/{event.slug}/edit").text
    assert 'name="retention_days"' not in page
    assert 'name="privacy_contact"' not in page
    assert f"and deleted on {DELETED_ON}." in client.get(f"/o/{event.slug}").text
    before = snapshot(engine, skip=("rate_counter",))

    forged = post(client, settings, f"/o/{event.slug}/edit", SETTINGS)

    assert forged.status_code == 403
    assert snapshot(engine, skip=("rate_counter",)) == before
    without = {key: SETTINGS[key] for key in ("name", "slug", "languages", "timezone")}
    assert (
        post(client, settings, f"/o/{event.slug}/edit", {**without, "venue": "Hall"}).status_code
        == 303
    )
    sync(session)
    stored = session.get(Event, event.id)
    assert stored is not None
    assert (stored.venue, stored.retention_days, stored.privacy_contact) == ("Hall", 180, "")


# --- the join page -------------------------------------------------------------------------


def test_join_page_says_when_the_data_goes_and_who_to_ask(
    client: TestClient, session: Session, event: Event
) -> None:
    page = client.get(f"/j/{event.join_code}").text
    assert _text(page, "retention-date") == f"Your data is deleted on {DELETED_ON}."
    notice = _text(page, "privacy-notice")
    assert notice == (
        "Your data: what is kept, who sees it, for how long "
        "Lab Sofia runs this event and looks after its data. "
        "What is kept: the name and organisation you type, your topics, votes, check-ins, "
        "notes, photos and cards, and a cookie that keeps this phone joined. "
        "No email, no password. "
        "Who sees it: other participants see your name only if you agree to be named in the "
        "report and on the board. The organisers and facilitators see everything. "
        f"How long: it is deleted on {DELETED_ON}, with everything else of this event. "
        "Deleting it sooner: tap “Delete my data” on your profile page at any time. "
        "Or ask the organisers."
    )

    session.add(EventHost(event_id=event.id or 0, name="Council <b>for</b> Refugees"))
    event.privacy_contact = "privacy@council.example.org"
    session.add(event)
    session.commit()
    page = client.get(f"/j/{event.join_code}").text
    assert "Council &lt;b&gt;for&lt;/b&gt; Refugees runs this event and looks after" in page

    session.add(EventHost(event_id=event.id or 0, name="UNHCR", position=1))
    session.commit()
    page = client.get(f"/j/{event.join_code}").text
    assert (
        "Council &lt;b&gt;for&lt;/b&gt; Refugees and UNHCR run this event and look after its"
        " data." in page
    )
    assert (
        'Or ask <a href="mailto:privacy@council.example.org" rel="noopener">'
        "privacy@council.example.org</a>." in page
    )


def test_join_page_notice_in_bulgarian(client: TestClient, event: Event) -> None:
    page = client.get(f"/j/{event.join_code}", headers={"Accept-Language": "bg"}).text

    assert _text(page, "retention-date") == (
        "Данните ви се изтриват на понеделник, 7 декември 2026 г."
    )
    assert _text(page, "privacy-notice").startswith(
        "Вашите данни: какво се пази, кой го вижда и докога "
        "Lab Sofia провежда това събитие и отговаря за данните му."
    )


def test_a_refused_join_shows_the_notice_again(
    client: TestClient, settings: Settings, event: Event
) -> None:
    response = post(client, settings, f"/j/{event.join_code}", {"name": "", "locale": "en"})

    assert response.status_code == 422
    assert _text(response.text, "retention-date") == f"Your data is deleted on {DELETED_ON}."


# --- deleting an event from its settings page ----------------------------------------------


def test_deleting_an_event_on_the_web_removes_its_files_and_no_other(
    organiser: TestClient,
    settings: Settings,
    session: Session,
    owner: User,
    new_client: Callable[[], TestClient],
) -> None:
    gone, _gone_files = event_with_photo(session, settings, owner, "Lab Plovdiv")
    kept, kept_files = event_with_photo(session, settings, owner, "Lab Varna")
    gone_id = gone.id or 0
    assert len(upload_files(settings.uploads_path)) == 4

    response = post(organiser, settings, f"/o/{gone.slug}/delete", {"confirm": gone.slug})

    assert (response.status_code, response.headers["location"]) == (303, "/o")
    assert upload_files(settings.uploads_path) == kept_files
    assert not photos.folder(settings.uploads_path, gone_id).exists()
    sync(session)
    assert session.get(Event, gone_id) is None
    assert session.get(Event, kept.id) is not None
