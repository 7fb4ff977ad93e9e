"""The pitch queue without HTTP: lining up, advancing, stopping, leaving."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlmodel import Session

from app.config import Settings
from app.errors import Conflict, NotFound, PermissionDenied
from app.models.events import Event, Phase, Role
from app.models.people import User
from app.models.topics import PitchStatus, Topic
from app.services.access import EventAccess
from app.services.topics import pitches, topics
from tests.factories import make_event
from tests.marketplace_helpers import (
    as_participant,
    as_staff,
    cohost,
    make_facilitator,
    pitch_rows,
    set_phase,
)

WAITING, CURRENT, DONE = PitchStatus.WAITING, PitchStatus.CURRENT, PitchStatus.DONE


@pytest.fixture
def event(session: Session, event: Event) -> Event:
    """The shared event (tests/services/conftest.py), in the marketplace."""
    return set_phase(session, event, Phase.MARKETPLACE)


@pytest.fixture
def housing(session: Session, mira: EventAccess) -> Topic:
    return topics.propose(session, access=mira, title="Housing")


@pytest.fixture
def jobs(session: Session, ivo: EventAccess) -> Topic:
    return topics.propose(session, access=ivo, title="Jobs")


def _id(topic: Topic) -> int:
    assert topic.id is not None
    return topic.id


def _queue_ids(session: Session, event: Event) -> tuple[int | None, list[int]]:
    state = pitches.queue(session, event_id=event.id or 0)
    current = state.current[1].id if state.current else None
    return current, [_id(topic) for _entry, topic in state.waiting]


def test_line_up_by_conveners_in_order(
    session: Session, event: Event, mira: EventAccess, ivo: EventAccess,
    housing: Topic, jobs: Topic,
) -> None:  # fmt: skip
    first = pitches.line_up(session, access=mira, topic_id=_id(housing))
    second = pitches.line_up(session, access=ivo, topic_id=_id(jobs))
    assert (first.position, first.status, first.started_at) == (1, WAITING, None)
    assert (second.position, second.status) == (2, WAITING)
    assert pitch_rows(session, event_id=event.id or 0) == [
        (housing.id, WAITING),
        (jobs.id, WAITING),
    ]
    assert _queue_ids(session, event) == (None, [_id(housing), _id(jobs)])


def test_line_up_twice_keeps_place(
    session: Session, event: Event, mira: EventAccess, ivo: EventAccess,
    housing: Topic, jobs: Topic,
) -> None:  # fmt: skip
    first = pitches.line_up(session, access=mira, topic_id=_id(housing))
    pitches.line_up(session, access=ivo, topic_id=_id(jobs))
    again = pitches.line_up(session, access=mira, topic_id=_id(housing))
    assert (again.id, again.position) == (first.id, 1)
    assert pitch_rows(session, event_id=event.id or 0) == [
        (housing.id, WAITING),
        (jobs.id, WAITING),
    ]


def test_line_up_by_cohost_allowed(
    session: Session, event: Event, mira: EventAccess, ivo: EventAccess, housing: Topic
) -> None:
    cohost(session, topic_id=_id(housing), asker=ivo, answer=mira)
    pitches.line_up(session, access=ivo, topic_id=_id(housing))
    assert pitch_rows(session, event_id=event.id or 0) == [(housing.id, WAITING)]


def test_line_up_by_other_participant_refused(
    session: Session, event: Event, ivo: EventAccess, housing: Topic
) -> None:
    with pytest.raises(PermissionDenied) as caught:
        pitches.line_up(session, access=ivo, topic_id=_id(housing))
    assert caught.value.message == "Only the topic's conveners can line up to pitch it."
    assert pitch_rows(session, event_id=event.id or 0) == []


def test_line_up_by_staff_any_topic(
    session: Session, event: Event, owner: User, staff: EventAccess, housing: Topic, jobs: Topic
) -> None:
    pitches.line_up(session, access=staff, topic_id=_id(jobs))
    facilitator = as_staff(session, event, make_facilitator(session, event, owner))
    pitches.line_up(session, access=facilitator, topic_id=_id(housing))
    assert pitch_rows(session, event_id=event.id or 0) == [
        (jobs.id, WAITING),
        (housing.id, WAITING),
    ]


def test_line_up_refused_for_board_and_strangers(
    session: Session, event: Event, housing: Topic
) -> None:
    for role in (Role.BOARD, None):
        with pytest.raises(PermissionDenied):
            pitches.line_up(
                session, access=EventAccess(event=event, role=role), topic_id=_id(housing)
            )
    assert pitch_rows(session, event_id=event.id or 0) == []


@pytest.mark.parametrize("phase", [Phase.SETUP, Phase.AGENDA, Phase.SESSIONS, Phase.FINISHED])
def test_line_up_phase_closed(
    session: Session, event: Event, mira: EventAccess, staff: EventAccess, housing: Topic,
    phase: Phase,
) -> None:  # fmt: skip
    set_phase(session, event, phase)
    for access in (mira, staff):
        with pytest.raises(Conflict) as caught:
            pitches.line_up(session, access=access, topic_id=_id(housing))
        assert caught.value.message == "The pitch queue is closed right now."
    assert pitch_rows(session, event_id=event.id or 0) == []


def test_line_up_while_voting_allowed(
    session: Session, event: Event, mira: EventAccess, housing: Topic
) -> None:
    set_phase(session, event, Phase.VOTING)
    pitches.line_up(session, access=mira, topic_id=_id(housing))
    assert pitch_rows(session, event_id=event.id or 0) == [(housing.id, WAITING)]


def test_line_up_hidden_or_foreign_topic_not_found(
    session: Session, settings: Settings, owner: User, event: Event, staff: EventAccess,
    housing: Topic,
) -> None:  # fmt: skip
    topics.hide(session, access=staff, topic_id=_id(housing), reason="spam")
    other = set_phase(session, make_event(session, owner=owner), Phase.MARKETPLACE)
    foreign = topics.propose(
        session, access=as_participant(session, settings, other, "Zoe"), title="Theirs"
    )
    for topic_id in (_id(housing), _id(foreign)):
        with pytest.raises(NotFound) as caught:
            pitches.line_up(session, access=staff, topic_id=topic_id)
        assert caught.value.message == "There is no such topic."
    assert pitch_rows(session, event_id=event.id or 0) == []
    assert pitch_rows(session, event_id=other.id or 0) == []


def test_advance_spotlights_next_with_fresh_countdown(
    session: Session, event: Event, staff: EventAccess, housing: Topic, jobs: Topic
) -> None:
    pitches.line_up(session, access=staff, topic_id=_id(housing))
    pitches.line_up(session, access=staff, topic_id=_id(jobs))
    before = dt.datetime.now(dt.UTC)
    state = pitches.advance(session, access=staff)
    assert state.current is not None and state.next is not None
    entry, topic = state.current
    assert (topic.id, entry.status) == (housing.id, CURRENT)
    assert entry.started_at is not None
    assert before <= entry.started_at <= dt.datetime.now(dt.UTC)
    assert state.next[1].id == jobs.id
    assert pitch_rows(session, event_id=event.id or 0) == [
        (housing.id, CURRENT),
        (jobs.id, WAITING),
    ]

    state = pitches.advance(session, access=staff)
    assert _queue_ids(session, event) == (_id(jobs), [])
    assert state.next is None
    assert pitch_rows(session, event_id=event.id or 0) == [(housing.id, DONE), (jobs.id, CURRENT)]

    state = pitches.advance(session, access=staff)
    assert (state.current, state.waiting) == (None, [])
    assert pitch_rows(session, event_id=event.id or 0) == [(housing.id, DONE), (jobs.id, DONE)]


def test_advance_refused_for_participant(
    session: Session, event: Event, mira: EventAccess, housing: Topic
) -> None:
    pitches.line_up(session, access=mira, topic_id=_id(housing))
    with pytest.raises(PermissionDenied):
        pitches.advance(session, access=mira)
    assert pitch_rows(session, event_id=event.id or 0) == [(housing.id, WAITING)]


def test_stop_ends_current_without_starting_next(
    session: Session, event: Event, staff: EventAccess, housing: Topic, jobs: Topic
) -> None:
    pitches.line_up(session, access=staff, topic_id=_id(housing))
    pitches.line_up(session, access=staff, topic_id=_id(jobs))
    pitches.advance(session, access=staff)
    pitches.stop(session, access=staff)
    assert pitch_rows(session, event_id=event.id or 0) == [(housing.id, DONE), (jobs.id, WAITING)]
    assert _queue_ids(session, event) == (None, [_id(jobs)])
    pitches.stop(session, access=staff)  # nothing to stop: no change, no error
    assert pitch_rows(session, event_id=event.id or 0) == [(housing.id, DONE), (jobs.id, WAITING)]


def test_stop_refused_for_participant(
    session: Session, event: Event, staff: EventAccess, mira: EventAccess, housing: Topic
) -> None:
    pitches.line_up(session, access=staff, topic_id=_id(housing))
    pitches.advance(session, access=staff)
    with pytest.raises(PermissionDenied):
        pitches.stop(session, access=mira)
    assert pitch_rows(session, event_id=event.id or 0) == [(housing.id, CURRENT)]


def test_line_up_again_after_pitching_goes_to_the_end(
    session: Session, event: Event, staff: EventAccess, mira: EventAccess,
    housing: Topic, jobs: Topic,
) -> None:  # fmt: skip
    pitches.line_up(session, access=mira, topic_id=_id(housing))
    pitches.advance(session, access=staff)
    pitches.line_up(session, access=staff, topic_id=_id(jobs))
    pitches.stop(session, access=staff)
    entry = pitches.line_up(session, access=mira, topic_id=_id(housing))
    assert (entry.position, entry.status, entry.started_at) == (3, WAITING, None)
    assert _queue_ids(session, event) == (None, [_id(jobs), _id(housing)])


def test_leave_by_convener(
    session: Session, event: Event, mira: EventAccess, ivo: EventAccess,
    housing: Topic, jobs: Topic,
) -> None:  # fmt: skip
    pitches.line_up(session, access=mira, topic_id=_id(housing))
    pitches.line_up(session, access=ivo, topic_id=_id(jobs))
    pitches.leave(session, access=mira, topic_id=_id(housing))
    assert pitch_rows(session, event_id=event.id or 0) == [(jobs.id, WAITING)]


def test_leave_by_other_participant_refused(
    session: Session, event: Event, mira: EventAccess, ivo: EventAccess, housing: Topic
) -> None:
    pitches.line_up(session, access=mira, topic_id=_id(housing))
    with pytest.raises(PermissionDenied) as caught:
        pitches.leave(session, access=ivo, topic_id=_id(housing))
    assert caught.value.message == "Only the topic's conveners can change its place."
    assert pitch_rows(session, event_id=event.id or 0) == [(housing.id, WAITING)]


def test_leave_by_staff_removes_current(
    session: Session, event: Event, staff: EventAccess, housing: Topic, jobs: Topic
) -> None:
    pitches.line_up(session, access=staff, topic_id=_id(housing))
    pitches.line_up(session, access=staff, topic_id=_id(jobs))
    pitches.advance(session, access=staff)
    pitches.leave(session, access=staff, topic_id=_id(housing))
    assert _queue_ids(session, event) == (None, [_id(jobs)])


def test_leave_when_not_queued_not_found(
    session: Session, event: Event, staff: EventAccess, mira: EventAccess, housing: Topic
) -> None:
    with pytest.raises(NotFound) as caught:
        pitches.leave(session, access=mira, topic_id=_id(housing))
    assert caught.value.message == "This topic is not in the queue."
    pitches.line_up(session, access=mira, topic_id=_id(housing))
    pitches.advance(session, access=staff)
    pitches.advance(session, access=staff)  # done now
    with pytest.raises(NotFound):
        pitches.leave(session, access=mira, topic_id=_id(housing))
    assert pitch_rows(session, event_id=event.id or 0) == [(housing.id, DONE)]
