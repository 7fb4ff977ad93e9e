"""Who convenes which topic: one query for every screen that shows it (the agenda, the grid,
the live board and the proceedings), so they cannot disagree about order or scope."""

from __future__ import annotations

from typing import NamedTuple

from sqlmodel import Session, col, select

from app.models.people import Participant
from app.models.topics import Topic, TopicConvener


class Convener(NamedTuple):
    participant_id: int
    name: str


def by_topic(session: Session, *, event_id: int) -> dict[int, list[Convener]]:
    """Every topic of the event (whatever its state) → its conveners, the proposer first and
    then in the order they joined. Callers pick the topics they show."""
    rows = session.exec(
        select(TopicConvener.topic_id, Participant.id, Participant.name)
        .join(Participant, Participant.id == TopicConvener.participant_id)  # type: ignore[arg-type]
        .join(Topic, Topic.id == TopicConvener.topic_id)  # type: ignore[arg-type]
        .where(Topic.event_id == event_id)
        .order_by(col(TopicConvener.id))
    ).all()
    found: dict[int, list[Convener]] = {}
    for topic_id, participant_id, name in rows:
        found.setdefault(topic_id, []).append(Convener(participant_id or 0, name))
    return found
