"""The marketplace pitch queue: conveners line up, the board spotlights one at a time."""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlmodel import Session, col, func, select

from app.errors import Conflict, NotFound, PermissionDenied
from app.i18n import _
from app.models.base import utcnow
from app.models.events import Phase, Role
from app.models.topics import PitchEntry, PitchStatus, Topic, TopicStatus
from app.services.access import EventAccess
from app.services.topics.topics import is_convener

OPEN_PHASES = (Phase.MARKETPLACE, Phase.VOTING)


@dataclass
class PitchQueue:
    current: tuple[PitchEntry, Topic] | None = None
    waiting: list[tuple[PitchEntry, Topic]] = field(default_factory=list)

    @property
    def next(self) -> tuple[PitchEntry, Topic] | None:
        return self.waiting[0] if self.waiting else None


def queue(session: Session, *, event_id: int) -> PitchQueue:
    rows = session.exec(
        select(PitchEntry, Topic)
        .join(Topic, Topic.id == PitchEntry.topic_id)  # type: ignore[arg-type]
        .where(
            PitchEntry.event_id == event_id,
            col(PitchEntry.status).in_([PitchStatus.WAITING, PitchStatus.CURRENT]),
        )
        .order_by(col(PitchEntry.position), col(PitchEntry.id))
    ).all()
    state = PitchQueue()
    for entry, topic in rows:
        if entry.status == PitchStatus.CURRENT:
            state.current = (entry, topic)
        else:
            state.waiting.append((entry, topic))
    return state


def line_up(session: Session, *, access: EventAccess, topic_id: int) -> PitchEntry:
    """Put a topic in the pitch queue: its convener from a phone, or a facilitator."""
    topic = session.get(Topic, topic_id)
    if topic is None or topic.event_id != access.event_id or topic.status != TopicStatus.ACTIVE:
        raise NotFound(_("There is no such topic."))
    if not access.is_staff:
        access.require(Role.PARTICIPANT)
        assert access.participant is not None and access.participant.id is not None
        if not is_convener(session, topic_id=topic_id, participant_id=access.participant.id):
            raise PermissionDenied(_("Only the topic's conveners can line up to pitch it."))
    if access.event.phase not in OPEN_PHASES:
        raise Conflict(_("The pitch queue is closed right now."))
    existing = session.exec(
        select(PitchEntry).where(
            PitchEntry.event_id == access.event_id, PitchEntry.topic_id == topic_id
        )
    ).first()
    if existing is not None and existing.status != PitchStatus.DONE:
        return existing
    last = session.exec(
        select(func.max(PitchEntry.position)).where(PitchEntry.event_id == access.event_id)
    ).one()
    entry = existing or PitchEntry(event_id=access.event_id, topic_id=topic_id)
    entry.position = (last or 0) + 1
    entry.status = PitchStatus.WAITING
    entry.started_at = None
    session.add(entry)
    session.commit()
    return entry


def leave(session: Session, *, access: EventAccess, topic_id: int) -> None:
    """Take a topic out of the queue (its convener, or a facilitator)."""
    entry = session.exec(
        select(PitchEntry).where(
            PitchEntry.event_id == access.event_id, PitchEntry.topic_id == topic_id
        )
    ).first()
    if entry is None or entry.status == PitchStatus.DONE:
        raise NotFound(_("This topic is not in the queue."))
    if not access.is_staff:
        access.require(Role.PARTICIPANT)
        assert access.participant is not None and access.participant.id is not None
        if not is_convener(session, topic_id=topic_id, participant_id=access.participant.id):
            raise PermissionDenied(_("Only the topic's conveners can change its place."))
    session.delete(entry)
    session.commit()


def advance(session: Session, *, access: EventAccess) -> PitchQueue:
    """Finish the current pitch and spotlight the next one (with a fresh countdown)."""
    access.require_staff()
    state = queue(session, event_id=access.event_id)
    if state.current is not None:
        state.current[0].status = PitchStatus.DONE
        session.add(state.current[0])
    if state.next is not None:
        entry = state.next[0]
        entry.status = PitchStatus.CURRENT
        entry.started_at = utcnow()
        session.add(entry)
    session.commit()
    return queue(session, event_id=access.event_id)


def stop(session: Session, *, access: EventAccess) -> None:
    """End the current pitch without starting another."""
    access.require_staff()
    state = queue(session, event_id=access.event_id)
    if state.current is not None:
        state.current[0].status = PitchStatus.DONE
        session.add(state.current[0])
        session.commit()
