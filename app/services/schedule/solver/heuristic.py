"""The heuristic engine: greedy construction, then simulated annealing.

Construction starts from the published schedule (what still fits stays where it was, which is
what "minimal changes" asks for), then adds topics by largest marginal gain of attendable votes
(lazy greedy: a topic's gain in a slot only shrinks as the slot fills).

The annealing draws random neighbours: move a topic to another slot, swap two topics between
slots, put an unscheduled topic in (displacing one when the slot is full), or take one out.
A topic whose convener is busy in the target slot can only come in for the topic holding that
convener: that one goes to the first topic's old slot, or out (a swap in/out). A
neighbour that gains votes is taken; one that loses d votes is taken with probability
exp(-d / temperature), the temperature cooling from ``START_TEMPERATURE`` to ``END_TEMPERATURE``;
on equal votes, only if overflow and moves are no worse. The best plan seen is compared by exact
integer scores that order plans lexicographically: votes, then overflow, then moves.
(Late acceptance hill climbing and iterated local search did worse on the benchmark.)

Scoring is incremental. Per slot the search keeps ``ones`` (voters with at least one of their
topics there) and ``twos`` (at least two) as bitsets: taking topic t out of slot a loses the
voters ``V_t & ~twos[a]``, putting it into b gains ``V_t & ~ones[b]``. Overflow and moves are
those of the rooms ``rooms_for`` will choose: a topic kept in its published slot still moves if
a bigger one needs its room (``slot_cost``, exact; no assignment problem unless that happens).

The number of steps grows with topics × slots (times ``effort``), not with the clock, so a run
is the same for the same seed unless the deadline cuts it short.
"""

from __future__ import annotations

import heapq
import math
import random
import time

from app.services.schedule.solver.problem import Plan, Problem, slot_cost

# Tuned on bench/schedule.py: L within 0.4 % of its best known in 0.6 s, XL 0.2 % in 2 s.
START_TEMPERATURE = 4.0  # in attendable votes: early on, losing 4 is accepted with p = 1/e
END_TEMPERATURE = 0.1
STEPS_PER_CHOICE = 200  # steps per (topic, slot) pair
MIN_STEPS = 2_000
MIN_TOTAL_STEPS = 200_000  # below this per run, several runs (at most MAX_RUNS)
MAX_RUNS = 8
REMOVE_SHARE = 0.04


class _Search:
    def __init__(self, problem: Problem, plan: Plan) -> None:
        self.problem = problem
        n_slots = len(problem.slot_ids)
        self.plan = list(plan)
        self.members: list[list[int]] = [[] for _ in range(n_slots)]
        self.cap = [len(rooms) for rooms in problem.free_rooms]
        self.base_ones = [0] * n_slots  # coverage by locked topics
        self.base_twos = [0] * n_slots
        self.busy = problem.locked_busy()
        for t, slot in enumerate(plan):
            if slot < 0:
                continue
            if problem.lock_slot[t] >= 0:
                mask = problem.voters[t]
                self.base_twos[slot] |= self.base_ones[slot] & mask
                self.base_ones[slot] |= mask
            else:
                self.members[slot].append(t)
                self.busy[slot] |= problem.conveners[t]
        self.ones = [0] * n_slots
        self.twos = [0] * n_slots
        self.count = [0] * n_slots
        self.cost = [0] * n_slots  # per slot: weighted overflow and room changes (slot_cost)
        for s in range(n_slots):
            self._rebuild(s)
        self.votes = sum(self.count)
        self.total_cost = sum(self.cost)
        self.moves = sum(problem.moved(t, self.plan[t]) for t in problem.movable)
        # Exact lexicographic order in one integer: votes dominate overflow, which dominates moves
        # (``total_cost`` holds overflow times ``problem.weight``, more than any number of moves).
        self.w_votes = (sum(problem.size) + 1) * problem.weight

    def _rebuild(self, s: int, cost: int | None = None) -> None:
        """Coverage of slot ``s`` from its members; its ``slot_cost`` unless known already."""
        ones, twos = self.base_ones[s], self.base_twos[s]
        voters = self.problem.voters
        for t in self.members[s]:
            mask = voters[t]
            twos |= ones & mask
            ones |= mask
        self.ones[s], self.twos[s] = ones, twos
        self.count[s] = ones.bit_count()
        self.cost[s] = slot_cost(self.problem, s, self.members[s]) if cost is None else cost

    def score(self) -> int:
        return self.votes * self.w_votes - self.total_cost - self.moves

    def place(self, t: int, slot: int) -> None:
        """Move topic t to ``slot`` (-1: out), keeping every tally right."""
        old = self.plan[t]
        if old == slot:
            return
        self.moves += self.problem.moved(t, slot) - self.problem.moved(t, old)
        self.plan[t] = slot
        conveners = self.problem.conveners[t]
        for s in (old, slot):
            if s < 0:
                continue
            if s == old:
                self.members[s].remove(t)
                self.busy[s] ^= conveners
            else:
                self.members[s].append(t)
                self.busy[s] |= conveners
            self.votes -= self.count[s]
            self.total_cost -= self.cost[s]
            self._rebuild(s)
            self.votes += self.count[s]
            self.total_cost += self.cost[s]

    def shift(self, moving: list[tuple[int, int]], costs: dict[int, int]) -> None:
        """Move each (topic, slot) of ``moving`` at once, as ``place`` one after the other would.

        ``costs`` is the ``slot_cost`` of every changed slot after the moves, as priced
        already: each slot is rebuilt once and no cost is computed again.
        """
        problem = self.problem
        for t, slot in moving:
            old = self.plan[t]
            self.moves += problem.moved(t, slot) - problem.moved(t, old)
            self.plan[t] = slot
            if old >= 0:
                self.members[old].remove(t)
                self.busy[old] ^= problem.conveners[t]
        for t, slot in moving:
            if slot >= 0:
                self.members[slot].append(t)
                self.busy[slot] |= problem.conveners[t]
        for s, cost in costs.items():
            self.votes -= self.count[s]
            self.total_cost -= self.cost[s]
            self._rebuild(s, cost)
            self.votes += self.count[s]
            self.total_cost += self.cost[s]


