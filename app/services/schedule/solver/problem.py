"""The scheduling problem in indexed form, shared by both engines.

Both engines decide only *which slot* each topic goes to (a "plan": one slot index per topic,
-1 for unscheduled). That is where the first objective lives: attendable votes depend on which
topics share a slot, never on rooms. Rooms follow per slot as a small assignment problem
(fewest overflowing voters, then fewest room changes), solved exactly by ``rooms_for``.

Voter sets are Python ints used as bitsets, so coverage of a slot is an OR and a popcount.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass

from app.services.schedule.solver.format import (
    Instance,
    Placement,
    ScheduleFormatError,
    check_locks,
)

Plan = list[int]  # slot index per topic; -1 = unscheduled

NO_VOTES = "no votes"
NO_FREE_CELL = "no free cell"
CONVENER_CLASH = "convener clash"
WOULD_OVERFLOW = "would overflow a room"


@dataclass(slots=True)
class Problem:
    instance: Instance
    topic_ids: list[str]
    slot_ids: list[str]
    room_ids: list[str]
    capacity: list[int]  # per room
    voters: list[int]  # per topic: bitset of voter indices
    size: list[int]  # per topic: distinct voters
    conveners: list[int]  # per topic: bitset of convener indices
    lock_slot: list[int]  # per topic: slot of its lock, -1 when free to move
    lock_room: list[int]  # per topic: room of its lock, -1 when free to move
    free_rooms: list[list[int]]  # per slot: rooms left for unlocked topics, largest first
    prev_slot: list[int]  # per topic: slot in the published schedule, -1 when not in it
    prev_room: list[int]
    n_previous: int
    home_room: list[int]  # per topic: its published room while that cell is free, else -1

    @property
    def weight(self) -> int:
        """Overflow's weight over moves in one integer: more than any number of moves."""
        return self.n_previous + 1

    @property
    def movable(self) -> list[int]:
        return [t for t, slot in enumerate(self.lock_slot) if slot < 0]

    @property
    def open_slots(self) -> list[int]:
        return [s for s, rooms in enumerate(self.free_rooms) if rooms]

    def keeps_cell(self, t: int) -> bool:
        """Topic ``t``'s published cell is still free to take (not blocked, locked or frozen)."""
        return self.home_room[t] >= 0

    def moved(self, t: int, slot: int) -> int:
        """1 if topic ``t`` in ``slot`` (-1: out) cannot be where it was published, else 0.

        A topic in its published slot may still have to change rooms there: ``slot_cost``
        counts that, when its published cell is free; when not, it has moved already here.
        """
        previous = self.prev_slot[t]
        return 1 if previous >= 0 and (slot != previous or self.home_room[t] < 0) else 0

    def locked_plan(self) -> Plan:
        return list(self.lock_slot)

    def locked_busy(self) -> list[int]:
        """Per slot: conveners taken by locked topics."""
        busy = [0] * len(self.slot_ids)
        for t, slot in enumerate(self.lock_slot):
            if slot >= 0:
                busy[slot] |= self.conveners[t]
        return busy


