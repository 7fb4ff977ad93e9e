"""What a live frame shows, loaded by ``services.live.load`` without HTTP."""

from __future__ import annotations

import pytest
from sqlmodel import Session

from app.config import Settings
from app.models.events import Event, Phase
from app.models.people import User
from app.services import live
from app.services.access import EventAccess
from app.services.live import PitchView, TopicView
from app.services.topics import news, pitches, topics, votes
from tests.factories import make_event
from tests.marketplace_helpers import as_participant, cohost, set_phase


@pytest.fixture
def event(session: Session, event: Event) -> Event:
    """The shared event (tests/services/conftest.py), in the marketplace."""
    return set_phase(session, event, Phase.MARKETPLACE)


def _load(session: Session, event: Event) -> live.LiveState:
    session.expire_all()
    state = live.load(session, event_id=event.id or 0)
    assert state is not None
    return state


def _pid(access: EventAccess) -> int:
    assert access.participant is not None and access.participant.id is not None
    return access.participant.id


def test_load_unknown_event_is_none(session: Session) -> None:
    assert live.load(session, event_id=999_999) is None


def test_load_empty_event(session: Session, event: Event) -> None:
    state = _load(session, event)
    assert (state.event.id, state.topics, state.participant_count, state.total_votes) == (
        event.id,
        [],
        0,
        0,
    )
    assert (state.announcements, state.pitch_current, state.pitch_waiting, state.ranked) == (
        [],
        None,
        [],
        [],
    )


def test_load_shows_topics_conveners_tallies_and_ranking(
    session: Session, settings: Settings, owner: User, event: Event, staff: EventAccess
) -> None:
    mira, ivo, lea = (as_participant(session, settings, event, n) for n in ("Mira", "Ivo", "Lea"))
    housing = topics.propose(
        session, access=mira, title="Housing", description="Homes", language="bg"
    )
    jobs = topics.propose(session, access=ivo, title="Jobs")
    school = topics.propose(session, access=lea, title="School")
    hidden = topics.propose(session, access=lea, title="Spam")
    cohost(session, topic_id=housing.id or 0, asker=lea, answer=mira)
    cohost(session, topic_id=housing.id or 0, asker=ivo, answer=mira)
    topics.hide(session, access=staff, topic_id=hidden.id or 0, reason="spam")
    set_phase(session, event, Phase.VOTING)
    for voter, topic in ((mira, jobs), (ivo, jobs), (lea, school), (ivo, housing)):
        votes.cast(session, access=voter, topic_id=topic.id or 0)
    # Another event's participants and dots are not counted here.
    other = set_phase(session, make_event(session, owner=owner), Phase.MARKETPLACE)
    zoe = as_participant(session, settings, other, "Zoe")
    topics.propose(session, access=zoe, title="Theirs")

    state = _load(session, event)
    assert state.topics == [
        TopicView(
            id=housing.id or 0, title="Housing", description="Homes", language="bg", votes=1,
            conveners=["Mira", "Lea", "Ivo"], convener_ids=[_pid(mira), _pid(lea), _pid(ivo)],
        ),
        TopicView(
            id=jobs.id or 0, title="Jobs", description="", language="", votes=2,
            conveners=["Ivo"], convener_ids=[_pid(ivo)],
        ),
        TopicView(
            id=school.id or 0, title="School", description="", language="", votes=1,
            conveners=["Lea"], convener_ids=[_pid(lea)],
        ),
    ]  # fmt: skip
    assert [topic.id for topic in state.ranked] == [jobs.id, housing.id, school.id]
    assert (state.participant_count, state.total_votes) == (3, 4)


def test_load_after_merge_shows_merged_topic_once(
    session: Session, settings: Settings, event: Event, staff: EventAccess
) -> None:
    mira, ivo = (as_participant(session, settings, event, n) for n in ("Mira", "Ivo"))
    source = topics.propose(session, access=mira, title="Housing for refugees")
    target = topics.propose(session, access=ivo, title="Housing refugees")
    set_phase(session, event, Phase.VOTING)
    votes.cast(session, access=mira, topic_id=source.id or 0)
    votes.cast(session, access=mira, topic_id=target.id or 0)
    votes.cast(session, access=ivo, topic_id=source.id or 0)
    topics.merge(session, access=staff, source_id=source.id or 0, target_id=target.id or 0)
    state = _load(session, event)
    assert [(t.id, t.conveners, t.votes) for t in state.topics] == [(target.id, ["Ivo", "Mira"], 2)]
    assert state.total_votes == 2


def test_load_shows_pitch_spotlight_and_queue(
    session: Session, settings: Settings, event: Event, staff: EventAccess
) -> None:
    mira = as_participant(session, settings, event, "Mira")
    first, second, third = (
        topics.propose(session, access=mira, title=title) for title in ("One", "Two", "Three")
    )
    for topic in (first, second, third):
        pitches.line_up(session, access=staff, topic_id=topic.id or 0)
    set_phase(session, event, Phase.MARKETPLACE, pitch_seconds=60)
    assert _load(session, event).pitch_current is None
    queue = pitches.advance(session, access=staff)
    assert queue.current is not None and queue.current[0].started_at is not None
    started = queue.current[0].started_at.timestamp()

    state = _load(session, event)
    assert state.pitch_current == PitchView(topic=state.topics[0], ends_at=started + 60)
    assert [topic.title for topic in state.pitch_waiting] == ["Two", "Three"]
    pitches.advance(session, access=staff)
    state = _load(session, event)
    assert state.pitch_current is not None and state.pitch_current.topic.title == "Two"
    assert [topic.title for topic in state.pitch_waiting] == ["Three"]


def test_load_shows_recent_announcements(
    session: Session, event: Event, staff: EventAccess
) -> None:
    for text in ("Welcome", "Coffee", "Lunch", "Photos"):
        news.announce(session, access=staff, text=text)
    withdrawn = news.announce(session, access=staff, text="Wrong room")
    news.withdraw(session, access=staff, announcement_id=withdrawn.id or 0)
    assert [item.text for item in _load(session, event).announcements] == [
        "Photos",
        "Lunch",
        "Coffee",
    ]
