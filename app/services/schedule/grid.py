"""Editing the agenda grid: moves, locks, blocked cells, scheduling from votes, undo, publish.

Two facilitators may edit at once. Every move says where the topic was expected to be (and which
topic, if any, the target cell was expected to hold): a move that no longer matches the grid is
refused with ``StaleMove`` and changes nothing (compare-and-set). Edits of one event are
serialised: the request's ``BEGIN IMMEDIATE`` on SQLite, a row lock on the event on PostgreSQL.
The unique constraints on ``placement`` are the backstop.

Every change records the affected topics' cells before and after (``GridChange``), so the last
change can be undone, again compare-and-set: only if those topics are still where it left them.
"""

from __future__ import annotations

import datetime as dt
import random
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any, Literal

from sqlmodel import Session, col, delete, select

from app.errors import Conflict, Invalid, NotFound
from app.i18n import _
from app.models.base import utcnow
from app.models.events import BlockKind, Event, Room, TimeBlock
from app.models.schedule import (
    BlockedCell,
    GridChange,
    Placement,
    PublishedPlacement,
    ScheduleVersion,
)
from app.models.topics import Topic, TopicStatus, Vote
from app.services.access import EventAccess
from app.services.schedule import agenda
from app.services.schedule.agenda import Agenda, Cell
from app.services.schedule.solver import scheduler
from app.services.topics import conveners as convener_queries

Spot = tuple[int, int, bool]  # (block, room, locked)
Mode = Literal["fill", "reoptimise"]
# What the web app gives the scheduler: enough for the heuristic to settle on events of a few
# hundred topics (bench/schedule.py), short enough to wait for in front of the room.
SOLVE_SECONDS = 5.0


class StaleMove(Conflict):
    """The grid changed since the facilitator's screen was drawn."""


# --- reading ----------------------------------------------------------------------------


def _lock_grid(session: Session, *, event_id: int) -> None:
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