def build_problem(instance: Instance, *, frozen_slots: Collection[str] = ()) -> Problem:
    """Index the instance. Previous placements in frozen slots become locks."""
    slot_index = {slot: s for s, slot in enumerate(instance.slots)}
    for index, slot in enumerate(frozen_slots):
        if slot not in slot_index:
            raise ScheduleFormatError(f"frozen_slots[{index}]", f"slot '{slot}' is not in slots")
    frozen = [slot in set(frozen_slots) for slot in instance.slots]

    locks: list[tuple[str, Placement]] = [
        (f"locked[{index}]", lock) for index, lock in enumerate(instance.locked)
    ]
    # A session that has started (or is about to) stays where it is, as if locked.
    locked_set = set(instance.locked)
    locks += [
        (f"previous[{index}]", placement)
        for index, placement in enumerate(instance.previous)
        if frozen[slot_index[placement.slot]] and placement not in locked_set
    ]
    topics_by_id = {topic.id: topic for topic in instance.topics}
    check_locks(locks, topics=topics_by_id, blocked=instance.blocked)

    topic_index = {topic.id: t for t, topic in enumerate(instance.topics)}
    room_index = {room.id: r for r, room in enumerate(instance.rooms)}
    voter_index: dict[str, int] = {}
    people: dict[str, int] = {}
    voters, size, conveners = [], [], []
    for topic in instance.topics:
        names = sorted(instance.voters.get(topic.id, ()))
        mask = 0
        for name in names:
            mask |= 1 << voter_index.setdefault(name, len(voter_index))
        voters.append(mask)
        size.append(len(names))
        bits = 0
        for person in topic.conveners:
            bits |= 1 << people.setdefault(person, len(people))
        conveners.append(bits)

    n_topics = len(instance.topics)
    lock_slot, lock_room = [-1] * n_topics, [-1] * n_topics
    taken: set[tuple[int, int]] = set()
    for _, lock in locks:
        t = topic_index[lock.topic]
        lock_slot[t], lock_room[t] = slot_index[lock.slot], room_index[lock.room]
        taken.add((lock_room[t], lock_slot[t]))

    free_rooms: list[list[int]] = []
    for s, slot in enumerate(instance.slots):
        rooms = [
            r
            for r, room in enumerate(instance.rooms)
            if not frozen[s] and (room.id, slot) not in instance.blocked and (r, s) not in taken
        ]
        rooms.sort(key=lambda r: -instance.rooms[r].capacity)
        free_rooms.append(rooms)

    prev_slot, prev_room = [-1] * n_topics, [-1] * n_topics
    home_room = [-1] * n_topics
    for placement in instance.previous:
        t = topic_index[placement.topic]
        prev_slot[t], prev_room[t] = slot_index[placement.slot], room_index[placement.room]
        if lock_slot[t] < 0 and prev_room[t] in free_rooms[prev_slot[t]]:
            home_room[t] = prev_room[t]

    return Problem(
        instance=instance,
        topic_ids=[topic.id for topic in instance.topics],
        slot_ids=list(instance.slots),
        room_ids=[room.id for room in instance.rooms],
        capacity=[room.capacity for room in instance.rooms],
        voters=voters,
        size=size,
        conveners=conveners,
        lock_slot=lock_slot,
        lock_room=lock_room,
        free_rooms=free_rooms,
        prev_slot=prev_slot,
        prev_room=prev_room,
        n_previous=len(instance.previous),
        home_room=home_room,
    )


def slot_overflow(problem: Problem, slot: int, topics: Sequence[int]) -> int:
    """Least overflow of unlocked ``topics`` in the free rooms of ``slot``.

    Largest topic into the largest room is optimal: max(0, n - c) is convex in n - c, so
    pairing both sorted the same way minimises the sum (an exchange argument).
    """
    sizes = sorted((problem.size[t] for t in topics), reverse=True)
    capacity = problem.capacity
    return sum(
        max(0, n - capacity[r]) for n, r in zip(sizes, problem.free_rooms[slot], strict=False)
    )


def slot_cost(problem: Problem, slot: int, topics: Sequence[int]) -> int:
    """Least ``overflow * weight + room changes`` of unlocked ``topics`` in ``slot``.

    The room changes counted are those of topics published in this slot whose cell is free
    (``Problem.moved`` counts every other published topic), so that over all slots, plus
    ``moved``, this is what ``rooms_for`` gives: overflow first, then moves. Most slots need no
    assignment problem: when no topic is at home there, or when every one can keep its room
    and the others take the rest largest first without more overflow.
    """
    weight = problem.weight
    if not problem.n_previous:
        return slot_overflow(problem, slot, topics) * weight
    prev_slot, home_room = problem.prev_slot, problem.home_room
    at_home = {t for t in topics if prev_slot[t] == slot and home_room[t] >= 0}
    if not at_home:
        return slot_overflow(problem, slot, topics) * weight
    size, capacity, rooms = problem.size, problem.capacity, problem.free_rooms[slot]
    homes = {home_room[t] for t in at_home}
    staying = sum(max(0, size[t] - capacity[home_room[t]]) for t in at_home)
    others = sorted((size[t] for t in topics if t not in at_home), reverse=True)
    rest = [r for r in rooms if r not in homes]
    staying += sum(max(0, n - capacity[r]) for n, r in zip(others, rest, strict=False))
    if staying == 0:
        return 0
    overflow = slot_overflow(problem, slot, topics)
    if staying == overflow:
        return overflow * weight
    cost = [
        [
            max(0, size[t] - capacity[r]) * weight + (t in at_home and r != home_room[t])
            for r in rooms
        ]
        for t in topics
    ]
    return sum(cost[row][column] for row, column in enumerate(_hungarian(cost)))


