"""Editing the agenda grid: moves, locks, blocked cells, undo; and the problems it shows.

Two facilitators may edit at once. Every move says where the topic was expected to be (and which
topic, if any, the target cell was expected to hold): a move that no longer matches the grid is
refused with ``StaleMove`` and changes nothing (compare-and-set). Edits of one event are
serialised: the request's ``BEGIN IMMEDIATE`` on SQLite, a row lock on the event on PostgreSQL.
The unique constraints on ``placement`` are the backstop.

Every change records the affected topics' cells before and after (``GridChange``), so the last
change can be undone, again compare-and-set: only if those topics are still where it left them.

Scheduling from votes is in ``optimise``, publishing the draft in ``publishing``.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from sqlmodel import Session, col, delete, select

from app.errors import Conflict, Invalid, NotFound
from app.i18n import _
from app.models.base import id_of
from app.models.events import BlockKind, Event, Room, TimeBlock
from app.models.schedule import BlockedCell, GridChange, Placement
from app.models.topics import Topic, TopicStatus, Vote
from app.services.access import EventAccess
from app.services.schedule import agenda
from app.services.schedule.agenda import Agenda, Cell

Spot = tuple[int, int, bool]  # (block, room, locked)


class StaleMove(Conflict):
    """The grid changed since the facilitator's screen was drawn."""


# --- reading ----------------------------------------------------------------------------


def lock_grid(session: Session, *, event_id: int) -> None:
    # On SQLite the request's BEGIN IMMEDIATE transaction already serialises writers.
    if session.get_bind().dialect.name == "postgresql":
        session.exec(select(Event.id).where(Event.id == event_id).with_for_update()).one()


def spots(session: Session, *, event_id: int) -> dict[int, Spot]:
    """The draft: topic id → (block, room, locked)."""
    return agenda.draft_cells(session, event_id=event_id)


def revision(session: Session, *, event_id: int) -> int:
    """The latest change's id: pages show it, the live frame says when it moved on."""
    last = session.exec(
        select(GridChange.id)
        .where(GridChange.event_id == event_id)
        .order_by(col(GridChange.id).desc())
        .limit(1)
    ).first()
    return last or 0


def _slot(session: Session, *, event_id: int, block_id: int) -> TimeBlock:
    block = session.get(TimeBlock, block_id)
    if block is None or block.event_id != event_id:
        raise NotFound(_("There is no such time slot."))
    if block.kind != BlockKind.SLOT:
        raise Invalid({"cell": _("Sessions go into open-space slots, not plenaries or breaks.")})
    return block


def _room(session: Session, *, event_id: int, room_id: int) -> Room:
    room = session.get(Room, room_id)
    if room is None or room.event_id != event_id:
        raise NotFound(_("There is no such room."))
    return room


def _check_cell(session: Session, *, event_id: int, cell: Cell) -> None:
    _slot(session, event_id=event_id, block_id=cell[0])
    _room(session, event_id=event_id, room_id=cell[1])
    blocked = session.exec(
        select(BlockedCell.id).where(
            BlockedCell.block_id == cell[0], BlockedCell.room_id == cell[1]
        )
    ).first()
    if blocked is not None:
        raise Invalid({"cell": _("This room is not available in this slot.")})


def _active_topic(session: Session, *, event_id: int, topic_id: int) -> Topic:
    topic = session.get(Topic, topic_id)
    if topic is None or topic.event_id != event_id:
        raise NotFound(_("There is no such topic."))
    if topic.status != TopicStatus.ACTIVE:
        raise Invalid({"topic": _("This topic is no longer active.")})
    return topic


# --- writing ----------------------------------------------------------------------------


def _encode(spot: Spot | None) -> list[Any] | None:
    return None if spot is None else [spot[0], spot[1], spot[2]]


def apply_change(
    session: Session,
    *,
    access: EventAccess,
    kind: str,
    before: dict[int, Spot],
    after: dict[int, Spot | None],
) -> GridChange:
    """Put ``after`` into the draft for the topics it names, and record the step."""
    event_id = access.event_id
    touched = list(after)
    if touched:
        # Delete first and flush, so that a swap never meets the one-topic-per-cell constraint
        # half done.
        session.exec(
            delete(Placement).where(
                col(Placement.event_id) == event_id, col(Placement.topic_id).in_(touched)
            )
        )
        session.flush()
    for topic_id, spot in after.items():
        if spot is not None:
            session.add(
                Placement(
                    event_id=event_id,
                    topic_id=topic_id,
                    block_id=spot[0],
                    room_id=spot[1],
                    locked=spot[2],
                )
            )
    change = GridChange(
        event_id=event_id,
        user_id=access.user.id if access.user else None,
        kind=kind,
        before={str(topic): _encode(before.get(topic)) for topic in touched},
        after={str(topic): _encode(spot) for topic, spot in after.items()},
    )
    session.add(change)
    session.commit()
    return change


