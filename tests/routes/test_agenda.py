"""The published agenda through HTTP: phone pages, "I'm here", the door sign, calendar feeds,
printable agenda and door signs; and that drafts stay unseen."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable

import icalendar
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine
from sqlmodel import Session, select

from app.config import Settings
from app.models.people import Participant
from app.models.topics import Vote
from app.services.schedule import calendar, checkins, grid, publishing
from tests.factories import csrf, login, post
from tests.grid_helpers import Grid, make_grid, vote
from tests.routes.helpers import join, snapshot, sync

DAY = dt.date.today() + dt.timedelta(days=30)


@pytest.fixture
def g(session: Session, settings: Settings) -> Grid:
    made = make_grid(session, settings, topic_count=3, first_day=DAY)
    grid.move(
        session, access=made.staff, topic_id=made.topic(0), expected=None, target=made.cell(0, 0)
    )
    grid.move(
        session, access=made.staff, topic_id=made.topic(1), expected=None, target=made.cell(0, 1)
    )
    grid.move(
        session, access=made.staff, topic_id=made.topic(2), expected=None, target=made.cell(1, 0)
    )
    publishing.publish(session, access=made.staff)
    session.commit()
    return made


@pytest.fixture
def phone(client: TestClient, settings: Settings, g: Grid) -> TestClient:
    join(client, settings, g.event, name="Pia")
    return client


def me(session: Session, name: str = "Pia") -> Participant:
    sync(session)
    found = session.exec(select(Participant).where(Participant.name == name)).one()
    return found


def test_agenda_page_lists_the_published_sessions_by_slot(phone: TestClient, g: Grid) -> None:
    page = phone.get(f"/e/{g.event.slug}/agenda")

    assert page.status_code == 200
    sessions = re.findall(r'class="agenda-session" data-topic="(\d+)"', page.text)
    assert sessions == [str(g.topic(0)), str(g.topic(1)), str(g.topic(2))]
    assert "Opening circle" in page.text
    assert "0/40 here" in page.text


def test_drafts_are_not_shown_to_phones(phone: TestClient, session: Session, g: Grid) -> None:
    grid.move(
        session, access=g.staff, topic_id=g.topic(2), expected=g.cell(1, 0), target=g.cell(1, 1)
    )
    session.commit()

    page = phone.get(f"/e/{g.event.slug}/agenda")
    # Topic 2 stays in the Hall (room 0) for phones until the next publish.
    item = re.search(
        rf'data-topic="{g.topic(2)}".*?class="agenda-room" dir="auto">([^<]+)<', page.text, re.S
    )
    assert item is not None and item.group(1) == "Hall"


def test_my_agenda_shows_what_i_voted_for_and_the_notice_when_it_moves(
    phone: TestClient, settings: Settings, session: Session, g: Grid
) -> None:
    person = me(session)
    session.add(Vote(event_id=g.event.id or 0, participant_id=person.id or 0, topic_id=g.topic(2)))
    session.commit()
    grid.move(
        session, access=g.staff, topic_id=g.topic(2), expected=g.cell(1, 0), target=g.cell(1, 1)
    )
    publishing.publish(session, access=g.staff)
    session.commit()

    home = phone.get(f"/e/{g.event.slug}")

    mine = home.text.split('id="my-agenda"')[1].split("</section>")[0]
    assert f'data-follow="{g.topic(2)}"' in home.text
    assert re.findall(r'class="agenda-session" data-topic="(\d+)"', mine) == [str(g.topic(2))]
    assert "“<bdi>Topic 2</bdi>” is now in <bdi>Lab</bdi> at 11:30." in mine


def test_check_in_moves_with_the_feet(
    phone: TestClient, settings: Settings, session: Session, g: Grid
) -> None:
    slug = g.event.slug
    assert post(phone, settings, f"/e/{slug}/sessions/{g.topic(0)}/here").status_code == 303
    page = phone.get(f"/e/{slug}/sessions/{g.topic(0)}")
    assert "You are checked in here." in page.text
    assert "1/40 here" in page.text

    post(phone, settings, f"/e/{slug}/sessions/{g.topic(1)}/here")
    sync(session)
    assert checkins.attendance(session, event_id=g.event.id or 0) == {g.topic(1): 1}

    post(phone, settings, f"/e/{slug}/sessions/{g.topic(1)}/leave")
    again = post(phone, settings, f"/e/{slug}/sessions/{g.topic(1)}/leave")
    assert again.status_code == 422
    assert "You are not checked in anywhere." in again.text


def test_check_in_from_now_and_next_answers_where_the_phone_is(
    phone: TestClient, settings: Settings, session: Session, g: Grid
) -> None:
    """ "I'm here" on the home page's "Now and next" posts with htmx: no page, the state."""
    headers = {"HX-Request": "true", "X-CSRF-Token": csrf(phone, settings)}
    url = f"/e/{g.event.slug}/sessions/{g.topic(1)}/here"
    response = phone.post(url, headers=headers, follow_redirects=False)

    assert response.status_code == 200
    assert "HX-Request" in response.headers["vary"]
    assert response.text.strip() == (
        f'<div id="my-here" hidden hx-swap-oob="true" data-topic="{g.topic(1)}"></div>\n'
        '<p id="flash" class="flash" role="status" aria-live="polite" hx-swap-oob="innerHTML">'
        f"You are checked in: {g.topics[1].title}</p>"
    )
    sync(session)
    assert checkins.attendance(session, event_id=g.event.id or 0) == {g.topic(1): 1}
    home = phone.get(f"/e/{g.event.slug}")
    assert f'<div id="my-here" hidden data-topic="{g.topic(1)}"></div>' in home.text


