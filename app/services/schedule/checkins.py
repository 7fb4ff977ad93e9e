"""The law of two feet: "I'm here" check-ins, live attendance, and which session a room holds now.

A participant is in at most one session at a time: checking in elsewhere ends the previous
check-in. Check-ins of one participant are serialised like their votes (a row lock on
PostgreSQL, the request's ``BEGIN IMMEDIATE`` on SQLite), so two taps on two phones can't leave
them in two rooms.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlmodel import Session, case, col, func, select

from app.errors import Invalid, NotFound, NotSignedIn
from app.i18n import _
from app.models.base import id_of, utcnow
from app.models.events import Event, Room
from app.models.people import Participant
from app.models.schedule import CheckIn
from app.models.topics import Topic, TopicStatus
from app.security import sign, signature_matches
from app.services.access import EventAccess
from app.services.schedule import agenda
from app.services.schedule.agenda import Agenda, AgendaSession, PublicAgenda


def _participant(access: EventAccess) -> Participant:
    if access.participant is None:
        raise NotSignedIn(_("Join the event first."))
    return access.participant


def _lock_participant(session: Session, *, participant_id: int) -> None:
    if session.get_bind().dialect.name == "postgresql":
        session.exec(
            select(Participant.id).where(Participant.id == participant_id).with_for_update()
        ).one()


def _open(session: Session, *, participant_id: int) -> list[CheckIn]:
    return list(
        session.exec(
            select(CheckIn).where(
                CheckIn.participant_id == participant_id, col(CheckIn.left_at).is_(None)
            )
        ).all()
    )


def check_in(
    session: Session, *, access: EventAccess, topic_id: int, now: dt.datetime | None = None
) -> CheckIn:
    """Check the participant into a session of the published agenda (and out of any other)."""
    participant = _participant(access)
    participant_id = id_of(participant)
    published = agenda.latest_version(session, event_id=access.event_id)
    cells = agenda.published_cells(session, version_id=id_of(published)) if published else {}
    topic = session.get(Topic, topic_id)
    if (
        topic is None
        or topic.event_id != access.event_id
        or topic.status != TopicStatus.ACTIVE
        or topic_id not in cells
    ):
        raise NotFound(_("This session is not on the agenda."))
    _lock_participant(session, participant_id=participant_id)
    moment = now or utcnow()
    current = _open(session, participant_id=participant_id)
    for row in current:
        if row.topic_id == topic_id:
            return row  # here already: a second tap changes nothing
    for row in current:
        row.left_at = moment
        session.add(row)
    row = CheckIn(
        event_id=access.event_id,
        participant_id=participant_id,
        topic_id=topic_id,
        arrived_at=moment,
    )
    session.add(row)
    session.commit()
    return row


def check_out(session: Session, *, access: EventAccess, now: dt.datetime | None = None) -> None:
    participant = _participant(access)
    _lock_participant(session, participant_id=id_of(participant))
    current = _open(session, participant_id=id_of(participant))
    if not current:
        raise Invalid({"check_in": _("You are not checked in anywhere.")})
    for row in current:
        row.left_at = now or utcnow()
        session.add(row)
    session.commit()


def current_topic(session: Session, *, participant_id: int) -> int | None:
    rows = _open(session, participant_id=participant_id)
    return rows[0].topic_id if rows else None


@dataclass(frozen=True)
class Headcount:
    """A session's attendance, counted by one rule for every screen: the board, the agenda and
    the grid show ``here``; the notes show both, each with its own label."""

    here: int  # different people checked in now (an open check-in)
    during: int  # different people who checked in at any time (the attendance record)


def headcounts(
    session: Session, *, event_id: int, topic_id: int | None = None
) -> dict[int, Headcount]:
    """Topic id → its headcount, for sessions anyone checked into (one query for the event,
    or for one session with ``topic_id``)."""
    query = (
        select(
            CheckIn.topic_id,
            func.count(
                func.distinct(case((col(CheckIn.left_at).is_(None), CheckIn.participant_id)))
            ),
            func.count(func.distinct(CheckIn.participant_id)),
        )
        .where(CheckIn.event_id == event_id)
        .group_by(col(CheckIn.topic_id))
    )
    if topic_id is not None:
        query = query.where(CheckIn.topic_id == topic_id)
    return {
        topic: Headcount(here=int(here), during=int(during))
        for topic, here, during in session.exec(query).all()
    }


def attendance(session: Session, *, event_id: int) -> dict[int, int]:
    """Topic id → participants checked in now, for sessions with anyone here."""
    return attendance_of(headcounts(session, event_id=event_id))


def attendance_of(counts: dict[int, Headcount]) -> dict[int, int]:
    """``attendance`` from headcounts already loaded (the live frame's)."""
    return {topic_id: count.here for topic_id, count in counts.items() if count.here}


def attendees(session: Session, *, event_id: int) -> dict[int, int]:
    """Topic id → distinct participants who ever checked in (the attendance record)."""
    return {
        topic_id: count.during for topic_id, count in headcounts(session, event_id=event_id).items()
    }


def session_in_room(grid: Agenda, *, room_id: int, now: dt.datetime) -> AgendaSession | None:
    """What a door sign's QR code should offer: the session in the room now, else the next one,
    else the last one that has been."""
    held = sorted(
        (item for item in grid.sessions.values() if item.room_id == room_id),
        key=lambda item: grid.starts_at(item.block_id),
    )
    for item in held:
        if grid.starts_at(item.block_id) <= now < grid.ends_at(item.block_id):
            return item
    upcoming = [item for item in held if grid.starts_at(item.block_id) > now]
    if upcoming:
        return upcoming[0]
    return held[-1] if held else None


def door_key(event: Event, *, room_id: int, secret: bytes) -> str:
    """The key printed in a door sign's QR code: it lets someone who has not joined yet join
    from the door (as the board's join code would) without the sign carrying the code itself.

    It is bound to the join code, so a new join code retires the printed signs as well.
    """
    return sign(secret, "door", id_of(event), room_id, event.join_code)


def door_key_ok(event: Event, *, room_id: int, key: str, secret: bytes) -> bool:
    return bool(event.join_code) and signature_matches(
        secret, key, "door", id_of(event), room_id, event.join_code
    )


def door_url(event: Event, *, room_id: int, base_url: str, secret: bytes) -> str:
    key = door_key(event, room_id=room_id, secret=secret)
    return f"{base_url}/e/{event.slug}/rooms/{room_id}/here?k={key}"


@dataclass
class DoorSign:
    room: Room
    url: str  # where its QR code leads (door_url)
    sessions: list[AgendaSession]  # in time order


@dataclass
class DoorSigns:
    """One printed page per room, with its sessions: it hangs in the corridor, so conveners
    are named only as the consent rule allows (``agenda.conveners``)."""

    agenda: PublicAgenda
    signs: list[DoorSign]


def door_signs(session: Session, *, access: EventAccess, base_url: str, secret: bytes) -> DoorSigns:
    """The door signs of every room, for the event's staff, who print them."""
    access.require_staff()
    public = agenda.load_public(session, event=access.event)
    grid = public.grid
    signs = [
        DoorSign(
            room=room,
            url=door_url(access.event, room_id=id_of(room), base_url=base_url, secret=secret),
            sessions=sorted(
                (item for item in grid.sessions.values() if item.room_id == room.id),
                key=lambda item: grid.starts_at(item.block_id),
            ),
        )
        for room in grid.rooms
    ]
    return DoorSigns(agenda=public, signs=signs)