def _greedy(search: _Search, rng: random.Random) -> None:
    problem = search.problem
    # What still fits of the published schedule stays where it was; first the topics whose
    # very cell is still there, so that one whose room went away does not take their place.
    published = sorted(range(len(problem.prev_slot)), key=lambda t: not problem.keeps_cell(t))
    for t in published:
        slot = problem.prev_slot[t]
        if (
            slot >= 0
            and search.plan[t] < 0
            and problem.lock_slot[t] < 0
            and len(search.members[slot]) < search.cap[slot]
            and not search.busy[slot] & problem.conveners[t]
        ):
            search.place(t, slot)
    open_slots = problem.open_slots
    heap: list[tuple[int, float, int, int]] = []
    for t in problem.movable:
        if search.plan[t] < 0 and problem.size[t] > 0:
            for s in open_slots:
                heap.append((-problem.size[t], rng.random(), t, s))
    heapq.heapify(heap)
    while heap:
        negative_gain, tie, t, s = heapq.heappop(heap)
        if (
            search.plan[t] >= 0
            or len(search.members[s]) >= search.cap[s]
            or search.busy[s] & problem.conveners[t]
        ):
            continue  # both only get worse as the plan fills: drop for good
        gain = (problem.voters[t] & ~search.ones[s]).bit_count()
        if gain == 0:
            continue
        if gain == -negative_gain:
            search.place(t, s)
        else:
            heapq.heappush(heap, (-gain, tie, t, s))


def _anneal(  # noqa: C901, PLR0915
    search: _Search, rng: random.Random, pool: list[int], *, steps: int, deadline: float
) -> tuple[int, Plan]:
    """Simulated annealing from the current plan; the best score and plan seen."""
    problem = search.problem
    voters, conveners = problem.voters, problem.conveners
    plan_now, members, busy, cap = search.plan, search.members, search.busy, search.cap
    ones, twos, count = search.ones, search.twos, search.count
    open_slots = problem.open_slots
    w_votes, moved = search.w_votes, problem.moved
    log, random_ = math.log, rng.random
    # int(random() * n) draws as evenly as randrange(n) for lists this short, in a fraction of
    # the time; the loop draws two or three times per step.
    n_pool, n_open = len(pool), len(open_slots)

    current = search.score()
    best, best_plan = current, list(plan_now)
    started = time.monotonic()
    temperature = START_TEMPERATURE
    for step in range(steps):
        if step & 255 == 0:
            now = time.monotonic()
            if now >= deadline:
                break
            # Cool by the share of steps done, or of the time used if that is larger, so that a
            # run cut short by the deadline still ends cold.
            done = max(step / steps, (now - started) / max(deadline - started, 1e-9))
            temperature = START_TEMPERATURE * (END_TEMPERATURE / START_TEMPERATURE) ** done
        t = pool[int(random_() * n_pool)]
        a = plan_now[t]
        b = open_slots[int(random_() * n_open)]
        mask_t, conv_t = voters[t], conveners[t]
        u = -1  # the topic t displaces, if any
        if a >= 0 and random_() < REMOVE_SHARE:
            b = -1  # take t out (also when b == a: with one open slot, nothing else moves t)
            delta = -(mask_t & ~twos[a]).bit_count()
        elif a == b:
            continue
        elif busy[b] & conv_t:
            # A convener of t is busy in b: t can only come in for the topic holding that
            # convener, full slot or not (into t's old slot, or out when t was unscheduled).
            u = next((x for x in members[b] if conveners[x] & conv_t), -1)
            if u < 0:
                continue  # the clash is with a locked topic
        elif len(members[b]) < cap[b]:
            delta = (mask_t & ~ones[b]).bit_count()
            if a >= 0:
                delta -= (mask_t & ~twos[a]).bit_count()
        else:
            u = members[b][int(random_() * len(members[b]))]
        if u >= 0:
            mask_u, conv_u = voters[u], conveners[u]
            if (busy[b] ^ conv_u) & conv_t:
                continue
            without_u = ones[b] ^ (mask_u & ~twos[b])
            delta = (without_u | mask_t).bit_count() - count[b]
            if a >= 0:
                if (busy[a] ^ conv_t) & conv_u:
                    continue
                without_t = ones[a] ^ (mask_t & ~twos[a])
                delta += (without_t | mask_u).bit_count() - count[a]
        if delta < 0 and delta < temperature * log(random_() + 1e-300):
            continue

        # Price overflow and moves (rooms too) of the neighbour exactly: they decide when votes tie.
        changed: dict[int, list[int]] = {}
        if a >= 0:
            changed[a] = [x for x in members[a] if x != t]
            if u >= 0:
                changed[a].append(u)
        if b >= 0:
            changed[b] = [x for x in members[b] if x != u]
            changed[b].append(t)
        costs = {s: slot_cost(problem, s, topics) for s, topics in changed.items()}
        total_cost = search.total_cost + sum(cost - search.cost[s] for s, cost in costs.items())
        moves = search.moves + moved(t, b) - moved(t, a)
        if u >= 0:
            moves += moved(u, a) - moved(u, b)
        candidate = (search.votes + delta) * w_votes - total_cost - moves
        if delta == 0 and candidate < current:
            continue
        search.shift([(t, b), (u, a)] if u >= 0 else [(t, b)], costs)
        current = candidate
        if current > best:
            best, best_plan = current, list(plan_now)
    return best, best_plan


