"""Rooms, days and time blocks, without HTTP."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from sqlmodel import Session, select

from app.config import Settings
from app.errors import Invalid, NotFound, PermissionDenied
from app.models.events import (
    BlockKind,
    Day,
    Event,
    Room,
    RoomCreate,
    RoomUpdate,
    TimeBlock,
    TimeBlockCreate,
)
from app.services.access import EventAccess
from app.services.events import events, programme
from tests.factories import access_as, make_event, make_participant, make_user


def _event_and_access(session: Session, days: int = 1) -> tuple[Event, EventAccess]:
    owner = make_user(session)
    event = make_event(session, owner=owner, days=days)
    return event, access_as(session, event, user=owner)


def _room(name: str = "Hall", capacity: int = 20, notes: str = "") -> RoomCreate:
    # Not validated on construction, as the routes build it: the service checks the fields.
    return RoomCreate.model_construct(name=name, capacity=capacity, notes=notes)


def _block(start: str, end: str, kind: str = BlockKind.SLOT, title: str = "") -> TimeBlockCreate:
    return TimeBlockCreate.model_construct(
        kind=kind,
        starts_at=dt.time.fromisoformat(start),
        ends_at=dt.time.fromisoformat(end),
        title=title,
        presenter="",
    )


def _first_day(session: Session, event: Event) -> Day:
    return events.days(session, event_id=event.id)[0]  # type: ignore[arg-type]


def _names(session: Session, event: Event) -> list[str]:
    return [room.name for room in programme.rooms(session, event_id=event.id)]  # type: ignore[arg-type]


# --- rooms -------------------------------------------------------------------------------


def test_add_room_strips_and_orders(session: Session) -> None:
    event, access = _event_and_access(session)
    first = programme.add_room(session, access=access, data=_room(" Big hall ", 120, " step-free "))
    second = programme.add_room(session, access=access, data=_room("Small room", 12))
    assert (first.name, first.capacity, first.notes, first.position) == (
        "Big hall",
        120,
        "step-free",
        0,
    )
    assert second.position == 1
    assert _names(session, event) == ["Big hall", "Small room"]


def test_add_room_duplicate_name_case_insensitive(session: Session) -> None:
    event, access = _event_and_access(session)
    programme.add_room(session, access=access, data=_room("Hall"))
    with pytest.raises(Invalid) as caught:
        programme.add_room(session, access=access, data=_room(" HALL "))
    assert caught.value.errors == {"name": "Another room has this name."}
    assert _names(session, event) == ["Hall"]


def test_same_room_name_in_another_event(session: Session) -> None:
    _event, access = _event_and_access(session)
    other, other_access = _event_and_access(session)
    programme.add_room(session, access=access, data=_room("Hall"))
    programme.add_room(session, access=other_access, data=_room("Hall"))
    assert _names(session, other) == ["Hall"]


@pytest.mark.parametrize(
    ("room", "errors"),
    [
        (_room(capacity=0), {"capacity": "Enter a number of seats between 1 and 10,000."}),
        (_room(capacity=10001), {"capacity": "Enter a number of seats between 1 and 10,000."}),
        (_room(name="  "), {"name": "Enter the room's name."}),
        (_room(name="x" * 81), {"name": "Use at most 80 characters."}),
        (_room(notes="x" * 301), {"notes": "Use at most 300 characters."}),
    ],
)
def test_add_room_invalid(session: Session, room: RoomCreate, errors: dict[str, str]) -> None:
    event, access = _event_and_access(session)
    with pytest.raises(Invalid) as caught:
        programme.add_room(session, access=access, data=room)
    assert caught.value.errors == errors
    assert _names(session, event) == []


def test_room_capacity_bounds_accepted(session: Session) -> None:
    event, access = _event_and_access(session)
    programme.add_room(session, access=access, data=_room("A", 1))
    programme.add_room(session, access=access, data=_room("B", 10000))
    rooms = programme.rooms(session, event_id=event.id)  # type: ignore[arg-type]
    assert [room.capacity for room in rooms] == [1, 10000]


def test_update_room(session: Session) -> None:
    _event, access = _event_and_access(session)
    room = programme.add_room(session, access=access, data=_room("Hall"))
    programme.update_room(
        session,
        access=access,
        room_id=room.id,
        data=RoomUpdate(name=" Hall ", capacity=5),  # type: ignore[arg-type]
    )
    session.expire_all()
    stored = session.get(Room, room.id)
    assert stored is not None and (stored.name, stored.capacity) == ("Hall", 5)


def test_update_room_duplicate_and_capacity_changes_nothing(session: Session) -> None:
    _event, access = _event_and_access(session)
    programme.add_room(session, access=access, data=_room("Hall"))
    room = programme.add_room(session, access=access, data=_room("Garden", 30))
    with pytest.raises(Invalid) as caught:
        programme.update_room(
            session,
            access=access,
            room_id=room.id,  # type: ignore[arg-type]
            data=RoomUpdate(name="hall", capacity=0),
        )
    assert caught.value.errors == {
        "name": "Another room has this name.",
        "capacity": "Enter a number of seats between 1 and 10,000.",
    }
    session.expire_all()
    stored = session.get(Room, room.id)
    assert stored is not None and (stored.name, stored.capacity) == ("Garden", 30)


def test_delete_room(session: Session) -> None:
    event, access = _event_and_access(session)
    room = programme.add_room(session, access=access, data=_room("Hall"))
    programme.delete_room(session, access=access, room_id=room.id)  # type: ignore[arg-type]
    assert _names(session, event) == []


def test_move_room_ordering(session: Session) -> None:
    event, access = _event_and_access(session)
    ids = {
        name: programme.add_room(session, access=access, data=_room(name)).id
        for name in ("A", "B", "C")
    }
    programme.move_room(session, access=access, room_id=ids["C"], offset=-1)  # type: ignore[arg-type]
    assert _names(session, event) == ["A", "C", "B"]
    programme.move_room(session, access=access, room_id=ids["A"], offset=1)  # type: ignore[arg-type]
    assert _names(session, event) == ["C", "A", "B"]
    programme.move_room(session, access=access, room_id=ids["C"], offset=-1)  # type: ignore[arg-type]
    programme.move_room(session, access=access, room_id=ids["B"], offset=1)  # type: ignore[arg-type]
    assert _names(session, event) == ["C", "A", "B"]
    positions = [room.position for room in programme.rooms(session, event_id=event.id)]  # type: ignore[arg-type]
    assert positions == [0, 1, 2]


def test_rooms_need_staff(session: Session, settings: Settings) -> None:
    event, access = _event_and_access(session)
    room = programme.add_room(session, access=access, data=_room("Hall"))
    _participant, auth = make_participant(session, settings, event=event)
    as_participant = access_as(session, event, auth=auth)
    with pytest.raises(PermissionDenied):
        programme.add_room(session, access=as_participant, data=_room("Kitchen"))
    with pytest.raises(PermissionDenied):
        programme.delete_room(session, access=as_participant, room_id=room.id)  # type: ignore[arg-type]
    assert _names(session, event) == ["Hall"]


def test_cross_event_room_ids_not_found(session: Session) -> None:
    _event, access = _event_and_access(session)
    other, other_access = _event_and_access(session)
    foreign = programme.add_room(session, access=other_access, data=_room("Theirs"))
    room_id: int = foreign.id  # type: ignore[assignment]
    with pytest.raises(NotFound):
        programme.update_room(session, access=access, room_id=room_id, data=RoomUpdate(name="x"))
    with pytest.raises(NotFound):
        programme.delete_room(session, access=access, room_id=room_id)
    with pytest.raises(NotFound):
        programme.move_room(session, access=access, room_id=room_id, offset=1)
    session.expire_all()
    assert _names(session, other) == ["Theirs"]


# --- days --------------------------------------------------------------------------------


def test_add_day(session: Session) -> None:
    event, access = _event_and_access(session)
    day = programme.add_day(session, access=access, date=dt.date(2026, 6, 8), title=" Arrival ")
    assert day.title == "Arrival"
    dates = [item.day.date for item in programme.programme(session, event_id=event.id)]  # type: ignore[arg-type]
    assert dates == [dt.date(2026, 6, 8), dt.date(2026, 6, 9)]


@pytest.mark.parametrize(
    ("date", "title", "errors"),
    [
        (None, "", {"date": "Choose a date."}),
        (dt.date(2026, 6, 9), "", {"date": "This day is in the programme already."}),
        (dt.date(2026, 6, 10), "x" * 121, {"title": "Use at most 120 characters."}),
    ],
)
def test_add_day_invalid(
    session: Session, date: dt.date | None, title: str, errors: dict[str, str]
) -> None:
    event, access = _event_and_access(session)
    with pytest.raises(Invalid) as caught:
        programme.add_day(session, access=access, date=date, title=title)
    assert caught.value.errors == errors
    assert len(events.days(session, event_id=event.id)) == 1  # type: ignore[arg-type]


def test_delete_day_removes_its_blocks(session: Session) -> None:
    event, access = _event_and_access(session, days=2)
    first, second = events.days(session, event_id=event.id)  # type: ignore[arg-type]
    programme.add_block(session, access=access, day_id=first.id, data=_block("09:00", "10:00"))  # type: ignore[arg-type]
    kept = programme.add_block(
        session,
        access=access,
        day_id=second.id,
        data=_block("09:00", "10:00"),  # type: ignore[arg-type]
    )
    programme.delete_day(session, access=access, day_id=first.id)  # type: ignore[arg-type]
    session.expire_all()
    assert session.exec(select(TimeBlock.id)).all() == [kept.id]
    assert [item.day.id for item in programme.programme(session, event_id=event.id)] == [second.id]  # type: ignore[arg-type]


# --- blocks ------------------------------------------------------------------------------


def test_add_blocks_ordered_by_time(session: Session) -> None:
    event, access = _event_and_access(session)
    day = _first_day(session, event)
    day_id: int = day.id  # type: ignore[assignment]
    programme.add_block(session, access=access, day_id=day_id, data=_block("11:00", "12:00"))
    programme.add_block(
        session,
        access=access,
        day_id=day_id,
        data=_block("09:00", "10:00", BlockKind.PLENARY, " Opening "),
    )
    # Touching is not overlapping.
    programme.add_block(
        session, access=access, day_id=day_id, data=_block("10:00", "11:00", "break")
    )
    (item,) = programme.programme(session, event_id=event.id)  # type: ignore[arg-type]
    assert [(b.kind, b.starts_at.hour, b.title) for b in item.blocks] == [
        ("plenary", 9, "Opening"),
        ("break", 10, ""),
        ("slot", 11, ""),
    ]
    assert [b.starts_at.hour for b in item.slots] == [11]


@pytest.mark.parametrize(
    ("block", "errors"),
    [
        (_block("10:00", "10:00"), {"ends_at": "The end must be after the start."}),
        (_block("11:00", "10:00"), {"ends_at": "The end must be after the start."}),
        (
            _block("13:00", "14:00", BlockKind.PLENARY, " "),
            {"title": "A plenary item needs a title."},
        ),
        (_block("13:00", "14:00", "lunch"), {"kind": "Choose slot, plenary or break."}),
        (
            _block("13:00", "14:00", title="x" * 161),
            {"title": "Use at most 160 characters."},
        ),
        (_block("09:30", "10:30"), {"starts_at": "This overlaps Opening (09:00–10:00)."}),
        (_block("08:00", "12:00"), {"starts_at": "This overlaps Opening (09:00–10:00)."}),
    ],
)
def test_add_block_invalid(
    session: Session, block: TimeBlockCreate, errors: dict[str, str]
) -> None:
    event, access = _event_and_access(session)
    day_id: int = _first_day(session, event).id  # type: ignore[assignment]
    programme.add_block(
        session, access=access, day_id=day_id, data=_block("09:00", "10:00", "plenary", "Opening")
    )
    with pytest.raises(Invalid) as caught:
        programme.add_block(session, access=access, day_id=day_id, data=block)
    assert caught.value.errors == errors
    assert len(session.exec(select(TimeBlock)).all()) == 1


def test_overlap_only_within_the_day(session: Session) -> None:
    event, access = _event_and_access(session, days=2)
    first, second = events.days(session, event_id=event.id)  # type: ignore[arg-type]
    programme.add_block(session, access=access, day_id=first.id, data=_block("09:00", "10:00"))  # type: ignore[arg-type]
    programme.add_block(session, access=access, day_id=second.id, data=_block("09:00", "10:00"))  # type: ignore[arg-type]
    assert len(session.exec(select(TimeBlock)).all()) == 2


def test_update_block_ignores_itself_in_overlap(session: Session) -> None:
    event, access = _event_and_access(session)
    day_id: int = _first_day(session, event).id  # type: ignore[assignment]
    block = programme.add_block(
        session, access=access, day_id=day_id, data=_block("09:00", "10:00")
    )
    programme.add_block(session, access=access, day_id=day_id, data=_block("11:00", "12:00"))
    updated = programme.update_block(
        session,
        access=access,
        block_id=block.id,  # type: ignore[arg-type]
        data=_block("09:30", "11:00", BlockKind.PLENARY, " Good practices "),
    )
    assert (updated.starts_at, updated.title) == (dt.time(9, 30), "Good practices")
    with pytest.raises(Invalid) as caught:
        programme.update_block(
            session,
            access=access,
            block_id=block.id,
            data=_block("09:30", "11:30"),  # type: ignore[arg-type]
        )
    assert caught.value.errors == {"starts_at": "This overlaps a slot (11:00–12:00)."}


def test_cross_event_day_and_block_ids_not_found(session: Session, tmp_path: Path) -> None:
    _event, access = _event_and_access(session)
    other, other_access = _event_and_access(session)
    their_day: int = _first_day(session, other).id  # type: ignore[assignment]
    their_block = programme.add_block(
        session, access=other_access, day_id=their_day, data=_block("09:00", "10:00")
    )
    block_id: int = their_block.id  # type: ignore[assignment]
    with pytest.raises(NotFound):
        programme.add_block(session, access=access, day_id=their_day, data=_block("11:00", "12:00"))
    with pytest.raises(NotFound):
        programme.update_block(
            session, access=access, block_id=block_id, data=_block("11:00", "12:00")
        )
    with pytest.raises(NotFound):
        programme.delete_block(session, access=access, block_id=block_id, upload_dir=tmp_path)
    with pytest.raises(NotFound):
        programme.delete_day(session, access=access, day_id=their_day)
    with pytest.raises(NotFound):
        programme.delete_block(session, access=access, block_id=10**6, upload_dir=tmp_path)
    session.expire_all()
    stored = session.get(TimeBlock, block_id)
    assert stored is not None and stored.starts_at == dt.time(9)
    assert session.get(Day, their_day) is not None
    assert len(session.exec(select(TimeBlock)).all()) == 1


def test_a_day_gets_a_title_and_loses_it(session: Session) -> None:
    event, access = _event_and_access(session)
    day = events.days(session, event_id=event.id or 0)[0]

    programme.rename_day(session, access=access, day_id=day.id or 0, title="  Day 1 —  Mapping ")
    assert session.get(Day, day.id).title == "Day 1 — Mapping"  # type: ignore[union-attr]
    programme.rename_day(session, access=access, day_id=day.id or 0, title="")
    assert session.get(Day, day.id).title == ""  # type: ignore[union-attr]


def test_a_day_title_is_checked_and_scoped_to_the_event(session: Session) -> None:
    event, access = _event_and_access(session)
    other, _other_access = _event_and_access(session)
    day = events.days(session, event_id=event.id or 0)[0]
    foreign = events.days(session, event_id=other.id or 0)[0]

    with pytest.raises(Invalid) as refused:
        programme.rename_day(session, access=access, day_id=day.id or 0, title="x" * 121)
    assert refused.value.errors == {"day_title": "Use at most 120 characters."}
    with pytest.raises(NotFound):
        programme.rename_day(session, access=access, day_id=foreign.id or 0, title="Mine")
    session.rollback()
    assert session.get(Day, foreign.id).title == ""  # type: ignore[union-attr]


def test_a_programme_item_is_edited_with_the_rules_of_adding_one(session: Session) -> None:
    event, access = _event_and_access(session)
    day_id = events.days(session, event_id=event.id or 0)[0].id or 0
    first = programme.add_block(
        session, access=access, day_id=day_id, data=_block("09:00", "10:00")
    )
    programme.add_block(session, access=access, day_id=day_id, data=_block("11:00", "12:00"))

    with pytest.raises(Invalid) as refused:
        programme.update_block(
            session,
            access=access,
            block_id=first.id or 0,
            data=_block("09:00", "11:30", kind=BlockKind.PLENARY),
        )
    assert refused.value.errors == {
        "title": "A plenary item needs a title.",
        "starts_at": "This overlaps a slot (11:00–12:00).",
    }
    session.rollback()
    changed = programme.update_block(
        session,
        access=access,
        block_id=first.id or 0,
        data=_block("08:30", "10:30", kind=BlockKind.PLENARY, title="Welcome"),
    )
    assert (changed.kind, changed.starts_at, changed.ends_at, changed.title) == (
        BlockKind.PLENARY,
        dt.time(8, 30),
        dt.time(10, 30),
        "Welcome",
    )
