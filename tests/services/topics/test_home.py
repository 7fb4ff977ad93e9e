"""The participant's home page data (home.page), without HTTP."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlmodel import Session

from app.errors import PermissionDenied
from app.models.events import Event, Phase, RoomCreate, TimeBlockCreate
from app.services import live
from app.services.access import EventAccess
from app.services.events import events, programme
from app.services.schedule import agenda
from app.services.topics import cohosting, home, pitches, topics, votes
from app.services.topics.home import Dots, HomePage, Own
from tests.marketplace_helpers import set_phase
from tests.notes_helpers import publish_topics


@pytest.fixture
def event(session: Session, event: Event) -> Event:
    return set_phase(
        session, event, Phase.MARKETPLACE, dots_per_participant=3, max_dots_per_topic=2
    )


def test_home_page_while_voting(
    session: Session, event: Event, mira: EventAccess, ivo: EventAccess
) -> None:
    housing = topics.propose(session, access=mira, title="Housing")
    jobs = topics.propose(session, access=ivo, title="Jobs")
    asked = cohosting.request_cohost(session, access=ivo, topic_id=housing.id or 0)
    asking = cohosting.request_cohost(session, access=mira, topic_id=jobs.id or 0)
    set_phase(session, event, Phase.VOTING, proposals_while_voting=True)
    votes.cast(session, access=mira, topic_id=jobs.id or 0, key=None)
    votes.cast(session, access=mira, topic_id=jobs.id or 0, key=None)
    assert mira.participant is not None and ivo.participant is not None

    page = home.page(session, access=mira)

    assert page == HomePage(
        live=live.load(session, event_id=event.id or 0),  # type: ignore[arg-type]
        participant=mira.participant,
        phase_label="Dot voting",
        follows={housing.id, jobs.id},  # convened, voted for
        mine=[],  # no agenda yet
        my_topics=[housing],
        cohost_requests={housing.id or 0: [(asked, ivo.participant)]},
        my_requests=[(asking, jobs)],
        dots=Dots(mine={jobs.id or 0: 2}, left=1, total=3, max_per_topic=2),
        can_propose=True,
        can_vote=True,
    )


def test_home_page_lists_followed_sessions_of_the_agenda(
    session: Session, event: Event, staff: EventAccess, mira: EventAccess, ivo: EventAccess
) -> None:
    housing = topics.propose(session, access=mira, title="Housing")
    jobs = topics.propose(session, access=ivo, title="Jobs")
    day = events.days(session, event_id=event.id or 0)[0]
    block = programme.add_block(
        session,
        access=staff,
        day_id=day.id or 0,
        data=TimeBlockCreate(starts_at=dt.time(14), ends_at=dt.time(15)),
    )
    rooms = [
        programme.add_room(session, access=staff, data=RoomCreate(name=name, capacity=20))
        for name in ("Hall", "Lab")
    ]
    publish_topics(
        session,
        event,
        [
            (topic.id or 0, block.id or 0, room.id or 0)
            for topic, room in zip([housing, jobs], rooms, strict=True)
        ],
    )
    set_phase(session, event, Phase.SESSIONS)

    page = home.page(session, access=mira)

    plan = agenda.load_published(session, event=event)
    assert (page.follows, page.mine) == ({housing.id}, [plan.by_topic[housing.id or 0]])
    assert (page.phase_label, page.can_propose, page.can_vote) == ("Sessions", False, False)
    assert page.dots == Dots(mine={}, left=3, total=3, max_per_topic=2)


def test_home_page_is_for_participants(session: Session, staff: EventAccess) -> None:
    with pytest.raises(PermissionDenied):
        home.page(session, access=staff)


def test_dots_from_a_vote_just_read(session: Session, mira: EventAccess) -> None:
    assert home.dots(session, access=mira, mine={7: 2, 9: 1}) == Dots(
        mine={7: 2, 9: 1}, left=0, total=3, max_per_topic=2
    )


def test_own_parts_for_a_nudged_phone(
    session: Session, event: Event, mira: EventAccess, ivo: EventAccess
) -> None:
    housing = topics.propose(session, access=mira, title="Housing")
    jobs = topics.propose(session, access=ivo, title="Jobs")
    asked = cohosting.request_cohost(session, access=ivo, topic_id=housing.id or 0)
    pitches.line_up(session, access=ivo, topic_id=jobs.id or 0)
    pitches.line_up(session, access=mira, topic_id=housing.id or 0)
    assert ivo.participant is not None

    own = home.own(session, access=mira)

    assert own == Own(
        dots=Dots(mine={}, left=3, total=3, max_per_topic=2),
        my_topics=[housing],
        cohost_requests={housing.id or 0: [(asked, ivo.participant)]},
        my_requests=[],
        here=None,
        pitch_waiting=[jobs.id or 0, housing.id or 0],
        pitch_current=None,
        can_propose=True,
    )


def test_own_parts_are_for_participants(session: Session, staff: EventAccess) -> None:
    with pytest.raises(PermissionDenied):
        home.own(session, access=staff)