def move(
    session: Session,
    *,
    access: EventAccess,
    topic_id: int,
    expected: Cell | None,
    target: Cell | None,
    target_holds: int | None = None,
) -> GridChange:
    """Move a topic to ``target`` (``None``: off the grid), swapping with the topic already there.

    ``expected`` is where the caller saw the topic (``None``: unscheduled) and ``target_holds``
    the topic it saw in the target cell; if either no longer holds, nothing changes.
    """
    access.require_staff()
    event_id = access.event_id
    lock_grid(session, event_id=event_id)
    _active_topic(session, event_id=event_id, topic_id=topic_id)
    if target is not None:
        _check_cell(session, event_id=event_id, cell=target)
    draft = spots(session, event_id=event_id)
    current = draft.get(topic_id)
    if (current[:2] if current else None) != expected:
        raise StaleMove(
            _("Someone else moved this topic meanwhile. Here is the grid as it is now.")
        )
    occupant = next(
        (other for other, spot in draft.items() if target is not None and spot[:2] == target),
        None,
    )
    if occupant == topic_id:
        raise Invalid({"cell": _("The topic is in this cell already.")})
    if occupant != target_holds:
        raise StaleMove(_("That cell changed meanwhile. Here is the grid as it is now."))
    if current is not None and current[2]:
        raise Invalid({"cell": _("This session is locked. Unlock it first.")})
    after: dict[int, Spot | None] = {
        topic_id: None if target is None else (target[0], target[1], False)
    }
    if occupant is not None:
        if draft[occupant][2]:
            raise Invalid({"cell": _("The session in that cell is locked. Unlock it first.")})
        after[occupant] = None if current is None else (current[0], current[1], False)
    return apply_change(session, access=access, kind="move", before=draft, after=after)


def set_locked(session: Session, *, access: EventAccess, topic_id: int, locked: bool) -> GridChange:
    """Lock a session in its cell (kept by "Fill from votes" and "Re-optimise") or unlock it."""
    access.require_staff()
    lock_grid(session, event_id=access.event_id)
    draft = spots(session, event_id=access.event_id)
    spot = draft.get(topic_id)
    if spot is None:
        raise Invalid({"topic": _("Only a session on the grid can be locked.")})
    return apply_change(
        session,
        access=access,
        kind="lock" if locked else "unlock",
        before=draft,
        after={topic_id: (spot[0], spot[1], locked)},
    )


def set_blocked(
    session: Session, *, access: EventAccess, block_id: int, room_id: int, blocked: bool
) -> None:
    """Take a room out of one slot (or give it back). A cell holding a session cannot be blocked."""
    access.require_staff()
    event_id = access.event_id
    lock_grid(session, event_id=event_id)
    _slot(session, event_id=event_id, block_id=block_id)
    _room(session, event_id=event_id, room_id=room_id)
    existing = session.exec(
        select(BlockedCell).where(BlockedCell.block_id == block_id, BlockedCell.room_id == room_id)
    ).first()
    if blocked:
        if existing is not None:
            return
        if any(
            spot[:2] == (block_id, room_id) for spot in spots(session, event_id=event_id).values()
        ):
            raise Invalid({"cell": _("Move the session out of this cell first.")})
        session.add(BlockedCell(event_id=event_id, block_id=block_id, room_id=room_id))
    elif existing is not None:
        session.delete(existing)
    session.commit()


