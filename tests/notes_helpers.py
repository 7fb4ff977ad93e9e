"""Plain helpers for the notes tests: a published agenda with sessions, who is asking."""

from __future__ import annotations

import datetime as dt

from sqlmodel import Session, select

from app.config import Settings
from app.models.events import BlockKind, Event, Phase, RoomCreate, TimeBlock, TimeBlockCreate
from app.models.people import User
from app.models.schedule import CheckIn, PublishedPlacement, ScheduleVersion
from app.models.topics import Topic
from app.services.access import EventAccess
from app.services.events import events, programme
from app.services.topics import topics
from tests.marketplace_helpers import as_participant, as_staff, set_phase


def publish(
    session: Session, settings: Settings, event: Event, owner: User, titles: list[str]
) -> list[Topic]:
    """Topics proposed by a convener and published in one slot, a room each: sessions."""
    staff = as_staff(session, event, owner)
    day = events.days(session, event_id=event.id or 0)[0]
    block = programme.add_block(
        session,
        access=staff,
        day_id=day.id or 0,
        data=TimeBlockCreate(starts_at=dt.time(14), ends_at=dt.time(15), title="Round 1"),
    )
    set_phase(session, event, Phase.MARKETPLACE)
    convener = as_participant(session, settings, event, name="Conny")
    found = []
    version = ScheduleVersion(event_id=event.id or 0, number=1)
    session.add(version)
    session.flush()
    for number, title in enumerate(titles):
        room = programme.add_room(
            session, access=staff, data=RoomCreate(name=f"Room {number + 1}", capacity=20)
        )
        topic = topics.propose(session, access=convener, title=title)
        session.add(
            PublishedPlacement(
                version_id=version.id or 0,
                event_id=event.id or 0,
                topic_id=topic.id or 0,
                block_id=block.id or 0,
                room_id=room.id or 0,
            )
        )
        found.append(topic)
    set_phase(session, event, Phase.SESSIONS)
    session.commit()
    return found


def check_in(session: Session, access: EventAccess, topic: Topic) -> None:
    assert access.participant is not None
    session.add(
        CheckIn(
            event_id=access.event_id,
            participant_id=access.participant.id or 0,
            topic_id=topic.id or 0,
        )
    )
    session.commit()


def publish_topics(session: Session, event: Event, placements: list[tuple[int, int, int]]) -> None:
    """Publish (topic id, block id, room id) placements as the next schedule version."""
    number = len(
        session.exec(select(ScheduleVersion).where(ScheduleVersion.event_id == event.id)).all()
    )
    version = ScheduleVersion(event_id=event.id or 0, number=number + 1)
    session.add(version)
    session.flush()
    for topic_id, block_id, room_id in placements:
        session.add(
            PublishedPlacement(
                version_id=version.id or 0,
                event_id=event.id or 0,
                topic_id=topic_id,
                block_id=block_id,
                room_id=room_id,
            )
        )
    session.commit()


def add_plenary(
    session: Session,
    event: Event,
    owner: User,
    *,
    title: str = "Good practices",
    presenter: str = "Ingrid",
    starts: dt.time = dt.time(9),
    kind: str = BlockKind.PLENARY,
) -> TimeBlock:
    """A plenary item (or another ``kind`` of block) of an hour on the event's first day."""
    staff = as_staff(session, event, owner)
    day = events.days(session, event_id=event.id or 0)[0]
    ends = (dt.datetime.combine(day.date, starts) + dt.timedelta(hours=1)).time()
    return programme.add_block(
        session,
        access=staff,
        day_id=day.id or 0,
        data=TimeBlockCreate(
            kind=kind, starts_at=starts, ends_at=ends, title=title, presenter=presenter
        ),
    )
