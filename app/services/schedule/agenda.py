"""Reading the agenda grid: the published version everyone sees, or the facilitators' draft.

One ``Agenda`` holds the programme (days and their time blocks), the rooms, and the sessions in
their cells, loaded in a fixed handful of queries whatever the size of the event. A *session* is
a topic placed in a cell; its notes, photos and check-ins hang off the topic id.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

from sqlmodel import Session, col, select

from app.models.base import id_of
from app.models.events import Day, Event, Room, TimeBlock
from app.models.schedule import BlockedCell, Placement, PublishedPlacement, ScheduleVersion
from app.models.topics import Topic, TopicConvener, TopicStatus, Vote
from app.services.access import EventAccess
from app.services.events.programme import DayProgramme, programme, rooms
from app.services.people import naming as people_naming
from app.services.people.naming import Naming
from app.services.topics import conveners

Cell = tuple[int, int]  # (block id, room id)


@dataclass
class AgendaSession:
    topic_id: int
    title: str
    description: str
    language: str
    block_id: int
    room_id: int
    conveners: list[str] = field(default_factory=list)
    convener_ids: list[int] = field(default_factory=list)
    locked: bool = False

    @property
    def cell(self) -> Cell:
        return (self.block_id, self.room_id)


@dataclass
class Move:
    """A session that moved in the latest published version (``None``: off the agenda)."""

    topic_id: int
    title: str
    old: tuple[TimeBlock, Room] | None
    new: tuple[TimeBlock, Room] | None


@dataclass
class Agenda:
    event: Event
    days: list[DayProgramme]
    rooms: list[Room]
    sessions: dict[Cell, AgendaSession]
    blocked: set[Cell]
    version: ScheduleVersion | None = None  # the published version shown (None: the draft)

    @property
    def blocks(self) -> dict[int, TimeBlock]:
        return {id_of(block): block for day in self.days for block in day.blocks}

    @property
    def slots(self) -> list[TimeBlock]:
        return [block for day in self.days for block in day.slots]

    @property
    def by_topic(self) -> dict[int, AgendaSession]:
        return {item.topic_id: item for item in self.sessions.values()}

    @property
    def room_by_id(self) -> dict[int, Room]:
        return {id_of(room): room for room in self.rooms}

    def moves(self, titles: dict[int, str]) -> list[Move]:
        """What changed in the version shown, for notices and highlights."""
        if self.version is None:
            return []
        blocks, rooms = self.blocks, self.room_by_id
        found = []

        def place(cell: list[int] | None) -> tuple[TimeBlock, Room] | None:
            if not cell or cell[0] not in blocks or cell[1] not in rooms:
                return None
            return (blocks[cell[0]], rooms[cell[1]])

        for change in self.version.changes:
            topic_id = int(change["topic"])
            if topic_id not in titles:
                continue
            found.append(
                Move(
                    topic_id=topic_id,
                    title=titles[topic_id],
                    old=place(change.get("from")),
                    new=place(change.get("to")),
                )
            )
        return found

    def day_of(self, block_id: int) -> Day | None:
        for day in self.days:
            if any(block.id == block_id for block in day.blocks):
                return day.day
        return None

    def starts_at(self, block_id: int) -> dt.datetime:
        return block_start(self.event, self._day(block_id), self.blocks[block_id])

    def ends_at(self, block_id: int) -> dt.datetime:
        return block_end(self.event, self._day(block_id), self.blocks[block_id])

    def _day(self, block_id: int) -> Day:
        day = self.day_of(block_id)
        assert day is not None, f"block {block_id} is not in this agenda"
        return day


def zone(event: Event) -> ZoneInfo:
    try:
        return ZoneInfo(event.timezone)
    except (KeyError, ValueError):  # validated on input; a removed zone falls back to UTC
        return ZoneInfo("UTC")


def block_start(event: Event, day: Day, block: TimeBlock) -> dt.datetime:
    """The block's start as an aware datetime in the event's time zone."""
    return dt.datetime.combine(day.date, block.starts_at, tzinfo=zone(event))


def block_end(event: Event, day: Day, block: TimeBlock) -> dt.datetime:
    return dt.datetime.combine(day.date, block.ends_at, tzinfo=zone(event))


def latest_version(session: Session, *, event_id: int) -> ScheduleVersion | None:
    return session.exec(
        select(ScheduleVersion)
        .where(ScheduleVersion.event_id == event_id)
        .order_by(col(ScheduleVersion.number).desc())
        .limit(1)
    ).first()


def published_cells(session: Session, *, version_id: int) -> dict[int, Cell]:
    """Topic id → cell in one published version."""
    rows = session.exec(
        select(
            PublishedPlacement.topic_id, PublishedPlacement.block_id, PublishedPlacement.room_id
        ).where(PublishedPlacement.version_id == version_id)
    ).all()
    return {topic_id: (block_id, room_id) for topic_id, block_id, room_id in rows}


def draft_cells(session: Session, *, event_id: int) -> dict[int, tuple[int, int, bool]]:
    """Topic id → (block, room, locked) in the draft."""
    rows = session.exec(
        select(Placement.topic_id, Placement.block_id, Placement.room_id, Placement.locked).where(
            Placement.event_id == event_id
        )
    ).all()
    return {topic_id: (block_id, room_id, locked) for topic_id, block_id, room_id, locked in rows}


def blocked_cells(session: Session, *, event_id: int) -> set[Cell]:
    rows = session.exec(
        select(BlockedCell.block_id, BlockedCell.room_id).where(BlockedCell.event_id == event_id)
    ).all()
    return {(block_id, room_id) for block_id, room_id in rows}


def _sessions(
    session: Session, *, event_id: int, cells: dict[int, tuple[int, int, bool]]
) -> dict[Cell, AgendaSession]:
    if not cells:
        return {}
    topics = session.exec(
        select(Topic).where(
            Topic.event_id == event_id,
            Topic.status == TopicStatus.ACTIVE,
            col(Topic.id).in_(list(cells)),
        )
    ).all()
    views: dict[int, AgendaSession] = {}
    for topic in topics:
        block_id, room_id, locked = cells[id_of(topic)]
        views[id_of(topic)] = AgendaSession(
            topic_id=id_of(topic),
            title=topic.title,
            description=topic.description,
            language=topic.language,
            block_id=block_id,
            room_id=room_id,
            locked=locked,
        )
    for topic_id, people in conveners.by_topic(session, event_id=event_id).items():
        if topic_id in views:
            views[topic_id].conveners.extend(person.name for person in people)
            views[topic_id].convener_ids.extend(person.participant_id for person in people)
    return {view.cell: view for view in views.values()}


def load_published(session: Session, *, event: Event) -> Agenda:
    """What participants see: the latest published version (an empty grid before the first)."""
    event_id = id_of(event)
    version = latest_version(session, event_id=event_id)
    cells: dict[int, tuple[int, int, bool]] = {}
    if version is not None:
        published = published_cells(session, version_id=id_of(version))
        cells = {topic: (block, room, False) for topic, (block, room) in published.items()}
    return _agenda(session, event=event, cells=cells, version=version)


def load_draft(session: Session, *, event: Event) -> Agenda:
    """The facilitators' working copy, with lock flags."""
    return _agenda(session, event=event, cells=draft_cells(session, event_id=id_of(event)))


