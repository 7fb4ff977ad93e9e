"""Plain helpers for the marketplace tests (services and routes): who is asking, phases, dots."""

from __future__ import annotations

from sqlmodel import Session, col, select

from app.config import Settings
from app.models.events import Event, Phase
from app.models.people import User
from app.models.topics import PitchEntry, Topic, TopicConvener, Vote
from app.services.access import EventAccess
from app.services.events import team
from app.services.topics import cohosting
from tests.factories import access_as, make_participant, make_user


def as_participant(
    session: Session, settings: Settings, event: Event, name: str = "Mira"
) -> EventAccess:
    """A new participant of ``event``, seen as their phone sees the event."""
    _participant, auth = make_participant(session, settings, event=event, name=name)
    return access_as(session, event, auth=auth)


def as_staff(session: Session, event: Event, user: User) -> EventAccess:
    return access_as(session, event, user=user)


def make_facilitator(session: Session, event: Event, owner: User, name: str = "Fedya") -> User:
    """A user invited to ``event`` as facilitator (not an organiser)."""
    user = make_user(session, organiser=False, name=name)
    token = team.invite_facilitator(session, access=as_staff(session, event, owner))
    team.accept_invitation(session, token=token, user=user)
    return user


def cohost(session: Session, *, topic_id: int, asker: EventAccess, answer: EventAccess) -> None:
    """``asker`` asks to co-host the topic and ``answer`` (a convener, or staff) accepts."""
    request = cohosting.request_cohost(session, access=asker, topic_id=topic_id)
    cohosting.accept_cohost(session, access=answer, request_id=request.id or 0)


def set_phase(session: Session, event: Event, phase: Phase, **rules: object) -> Event:
    """Put ``event`` in ``phase`` with ``rules`` directly (the phase service has its own tests)."""
    event.phase = phase
    for key, value in rules.items():
        setattr(event, key, value)
    session.add(event)
    session.commit()
    return event


def dots(session: Session, *, participant_id: int) -> dict[int, int]:
    """Dots per topic of one participant, read from the table."""
    found: dict[int, int] = {}
    for topic_id in session.exec(
        select(Vote.topic_id).where(Vote.participant_id == participant_id)
    ).all():
        found[topic_id] = found.get(topic_id, 0) + 1
    return found


def convener_ids(session: Session, *, topic_id: int) -> list[int]:
    return list(
        session.exec(
            select(TopicConvener.participant_id)
            .where(TopicConvener.topic_id == topic_id)
            .order_by(col(TopicConvener.id))
        ).all()
    )


def topic_titles(session: Session, *, event_id: int) -> list[str]:
    return list(
        session.exec(
            select(Topic.title).where(Topic.event_id == event_id).order_by(col(Topic.id))
        ).all()
    )


def pitch_rows(session: Session, *, event_id: int) -> list[tuple[int, str]]:
    """(topic id, status) of every pitch entry, in queue order."""
    return [
        (entry.topic_id, entry.status)
        for entry in session.exec(
            select(PitchEntry)
            .where(PitchEntry.event_id == event_id)
            .order_by(col(PitchEntry.position), col(PitchEntry.id))
        ).all()
    ]
