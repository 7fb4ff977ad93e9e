"""Scheduler benchmark: generated events from S to XL, each engine against the best known plan.

Instances are seeded and generated (``generate``): topics fall into clusters of related
interests with skewed popularity, each voter spends five dots mostly in one or two clusters
(sometimes two dots on one topic), many participants convene more than one topic and some
topics have two conveners, and a few cells are blocked.

For each size the reference is the best plan that any engine finds when given
``--reference-seconds`` (60 by default; the heuristic gets a larger effort for it). Then every
engine runs with ``--time-limit`` (the CLI's default) and one JSON line per (size, engine) is
printed: seconds, attendable votes, overflow, moves, the bound and the gap to the best
reference value (``gap_to_best_pct``, negative when the run beats the reference) and to the
bound. Targets: the default engine (auto) within 1 % of the best on L in at most 2 s, XL in
at most 10 s.

    python bench/schedule.py                       # all sizes, 60 s references
    python bench/schedule.py --sizes S,M --reference-seconds 20
    python bench/schedule.py --sizes L --write-instance /tmp/L.json   # then: openspace schedule
"""

from __future__ import annotations

import argparse
import json
import random
import sys
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from app.services.schedule.solver.scheduler import (
    DEFAULT_TIME_LIMIT,
    ENGINES,
    FORMAT,
    Result,
    parse_instance,
    solve,
)

# name: (topics, rooms, slots, voters, dots per voter)
SIZES: dict[str, tuple[int, int, int, int, int]] = {
    "S": (30, 4, 4, 150, 5),
    "M": (80, 8, 6, 600, 5),
    "L": (200, 12, 8, 2_000, 5),
    "XL": (400, 20, 10, 5_000, 5),
}
BLOCKED_SHARE = 0.06
REFERENCE_EFFORT = 25.0


def generate(size: str, *, seed: int = 1) -> dict[str, Any]:
    """A reproducible instance of the given size."""
    n_topics, n_rooms, n_slots, n_voters, dots = SIZES[size]
    rng = random.Random(f"{size}/{seed}")
    n_clusters = max(3, n_topics // 10)
    cluster_of = [t % n_clusters for t in range(n_topics)]
    rng.shuffle(cluster_of)
    popularity = [rng.paretovariate(1.3) for _ in range(n_topics)]
    members: list[list[int]] = [[] for _ in range(n_clusters)]
    for t, cluster in enumerate(cluster_of):
        members[cluster].append(t)
    cluster_weight = [rng.paretovariate(2.0) for _ in range(n_clusters)]

    votes = []
    for v in range(n_voters):
        first, second = rng.choices(range(n_clusters), weights=cluster_weight, k=2)
        for _ in range(dots):
            roll = rng.random()
            pool = members[first] if roll < 0.65 else members[second] if roll < 0.9 else None
            if pool is None:
                topic = rng.randrange(n_topics)
            else:
                topic = rng.choices(pool, weights=[popularity[t] for t in pool])[0]
            votes.append({"voter": f"p{v}", "topic": f"t{topic}"})

    conveners = rng.sample(range(n_voters), max(1, int(n_topics * 0.7)))
    topics = []
    for t in range(n_topics):
        people = {rng.choice(conveners)}
        if rng.random() < 0.2:
            people.add(rng.choice(conveners))
        topics.append({"id": f"t{t}", "conveners": [f"p{p}" for p in sorted(people)]})

    # Rooms sized so that a slot seats about everybody, from one hall down to small rooms.
    per_room = n_voters / n_rooms
    factors = [2.5, 1.8, 1.4] + [1.0] * max(0, n_rooms - 6) + [0.7, 0.5, 0.35]
    rooms = [
        {"id": f"room-{r + 1}", "capacity": max(8, round(per_room * factor))}
        for r, factor in enumerate(factors[:n_rooms])
    ]
    slots = [{"id": f"d{1 + s // 4}-{s % 4 + 1}"} for s in range(n_slots)]
    cells = [(room["id"], slot["id"]) for room in rooms for slot in slots]
    blocked = [
        {"room": room, "slot": slot}
        for room, slot in rng.sample(cells, round(len(cells) * BLOCKED_SHARE))
    ]
    return {
        "format": FORMAT,
        "rooms": rooms,
        "slots": slots,
        "blocked": blocked,
        "topics": topics,
        "votes": votes,
    }


def _run(instance: Any, *, engine: str, seconds: float, effort: float = 1.0) -> Result:
    return solve(instance, engine=engine, time_limit=seconds, seed=1, effort=effort)  # type: ignore[arg-type]


def _gap(best: int, value: int) -> float:
    return round(100 * (best - value) / best, 2) if best else 0.0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="S,M,L,XL", help="comma-separated: S, M, L, XL")
    parser.add_argument("--reference-seconds", type=float, default=60.0)
    parser.add_argument("--time-limit", type=float, default=DEFAULT_TIME_LIMIT)
    parser.add_argument("--engines", default=",".join(ENGINES))
    parser.add_argument("--seed", type=int, default=1, help="instance seed")
    parser.add_argument("--write-instance", type=Path, help="also save the (last) instance here")
    args = parser.parse_args()

    for size in args.sizes.split(","):
        data = generate(size, seed=args.seed)
        if args.write_instance:
            args.write_instance.write_text(json.dumps(data))
        instance = parse_instance(data)
        references = []
        if args.reference_seconds > 0:
            seconds = args.reference_seconds
            references = [
                _run(instance, engine="heuristic", seconds=seconds, effort=REFERENCE_EFFORT),
                _run(instance, engine="exact", seconds=seconds),
            ]
        runs = [
            (engine, _run(instance, engine=engine, seconds=args.time_limit))
            for engine in args.engines.split(",")
        ]
        everything = references + [result for _, result in runs]
        best = max(result.attendable_votes for result in everything)
        bounds = [result.bound for result in everything if result.bound is not None]
        bound = min(bounds) if bounds else None
        for engine, result in runs:
            print(
                json.dumps(
                    {
                        "size": size,
                        "engine": engine,
                        "used": result.engine,
                        "time_limit": args.time_limit,
                        "seconds": round(result.seconds, 2),
                        "attendable_votes": result.attendable_votes,
                        "overflow": result.overflow,
                        "moves": result.moves,
                        "scheduled": len(result.assignments),
                        "bound": result.bound,
                        "best": best,
                        "gap_to_best_pct": _gap(best, result.attendable_votes),
                        "gap_to_bound_pct": _gap(bound, result.attendable_votes) if bound else None,
                        "reference": {
                            r.engine: {"votes": r.attendable_votes, "seconds": round(r.seconds, 1)}
                            for r in references
                        },
                    }
                ),
                flush=True,
            )


if __name__ == "__main__":
    main()
