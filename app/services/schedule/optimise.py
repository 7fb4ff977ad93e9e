"""Scheduling from votes: "Fill from votes" and "Re-optimise" run the scheduler on the draft
(``prepare``, then ``solve`` outside the transaction, then ``apply`` compare-and-set)."""

from __future__ import annotations

import datetime as dt
import random
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Literal

from sqlmodel import Session, col, select

from app.errors import Invalid
from app.i18n import _
from app.models.base import id_of, utcnow
from app.models.events import Event
from app.models.schedule import GridChange
from app.models.topics import Topic, TopicStatus
from app.services.access import EventAccess
from app.services.schedule import agenda
from app.services.schedule.agenda import Agenda, Cell
from app.services.schedule.grid import (
    Spot,
    StaleMove,
    apply_change,
    lock_grid,
    spots,
    voters_by_topic,
)
from app.services.schedule.solver import scheduler
from app.services.topics import conveners as convener_queries

Mode = Literal["fill", "reoptimise"]
# What the web app gives the scheduler: enough for the heuristic to settle on events of a few
# hundred topics (bench/schedule.py), short enough to wait for in front of the room.
SOLVE_SECONDS = 5.0


def frozen_blocks(event: Event, grid: Agenda, *, now: dt.datetime) -> set[int]:
    """Slots that have started, or start within the event's ``freeze_minutes``."""
    horizon = now + dt.timedelta(minutes=event.freeze_minutes)
    return {id_of(block) for block in grid.slots if grid.starts_at(id_of(block)) <= horizon}


def all_started(event: Event, grid: Agenda, *, now: dt.datetime | None = None) -> bool:
    """Every open-space slot counts as started (frozen): an event entered afterwards, a
    rehearsal, a late start. "Fill from votes" has nothing left to do then, and the grid offers
    to schedule all slots anyway (``prepare(..., include_started=True)``)."""
    slot_ids = {id_of(block) for block in grid.slots}
    return bool(slot_ids and grid.rooms) and slot_ids <= frozen_blocks(
        event, grid, now=now or utcnow()
    )


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
    session: Session,
    *,
    access: EventAccess,
    mode: Mode,
    now: dt.datetime | None = None,
    include_started: bool = False,
) -> Plan:
    """Read everything the scheduler needs. Call ``solve`` after committing, then ``apply``.

    "fill" schedules afresh, keeping locked sessions and the frozen slots of the published
    agenda; "reoptimise" also keeps as much as it can of the published agenda (or, before the
    first publish, of the draft): the scheduler's third objective counts moves from it.
    ``include_started`` treats no slot as frozen: the facilitator asked, in so many words, to
    schedule the slots that have started too (locked sessions still stay).
    """
    access.require_staff()
    event = access.event
    event_id = access.event_id
    grid = agenda.load_draft(session, event=event)
    slot_ids = {id_of(block) for block in grid.slots}
    room_ids = {id_of(room) for room in grid.rooms}
    if not room_ids:
        raise Invalid({"grid": _("Add rooms and open-space slots to the programme first.")})
    if not slot_ids:
        raise Invalid(
            {
                "grid": _(
                    "The programme has only plenary items and breaks: add an open-space slot "
                    "to a day first."
                )
            }
        )
    draft = spots(session, event_id=event_id)
    frozen = set() if include_started else frozen_blocks(event, grid, now=now or utcnow())
    if slot_ids <= frozen:
        raise Invalid(
            {
                "grid": _(
                    "Every slot has started or starts within %(minutes)d minutes, so there is "
                    "nothing left to schedule. To fill them all the same (a rehearsal, an "
                    "event entered afterwards), use “Schedule all slots anyway”."
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
    voters = voters_by_topic(session, event_id=event_id)
    version = agenda.latest_version(session, event_id=event_id)
    published = agenda.published_cells(session, version_id=id_of(version)) if version else {}

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
    lock_grid(session, event_id=access.event_id)
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
    return apply_change(session, access=access, kind=plan.mode, before=draft, after=after)
