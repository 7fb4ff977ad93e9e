"""The scheduler's exchange format ``openspace-schedule/1`` (shared/formats/schedule-instance.md).

Parsing checks everything the solvers rely on, so that a malformed instance is rejected with a
message naming the offending entry (``votes[3]: topic 't99' is not in topics``) instead of
failing somewhere inside a search.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from app.errors import Invalid

FORMAT = "openspace-schedule/1"


class ScheduleFormatError(Invalid):
    """The instance breaks the format; ``field`` names the entry (``votes[3]``)."""

    def __init__(self, where: str, message: str) -> None:
        super().__init__({where: message})

    def __str__(self) -> str:
        return f"{self.field}: {self.message}"


@dataclass(frozen=True, slots=True)
class Room:
    id: str
    capacity: int


@dataclass(frozen=True, slots=True)
class Topic:
    id: str
    conveners: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Placement:
    topic: str
    room: str
    slot: str


@dataclass(frozen=True, slots=True)
class Instance:
    rooms: tuple[Room, ...]
    slots: tuple[str, ...]
    topics: tuple[Topic, ...]
    blocked: frozenset[tuple[str, str]] = frozenset()  # (room, slot)
    voters: Mapping[str, frozenset[str]] = field(default_factory=dict)  # topic -> distinct voters
    locked: tuple[Placement, ...] = ()
    previous: tuple[Placement, ...] = ()


@dataclass(frozen=True, slots=True)
class Result:
    assignments: tuple[Placement, ...]
    unscheduled: tuple[str, ...]
    reasons: Mapping[str, str]  # unscheduled topic -> why
    attendable_votes: int
    overflow: int
    moves: int
    bound: int | None
    engine: str
    seconds: float

    def to_json(self) -> dict[str, Any]:
        """The result format; ``reasons`` is an addition that readers of the format ignore."""
        return {
            "assignments": [
                {"topic": p.topic, "room": p.room, "slot": p.slot} for p in self.assignments
            ],
            "unscheduled": list(self.unscheduled),
            "reasons": dict(self.reasons),
            "attendable_votes": self.attendable_votes,
            "overflow": self.overflow,
            "moves": self.moves,
            "bound": self.bound,
            "engine": self.engine,
            "seconds": round(self.seconds, 3),
        }


def _list(data: Mapping[str, Any], key: str, *, required: bool) -> list[Any]:
    if key not in data:
        if required:
            raise ScheduleFormatError(key, "is missing")
        return []
    value = data[key]
    if not isinstance(value, list):
        raise ScheduleFormatError(key, "must be a list")
    return value


def _entry(item: object, where: str) -> Mapping[str, Any]:
    if not isinstance(item, dict):
        raise ScheduleFormatError(where, "must be an object")
    return item


def _id(entry: Mapping[str, Any], key: str, where: str) -> str:
    value = entry.get(key)
    if not isinstance(value, str) or not value:
        raise ScheduleFormatError(where, f"'{key}' must be a non-empty string")
    return value


def _placements(
    data: Mapping[str, Any],
    key: str,
    *,
    rooms: Mapping[str, Room],
    slots: set[str],
    topics: Mapping[str, Topic],
) -> tuple[Placement, ...]:
    placements: list[Placement] = []
    topic_at: dict[str, str] = {}
    cell_at: dict[tuple[str, str], str] = {}
    for index, item in enumerate(_list(data, key, required=False)):
        where = f"{key}[{index}]"
        entry = _entry(item, where)
        placement = Placement(
            topic=_id(entry, "topic", where),
            room=_id(entry, "room", where),
            slot=_id(entry, "slot", where),
        )
        if placement.topic not in topics:
            raise ScheduleFormatError(where, f"topic '{placement.topic}' is not in topics")
        if placement.room not in rooms:
            raise ScheduleFormatError(where, f"room '{placement.room}' is not in rooms")
        if placement.slot not in slots:
            raise ScheduleFormatError(where, f"slot '{placement.slot}' is not in slots")
        if placement.topic in topic_at:
            raise ScheduleFormatError(
                where, f"topic '{placement.topic}' is placed already in {topic_at[placement.topic]}"
            )
        cell = (placement.room, placement.slot)
        if cell in cell_at:
            raise ScheduleFormatError(
                where,
                f"cell ({placement.room}, {placement.slot}) is taken already by {cell_at[cell]}",
            )
        topic_at[placement.topic] = where
        cell_at[cell] = where
        placements.append(placement)
    return tuple(placements)


def check_locks(
    locks: Sequence[tuple[str, Placement]],
    *,
    topics: Mapping[str, Topic],
    blocked: frozenset[tuple[str, str]],
) -> None:
    """Locks must be placeable together: free cells, one topic per cell, no convener twice."""
    topic_at: dict[str, str] = {}
    cell_at: dict[tuple[str, str], str] = {}
    convener_at: dict[tuple[str, str], str] = {}
    for where, lock in locks:
        cell = (lock.room, lock.slot)
        if cell in blocked:
            raise ScheduleFormatError(where, f"cell ({lock.room}, {lock.slot}) is blocked")
        if lock.topic in topic_at:
            raise ScheduleFormatError(
                where, f"topic '{lock.topic}' is locked already by {topic_at[lock.topic]}"
            )
        if cell in cell_at:
            raise ScheduleFormatError(
                where, f"cell ({lock.room}, {lock.slot}) is locked already by {cell_at[cell]}"
            )
        for person in topics[lock.topic].conveners:
            if (person, lock.slot) in convener_at:
                raise ScheduleFormatError(
                    where,
                    f"convener '{person}' is in {convener_at[person, lock.slot]} "
                    f"in slot '{lock.slot}' already",
                )
        topic_at[lock.topic] = where
        cell_at[cell] = where
        for person in topics[lock.topic].conveners:
            convener_at[person, lock.slot] = where


def parse_instance(data: object) -> Instance:  # noqa: C901, PLR0915
    """Check a decoded JSON instance and turn it into an ``Instance``.

    Raises ``ScheduleFormatError`` naming the first offending entry. Unknown keys are ignored.
    """
    if not isinstance(data, dict):
        raise ScheduleFormatError("instance", "must be a JSON object")
    if data.get("format") != FORMAT:
        raise ScheduleFormatError("format", f"must be '{FORMAT}'")

    rooms: dict[str, Room] = {}
    for index, item in enumerate(_list(data, "rooms", required=True)):
        where = f"rooms[{index}]"
        entry = _entry(item, where)
        room_id = _id(entry, "id", where)
        capacity = entry.get("capacity")
        # bool is an int in Python; "capacity": true is a mistake, not a room for one.
        if not isinstance(capacity, int) or isinstance(capacity, bool) or capacity < 0:
            raise ScheduleFormatError(where, "'capacity' must be a whole number, 0 or more")
        if room_id in rooms:
            raise ScheduleFormatError(where, f"duplicate room id '{room_id}'")
        rooms[room_id] = Room(room_id, capacity)

    slots: list[str] = []
    for index, item in enumerate(_list(data, "slots", required=True)):
        where = f"slots[{index}]"
        slot_id = _id(_entry(item, where), "id", where)
        if slot_id in slots:
            raise ScheduleFormatError(where, f"duplicate slot id '{slot_id}'")
        slots.append(slot_id)
    slot_set = set(slots)

    blocked: set[tuple[str, str]] = set()
    for index, item in enumerate(_list(data, "blocked", required=False)):
        where = f"blocked[{index}]"
        entry = _entry(item, where)
        room_id, slot_id = _id(entry, "room", where), _id(entry, "slot", where)
        if room_id not in rooms:
            raise ScheduleFormatError(where, f"room '{room_id}' is not in rooms")
        if slot_id not in slot_set:
            raise ScheduleFormatError(where, f"slot '{slot_id}' is not in slots")
        blocked.add((room_id, slot_id))

    topics: dict[str, Topic] = {}
    for index, item in enumerate(_list(data, "topics", required=True)):
        where = f"topics[{index}]"
        entry = _entry(item, where)
        topic_id = _id(entry, "id", where)
        conveners = entry.get("conveners", [])
        if not isinstance(conveners, list) or not all(
            isinstance(person, str) and person for person in conveners
        ):
            raise ScheduleFormatError(where, "'conveners' must be a list of participant ids")
        if topic_id in topics:
            raise ScheduleFormatError(where, f"duplicate topic id '{topic_id}'")
        topics[topic_id] = Topic(topic_id, tuple(dict.fromkeys(conveners)))

    voters: dict[str, set[str]] = {topic_id: set() for topic_id in topics}
    for index, item in enumerate(_list(data, "votes", required=True)):
        where = f"votes[{index}]"
        entry = _entry(item, where)
        voter, topic_id = _id(entry, "voter", where), _id(entry, "topic", where)
        if topic_id not in topics:
            raise ScheduleFormatError(where, f"topic '{topic_id}' is not in topics")
        voters[topic_id].add(voter)

    frozen_blocked = frozenset(blocked)
    locked = _placements(data, "locked", rooms=rooms, slots=slot_set, topics=topics)
    check_locks(
        [(f"locked[{index}]", lock) for index, lock in enumerate(locked)],
        topics=topics,
        blocked=frozen_blocked,
    )
    previous = _placements(data, "previous", rooms=rooms, slots=slot_set, topics=topics)
    return Instance(
        rooms=tuple(rooms.values()),
        slots=tuple(slots),
        topics=tuple(topics.values()),
        blocked=frozen_blocked,
        voters={topic_id: frozenset(names) for topic_id, names in voters.items()},
        locked=locked,
        previous=previous,
    )
