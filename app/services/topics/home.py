"""The participant's home on the phone: the live marketplace plus what is theirs (topics they
convene, requests to co-host, the sessions they follow, their dots)."""

from __future__ import annotations

from dataclasses import dataclass

from sqlmodel import Session

from app.models.base import id_of
from app.models.events import PHASE_LABELS, Role
from app.models.people import Participant
from app.models.topics import CohostRequest, Topic
from app.services import live
from app.services.access import EventAccess
from app.services.events.phases import proposals_open, voting_open
from app.services.schedule import agenda, checkins
from app.services.topics import cohosting, pitches, topics, votes


@dataclass
class Dots:
    """One participant's dots on topics and what the rules leave them."""

    mine: dict[int, int]  # topic id → dots
    left: int
    total: int
    max_per_topic: int


def dots(session: Session, *, access: EventAccess, mine: dict[int, int] | None = None) -> Dots:
    """The asker's dots; ``mine`` when a vote has just read them."""
    if mine is None:
        mine = votes.my_votes(session, access=access)
    total = access.event.dots_per_participant
    return Dots(
        mine=mine,
        left=max(total - sum(mine.values()), 0),
        total=total,
        max_per_topic=access.event.max_dots_per_topic,
    )


@dataclass
class HomePage:
    live: live.LiveState
    participant: Participant
    phase_label: str
    follows: set[int]  # topic ids of the sessions they follow
    mine: list[agenda.AgendaSession]  # those sessions in the published agenda
    my_topics: list[Topic]
    cohost_requests: dict[int, list[tuple[CohostRequest, Participant]]]  # to their topics
    my_requests: list[tuple[CohostRequest, Topic]]
    dots: Dots
    can_propose: bool
    can_vote: bool
    here: int | None = None  # the session they are checked into


@dataclass
class Own:
    """The parts of the home page that are this participant's own and can change elsewhere
    (a dot placed from their other phone, a request to co-host their topic, an answer to
    theirs): what a nudged page asks for again. The pitch queue comes with it, in order."""

    dots: Dots
    my_topics: list[Topic]
    cohost_requests: dict[int, list[tuple[CohostRequest, Participant]]]
    my_requests: list[tuple[CohostRequest, Topic]]
    here: int | None
    pitch_waiting: list[int]  # topic ids, first to pitch first
    pitch_current: int | None
    can_propose: bool


def own(session: Session, *, access: EventAccess) -> Own:
    """This participant's own parts of the home page (participants only)."""
    access.require(Role.PARTICIPANT)
    assert access.participant is not None
    mine = topics.my_topics(session, access=access)
    queue = pitches.queue(session, event_id=access.event_id)
    return Own(
        dots=dots(session, access=access),
        my_topics=mine,
        cohost_requests=cohosting.pending_requests(
            session, access=access, topic_ids=[id_of(topic) for topic in mine]
        ),
        my_requests=cohosting.my_requests(session, access=access),
        here=checkins.current_topic(session, participant_id=id_of(access.participant)),
        pitch_waiting=[id_of(topic) for _entry, topic in queue.waiting],
        pitch_current=id_of(queue.current[1]) if queue.current else None,
        can_propose=proposals_open(access.event),
    )


def page(session: Session, *, access: EventAccess) -> HomePage:
    """Everything the participant's home shows (participants only)."""
    access.require(Role.PARTICIPANT)
    assert access.participant is not None
    state = live.load(session, event_id=access.event_id)
    assert state is not None  # the access was resolved from this event
    follows = agenda.followed(session, participant_id=id_of(access.participant))
    mine = topics.my_topics(session, access=access)
    event = access.event
    return HomePage(
        live=state,
        participant=access.participant,
        phase_label=PHASE_LABELS.get(event.phase, event.phase),
        follows=follows,
        mine=agenda.mine(state.agenda, follows) if state.agenda else [],
        my_topics=mine,
        cohost_requests=cohosting.pending_requests(
            session, access=access, topic_ids=[id_of(topic) for topic in mine]
        ),
        my_requests=cohosting.my_requests(session, access=access),
        dots=dots(session, access=access),
        can_propose=proposals_open(event),
        can_vote=voting_open(event),
        here=checkins.current_topic(session, participant_id=id_of(access.participant)),
    )
