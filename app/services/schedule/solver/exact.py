"""The exact engine: OR-Tools CP-SAT, lexicographically in two solves.

1. *Slot model*, maximise attendable votes. ``x[t,s]``: topic t in slot s; at most one slot per
   topic, no more topics in a slot than it has free cells, a convener at most once per slot.
   ``y[g,s]``: the voters of group g (voters with the same topics, weighted by their number) can
   attend something in slot s, so ``y[g,s] <= sum(x[t,s] for t in g)``. Topics without votes
   are left out (they add nothing; ``fill`` places them afterwards). Its best objective bound is
   the ``bound`` of the result.
2. *Cell model*, keep at least those votes and minimise ``overflow * (previous + 1) + moves``.
   ``z[t,r,s]``: topic t in room r in slot s; overflow and moves are both linear in ``z``.

Both solves are hinted with the best plan so far (first the heuristic's), and the better of
CP-SAT's plan and the hint is kept, so this engine never does worse than its warm start. A plain
coverage model proves little on large events (its linear relaxation is weak and slots are
interchangeable); the bound shows how much.
"""

from __future__ import annotations

import time
from collections import defaultdict

from ortools.sat.python import cp_model

from app.services.schedule.solver.problem import Plan, Problem, better, fill, full_score, rooms_for

PHASE_ONE_SHARE = 0.85
Group = tuple[tuple[int, ...], frozenset[int]]  # (topics voted for, slots locked topics cover)


def _groups(problem: Problem, topics: list[int]) -> tuple[dict[Group, int], int]:
    """Voters with identical topics merged, and the coverage that locked topics give anyway."""
    locked_cover = [0] * len(problem.slot_ids)
    for t, slot in enumerate(problem.lock_slot):
        if slot >= 0:
            locked_cover[slot] |= problem.voters[t]
    topics_of: dict[int, list[int]] = defaultdict(list)
    for t in topics:
        mask = problem.voters[t]
        while mask:
            low = mask & -mask
            topics_of[low.bit_length() - 1].append(t)
            mask ^= low
    groups: dict[Group, int] = defaultdict(int)
    for voter, voted in topics_of.items():
        bit = 1 << voter
        covered = frozenset(s for s, mask in enumerate(locked_cover) if mask & bit)
        groups[tuple(voted), covered] += 1
    return groups, sum(mask.bit_count() for mask in locked_cover)


class _Model:
    """Shared part of both models: slot variables, cell and convener limits, coverage."""

    def __init__(self, problem: Problem, topics: list[int], *, rooms: bool) -> None:  # noqa: C901
        self.problem = problem
        self.model = cp_model.CpModel()
        model = self.model
        busy = problem.locked_busy()
        self.x: dict[tuple[int, int], cp_model.IntVar] = {}
        self.z: dict[tuple[int, int, int], cp_model.IntVar] = {}
        for t in topics:
            for s in problem.open_slots:
                if busy[s] & problem.conveners[t]:
                    continue
                x = self.x[t, s] = model.new_bool_var(f"x{t}_{s}")
                if rooms:
                    cells = [model.new_bool_var(f"z{t}_{r}_{s}") for r in problem.free_rooms[s]]
                    for r, z in zip(problem.free_rooms[s], cells, strict=True):
                        self.z[t, r, s] = z
                    model.add(cp_model.LinearExpr.sum(cells) == x)
        by_topic: dict[int, list[cp_model.IntVar]] = defaultdict(list)
        by_slot: dict[int, list[cp_model.IntVar]] = defaultdict(list)
        by_person_slot: dict[tuple[int, int], list[cp_model.IntVar]] = defaultdict(list)
        for (t, s), x in self.x.items():
            by_topic[t].append(x)
            by_slot[s].append(x)
            people = problem.conveners[t]
            while people:
                low = people & -people
                by_person_slot[low.bit_length() - 1, s].append(x)
                people ^= low
        for variables in by_topic.values():
            model.add_at_most_one(variables)
        for s, variables in by_slot.items():
            model.add(cp_model.LinearExpr.sum(variables) <= len(problem.free_rooms[s]))
        for variables in by_person_slot.values():
            if len(variables) > 1:
                model.add_at_most_one(variables)
        if rooms:
            by_cell: dict[tuple[int, int], list[cp_model.IntVar]] = defaultdict(list)
            for (_, r, s), z in self.z.items():
                by_cell[r, s].append(z)
            for variables in by_cell.values():
                model.add_at_most_one(variables)

        voted = [t for t in topics if problem.size[t] > 0]
        groups, self.constant = _groups(problem, voted)
        self.coverage: list[tuple[int, tuple[int, ...], int, cp_model.IntVar]] = []
        for index, ((members, covered), weight) in enumerate(groups.items()):
            for s in problem.open_slots:
                if s in covered:
                    continue
                choices = [self.x[t, s] for t in members if (t, s) in self.x]
                if not choices:
                    continue
                y = model.new_bool_var(f"y{index}_{s}")
                model.add(cp_model.LinearExpr.sum(choices) >= y)
                self.coverage.append((weight, members, s, y))
        self.votes = cp_model.LinearExpr.weighted_sum(
            [y for _, _, _, y in self.coverage], [weight for weight, _, _, _ in self.coverage]
        )

    def hint(self, plan: Plan) -> None:
        model = self.model
        model.clear_hints()
        for (t, s), x in self.x.items():
            model.add_hint(x, plan[t] == s)
        if self.z:
            cell = {}
            for placement in rooms_for(self.problem, plan):
                cell[placement.topic] = placement.room
            room_index = {room: r for r, room in enumerate(self.problem.room_ids)}
            for (t, r, s), z in self.z.items():
                room = cell.get(self.problem.topic_ids[t])
                model.add_hint(z, plan[t] == s and room is not None and room_index[room] == r)
        for _, members, s, y in self.coverage:
            model.add_hint(y, any(plan[t] == s for t in members))

    def plan(self, solver: cp_model.CpSolver) -> Plan:
        plan = self.problem.locked_plan()
        for (t, s), x in self.x.items():
            if solver.boolean_value(x):
                plan[t] = s
        return plan


