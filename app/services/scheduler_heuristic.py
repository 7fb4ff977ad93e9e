"""The heuristic engine: greedy construction, then late-acceptance hill climbing.

Construction starts from the published schedule (what still fits stays where it was, which is
what "minimal changes" asks for), then adds topics by largest marginal gain of attendable votes
(lazy greedy: a topic's gain in a slot only shrinks as the slot fills).

The search (late acceptance hill climbing, Burke & Bykov) draws random neighbours: move a topic
to another slot, swap two topics between slots, put an unscheduled topic in (replacing one when
the slot is full), or take one out. A neighbour is accepted when it is no worse than the current
plan or than the plan of ``HISTORY`` steps ago. Scores are exact integers that order plans
lexicographically: attendable votes, then overflow, then slot moves.

Scoring is incremental. Per slot the search keeps ``ones`` (voters with at least one of their
topics there) and ``twos`` (at least two) as bitsets: taking topic t out of slot a loses the
voters ``V_t & ~twos[a]``, putting it into b gains ``V_t & ~ones[b]``.

It stops after ``patience`` steps without a new best (scaled by ``effort``), or at the deadline.
Everything random comes from one ``random.Random(seed)``, so a run that is not cut short by the
deadline is the same for the same seed.
"""

from __future__ import annotations

import heapq
import random
import time

from app.services.scheduler_problem import Plan, Problem, slot_overflow

HISTORY = 400
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
        self.over = [0] * n_slots
        for s in range(n_slots):
            self._rebuild(s)
        self.votes = sum(self.count)
        self.overflow = sum(self.over)
        self.moves = sum(
            1 for t, slot in enumerate(problem.prev_slot) if slot >= 0 and self.plan[t] != slot
        )
        # Exact lexicographic order in one integer: votes dominate overflow, which dominates moves.
        self.w_overflow = problem.n_previous + 1
        self.w_votes = (sum(problem.size) + 1) * self.w_overflow

    def _rebuild(self, s: int) -> None:
        ones, twos = self.base_ones[s], self.base_twos[s]
        voters = self.problem.voters
        for t in self.members[s]:
            mask = voters[t]
            twos |= ones & mask
            ones |= mask
        self.ones[s], self.twos[s] = ones, twos
        self.count[s] = ones.bit_count()
        self.over[s] = slot_overflow(self.problem, s, self.members[s])

    def score(self) -> int:
        return self.votes * self.w_votes - self.overflow * self.w_overflow - self.moves

    def moved(self, t: int, slot: int) -> int:
        previous = self.problem.prev_slot[t]
        return 1 if previous >= 0 and slot != previous else 0

    def place(self, t: int, slot: int) -> None:
        """Move topic t to ``slot`` (-1: out), keeping every tally right."""
        old = self.plan[t]
        self.moves += self.moved(t, slot) - self.moved(t, old)
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
            self.overflow -= self.over[s]
            self._rebuild(s)
            self.votes += self.count[s]
            self.overflow += self.over[s]


def _greedy(search: _Search, rng: random.Random) -> None:
    problem = search.problem
    # What still fits of the published schedule stays where it was.
    for t, slot in enumerate(problem.prev_slot):
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


def improve(
    problem: Problem,
    plan: Plan,
    *,
    seed: int,
    deadline: float,
    effort: float = 1.0,
) -> Plan:
    """Greedy completion of ``plan`` (locked topics placed), then local search; the best plan."""
    rng = random.Random(seed)
    search = _Search(problem, plan)
    _greedy(search, rng)

    voters, conveners, size = problem.voters, problem.conveners, problem.size
    plan_now, members, busy, cap = search.plan, search.members, search.busy, search.cap
    ones, twos, count = search.ones, search.twos, search.count
    # Topics without votes change nothing the search can see; ``fill`` places them later.
    pool = [t for t in problem.movable if size[t] > 0 and any(problem.free_rooms)]
    open_slots = problem.open_slots
    if not pool or not open_slots:
        return search.plan
    w_votes, w_overflow = search.w_votes, search.w_overflow
    patience = int(effort * max(20_000, 60 * len(pool) * len(open_slots) ** 0.5))

    current = search.score()
    best, best_plan = current, list(plan_now)
    history = [current] * HISTORY
    step = idle = 0
    while idle < patience:
        step += 1
        idle += 1
        if step & 255 == 0 and time.monotonic() > deadline:
            break
        t = pool[rng.randrange(len(pool))]
        a = plan_now[t]
        b = open_slots[rng.randrange(len(open_slots))]
        mask_t, conv_t = voters[t], conveners[t]
        u = -1  # the topic t displaces, if any
        if a == b:
            continue
        if a >= 0 and rng.random() < REMOVE_SHARE:
            b = -1  # take t out
            delta = -(mask_t & ~twos[a]).bit_count()
        elif len(members[b]) < cap[b]:
            if busy[b] & conv_t:
                continue
            delta = (mask_t & ~ones[b]).bit_count()
            if a >= 0:
                delta -= (mask_t & ~twos[a]).bit_count()
        else:
            u = members[b][rng.randrange(len(members[b]))]
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

        threshold = min(current, history[step % HISTORY])
        votes = search.votes + delta
        if votes * w_votes < threshold:
            history[step % HISTORY] = current
            continue
        # Votes alone do not decide: price overflow and moves of the neighbour exactly.
        changed: dict[int, list[int]] = {}
        if a >= 0:
            changed[a] = [x for x in members[a] if x != t]
        if b >= 0:
            changed[b] = [x for x in members[b] if x != u] + [t]
        if u >= 0 and a >= 0:
            changed[a].append(u)
        overflow = search.overflow + sum(
            slot_overflow(problem, s, topics) - search.over[s] for s, topics in changed.items()
        )
        moves = search.moves + search.moved(t, b) - search.moved(t, a)
        if u >= 0:
            moves += search.moved(u, a) - search.moved(u, b)
        candidate = votes * w_votes - overflow * w_overflow - moves
        if candidate >= threshold:
            if u >= 0:
                search.place(u, -1)
            search.place(t, b)
            if u >= 0 and a >= 0:
                search.place(u, a)
            current = search.score()
            assert current == candidate
            if current > best:
                best, best_plan = current, list(plan_now)
                idle = 0
        history[step % HISTORY] = current
    return best_plan
