"""Rooms, days and each day's ordered programme of time blocks (slots, plenaries, breaks)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import or_
from sqlmodel import Session, col, func, select

from app.errors import Conflict, Invalid, NotFound
from app.i18n import _
from app.models.base import id_of
from app.models.events import (
    BLOCK_TITLE_MAX,
    DAY_TITLE_MAX,
    FIRST_POSSIBLE_DAY,
    LAST_POSSIBLE_DAY,
    ROOM_NAME_MAX,
    ROOM_NOTES_MAX,
    BlockKind,
    Day,
    Room,
    RoomCreate,
    RoomUpdate,
    TimeBlock,
    TimeBlockCreate,
)
from app.models.notes import PLENARY_FIELDS, Photo, SessionNotes
from app.services.access import EventAccess
from app.services.text import check_length, too_long

MAX_ROOMS = 100


@dataclass
class DayProgramme:
    day: Day
    blocks: list[TimeBlock] = field(default_factory=list)

    @property
    def slots(self) -> list[TimeBlock]:
        return [block for block in self.blocks if block.kind == BlockKind.SLOT]


# --- rooms -------------------------------------------------------------------------------


def rooms(session: Session, *, event_id: int) -> list[Room]:
    return list(
        session.exec(
            select(Room).where(Room.event_id == event_id).order_by(col(Room.position), col(Room.id))
        ).all()
    )


def _room(session: Session, *, access: EventAccess, room_id: int) -> Room:
    room = session.get(Room, room_id)
    if room is None or room.event_id != access.event_id:
        raise NotFound(_("There is no such room."))
    return room


def _check_room(
    session: Session, *, event_id: int, values: dict[str, object], room_id: int | None
) -> None:
    errors: dict[str, str] = {}
    if "name" in values:
        name = str(values["name"])
        if not name:
            errors["name"] = _("Enter the room's name.")
        elif message := too_long(name, ROOM_NAME_MAX):
            errors["name"] = message
        else:
            clash = session.exec(
                select(Room.id).where(
                    Room.event_id == event_id, func.lower(Room.name) == name.lower()
                )
            ).first()
            if clash is not None and clash != room_id:
                errors["name"] = _("Another room has this name.")
    if "capacity" in values:
        capacity = values["capacity"]
        if not isinstance(capacity, int) or not 1 <= capacity <= 10000:
            errors["capacity"] = _("Enter a number of seats between 1 and 10,000.")
    if "notes" in values and (message := too_long(str(values["notes"]), ROOM_NOTES_MAX)):
        errors["notes"] = message
    if errors:
        raise Invalid(errors)


def add_room(session: Session, *, access: EventAccess, data: RoomCreate) -> Room:
    access.require_staff()
    values = {"name": data.name.strip(), "capacity": data.capacity, "notes": data.notes.strip()}
    _check_room(session, event_id=access.event_id, values=values, room_id=None)
    count = len(rooms(session, event_id=access.event_id))
    if count >= MAX_ROOMS:
        raise Invalid({"name": _("An event has at most 100 rooms.")})
    room = Room(event_id=access.event_id, position=count, **values)  # type: ignore[arg-type]
    session.add(room)
    session.commit()
    session.refresh(room)
    return room


def update_room(session: Session, *, access: EventAccess, room_id: int, data: RoomUpdate) -> Room:
    access.require_staff()
    room = _room(session, access=access, room_id=room_id)
    values = data.model_dump(exclude_unset=True)
    for key in ("name", "notes"):
        if isinstance(values.get(key), str):
            values[key] = values[key].strip()
    _check_room(session, event_id=access.event_id, values=values, room_id=room.id)
    for key, value in values.items():
        setattr(room, key, value)
    session.add(room)
    session.commit()
    return room


def delete_room(session: Session, *, access: EventAccess, room_id: int) -> None:
    access.require_staff()
    session.delete(_room(session, access=access, room_id=room_id))
    session.commit()


def move_room(session: Session, *, access: EventAccess, room_id: int, offset: int) -> None:
    """Move a room up (-1) or down (+1) in the order rooms are shown on the grid."""
    access.require_staff()
    ordered = rooms(session, event_id=access.event_id)
    index = next((i for i, room in enumerate(ordered) if room.id == room_id), None)
    if index is None:
        raise NotFound(_("There is no such room."))
    target = min(max(index + offset, 0), len(ordered) - 1)
    ordered.insert(target, ordered.pop(index))
    for position, room in enumerate(ordered):
        room.position = position
        session.add(room)
    session.commit()


# --- days and blocks ---------------------------------------------------------------------


def programme(session: Session, *, event_id: int) -> list[DayProgramme]:
    day_rows = session.exec(
        select(Day).where(Day.event_id == event_id).order_by(col(Day.date))
    ).all()
    by_day = {day.id: DayProgramme(day=day) for day in day_rows}
    blocks = session.exec(
        select(TimeBlock)
        .where(TimeBlock.event_id == event_id)
        .order_by(col(TimeBlock.starts_at), col(TimeBlock.id))
    ).all()
    for block in blocks:
        by_day[block.day_id].blocks.append(block)
    return list(by_day.values())


def _day(session: Session, *, access: EventAccess, day_id: int) -> Day:
    day = session.get(Day, day_id)
    if day is None or day.event_id != access.event_id:
        raise NotFound(_("There is no such day."))
    return day


def check_day(date: dt.date, *, field: str) -> None:
    """Refuse a day outside the years an event can have (year 9999 is a typing mistake)."""
    if not FIRST_POSSIBLE_DAY <= date <= LAST_POSSIBLE_DAY:
        raise Invalid(
            {
                field: _("Choose a date between %(first)s and %(last)s.")
                % {"first": FIRST_POSSIBLE_DAY.isoformat(), "last": LAST_POSSIBLE_DAY.isoformat()}
            }
        )


def add_day(session: Session, *, access: EventAccess, date: dt.date | None, title: str = "") -> Day:
    access.require_staff()
    if date is None:
        raise Invalid({"date": _("Choose a date.")})
    check_day(date, field="date")
    check_length(title, DAY_TITLE_MAX, field="title")
    if session.exec(
        select(Day.id).where(Day.event_id == access.event_id, Day.date == date)
    ).first():
        raise Invalid({"date": _("This day is in the programme already.")})
    day = Day(event_id=access.event_id, date=date, title=title.strip())
    session.add(day)
    session.commit()
    session.refresh(day)
    return day


def rename_day(session: Session, *, access: EventAccess, day_id: int, title: str) -> Day:
    """Give a day a title ("Day 1 — Mapping") for the programme, the agendas and the
    proceedings; an empty title leaves only the date."""
    access.require_staff()
    day = _day(session, access=access, day_id=day_id)
    title = " ".join(title.split())
    check_length(title, DAY_TITLE_MAX, field="day_title")
    day.title = title
    session.add(day)
    session.commit()
    return day


def delete_day(session: Session, *, access: EventAccess, day_id: int) -> None:
    """Delete a day and its programme; refused while a plenary item of it has notes or photos
    (deleting that item first asks, ``delete_block``): nothing typed goes unasked."""
    access.require_staff()
    day = _day(session, access=access, day_id=day_id)
    blocks = session.exec(select(TimeBlock.id).where(TimeBlock.day_id == day.id)).all()
    if _with_notes(session, block_ids=[block_id for block_id in blocks if block_id is not None]):
        raise Conflict(
            _(
                "A plenary item of this day has notes or photos. Delete that item first: "
                "you will be asked whether its notes may go."
            )
        )
    session.delete(day)
    session.commit()


def _with_notes(session: Session, *, block_ids: list[int]) -> set[int]:
    """Those of the blocks whose notes hold text or that have photos (a notes row whose text
    was all emptied again holds nothing to lose)."""
    if not block_ids:
        return set()
    written = [col(getattr(SessionNotes, name)) != "" for name in PLENARY_FIELDS]
    found = set(
        session.exec(
            select(SessionNotes.block_id).where(
                col(SessionNotes.block_id).in_(block_ids), or_(*written)
            )
        ).all()
    )
    found |= set(
        session.exec(select(Photo.block_id).where(col(Photo.block_id).in_(block_ids))).all()
    )
    return {block_id for block_id in found if block_id is not None}


def _check_block(
    session: Session, *, day: Day, data: TimeBlockCreate, block_id: int | None
) -> None:
    errors: dict[str, str] = {}
    if data.kind not in set(BlockKind):
        errors["kind"] = _("Choose slot, plenary or break.")
    if data.ends_at <= data.starts_at:
        errors["ends_at"] = _("The end must be after the start.")
    if data.kind == BlockKind.PLENARY and not data.title.strip():
        errors["title"] = _("A plenary item needs a title.")
    if message := too_long(data.title, BLOCK_TITLE_MAX):
        errors["title"] = message
    if message := too_long(data.presenter, BLOCK_TITLE_MAX):
        errors["presenter"] = message
    if "ends_at" not in errors:
        others = session.exec(select(TimeBlock).where(TimeBlock.day_id == day.id)).all()
        for other in others:
            if (
                other.id != block_id
                and data.starts_at < other.ends_at
                and other.starts_at < data.ends_at
            ):
                errors["starts_at"] = _("This overlaps {title} ({start}–{end}).").format(
                    title=other.title or _("a slot"),
                    start=other.starts_at.strftime("%H:%M"),
                    end=other.ends_at.strftime("%H:%M"),
                )
                break
    if errors:
        raise Invalid(errors)


def add_block(
    session: Session, *, access: EventAccess, day_id: int, data: TimeBlockCreate
) -> TimeBlock:
    """Add a slot, plenary item or break to a day; times must not overlap other blocks."""
    access.require_staff()
    day = _day(session, access=access, day_id=day_id)
    _check_block(session, day=day, data=data, block_id=None)
    block = TimeBlock(
        event_id=access.event_id,
        day_id=day_id,
        kind=data.kind,
        starts_at=data.starts_at,
        ends_at=data.ends_at,
        title=data.title.strip(),
        presenter=data.presenter.strip(),
    )
    session.add(block)
    session.commit()
    session.refresh(block)
    return block


def _block(session: Session, *, access: EventAccess, block_id: int) -> TimeBlock:
    block = session.get(TimeBlock, block_id)
    if block is None or block.event_id != access.event_id:
        raise NotFound(_("There is no such programme item."))
    return block


def block(session: Session, *, access: EventAccess, block_id: int) -> TimeBlock:
    """One programme item of the event (staff only), for its edit form."""
    access.require_staff()
    return _block(session, access=access, block_id=block_id)


def update_block(
    session: Session, *, access: EventAccess, block_id: int, data: TimeBlockCreate
) -> TimeBlock:
    """Change a programme item: the same checks as adding one (``_check_block``); a plenary
    item with notes or photos stays a plenary item (its notes would be nowhere else)."""
    access.require_staff()
    block = _block(session, access=access, block_id=block_id)
    day = _day(session, access=access, day_id=block.day_id)
    _check_block(session, day=day, data=data, block_id=block.id)
    if data.kind != block.kind and _with_notes(session, block_ids=[id_of(block)]):
        raise Invalid(
            {"kind": _("This plenary item has notes or photos, so it stays a plenary item.")}
        )
    for key, value in data.model_dump().items():
        setattr(block, key, value.strip() if isinstance(value, str) else value)
    session.add(block)
    session.commit()
    return block


def delete_block(
    session: Session,
    *,
    access: EventAccess,
    block_id: int,
    upload_dir: Path,
    with_notes: bool = False,
) -> None:
    """Delete a programme item. A plenary item with notes or photos is deleted with them
    only when asked to (``with_notes``): otherwise Conflict, and the page asks. Its photo
    files go once the deletion is committed."""
    # Here, not at the top: the notes import the agenda, which imports this module.
    from app.services.notes import photos

    access.require_staff()
    block = _block(session, access=access, block_id=block_id)
    if not with_notes and _with_notes(session, block_ids=[id_of(block)]):
        raise Conflict(_("This plenary item has notes or photos. Deleting it deletes them too."))
    files = [
        photos.path_of(upload_dir, photo, thumb=thumb)
        for photo in session.exec(select(Photo).where(Photo.block_id == id_of(block))).all()
        for thumb in (False, True)
    ]
    session.delete(block)
    session.commit()
    for path in files:
        path.unlink(missing_ok=True)