def _solve(
    model: _Model, *, seconds: float, seed: int, workers: int, bound: bool = False
) -> cp_model.CpSolver | None:
    solver = cp_model.CpSolver()
    solver.parameters.max_time_in_seconds = max(seconds, 0.01)
    solver.parameters.num_workers = workers
    solver.parameters.random_seed = seed
    if bound and workers <= 2:
        # CP-SAT's portfolio for one or two workers barely moves the objective bound of the
        # coverage model; the full linear relaxation does (bench/schedule.py S: 415, not 600).
        if workers == 1:
            solver.parameters.linearization_level = 2
        else:
            solver.parameters.subsolvers.extend(["max_lp", "default_lp"])
    status = solver.solve(model.model)
    return solver if status in (cp_model.OPTIMAL, cp_model.FEASIBLE) else None


def solve_exact(
    problem: Problem,
    hint: Plan,
    *,
    deadline: float,
    seed: int,
    workers: int,
) -> tuple[Plan, int | None]:
    """The best plan found (completed by ``fill``) and the proven bound on attendable votes."""
    best = list(hint)
    fill(problem, best)
    best_score = full_score(problem, best)
    bound: int | None = None

    # Phase 1: attendable votes.
    started = time.monotonic()
    voted = [t for t in problem.movable if problem.size[t] > 0]
    first = _Model(problem, voted, rooms=False)
    first.model.maximize(first.votes)
    first.hint(best)
    # Keep time to build the cell model of phase 2 (about twice this one, bench/schedule.py XL),
    # unless it has nothing to do: no published schedule and every topic fits every room.
    smallest = min((problem.capacity[r] for rooms in problem.free_rooms for r in rooms), default=0)
    useful = problem.n_previous > 0 or any(problem.size[t] > smallest for t in voted)
    reserve = 2 * (time.monotonic() - started) + 0.1 if useful else 0.0
    solver = None
    if not first.coverage:
        bound = first.constant  # no choice left changes attendable votes
    else:
        remaining = deadline - time.monotonic()
        seconds = remaining
        if useful and remaining > 2 * reserve:
            seconds = (remaining - reserve) * PHASE_ONE_SHARE
        solver = _solve(first, seconds=seconds, seed=seed, workers=workers, bound=True)
    if solver is not None:
        bound = int(solver.best_objective_bound + 1e-6) + first.constant
        found = first.plan(solver)
        fill(problem, found)
        score = full_score(problem, found)
        if better(score, best_score):
            best, best_score = found, score

    # Phase 2: overflow, then moves, without losing votes.
    if useful and deadline - time.monotonic() > reserve + 0.1:
        improved = _rooms_and_moves(
            problem, best, votes=best_score[0], deadline=deadline, seed=seed, workers=workers
        )
        if improved is not None:
            score = full_score(problem, improved)
            if better(score, best_score):
                best, best_score = improved, score
    return best, bound


def _rooms_and_moves(
    problem: Problem, plan: Plan, *, votes: int, deadline: float, seed: int, workers: int
) -> Plan | None:
    topics = [t for t in problem.movable if problem.size[t] > 0 or problem.prev_slot[t] >= 0]
    model = _Model(problem, topics, rooms=True)
    weight = problem.n_previous + 1
    variables, costs = [], []
    for (t, r, s), z in model.z.items():
        cost = max(0, problem.size[t] - problem.capacity[r]) * weight
        cost -= (problem.prev_room[t], problem.prev_slot[t]) == (r, s)  # kept: one move less
        if cost:
            variables.append(z)
            costs.append(cost)
    if not variables:
        return None  # nothing here can change overflow or moves
    if model.coverage:
        model.model.add(model.votes >= votes - model.constant)
    model.model.minimize(cp_model.LinearExpr.weighted_sum(variables, costs))
    model.hint(plan)
    solver = _solve(model, seconds=deadline - time.monotonic(), seed=seed, workers=workers)
    if solver is None:
        return None
    found = model.plan(solver)
    fill(problem, found)
    return found