def _apply(
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
    _lock_grid(session, event_id=event_id)
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
    return _apply(session, access=access, kind="move", before=draft, after=after)


def set_locked(session: Session, *, access: EventAccess, topic_id: int, locked: bool) -> GridChange:
    """Lock a session in its cell (kept by "Fill from votes" and "Re-optimise") or unlock it."""
    access.require_staff()
    _lock_grid(session, event_id=access.event_id)
    draft = spots(session, event_id=access.event_id)
    spot = draft.get(topic_id)
    if spot is None:
        raise Invalid({"topic": _("Only a session on the grid can be locked.")})
    return _apply(
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
    _lock_grid(session, event_id=event_id)
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
    _lock_grid(session, event_id=event_id)
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
    return _apply(session, access=access, kind="undo", before=draft, after=restore)


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


# --- scheduling from votes --------------------------------------------------------------


def frozen_blocks(event: Event, grid: Agenda, *, now: dt.datetime) -> set[int]:
    """Slots that have started, or start within the event's ``freeze_minutes``."""
    horizon = now + dt.timedelta(minutes=event.freeze_minutes)
    return {block.id or 0 for block in grid.slots if grid.starts_at(block.id or 0) <= horizon}


def _voters(session: Session, *, event_id: int) -> dict[int, set[int]]:
    rows = session.exec(
        select(Vote.topic_id, Vote.participant_id)
        .join(Topic, Topic.id == Vote.topic_id)  # type: ignore[arg-type]
        .where(Vote.event_id == event_id, Topic.status == TopicStatus.ACTIVE)
    ).all()
    voters: dict[int, set[int]] = defaultdict(set)
    for topic_id, participant_id in rows:
        voters[topic_id].add(participant_id)
    return voters


@dataclass
class Plan:
    """What the scheduler was given and what it proposes, before it is applied."""

    mode: Mode
    draft: dict[int, Spot]
    instance: scheduler.Instance
    frozen: set[int]
    result: scheduler.Result | None = None
    reasons: dict[int, str] = field(default_factory=dict)


def _placements(items: Iterable[tuple[int, Cell]]) -> tuple[scheduler.Placement, ...]:
    return tuple(
        scheduler.Placement(topic=f"t{topic}", room=f"r{cell[1]}", slot=f"b{cell[0]}")
        for topic, cell in items
    )


def prepare(
    session: Session, *, access: EventAccess, mode: Mode, now: dt.datetime | None = None
) -> Plan:
    """Read everything the scheduler needs. Call ``solve`` after committing, then ``apply``.

    "fill" schedules afresh, keeping locked sessions and the frozen slots of the published
    agenda; "reoptimise" also keeps as much as it can of the published agenda (or, before the
    first publish, of the draft): the scheduler's third objective counts moves from it.
    """
    access.require_staff()
    event = access.event
    event_id = access.event_id
    grid = agenda.load_draft(session, event=event)
    slot_ids = {block.id or 0 for block in grid.slots}
    room_ids = {room.id or 0 for room in grid.rooms}
    if not slot_ids or not room_ids:
        raise Invalid({"grid": _("Add rooms and open-space slots to the programme first.")})
    draft = spots(session, event_id=event_id)
    frozen = frozen_blocks(event, grid, now=now or utcnow())
    if slot_ids <= frozen:
        raise Invalid(
            {
                "grid": _(
                    "Every slot has started or starts within %(minutes)d minutes, so there is "
                    "nothing left to schedule."
                )
                % {"minutes": event.freeze_minutes}
            }
        )
    topics = session.exec(
        select(Topic.id)
        .where(Topic.event_id == event_id, Topic.status == TopicStatus.ACTIVE)
        .order_by(col(Topic.id))
    ).all()
    conveners: dict[int, list[int]] = defaultdict(list)
    for topic_id, people in convener_queries.by_topic(session, event_id=event_id).items():
        conveners[topic_id].extend(person.participant_id for person in people)
    voters = _voters(session, event_id=event_id)
    version = agenda.latest_version(session, event_id=event_id)
    published = agenda.published_cells(session, version_id=version.id or 0) if version else {}

    def usable(cell: Cell) -> bool:
        return cell[0] in slot_ids and cell[1] in room_ids and cell not in grid.blocked

    active = {topic_id or 0 for topic_id in topics}
    locked = [(t, spot[:2]) for t, spot in draft.items() if spot[2] and t in active]
    if mode == "reoptimise":
        previous = published if version else {t: spot[:2] for t, spot in draft.items()}
    else:
        previous = {t: cell for t, cell in published.items() if cell[0] in frozen}
    previous = {t: cell for t, cell in previous.items() if t in active and usable(cell)}
    instance = scheduler.Instance(
        rooms=tuple(
            scheduler.Room(id=f"r{room.id}", capacity=room.capacity) for room in grid.rooms
        ),
        slots=tuple(f"b{block.id}" for block in grid.slots),
        topics=tuple(
            scheduler.Topic(id=f"t{t}", conveners=tuple(f"p{p}" for p in conveners.get(t, ())))
            for t in sorted(active)
        ),
        blocked=frozenset((f"r{room}", f"b{block}") for block, room in grid.blocked),
        voters={f"t{t}": frozenset(f"p{p}" for p in people) for t, people in voters.items()},
        locked=_placements((t, cell) for t, cell in locked if usable(cell)),
        previous=_placements(sorted(previous.items())),
    )
    return Plan(mode=mode, draft=draft, instance=instance, frozen=frozen)


def solve(
    plan: Plan,
    *,
    seed: int | None = None,
    time_limit: float = SOLVE_SECONDS,
    engine: scheduler.Engine = "auto",
) -> Plan:
    """Run the scheduler (no database). Locks that cannot hold together get a clear message."""
    try:
        plan.result = scheduler.solve(
            plan.instance,
            engine=engine,
            time_limit=time_limit,
            seed=random.randrange(2**31) if seed is None else seed,  # noqa: S311  (not security)
            frozen_slots=[f"b{block}" for block in sorted(plan.frozen)],
        )
    except scheduler.ScheduleFormatError as error:
        raise Invalid(
            {"grid": _("Locked or already running sessions clash: %(detail)s") % {"detail": error}}
        ) from error
    plan.reasons = {int(topic[1:]): reason for topic, reason in plan.result.reasons.items()}
    return plan


def apply(session: Session, *, access: EventAccess, plan: Plan) -> GridChange:
    """Put the solved plan into the draft, unless the grid changed while the scheduler ran."""
    access.require_staff()
    assert plan.result is not None, "solve the plan first"
    _lock_grid(session, event_id=access.event_id)
    draft = spots(session, event_id=access.event_id)
    if draft != plan.draft:
        raise StaleMove(_("The grid changed while the scheduler was working. Nothing was changed."))
    locked_topics = {t for t, spot in draft.items() if spot[2]}
    placed: dict[int, Spot | None] = {
        int(p.topic[1:]): (int(p.slot[1:]), int(p.room[1:]), int(p.topic[1:]) in locked_topics)
        for p in plan.result.assignments
    }
    after: dict[int, Spot | None] = {
        topic: spot for topic, spot in placed.items() if draft.get(topic) != spot
    }
    for topic in draft:
        if topic not in placed:
            after[topic] = None
    return _apply(session, access=access, kind=plan.mode, before=draft, after=after)


# --- publishing -------------------------------------------------------------------------


def publish(session: Session, *, access: EventAccess) -> ScheduleVersion:
    """Publish the draft as a new version; participants see it at once, with what moved."""
    access.require_staff()
    event_id = access.event_id
    _lock_grid(session, event_id=event_id)
    previous = agenda.latest_version(session, event_id=event_id)
    before = agenda.published_cells(session, version_id=previous.id or 0) if previous else {}
    grid = agenda.load_draft(session, event=access.event)  # active topics only
    now = {item.topic_id: item.cell for item in grid.sessions.values()}
    changes: list[dict[str, Any]] = []
    if previous is not None:
        for topic in sorted(set(before) | set(now)):
            old, new = before.get(topic), now.get(topic)
            if old != new:
                changes.append(
                    {
                        "topic": topic,
                        "from": list(old) if old else None,
                        "to": list(new) if new else None,
                    }
                )
    version = ScheduleVersion(
        event_id=event_id,
        number=(previous.number + 1) if previous else 1,
        published_by=access.user.id if access.user else None,
        changes=changes,
    )
    session.add(version)
    session.flush()
    for topic, (block_id, room_id) in now.items():
        session.add(
            PublishedPlacement(
                version_id=version.id or 0,
                event_id=event_id,
                topic_id=topic,
                block_id=block_id,
                room_id=room_id,
            )
        )
    session.commit()
    return version


def unpublished_changes(session: Session, *, grid: Agenda) -> int:
    """How many topics of the draft ``grid`` sit elsewhere than in the published agenda."""
    version = agenda.latest_version(session, event_id=grid.event.id or 0)
    published = agenda.published_cells(session, version_id=version.id or 0) if version else {}
    draft = {item.topic_id: item.cell for item in grid.sessions.values()}
    return sum(1 for t in set(published) | set(draft) if published.get(t) != draft.get(t))


# --- problems ---------------------------------------------------------------------------


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
    voters = _voters(session, event_id=grid.event.id or 0)
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