def _agenda(
    session: Session,
    *,
    event: Event,
    cells: dict[int, tuple[int, int, bool]],
    version: ScheduleVersion | None = None,
) -> Agenda:
    event_id = id_of(event)
    return Agenda(
        event=event,
        days=programme(session, event_id=event_id),
        rooms=rooms(session, event_id=event_id),
        sessions=_sessions(session, event_id=event_id, cells=cells),
        blocked=blocked_cells(session, event_id=event_id),
        version=version,
    )


@dataclass
class PublicAgenda:
    """The published agenda for what leaves the staff's screens (the printed agenda, the door
    signs): ``conveners`` names people only as the consent rule allows."""

    grid: Agenda
    naming: Naming

    def conveners(self, item: AgendaSession) -> str:
        return self.naming.conveners(item.convener_ids)


def load_public(session: Session, *, event: Event) -> PublicAgenda:
    return PublicAgenda(
        grid=load_published(session, event=event),
        naming=people_naming.load(session, event_id=id_of(event)),
    )


def printable(session: Session, *, access: EventAccess) -> PublicAgenda:
    """The printable agenda (A4, one day per page): for the event's staff, who print it."""
    access.require_staff()
    return load_public(session, event=access.event)


def followed(session: Session, *, participant_id: int) -> set[int]:
    """The topics on a participant's own agenda: those they voted for and those they convene."""
    voted = session.exec(select(Vote.topic_id).where(Vote.participant_id == participant_id)).all()
    convened = session.exec(
        select(TopicConvener.topic_id).where(TopicConvener.participant_id == participant_id)
    ).all()
    return set(voted) | set(convened)


def current_day(grid: Agenda, *, now: dt.datetime) -> DayProgramme | None:
    """The day a screen should show: today, else the next day to come, else the last one."""
    if not grid.days:
        return None
    today = now.astimezone(zone(grid.event)).date()
    for day in grid.days:
        if day.day.date >= today:
            return day
    return grid.days[-1]


def mine(grid: Agenda, follows: set[int]) -> list[AgendaSession]:
    """The followed sessions of ``grid`` in time order."""
    chosen = [item for item in grid.sessions.values() if item.topic_id in follows]
    return sorted(chosen, key=lambda item: (grid.starts_at(item.block_id), item.room_id))
