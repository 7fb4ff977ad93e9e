"""A small event with rooms, slots, topics, conveners and dots, built through the services."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from sqlmodel import Session

from app.config import Settings
from app.models.events import BlockKind, Event, Phase, Room, RoomCreate, TimeBlock, TimeBlockCreate
from app.models.people import Participant
from app.models.topics import Topic, Vote
from app.services.access import EventAccess
from app.services.events import events, programme
from app.services.topics import topics as topics_topics
from tests.factories import access_as, make_event, make_participant, make_user
from tests.marketplace_helpers import set_phase


@dataclass
class Grid:
    event: Event
    staff: EventAccess
    rooms: list[Room]
    slots: list[TimeBlock]
    plenary: TimeBlock
    topics: list[Topic] = field(default_factory=list)
    people: list[Participant] = field(default_factory=list)

    def cell(self, slot: int, room: int) -> tuple[int, int]:
        return (self.slots[slot].id or 0, self.rooms[room].id or 0)

    def topic(self, index: int) -> int:
        return self.topics[index].id or 0


def make_grid(
    session: Session,
    settings: Settings,
    *,
    rooms: tuple[tuple[str, int], ...] = (("Hall", 40), ("Lab", 2)),
    slots: tuple[tuple[str, str], ...] = (("10:00", "11:00"), ("11:30", "12:30")),
    topic_count: int = 3,
    people: int = 4,
    first_day: dt.date = dt.date(2026, 6, 9),
) -> Grid:
    """An event in the agenda phase: a plenary at 9:00, then ``slots``; ``topic_count`` topics,
    topic i convened by person i; nobody has voted yet (see ``vote``)."""
    owner = make_user(session, name="Olga")
    event = make_event(session, owner=owner, first_day=first_day)
    staff = access_as(session, event, user=owner)
    day = events.days(session, event_id=event.id or 0)[0]
    made_rooms = [
        programme.add_room(session, access=staff, data=RoomCreate(name=name, capacity=seats))
        for name, seats in rooms
    ]
    plenary = programme.add_block(
        session,
        access=staff,
        day_id=day.id or 0,
        data=TimeBlockCreate(
            kind=BlockKind.PLENARY,
            starts_at=dt.time(9, 0),
            ends_at=dt.time(9, 45),
            title="Opening circle",
        ),
    )
    made_slots = [
        programme.add_block(
            session,
            access=staff,
            day_id=day.id or 0,
            data=TimeBlockCreate(
                starts_at=dt.time.fromisoformat(start), ends_at=dt.time.fromisoformat(end)
            ),
        )
        for start, end in slots
    ]
    grid = Grid(event=event, staff=staff, rooms=made_rooms, slots=made_slots, plenary=plenary)
    for index in range(people):
        person, _auth = make_participant(session, settings, event=event, name=f"Person {index}")
        grid.people.append(person)
    for index in range(topic_count):
        convener = grid.people[index % people].id if people else None
        grid.topics.append(
            topics_topics.propose_on_behalf(
                session, access=staff, title=f"Topic {index}", convener_id=convener
            )
        )
    set_phase(session, event, Phase.AGENDA)
    return grid


def vote(session: Session, grid: Grid, ballots: dict[int, list[int]]) -> None:
    """Dots straight into the table: person index → topic indexes (rules have their own tests)."""
    for person, chosen in ballots.items():
        for index in chosen:
            session.add(
                Vote(
                    event_id=grid.event.id or 0,
                    participant_id=grid.people[person].id or 0,
                    topic_id=grid.topic(index),
                )
            )
    session.commit()
