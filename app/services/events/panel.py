"""The facilitator's control panel: phase, rules, pitch queue, news, topics, participants."""

from __future__ import annotations

from dataclasses import dataclass

from sqlmodel import Session

from app.models.base import id_of
from app.models.events import PHASE_LABELS, Phase
from app.models.people import Participant
from app.models.topics import CohostRequest, Topic, TopicStatus
from app.services import live
from app.services.access import EventAccess
from app.services.people import participants
from app.services.topics import cohosting, topics


@dataclass
class PanelPage:
    live: live.LiveState
    phases: list[tuple[str, str]]  # (value, label), in the workshop's order
    participants: list[Participant]  # by name, for "add a topic on someone's behalf"
    hidden_topics: list[Topic]
    withdrawn_topics: list[Topic]
    cohost_requests: dict[int, list[tuple[CohostRequest, Participant]]]  # by topic id
    topic_titles: dict[int, str]  # every topic's, hidden and merged ones too


def page(session: Session, *, access: EventAccess) -> PanelPage:
    """Everything the control panel shows (staff only)."""
    access.require_staff()
    state = live.load(session, event_id=access.event_id)
    assert state is not None  # the access was resolved from this event
    every = topics.staff_topics(session, access=access)
    return PanelPage(
        live=state,
        phases=[(phase.value, PHASE_LABELS[phase]) for phase in Phase],
        participants=participants.participants(session, access=access),
        hidden_topics=[topic for topic in every if topic.status == TopicStatus.HIDDEN],
        withdrawn_topics=[topic for topic in every if topic.status == TopicStatus.WITHDRAWN],
        cohost_requests=cohosting.pending_requests(session, access=access),
        topic_titles={id_of(topic): topic.title for topic in every},
    )