def evaluate(instance: Instance, placements: Sequence[Placement]) -> tuple[int, int, int]:
    """(attendable votes, overflow, moves) of placements, straight from the format's rules."""
    capacity = {room.id: room.capacity for room in instance.rooms}
    covered: set[tuple[str, str]] = set()
    overflow = 0
    for placement in placements:
        voters = instance.voters.get(placement.topic, frozenset())
        covered.update((voter, placement.slot) for voter in voters)
        overflow += max(0, len(voters) - capacity[placement.room])
    now = {placement.topic: placement for placement in placements}
    moves = sum(1 for placement in instance.previous if now.get(placement.topic) != placement)
    return len(covered), overflow, moves


def full_score(problem: Problem, plan: Plan) -> tuple[int, int, int]:
    """(attendable votes, overflow, moves) of a plan once rooms are chosen by ``rooms_for``."""
    return evaluate(problem.instance, rooms_for(problem, plan))


def better(a: tuple[int, int, int], b: tuple[int, int, int]) -> bool:
    """Is score ``a`` lexicographically better than ``b`` (more votes, less overflow, moves)?"""
    return (a[0], -a[1], -a[2]) > (b[0], -b[1], -b[2])


def trivial_bound(problem: Problem) -> int:
    """An upper bound on attendable votes that needs no search.

    The least of two: each voter attends at most one topic per slot and at most each of their
    topics once; and all coverage comes from locked topics plus at most the largest topics that
    fit into the free cells.
    """
    n_slots = len(problem.slot_ids)
    open_slots = {s for s in range(n_slots) if problem.free_rooms[s]}
    locked_cover = [0] * n_slots
    for t, slot in enumerate(problem.lock_slot):
        if slot >= 0:
            locked_cover[slot] |= problem.voters[t]
    constant = sum(mask.bit_count() for mask in locked_cover)

    movable = problem.movable
    unlocked_topics: dict[int, int] = {}  # voter -> number of their movable topics
    for t in movable:
        mask = problem.voters[t]
        while mask:
            low = mask & -mask
            voter = low.bit_length() - 1
            unlocked_topics[voter] = unlocked_topics.get(voter, 0) + 1
            mask ^= low
    per_voter = constant
    for voter, count in unlocked_topics.items():
        bit = 1 << voter
        covered_open = sum(1 for s in open_slots if locked_cover[s] & bit)
        per_voter += min(count, len(open_slots) - covered_open)

    cells = sum(len(rooms) for rooms in problem.free_rooms)
    largest = sorted((problem.size[t] for t in movable), reverse=True)[:cells]
    return min(per_voter, constant + sum(largest))


def fill(problem: Problem, plan: Plan) -> None:
    """Add unscheduled topics wherever they cost nothing (ties broken towards more sessions).

    The objective is indifferent to a topic that adds no attendable vote, yet an Open Space gives
    every convened topic a place when one is free; so a topic goes in when it adds no overflow
    and moves no published topic out of its room.
    """
    n_slots = len(problem.slot_ids)
    members: list[list[int]] = [[] for _ in range(n_slots)]
    coverage = [0] * n_slots
    busy = problem.locked_busy()
    for t, slot in enumerate(plan):
        if slot >= 0:
            coverage[slot] |= problem.voters[t]
            if problem.lock_slot[t] < 0:
                members[slot].append(t)
                busy[slot] |= problem.conveners[t]
    cost = [slot_cost(problem, s, members[s]) for s in range(n_slots)]
    # Bigger topics first; among equals, those that can stay where they were published.
    waiting = sorted(
        (t for t in problem.movable if plan[t] < 0),
        key=lambda t: (-problem.size[t], not problem.keeps_cell(t), t),
    )
    for t in waiting:
        best: tuple[int, int, int, int] | None = None
        for s in range(n_slots):
            if len(members[s]) >= len(problem.free_rooms[s]) or busy[s] & problem.conveners[t]:
                continue
            gain = (problem.voters[t] & ~coverage[s]).bit_count()
            # Overflow (weighted) and moves it adds; a published topic back home saves one.
            extra = slot_cost(problem, s, [*members[s], t]) - cost[s]
            extra += problem.moved(t, s) - problem.moved(t, -1)
            if gain == 0 and extra > 0:
                continue
            key = (-gain, extra, 0 if problem.prev_slot[t] == s else 1, s)
            if best is None or key < best:
                best = key
        if best is not None:
            s = best[3]
            plan[t] = s
            members[s].append(t)
            coverage[s] |= problem.voters[t]
            busy[s] |= problem.conveners[t]
            cost[s] = slot_cost(problem, s, members[s])


