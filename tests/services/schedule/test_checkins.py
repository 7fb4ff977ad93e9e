"""The law of two feet without HTTP: check in, move on, attendance, the door sign's session."""

from __future__ import annotations

import datetime as dt
import threading
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import Engine
from sqlmodel import Session, col, select

from app.config import Settings
from app.db import open_session
from app.errors import Invalid, NotFound, NotSignedIn
from app.models.schedule import CheckIn
from app.services.schedule import agenda, checkins, grid, publishing
from tests.factories import access_as, make_participant
from tests.grid_helpers import Grid, make_grid

SOFIA = ZoneInfo("Europe/Sofia")


@pytest.fixture
def g(session: Session, settings: Settings) -> Grid:
    g = make_grid(session, settings)
    grid.move(session, access=g.staff, topic_id=g.topic(0), expected=None, target=g.cell(0, 0))
    grid.move(session, access=g.staff, topic_id=g.topic(1), expected=None, target=g.cell(0, 1))
    grid.move(session, access=g.staff, topic_id=g.topic(2), expected=None, target=g.cell(1, 0))
    publishing.publish(session, access=g.staff)
    return g


def open_rows(session: Session, participant_id: int) -> list[int]:
    return list(
        session.exec(
            select(CheckIn.topic_id).where(
                CheckIn.participant_id == participant_id, col(CheckIn.left_at).is_(None)
            )
        ).all()
    )


def test_checking_in_elsewhere_checks_out_of_the_previous_session(
    session: Session, settings: Settings, g: Grid
) -> None:
    person, auth = make_participant(session, settings, event=g.event, name="Walker")
    phone = access_as(session, g.event, auth=auth)

    checkins.check_in(session, access=phone, topic_id=g.topic(0))
    checkins.check_in(session, access=phone, topic_id=g.topic(0))  # a second tap: no change
    assert open_rows(session, person.id or 0) == [g.topic(0)]
    checkins.check_in(session, access=phone, topic_id=g.topic(1))

    assert open_rows(session, person.id or 0) == [g.topic(1)]
    assert checkins.attendance(session, event_id=g.event.id or 0) == {g.topic(1): 1}
    assert checkins.attendees(session, event_id=g.event.id or 0) == {g.topic(0): 1, g.topic(1): 1}
    assert checkins.current_topic(session, participant_id=person.id or 0) == g.topic(1)

    checkins.check_out(session, access=phone)
    assert checkins.attendance(session, event_id=g.event.id or 0) == {}
    with pytest.raises(Invalid, match="not checked in"):
        checkins.check_out(session, access=phone)


def test_headcounts_say_who_is_here_now_and_who_came_during_the_session(
    session: Session, settings: Settings, g: Grid
) -> None:
    people = [
        access_as(session, g.event, auth=make_participant(session, settings, event=g.event)[1])
        for _ in range(3)
    ]
    for person in people:
        checkins.check_in(session, access=person, topic_id=g.topic(0))
    checkins.check_in(session, access=people[0], topic_id=g.topic(1))  # the law of two feet
    checkins.check_in(session, access=people[0], topic_id=g.topic(0))  # ...and back
    checkins.check_out(session, access=people[1])
    event_id = g.event.id or 0

    assert checkins.headcounts(session, event_id=event_id) == {
        g.topic(0): checkins.Headcount(here=2, during=3),
        g.topic(1): checkins.Headcount(here=0, during=1),
    }
    assert checkins.headcounts(session, event_id=event_id, topic_id=g.topic(1)) == {
        g.topic(1): checkins.Headcount(here=0, during=1)
    }
    assert checkins.attendance(session, event_id=event_id) == {g.topic(0): 2}
    assert checkins.attendees(session, event_id=event_id) == {g.topic(0): 3, g.topic(1): 1}


def test_only_published_sessions_of_the_event_take_check_ins(
    session: Session, settings: Settings, g: Grid
) -> None:
    other = make_grid(session, settings)
    grid.move(
        session, access=other.staff, topic_id=other.topic(0), expected=None, target=other.cell(0, 0)
    )
    publishing.publish(session, access=other.staff)
    # Placed in the draft but not published:
    grid.move(session, access=g.staff, topic_id=g.topic(2), expected=g.cell(1, 0), target=None)
    grid.move(session, access=g.staff, topic_id=g.topic(2), expected=None, target=g.cell(1, 1))
    _person, auth = make_participant(session, settings, event=g.event)
    phone = access_as(session, g.event, auth=auth)

    with pytest.raises(NotFound):
        checkins.check_in(session, access=phone, topic_id=other.topic(0))
    with pytest.raises(NotSignedIn):
        checkins.check_in(session, access=g.staff, topic_id=g.topic(0))
    # Still published where it was: the draft's move is not what participants see.
    checkins.check_in(session, access=phone, topic_id=g.topic(2))
    assert checkins.attendance(session, event_id=g.event.id or 0) == {g.topic(2): 1}


def test_door_sign_offers_the_session_in_the_room_now_or_next(session: Session, g: Grid) -> None:
    published = agenda.load_published(session, event=g.event)
    hall = g.rooms[0].id or 0

    def at(hour: int, minute: int) -> int | None:
        found = checkins.session_in_room(
            published, room_id=hall, now=dt.datetime(2026, 6, 9, hour, minute, tzinfo=SOFIA)
        )
        return found.topic_id if found else None

    assert at(8, 0) == g.topic(0)  # the first one, before the day
    assert at(10, 30) == g.topic(0)  # during slot 0
    assert at(11, 10) == g.topic(2)  # in the break, the next one
    assert at(18, 0) == g.topic(2)  # after the day: the last one
    lab = g.rooms[1].id or 0
    assert checkins.session_in_room(
        published, room_id=lab, now=dt.datetime(2026, 6, 9, 12, 0, tzinfo=SOFIA)
    ).topic_id == g.topic(1)  # type: ignore[union-attr]


def test_simultaneous_taps_leave_one_check_in(
    session: Session, settings: Settings, engine: Engine, g: Grid
) -> None:
    person, auth = make_participant(session, settings, event=g.event)
    session.commit()
    barrier = threading.Barrier(6)
    topics = [g.topic(0), g.topic(1), g.topic(2)] * 2

    def run(number: int) -> None:
        barrier.wait(timeout=30)
        with open_session(engine, write=True) as own:
            checkins.check_in(
                own, access=access_as(own, g.event, auth=auth), topic_id=topics[number]
            )

    threads = [threading.Thread(target=run, args=(n,)) for n in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert len(open_rows(session, person.id or 0)) == 1
