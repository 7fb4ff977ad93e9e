"""Set-up the browser tests write straight into the live server's database, with the services
the app itself uses, where clicking it together would only cost time (a published agenda)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from contextlib import contextmanager
from zoneinfo import ZoneInfo

from sqlmodel import Session, select

from app.config import Settings
from app.db import make_engine, open_session
from app.models.events import BlockKind, Event, Phase, RoomCreate, TimeBlockCreate
from app.models.people import Participant
from app.models.topics import Topic, TopicConvener
from app.services.access import resolve
from app.services.events import events, programme, team
from tests.browser.conftest import SECRET
from tests.browser.helpers import LiveServer
from tests.notes_helpers import publish_topics


@contextmanager
def database(server: LiveServer) -> Iterator[Session]:
    settings = Settings(data_dir=server.data_dir, secret_key=SECRET, environment="test")
    engine = make_engine(settings)
    try:
        with open_session(engine, write=True) as session:
            yield session
    finally:
        engine.dispose()


def event_row(session: Session, slug: str) -> Event:
    return session.exec(select(Event).where(Event.slug == slug)).one()


def publish_sessions(server: LiveServer, slug: str, titles: list[str], convener: str) -> list[int]:
    """Rooms (20 seats), a slot, topics convened by ``convener`` (who joined already),
    published; the event in its sessions phase. The screens hear of it at their next frame."""
    with database(server) as session:
        event = event_row(session, slug)
        owner = team.members(session, event_id=event.id or 0)[0][0]
        staff = resolve(session, event=event, user=owner, session_id=None)
        day = events.days(session, event_id=event.id or 0)[0]
        block = programme.add_block(
            session,
            access=staff,
            day_id=day.id or 0,
            data=TimeBlockCreate(starts_at=dt.time(14), ends_at=dt.time(15), title="Round 1"),
        )
        person = session.exec(
            select(Participant).where(
                Participant.event_id == event.id, Participant.name == convener
            )
        ).one()
        placements = []
        for number, title in enumerate(titles):
            room = programme.add_room(
                session, access=staff, data=RoomCreate(name=f"Room {number + 1}")
            )
            topic = Topic(event_id=event.id or 0, title=title, proposed_by=person.id)
            session.add(topic)
            session.flush()
            session.add(TopicConvener(topic_id=topic.id or 0, participant_id=person.id or 0))
            placements.append((topic.id or 0, block.id or 0, room.id or 0))
        publish_topics(session, event, placements)
        event.phase = Phase.SESSIONS
        session.add(event)
        session.commit()
        return [topic_id for topic_id, _block, _room in placements]


def set_phase(server: LiveServer, slug: str, phase: Phase) -> None:
    with database(server) as session:
        event = event_row(session, slug)
        event.phase = phase
        session.add(event)
        session.commit()


def plenary_running_now(server: LiveServer, slug: str, title: str, presenter: str) -> int:
    """A plenary item that runs all of today (in the event's time zone), on a day moved to
    today: the phones' "Now and next" shows it as running now. The event in its programme
    phase."""
    with database(server) as session:
        event = event_row(session, slug)
        owner = team.members(session, event_id=event.id or 0)[0][0]
        staff = resolve(session, event=event, user=owner, session_id=None)
        day = events.days(session, event_id=event.id or 0)[0]
        day.date = dt.datetime.now(ZoneInfo(event.timezone)).date()
        session.add(day)
        block = programme.add_block(
            session,
            access=staff,
            day_id=day.id or 0,
            data=TimeBlockCreate(
                kind=BlockKind.PLENARY,
                starts_at=dt.time(0),
                ends_at=dt.time(23, 59),
                title=title,
                presenter=presenter,
            ),
        )
        event.phase = Phase.PROGRAMME
        session.add(event)
        session.commit()
        return block.id or 0
