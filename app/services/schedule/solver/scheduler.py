"""The scheduler: votes in, an agenda grid out. Pure: no database, no clock but the time limit.

Reads and writes the ``openspace-schedule/1`` format (``format``); the rules and the
lexicographic objective are those of ``shared/formats/schedule-instance.md``:
most attendable votes, then least overflow, then fewest moves from the published schedule.
Among equals, more topics get a place (``fill``).

Two engines behind ``solve``: a heuristic (``heuristic``: greedy plus late-acceptance
local search, deterministic for a seed) and an exact one (``exact``: CP-SAT, warm-started
by the heuristic, reporting a proven bound). ``auto`` uses the exact engine for small events.
"""

from __future__ import annotations

import os
import time
from collections.abc import Collection
from typing import Literal

from app.services.schedule.solver.format import (
    FORMAT,
    Instance,
    Placement,
    Result,
    Room,
    ScheduleFormatError,
    Topic,
    parse_instance,
)
from app.services.schedule.solver.heuristic import improve
from app.services.schedule.solver.problem import (
    build_problem,
    evaluate,
    fill,
    reasons_for,
    rooms_for,
    trivial_bound,
)

__all__ = [
    "DEFAULT_TIME_LIMIT",
    "ENGINES",
    "FORMAT",
    "Engine",
    "Instance",
    "Placement",
    "Result",
    "Room",
    "ScheduleFormatError",
    "Topic",
    "evaluate",
    "parse_instance",
    "solve",
]

Engine = Literal["auto", "exact", "heuristic"]
ENGINES: tuple[Engine, ...] = ("auto", "exact", "heuristic")
DEFAULT_TIME_LIMIT = 10.0
# Up to this many movable topics CP-SAT gets the time limit; beyond, it rarely beats the heuristic.
AUTO_EXACT_TOPICS = 40
# Share of the exact engine's time for the heuristic that warm-starts it.
WARM_START_SHARE = 0.3


def solve(
    instance: Instance,
    *,
    engine: Engine = "auto",
    time_limit: float = DEFAULT_TIME_LIMIT,
    seed: int = 0,
    frozen_slots: Collection[str] = (),
    workers: int | None = None,
    effort: float = 1.0,
) -> Result:
    """Schedule ``instance``; the hard constraints always hold in the result.

    ``frozen_slots`` (slot ids that have started or start soon) keep their previous placements
    as locks and take no other topic. ``time_limit`` caps the wall time; the heuristic usually
    stops earlier, after a number of steps that grows with topics × slots (times ``effort``),
    and is then deterministic for a ``seed``. ``workers`` is CP-SAT's thread count.
    """
    started = time.monotonic()
    if engine not in ENGINES:
        raise ValueError(f"engine must be one of {', '.join(ENGINES)}")
    if time_limit <= 0:
        raise ValueError("time_limit must be positive")
    problem = build_problem(instance, frozen_slots=frozen_slots)
    deadline = started + time_limit
    if engine == "auto":
        engine = "exact" if len(problem.movable) <= AUTO_EXACT_TOPICS else "heuristic"
    bound = trivial_bound(problem)
    if engine == "heuristic":
        plan = improve(problem, problem.locked_plan(), seed=seed, deadline=deadline, effort=effort)
        fill(problem, plan)
    else:
        from app.services.schedule.solver.exact import (
            solve_exact,  # imports OR-Tools: only when used
        )

        warm = improve(
            problem,
            problem.locked_plan(),
            seed=seed,
            deadline=started + time_limit * WARM_START_SHARE,
            effort=effort,
        )
        plan, proven = solve_exact(
            problem,
            warm,
            deadline=deadline,
            seed=seed,
            workers=workers or min(8, os.cpu_count() or 1),
        )
        if proven is not None:
            bound = min(bound, proven)
    placements = rooms_for(problem, plan)
    votes, overflow, moves = evaluate(instance, placements)
    return Result(
        assignments=tuple(placements),
        unscheduled=tuple(problem.topic_ids[t] for t, slot in enumerate(plan) if slot < 0),
        reasons=reasons_for(problem, plan),
        attendable_votes=votes,
        overflow=overflow,
        moves=moves,
        bound=bound,
        engine=engine,
        seconds=time.monotonic() - started,
    )