def _restore(search: _Search) -> None:
    """Move published topics back to their slot wherever that costs no votes and no overflow.

    Annealing may wander off the published schedule on plateaus of equal votes; this puts back
    what it can, directly or by making way (``_make_way``), so a re-run changes only what buys
    votes or seats. Topics without votes are not in the annealing's pool: this is where they
    come back.
    """
    problem = search.problem
    improved = True
    while improved:
        improved = False
        for t, home in enumerate(problem.prev_slot):
            a = search.plan[t]
            if home < 0 or a == home or problem.lock_slot[t] >= 0 or not problem.free_rooms[home]:
                continue
            before = search.score()
            free = len(search.members[home]) < search.cap[home]
            if free and not search.busy[home] & problem.conveners[t]:
                search.place(t, home)
                if search.score() > before:
                    improved = True
                    continue
                search.place(t, a)
            if _make_way(search, t, home, before):
                improved = True


def _make_way(search: _Search, t: int, home: int, before: int) -> bool:
    """Put ``t`` into ``home`` for a topic u there, if that beats the score ``before``.

    u goes where t was (a swap, or out when t was out) or, when it held a convener of t, into
    any slot with a free cell: t's convener may have blocked it on a plateau of equal votes.
    """
    problem = search.problem
    a, conv_t = search.plan[t], problem.conveners[t]
    for u in list(search.members[home]):
        conv_u = problem.conveners[u]
        if (search.busy[home] ^ conv_u) & conv_t:
            continue
        targets = [a]
        if conv_u & conv_t:
            targets += [
                b
                for b in problem.open_slots
                if b not in (home, a)
                and len(search.members[b]) < search.cap[b]
                and not search.busy[b] & conv_u
            ]
        for b in targets:
            if b >= 0 and b == a and (search.busy[a] ^ conv_t) & conv_u:
                continue
            search.place(u, -1)
            search.place(t, home)
            search.place(u, b)
            if search.score() > before:
                return True
            search.place(u, -1)
            search.place(t, a)
            search.place(u, home)
    return False


def improve(
    problem: Problem,
    plan: Plan,
    *,
    seed: int,
    deadline: float,
    effort: float = 1.0,
) -> Plan:
    """Greedy completion of ``plan`` (locked topics placed), then annealing; the best plan.

    Small events get several independent runs (seeds derived from ``seed``): one run is cheap
    there, and its luck varies more than on large events.
    """
    pool = [t for t in problem.movable if problem.size[t] > 0]
    if not pool or not problem.open_slots:
        search = _Search(problem, plan)
        _greedy(search, random.Random(seed))  # noqa: S311 - puts back the published schedule
        return search.plan
    steps = int(effort * max(MIN_STEPS, STEPS_PER_CHOICE * len(pool) * len(problem.open_slots)))
    runs = min(MAX_RUNS, -(-int(effort * MIN_TOTAL_STEPS) // steps))
    best, best_plan = -1, plan
    for run in range(runs):
        if run and time.monotonic() >= deadline:
            break
        rng = random.Random(seed * MAX_RUNS + run)  # noqa: S311 - reproducible, not secret
        search = _Search(problem, plan)
        _greedy(search, rng)
        # Topics without votes change nothing the search can see; ``fill`` places them later.
        score, found = _anneal(search, rng, pool, steps=steps, deadline=deadline)
        if score > best or run == 0:
            best, best_plan = score, found
    if problem.n_previous:
        search = _Search(problem, best_plan)
        _restore(search)
        best_plan = search.plan
    return best_plan