def test_check_in_refuses_what_is_not_on_the_agenda(
    phone: TestClient, settings: Settings, session: Session, engine: Engine, g: Grid
) -> None:
    other = make_grid(session, settings, first_day=DAY)
    session.commit()
    before = snapshot(engine)

    for topic in (str(other.topic(0)), "999999", "0"):
        response = post(phone, settings, f"/e/{g.event.slug}/sessions/{topic}/here")
        assert response.status_code in (404, 422), topic
    assert phone.get(f"/e/{g.event.slug}/sessions/{other.topic(0)}").status_code == 404
    assert snapshot(engine) == before


def test_strangers_are_sent_to_the_code_form_first(client: TestClient, g: Grid) -> None:
    for path in (f"/e/{g.event.slug}/agenda", f"/e/{g.event.slug}/rooms/{g.rooms[0].id}/here"):
        response = client.get(path, follow_redirects=False)
        assert response.status_code == 303
        assert response.headers["location"] == "/join"


def test_door_sign_leads_to_the_rooms_session(phone: TestClient, g: Grid) -> None:
    response = phone.get(f"/e/{g.event.slug}/rooms/{g.rooms[1].id}/here", follow_redirects=False)

    assert response.status_code == 303
    assert response.headers["location"] == f"/e/{g.event.slug}/sessions/{g.topic(1)}"


def feed_events(body: bytes) -> dict[str, icalendar.Event]:
    parsed = icalendar.Calendar.from_ical(body)
    return {str(item["uid"]): item for item in parsed.walk("VEVENT")}


def test_event_feed_validates_and_keeps_uids_when_sessions_move(
    client: TestClient, settings: Settings, session: Session, g: Grid
) -> None:
    key = calendar.event_feed_key(g.event, settings.secret)
    url = f"/e/{g.event.slug}/calendar.ics?k={key}"

    first = client.get(url)
    assert first.status_code == 200
    assert first.headers["content-type"].startswith("text/calendar")
    before = feed_events(first.content)
    grid.move(
        session, access=g.staff, topic_id=g.topic(0), expected=g.cell(0, 0), target=g.cell(1, 1)
    )
    publishing.publish(session, access=g.staff)
    session.commit()
    after = feed_events(client.get(url).content)

    uid = next(u for u in before if u.startswith(f"session-{g.topic(0)}."))
    assert set(before) == set(after)
    assert len([u for u in after if u.startswith("plenary-")]) == 1
    assert before[uid]["summary"] == "Topic 0"
    assert before[uid].decoded("dtstart") == dt.datetime.combine(
        DAY, dt.time(10, 0), tzinfo=before[uid].decoded("dtstart").tzinfo
    )
    assert str(before[uid].decoded("dtstart").tzinfo) in ("Europe/Sofia",)
    assert after[uid].decoded("dtstart").time() == dt.time(11, 30)
    assert (int(before[uid]["sequence"]), int(after[uid]["sequence"])) == (1, 2)
    assert str(after[uid]["location"]) == "Lab"
    assert b"BEGIN:VTIMEZONE" in first.content


def test_feeds_need_their_key(
    client: TestClient, settings: Settings, session: Session, g: Grid
) -> None:
    assert client.get(f"/e/{g.event.slug}/calendar.ics").status_code == 404
    assert client.get(f"/e/{g.event.slug}/calendar.ics?k=forged").status_code == 404
    person = g.people[0]
    assert client.get(f"/e/{g.event.slug}/calendar/{person.id}.ics?k=forged").status_code == 404


def test_personal_feed_has_only_my_sessions(
    client: TestClient, settings: Settings, session: Session, g: Grid
) -> None:
    vote(session, g, {3: [1]})  # person 3 convenes nothing (3 topics), votes for topic 1
    person = g.people[3]
    key = calendar.personal_feed_key(person, settings.secret)

    events = feed_events(client.get(f"/e/{g.event.slug}/calendar/{person.id}.ics?k={key}").content)

    assert [str(e["summary"]) for u, e in events.items() if u.startswith("session-")] == ["Topic 1"]


def test_printable_agenda_and_door_signs_are_for_staff(
    client: TestClient, new_client: Callable[[], TestClient], settings: Settings, g: Grid
) -> None:
    assert g.staff.user is not None
    login(client, settings, g.staff.user)
    agenda_page = client.get(f"/o/{g.event.slug}/agenda/print")
    signs = client.get(f"/o/{g.event.slug}/signs")

    assert agenda_page.status_code == 200 and "Topic 2" in agenda_page.text
    assert signs.status_code == 200
    assert signs.text.count('class="door-sign"') == 2
    key = checkins.door_key(g.event, room_id=g.rooms[0].id or 0, secret=settings.secret)
    assert f"/e/{g.event.slug}/rooms/{g.rooms[0].id}/here?k={key}" in signs.text
    assert "<svg" in signs.text
    phone = new_client()
    join(phone, settings, g.event)
    assert phone.get(f"/o/{g.event.slug}/signs").status_code == 403
    assert phone.get(f"/o/{g.event.slug}/agenda/print").status_code == 403