def undo(session: Session, *, access: EventAccess) -> GridChange:
    """Undo this facilitator's latest step, if its topics are still where it left them."""
    access.require_staff()
    event_id = access.event_id
    lock_grid(session, event_id=event_id)
    change = session.exec(
        select(GridChange)
        .where(
            GridChange.event_id == event_id,
            col(GridChange.undone).is_(False),
            GridChange.kind != "undo",  # undoing twice goes two steps back, not forth
            # Each facilitator undoes their own steps; compare-and-set below protects the others'.
            GridChange.user_id == (access.user.id if access.user else None),
        )
        .order_by(col(GridChange.id).desc())
        .limit(1)
    ).first()
    if change is None:
        raise Invalid({"undo": _("There is nothing to undo.")})
    draft = spots(session, event_id=event_id)
    for key, spot in change.after.items():
        now = draft.get(int(key))
        if _encode(now) != spot:
            raise StaleMove(_("The grid has changed since that step, so it cannot be undone."))
    restore: dict[int, Spot | None] = {
        int(key): None if spot is None else (spot[0], spot[1], spot[2])
        for key, spot in change.before.items()
    }
    # The cells it needs back must be free (or held by topics it moves anyway), and still usable.
    holders = {spot[:2]: topic for topic, spot in draft.items()}
    blocked = agenda.blocked_cells(session, event_id=event_id)
    for topic_id, spot in restore.items():
        if spot is None:
            continue
        holder = holders.get(spot[:2])
        if (holder is not None and holder not in restore) or spot[:2] in blocked:
            raise StaleMove(_("The grid has changed since that step, so it cannot be undone."))
        topic = session.get(Topic, topic_id)
        if topic is None or topic.status != TopicStatus.ACTIVE:
            raise StaleMove(_("The grid has changed since that step, so it cannot be undone."))
    change.undone = True
    session.add(change)
    return apply_change(session, access=access, kind="undo", before=draft, after=restore)


def remove_inactive(session: Session, *, event_id: int, topic_id: int) -> None:
    """A topic that is hidden, merged or withdrawn leaves the draft (not yet committed)."""
    session.exec(
        delete(Placement).where(
            col(Placement.event_id) == event_id, col(Placement.topic_id) == topic_id
        )
    )


def set_freeze_minutes(session: Session, *, access: EventAccess, minutes: int) -> Event:
    """How close to its start a slot stops being re-scheduled."""
    access.require_staff()
    if not 0 <= minutes <= 240:
        raise Invalid({"freeze_minutes": _("Choose between 0 and 240 minutes.")})
    event = access.event
    event.freeze_minutes = minutes
    session.add(event)
    session.commit()
    return event


# --- problems ---------------------------------------------------------------------------


def voters_by_topic(session: Session, *, event_id: int) -> dict[int, set[int]]:
    """Who voted for each active topic: topic id → participant ids (anonymous dots left out)."""
    rows = session.exec(
        select(Vote.topic_id, Vote.participant_id)
        .join(Topic, Topic.id == Vote.topic_id)  # type: ignore[arg-type]
        .where(Vote.event_id == event_id, Topic.status == TopicStatus.ACTIVE)
    ).all()
    voters: dict[int, set[int]] = defaultdict(set)
    for topic_id, participant_id in rows:
        if participant_id is not None:  # an anonymous dot clashes with nobody
            voters[topic_id].add(participant_id)
    return voters


@dataclass
class Problems:
    """What the facilitator should see on the grid: clashes, crowding, split favourites."""

    convener_clash: set[int] = field(default_factory=set)  # topic ids
    over_capacity: dict[int, tuple[int, int]] = field(default_factory=dict)  # topic → voters, seats
    split_favourites: dict[int, int] = field(default_factory=dict)  # block → voters affected
    voters: dict[int, int] = field(default_factory=dict)  # topic → distinct voters


def problems(session: Session, *, grid: Agenda) -> Problems:
    """Badges for the draft grid, computed from the votes in one query."""
    found = Problems()
    voters = voters_by_topic(session, event_id=id_of(grid.event))
    found.voters = {topic: len(people) for topic, people in voters.items()}
    rooms = grid.room_by_id
    per_block: dict[int, list[int]] = defaultdict(list)
    for item in grid.sessions.values():
        per_block[item.block_id].append(item.topic_id)
        seats = rooms[item.room_id].capacity if item.room_id in rooms else 0
        wanted = len(voters.get(item.topic_id, ()))
        if wanted > seats:
            found.over_capacity[item.topic_id] = (wanted, seats)
    by_topic = grid.by_topic
    for block_id, topic_ids in per_block.items():
        seen: dict[int, int] = {}
        for topic_id in topic_ids:
            for person in by_topic[topic_id].convener_ids:
                if person in seen:
                    found.convener_clash.update({topic_id, seen[person]})
                seen[person] = topic_id
        favourites: dict[int, int] = defaultdict(int)
        for topic_id in topic_ids:
            for person in voters.get(topic_id, ()):
                favourites[person] += 1
        split = sum(1 for count in favourites.values() if count > 1)
        if split:
            found.split_favourites[block_id] = split
    return found