def _hungarian(cost: list[list[int]]) -> list[int]:
    """Column for each row minimising the total cost; needs rows <= columns."""
    n, m = len(cost), len(cost[0]) if cost else 0
    infinity = float("inf")
    u = [0.0] * (n + 1)
    v = [0.0] * (m + 1)
    owner = [0] * (m + 1)  # row (1-based) holding each column, 0 = none
    way = [0] * (m + 1)
    for i in range(1, n + 1):
        owner[0] = i
        j0 = 0
        minv = [infinity] * (m + 1)
        used = [False] * (m + 1)
        while True:
            used[j0] = True
            i0, delta, j1 = owner[j0], infinity, 0
            for j in range(1, m + 1):
                if not used[j]:
                    reduced = cost[i0 - 1][j - 1] - u[i0] - v[j]
                    if reduced < minv[j]:
                        minv[j], way[j] = reduced, j0
                    if minv[j] < delta:
                        delta, j1 = minv[j], j
            for j in range(m + 1):
                if used[j]:
                    u[owner[j]] += delta
                    v[j] -= delta
                else:
                    minv[j] -= delta
            j0 = j1
            if owner[j0] == 0:
                break
        while j0:
            j1 = way[j0]
            owner[j0] = owner[j1]
            j0 = j1
    column = [-1] * n
    for j in range(1, m + 1):
        if owner[j]:
            column[owner[j] - 1] = j - 1
    return column


def rooms_for(problem: Problem, plan: Plan) -> list[Placement]:
    """Placements for a plan: per slot, the least overflow, then the fewest room changes."""
    weight = problem.n_previous + 1
    placements: list[Placement] = []
    for s, slot_id in enumerate(problem.slot_ids):
        topics = [t for t, slot in enumerate(plan) if slot == s and problem.lock_slot[t] < 0]
        rooms = problem.free_rooms[s]
        chosen: dict[int, int] = {
            problem.lock_room[t]: t for t, slot in enumerate(problem.lock_slot) if slot == s
        }
        if topics:
            cost = [
                [
                    max(0, problem.size[t] - problem.capacity[r]) * weight
                    + (
                        problem.prev_slot[t] >= 0
                        and (problem.prev_room[t], problem.prev_slot[t]) != (r, s)
                    )
                    for r in rooms
                ]
                for t in topics
            ]
            for t, column in zip(topics, _hungarian(cost), strict=True):
                chosen[rooms[column]] = t
        for r in sorted(chosen):
            placements.append(Placement(problem.topic_ids[chosen[r]], problem.room_ids[r], slot_id))
    return placements


def reasons_for(problem: Problem, plan: Plan) -> dict[str, str]:
    """Why each unscheduled topic is out (run after ``fill``)."""
    n_slots = len(problem.slot_ids)
    used = [0] * n_slots
    busy = problem.locked_busy()
    for t, slot in enumerate(plan):
        if slot >= 0 and problem.lock_slot[t] < 0:
            used[slot] += 1
            busy[slot] |= problem.conveners[t]
    open_slots = [s for s in range(n_slots) if used[s] < len(problem.free_rooms[s])]
    reasons: dict[str, str] = {}
    for t, slot in enumerate(plan):
        if slot >= 0:
            continue
        if not open_slots:
            reason = NO_VOTES if problem.size[t] == 0 else NO_FREE_CELL
        elif all(busy[s] & problem.conveners[t] for s in open_slots):
            reason = CONVENER_CLASH
        else:
            reason = WOULD_OVERFLOW
        reasons[problem.topic_ids[t]] = reason
    return reasons
