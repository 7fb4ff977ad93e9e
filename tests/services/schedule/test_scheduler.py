"""The scheduler without a database: hand-checked instances, both engines, and properties.

Objective values in the comments are worked out by hand from the format's rules
(shared/formats/schedule-instance.md): attendable votes count (voter, slot) pairs, overflow
counts voters beyond capacity, moves count published topics whose cell changed.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from typing import Any

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from app.services.schedule.solver.problem import build_problem, full_score, slot_cost
from app.services.schedule.solver.scheduler import (
    FORMAT,
    Engine,
    Instance,
    Placement,
    Result,
    ScheduleFormatError,
    parse_instance,
    solve,
)

ENGINES: tuple[Engine, ...] = ("heuristic", "exact")
FAST = 2.0  # seconds: tiny instances finish far sooner (the exact engine proves optimality)


def instance(
    *,
    rooms: dict[str, int],
    slots: list[str],
    topics: dict[str, list[str]],
    votes: dict[str, list[str]],
    blocked: Sequence[tuple[str, str]] = (),
    locked: Sequence[tuple[str, str, str]] = (),
    previous: Sequence[tuple[str, str, str]] = (),
) -> dict[str, Any]:
    """The JSON form, from compact arguments: votes map voter -> topics."""
    return {
        "format": FORMAT,
        "rooms": [{"id": room, "capacity": capacity} for room, capacity in rooms.items()],
        "slots": [{"id": slot} for slot in slots],
        "blocked": [{"room": room, "slot": slot} for room, slot in blocked],
        "topics": [{"id": topic, "conveners": people} for topic, people in topics.items()],
        "votes": [
            {"voter": voter, "topic": topic} for voter, chosen in votes.items() for topic in chosen
        ],
        "locked": [{"topic": t, "room": r, "slot": s} for t, r, s in locked],
        "previous": [{"topic": t, "room": r, "slot": s} for t, r, s in previous],
    }


def cells(result: Result) -> set[tuple[str, str, str]]:
    return {(p.topic, p.room, p.slot) for p in result.assignments}


def objective(result: Result) -> tuple[int, int, int]:
    return result.attendable_votes, result.overflow, result.moves


# Two slots, a room for 2 and one for 1. t1 has 3 voters (v1, v2, v4), t2 has 2 (v1, v2),
# t3 has 1 (v3). All three fit (4 cells). t1 and t2 apart: v1 and v2 attend in both slots,
# v3 and v4 in one: 2 + 2 + 1 + 1 = 6 (together: 4). t1 overflows the room for 2 by 1 wherever
# it goes; t2 fits the room for 2 in the other slot, t3 the room for 1. Best: (6, 1, 0).
TWO_SLOTS = instance(
    rooms={"big": 2, "small": 1},
    slots=["s1", "s2"],
    topics={"t1": ["p1"], "t2": ["p2"], "t3": ["p3"]},
    votes={"v1": ["t1", "t2"], "v2": ["t1", "t2", "t2"], "v3": ["t3"], "v4": ["t1"]},
)


@pytest.mark.parametrize("engine", ENGINES)
def test_solve_two_slots_keeps_shared_voters_apart(engine: Engine) -> None:
    result = solve(parse_instance(TWO_SLOTS), engine=engine, time_limit=FAST, seed=1)
    assert objective(result) == (6, 1, 0)
    slot_of = {p.topic: p.slot for p in result.assignments}
    assert slot_of["t1"] != slot_of["t2"]
    assert {p.topic: p.room for p in result.assignments}["t2"] == "big"
    assert result.unscheduled == ()
    assert result.engine == engine


def test_exact_engine_proves_its_bound_on_a_small_instance() -> None:
    result = solve(parse_instance(TWO_SLOTS), engine="exact", time_limit=FAST, seed=1)
    assert result.bound == 6


def test_heuristic_bound_is_a_valid_count() -> None:
    # v1 and v2 could attend in both slots, v3 and v4 in one: 2 + 2 + 1 + 1 = 6.
    result = solve(parse_instance(TWO_SLOTS), engine="heuristic", time_limit=FAST, seed=1)
    assert result.bound == 6


def test_auto_uses_the_exact_engine_for_small_events() -> None:
    result = solve(parse_instance(TWO_SLOTS), time_limit=FAST)
    assert result.engine == "exact"


@pytest.mark.parametrize("engine", ENGINES)
def test_solve_convener_clash_leaves_the_weaker_topic_out(engine: Engine) -> None:
    # One slot, two rooms; p1 convenes both topics, so only one runs: t1 (2 voters) over t2 (1).
    data = instance(
        rooms={"a": 10, "b": 10},
        slots=["s1"],
        topics={"t1": ["p1"], "t2": ["p1", "p2"]},
        votes={"v1": ["t1"], "v2": ["t1", "t2"]},
    )
    result = solve(parse_instance(data), engine=engine, time_limit=FAST)
    assert [p.topic for p in result.assignments] == ["t1"]
    assert result.attendable_votes == 2
    assert result.reasons == {"t2": "convener clash"}


@pytest.mark.parametrize("engine", ENGINES)
def test_solve_swaps_out_a_published_topic_whose_convener_a_better_one_needs(
    engine: Engine,
) -> None:
    # Found by Hypothesis. One slot, two rooms for nobody. t2 (no votes) was published in r0;
    # t0 has a voter but the same convener p1, so it can only run if t2 goes: then v0 attends
    # (1 vote) in a room for 0 (1 overflow) and t2 is out (1 move): (1, 1, 1) beats keeping
    # the published schedule, (0, 0, 0). The free room takes t1 or t3, which change nothing.
    data = instance(
        rooms={"r0": 0, "r1": 0},
        slots=["s0"],
        topics={"t0": ["p1"], "t1": [], "t2": ["p1"], "t3": []},
        votes={"v0": ["t0"]},
        previous=[("t2", "r0", "s0")],
    )
    result = solve(parse_instance(data), engine=engine, time_limit=FAST)
    assert objective(result) == (1, 1, 1)
    assert "t0" in {p.topic for p in result.assignments}
    assert "t2" in result.unscheduled


@pytest.mark.parametrize("engine", ENGINES)
def test_solve_takes_out_a_published_topic_that_only_adds_overflow(engine: Engine) -> None:
    # Found by Hypothesis. One slot, two rooms for nobody; t0 and t1 were both published there
    # and share their one voter. Both kept: (1, 2, 0); either one out: (1, 1, 1), better.
    data = instance(
        rooms={"r0": 0, "r1": 0},
        slots=["s0"],
        topics={"t0": [], "t1": []},
        votes={"v0": ["t0", "t1"]},
        previous=[("t0", "r0", "s0"), ("t1", "r1", "s0")],
    )
    result = solve(parse_instance(data), engine=engine, time_limit=FAST)
    assert objective(result) == (1, 1, 1)
    assert len(result.assignments) == 1


@pytest.mark.parametrize("engine", ENGINES)
def test_solve_counts_the_room_change_of_a_topic_kept_in_its_slot(engine: Engine) -> None:
    # Found by Hypothesis. Published in s1: t1 (no votes) in the room for 1, t2 (one voter) in
    # a room for nobody. Both kept in s1, t2 either overflows (1, 1, 0) or takes t1's room and
    # t1 moves to r0 (1, 0, 2). Best: t2 to the room for 1 in s2, t1 stays: (1, 0, 1).
    data = instance(
        rooms={"r0": 0, "r1": 0, "r2": 1},
        slots=["s1", "s2"],
        topics={"t1": [], "t2": []},
        votes={"v1": ["t2"]},
        previous=[("t1", "r2", "s1"), ("t2", "r0", "s1")],
    )
    result = solve(parse_instance(data), engine=engine, time_limit=FAST)
    assert objective(result) == (1, 0, 1)
    assert cells(result) == {("t1", "r2", "s1"), ("t2", "r2", "s2")}


@pytest.mark.parametrize("engine", ENGINES)
def test_solve_keeps_the_published_topic_that_needs_no_room_change(engine: Engine) -> None:
    # Found by Hypothesis. One slot; t0 and t1 have the same two voters, so one of them is
    # enough. t1 was published in the room for 4: keeping it, t0 out, is (2, 0, 1). Keeping t0
    # instead, it must leave its room for nobody: (2, 0, 2). Both: t0 overflows by 2.
    data = instance(
        rooms={"r0": 0, "r1": 4},
        slots=["s0"],
        topics={"t0": ["p2"], "t1": []},
        votes={"v0": ["t0", "t1"], "v2": ["t0", "t1"]},
        previous=[("t1", "r1", "s0"), ("t0", "r0", "s0")],
    )
    result = solve(parse_instance(data), engine=engine, time_limit=FAST)
    assert objective(result) == (2, 0, 1)
    assert cells(result) == {("t1", "r1", "s0")}


@pytest.mark.parametrize("engine", ENGINES)
def test_solve_a_topic_whose_published_room_is_blocked_has_moved_anyway(engine: Engine) -> None:
    # Found by Hypothesis. The big room is blocked now, so t0 and t2 (no votes, published there)
    # move whatever happens. t3 (v0) shares convener p1 with t1, published in the small room of
    # s0. Best: t3 in the small room of s1, t1 stays: (1, 0, 2). Putting t3 in s0 instead moves
    # t1 as well (t2 in s1 still is a move: its room is gone): (1, 0, 3).
    data = instance(
        rooms={"r0": 4, "r1": 2},
        slots=["s0", "s1"],
        blocked=[("r0", "s0"), ("r0", "s1")],
        topics={"t0": [], "t1": ["p1"], "t2": [], "t3": ["p3", "p1"]},
        votes={"v0": ["t3"]},
        previous=[("t0", "r0", "s0"), ("t1", "r1", "s0"), ("t2", "r0", "s1")],
    )
    result = solve(parse_instance(data), engine=engine, time_limit=FAST)
    assert objective(result) == (1, 0, 2)
    assert cells(result) == {("t1", "r1", "s0"), ("t3", "r1", "s1")}


@pytest.mark.parametrize("engine", ENGINES)
def test_solve_moves_the_topic_holding_a_convener_for_a_published_one(engine: Engine) -> None:
    # Found by Hypothesis. s2 has started (frozen, empty). Published in s0: t2 (p4, no votes) in
    # the room for 1 and t0 (p4 too, voter v0) in the room for nobody, a clash. t0 in s0 in the
    # room for 1: t2 out, (1, 0, 2). Best: t0 to the room for 1 in s1, beside t1 in its room,
    # and t2 stays: (1, 0, 1).
    data = instance(
        rooms={"r0": 1, "r1": 0},
        slots=["s0", "s1", "s2"],
        topics={"t0": ["p4"], "t1": [], "t2": ["p4"]},
        votes={"v0": ["t0"]},
        previous=[("t2", "r0", "s0"), ("t0", "r1", "s0"), ("t1", "r1", "s1")],
    )
    result = solve(parse_instance(data), engine=engine, time_limit=FAST, frozen_slots=["s2"])
    assert objective(result) == (1, 0, 1)
    assert cells(result) == {("t2", "r0", "s0"), ("t0", "r0", "s1"), ("t1", "r1", "s1")}


@pytest.mark.parametrize("engine", ENGINES)
def test_solve_blocked_cell_is_never_used(engine: Engine) -> None:
    # Room b is blocked: one cell for two topics; t2 has more voters and wins (2 votes).
    data = instance(
        rooms={"a": 10, "b": 10},
        slots=["s1"],
        blocked=[("b", "s1")],
        topics={"t1": [], "t2": []},
        votes={"v1": ["t2"], "v2": ["t2"], "v3": ["t1"]},
    )
    result = solve(parse_instance(data), engine=engine, time_limit=FAST)
    assert cells(result) == {("t2", "a", "s1")}
    assert result.reasons == {"t1": "no free cell"}
    assert result.attendable_votes == 2


@pytest.mark.parametrize("engine", ENGINES)
def test_solve_keeps_a_lock_that_costs_votes(engine: Engine) -> None:
    # One cell. Unlocked, t1 (3 voters) would win; locked, t2 (1 voter) stays: 1 vote.
    data = instance(
        rooms={"a": 10},
        slots=["s1"],
        topics={"t1": [], "t2": []},
        votes={"v1": ["t1"], "v2": ["t1"], "v3": ["t1", "t2"]},
        locked=[("t2", "a", "s1")],
    )
    result = solve(parse_instance(data), engine=engine, time_limit=FAST)
    assert cells(result) == {("t2", "a", "s1")}
    assert result.attendable_votes == 1
    assert result.unscheduled == ("t1",)


@pytest.mark.parametrize("engine", ENGINES)
def test_solve_frozen_slot_keeps_its_sessions_and_takes_no_new_one(engine: Engine) -> None:
    # s1 has started with t1 in room a; room b in s1 is free but frozen. t2 and t3 share both
    # voters, so apart (s1 and s2) would be better, but s1 takes nothing: both go to s2,
    # v1 and v2 attend t1 in s1 and one of t2/t3 in s2: 2 + 2 = 4 votes.
    data = instance(
        rooms={"a": 10, "b": 10},
        slots=["s1", "s2"],
        topics={"t1": [], "t2": [], "t3": []},
        votes={"v1": ["t1", "t2", "t3"], "v2": ["t1", "t2", "t3"]},
        previous=[("t1", "a", "s1")],
    )
    result = solve(parse_instance(data), engine=engine, time_limit=FAST, frozen_slots=["s1"])
    assert {c for c in cells(result) if c[2] == "s1"} == {("t1", "a", "s1")}
    assert {c[0] for c in cells(result) if c[2] == "s2"} == {"t2", "t3"}
    assert objective(result) == (4, 0, 0)
    # Not frozen, t2 or t3 would join s1: still 4 votes (v1, v2 in both slots), same answer.
    unfrozen = solve(parse_instance(data), engine=engine, time_limit=FAST)
    assert unfrozen.attendable_votes == 4


def test_frozen_slot_must_exist() -> None:
    with pytest.raises(ScheduleFormatError) as caught:
        solve(parse_instance(TWO_SLOTS), engine="heuristic", frozen_slots=["s9"])
    assert str(caught.value) == "frozen_slots[0]: slot 's9' is not in slots"


def test_frozen_session_cannot_be_locked_elsewhere() -> None:
    data = {**TWO_SLOTS, "previous": [{"topic": "t1", "room": "big", "slot": "s1"}]}
    data["locked"] = [{"topic": "t1", "room": "big", "slot": "s2"}]
    with pytest.raises(ScheduleFormatError) as caught:
        solve(parse_instance(data), engine="heuristic", frozen_slots=["s1"])
    assert str(caught.value) == "previous[0]: topic 't1' is locked already by locked[0]"


@pytest.mark.parametrize("engine", ENGINES)
def test_solve_keeps_the_published_schedule_when_nothing_is_better(engine: Engine) -> None:
    # An optimal schedule (6, 1, 0) with t3 in the big room; other optima exist (t3 in s2 or
    # small), and the published one must win on moves.
    previous = [("t1", "big", "s1"), ("t3", "small", "s1"), ("t2", "big", "s2")]
    data = instance(**_two_slot_args(), previous=previous)
    result = solve(parse_instance(data), engine=engine, time_limit=FAST, seed=3)
    assert cells(result) == set(previous)
    assert objective(result) == (6, 1, 0)


@pytest.mark.parametrize("engine", ENGINES)
def test_solve_moves_as_few_topics_as_the_better_schedule_needs(engine: Engine) -> None:
    # Published: t1 and t2 together in s1 (4 votes). The best (6, 1, ...) needs t1 and t2 in
    # the big rooms of different slots and t3 in a small room. Keeping t1 in big/s1 moves t2 to
    # big/s2 and t3 out of big/s2: 2 moves; moving t1 instead moves all three. So (6, 1, 2).
    previous = [("t1", "big", "s1"), ("t2", "small", "s1"), ("t3", "big", "s2")]
    data = instance(**_two_slot_args(), previous=previous)
    result = solve(parse_instance(data), engine=engine, time_limit=FAST, seed=3)
    assert objective(result) == (6, 1, 2)
    assert ("t1", "big", "s1") in cells(result)


def _two_slot_args() -> dict[str, Any]:
    return {
        "rooms": {"big": 2, "small": 1},
        "slots": ["s1", "s2"],
        "topics": {"t1": ["p1"], "t2": ["p2"], "t3": ["p3"]},
        "votes": {"v1": ["t1", "t2"], "v2": ["t1", "t2"], "v3": ["t3"], "v4": ["t1"]},
    }


def test_solve_topic_without_votes_gets_a_free_cell_or_says_why() -> None:
    # Three cells, four topics: t4 has no votes and loses to the three voted ones.
    data = instance(
        rooms={"a": 10},
        slots=["s1", "s2", "s3"],
        topics={"t1": [], "t2": [], "t3": [], "t4": []},
        votes={"v1": ["t1"], "v2": ["t2"], "v3": ["t3"]},
    )
    result = solve(parse_instance(data), engine="heuristic", time_limit=FAST)
    assert result.reasons == {"t4": "no votes"}
    # With a fourth slot it takes the free cell: the objective is indifferent, the workshop not.
    data["slots"].append({"id": "s4"})
    result = solve(parse_instance(data), engine="heuristic", time_limit=FAST)
    assert result.unscheduled == ()


def test_solve_leaves_out_a_topic_that_would_only_add_overflow() -> None:
    # t2's voters are t1's too, so it adds no attendable vote; the free room seats 1 of its 2
    # voters: scheduling it would add 1 overflow.
    data = instance(
        rooms={"a": 5, "b": 1},
        slots=["s1"],
        topics={"t1": [], "t2": []},
        votes={"v1": ["t1", "t2"], "v2": ["t1", "t2"], "v3": ["t1"]},
    )
    result = solve(parse_instance(data), engine="heuristic", time_limit=FAST)
    assert cells(result) == {("t1", "a", "s1")}
    assert result.reasons == {"t2": "would overflow a room"}


def _generated(n_topics: int, n_slots: int, n_rooms: int, n_voters: int, seed: int) -> Instance:
    import random

    rng = random.Random(seed)
    return parse_instance(
        instance(
            rooms={f"r{r}": rng.randint(2, 20) for r in range(n_rooms)},
            slots=[f"s{s}" for s in range(n_slots)],
            topics={f"t{t}": [f"p{rng.randrange(n_topics)}"] for t in range(n_topics)},
            votes={
                f"v{v}": rng.sample([f"t{t}" for t in range(n_topics)], 4) for v in range(n_voters)
            },
        )
    )


def test_heuristic_is_deterministic_for_a_seed() -> None:
    generated = _generated(60, 5, 6, 200, seed=7)
    first = solve(generated, engine="heuristic", time_limit=30, seed=11)
    again = solve(generated, engine="heuristic", time_limit=30, seed=11)
    assert first.assignments == again.assignments
    assert objective(first) == objective(again)


def test_solve_result_json_has_the_format_keys() -> None:
    result = solve(parse_instance(TWO_SLOTS), engine="heuristic", time_limit=FAST)
    data = result.to_json()
    assert list(data) == [
        "assignments",
        "unscheduled",
        "reasons",
        "attendable_votes",
        "overflow",
        "moves",
        "bound",
        "engine",
        "seconds",
    ]
    assert data["assignments"][0].keys() == {"topic", "room", "slot"}


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"format": "x"}, "format: must be 'openspace-schedule/1'"),
        (
            {"rooms": [{"id": "a", "capacity": 1}, {"id": "a", "capacity": 2}]},
            "rooms[1]: duplicate room id 'a'",
        ),
        (
            {"rooms": [{"id": "a", "capacity": True}]},
            "rooms[0]: 'capacity' must be a whole number, 0 or more",
        ),
        ({"slots": [{"id": "s1"}, {"id": 3}]}, "slots[1]: 'id' must be a non-empty string"),
        (
            {"votes": [{"voter": "v1", "topic": "t1"}, {"voter": "v2", "topic": "t99"}]},
            "votes[1]: topic 't99' is not in topics",
        ),
        (
            {"topics": [{"id": "t1", "conveners": "p1"}]},
            "topics[0]: 'conveners' must be a list of participant ids",
        ),
        ({"blocked": [{"room": "x", "slot": "s1"}]}, "blocked[0]: room 'x' is not in rooms"),
        (
            {
                "blocked": [{"room": "big", "slot": "s1"}],
                "locked": [{"topic": "t1", "room": "big", "slot": "s1"}],
            },
            "locked[0]: cell (big, s1) is blocked",
        ),
        (
            {
                "locked": [
                    {"topic": "t1", "room": "big", "slot": "s1"},
                    {"topic": "t2", "room": "big", "slot": "s1"},
                ]
            },
            "locked[1]: cell (big, s1) is taken already by locked[0]",
        ),
        (
            {
                "topics": [{"id": "t1", "conveners": ["p1"]}, {"id": "t2", "conveners": ["p1"]}],
                "votes": [],
                "locked": [
                    {"topic": "t1", "room": "big", "slot": "s1"},
                    {"topic": "t2", "room": "small", "slot": "s1"},
                ],
            },
            "locked[1]: convener 'p1' is in locked[0] in slot 's1' already",
        ),
        (
            {"previous": [{"topic": "t1", "room": "big", "slot": "s7"}]},
            "previous[0]: slot 's7' is not in slots",
        ),
        ({"votes": None}, "votes: must be a list"),
    ],
)
def test_parse_instance_names_the_offending_entry(change: dict[str, Any], message: str) -> None:
    with pytest.raises(ScheduleFormatError) as caught:
        parse_instance({**TWO_SLOTS, **change})
    assert str(caught.value) == message


def test_parse_instance_rejects_what_is_not_an_object() -> None:
    with pytest.raises(ScheduleFormatError) as caught:
        parse_instance([1, 2])
    assert str(caught.value) == "instance: must be a JSON object"


def test_parse_instance_counts_a_voters_dots_on_one_topic_once() -> None:
    parsed = parse_instance(TWO_SLOTS)
    assert parsed.voters["t2"] == frozenset({"v1", "v2"})


# Properties on random small instances ------------------------------------------------------


@st.composite
def small_instances(draw: st.DrawFn) -> tuple[Instance, list[str]]:
    n_rooms = draw(st.integers(1, 3))
    n_slots = draw(st.integers(1, 3))
    n_topics = draw(st.integers(0, 6))
    rooms = {f"r{r}": draw(st.integers(0, 4)) for r in range(n_rooms)}
    slots = [f"s{s}" for s in range(n_slots)]
    topics = {
        f"t{t}": draw(st.lists(st.sampled_from(["p1", "p2", "p3", "p4"]), max_size=2))
        for t in range(n_topics)
    }
    all_cells = [(room, slot) for room in rooms for slot in slots]
    blocked = draw(st.lists(st.sampled_from(all_cells), max_size=3, unique=True))
    votes: dict[str, list[str]] = {}
    if topics:
        for v in range(draw(st.integers(0, 7))):
            votes[f"v{v}"] = draw(st.lists(st.sampled_from(list(topics)), max_size=4))
    frozen = draw(st.lists(st.sampled_from(slots), max_size=1, unique=True))
    previous: list[tuple[str, str, str]] = []
    locked: list[tuple[str, str, str]] = []
    if topics:
        for topic, (room, slot) in zip(
            draw(st.permutations(list(topics))),
            draw(st.lists(st.sampled_from(all_cells), max_size=3, unique=True)),
            strict=False,
        ):
            previous.append((topic, room, slot))
        for topic, (room, slot) in zip(
            draw(st.permutations(list(topics))),
            draw(st.lists(st.sampled_from(all_cells), max_size=2, unique=True)),
            strict=False,
        ):
            if draw(st.booleans()):
                locked.append((topic, room, slot))
    data = instance(
        rooms=rooms,
        slots=slots,
        topics=topics,
        votes=votes,
        blocked=blocked,
        locked=locked,
        previous=previous,
    )
    try:
        parsed = parse_instance(data)
        build_problem(parsed, frozen_slots=frozen)
    except ScheduleFormatError:
        assume(False)  # contradictory locks (blocked, clash): covered by the parse tests
    return parsed, frozen


def check_hard_constraints(problem: Instance, frozen: list[str], result: Result) -> None:
    rooms = {room.id for room in problem.rooms}
    conveners = {topic.id: topic.conveners for topic in problem.topics}
    placed = [(p.topic, p.room, p.slot) for p in result.assignments]
    assert all(room in rooms and slot in problem.slots for _, room, slot in placed)
    assert len({(room, slot) for _, room, slot in placed}) == len(placed), "one topic per cell"
    assert not {(room, slot) for _, room, slot in placed} & problem.blocked, "no blocked cell"
    assert len({topic for topic, _, _ in placed}) == len(placed), "each topic at most once"
    for slot in problem.slots:
        people = [person for t, _, s in placed if s == slot for person in conveners[t]]
        assert len(people) == len(set(people)), "a convener in two places"
    assert set(problem.locked) <= set(result.assignments), "locks kept"
    for slot in frozen:
        expected = {p for p in problem.previous if p.slot == slot}
        expected |= {p for p in problem.locked if p.slot == slot}
        assert {p for p in result.assignments if p.slot == slot} == expected, "frozen slot"
    assert set(result.unscheduled) == set(conveners) - {t for t, _, _ in placed}
    assert set(result.reasons) == set(result.unscheduled)


def recount(problem: Instance, result: Result) -> tuple[int, int, int]:
    """The objective from the assignments alone, written independently of the scheduler."""
    capacity = {room.id: room.capacity for room in problem.rooms}
    attendable = sum(
        1
        for voter in {v for voters in problem.voters.values() for v in voters}
        for slot in problem.slots
        if any(p.slot == slot and voter in problem.voters[p.topic] for p in result.assignments)
    )
    overflow = sum(
        max(0, len(problem.voters[p.topic]) - capacity[p.room]) for p in result.assignments
    )
    where = {p.topic: (p.room, p.slot) for p in result.assignments}
    moves = sum(1 for p in problem.previous if where.get(p.topic) != (p.room, p.slot))
    return attendable, overflow, moves


def brute_force(problem: Instance, frozen: list[str]) -> tuple[int, int, int]:
    """The lexicographic optimum by trying every placement (tiny instances only)."""
    open_cells = [
        (room.id, slot)
        for room in problem.rooms
        for slot in problem.slots
        if (room.id, slot) not in problem.blocked and slot not in frozen
    ]
    fixed = {p.topic: p for p in problem.locked}
    fixed |= {p.topic: p for p in problem.previous if p.slot in frozen}
    free = [t.id for t in problem.topics if t.id not in fixed]
    taken = {(p.room, p.slot) for p in fixed.values()}
    choices = [c for c in open_cells if c not in taken]
    conveners = {topic.id: topic.conveners for topic in problem.topics}
    best: tuple[int, int, int] | None = None
    for option in itertools.product([None, *choices], repeat=len(free)):
        used = [c for c in option if c is not None]
        if len(used) != len(set(used)):
            continue
        placements = list(fixed.values()) + [
            Placement(t, c[0], c[1]) for t, c in zip(free, option, strict=True) if c is not None
        ]
        clash = False
        for slot in problem.slots:
            people = [x for p in placements if p.slot == slot for x in conveners[p.topic]]
            clash = clash or len(people) != len(set(people))
        if clash:
            continue
        fake = Result(tuple(placements), (), {}, 0, 0, 0, None, "", 0.0)
        votes, overflow, moves = recount(problem, fake)
        if best is None or (votes, -overflow, -moves) > (best[0], -best[1], -best[2]):
            best = (votes, overflow, moves)
    assert best is not None
    return best


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.filter_too_much])
@given(small_instances(), st.data())
def test_slot_costs_price_a_plan_as_its_rooms_do(
    drawn: tuple[Instance, list[str]], data: st.DataObject
) -> None:
    # The heuristic compares plans (a slot per topic) by slot_cost and Problem.moved; rooms_for
    # then picks the rooms. Both must agree on overflow and moves, room changes included.
    problem = build_problem(drawn[0], frozen_slots=drawn[1])
    plan = problem.locked_plan()
    members: list[list[int]] = [[] for _ in problem.slot_ids]
    for t in problem.movable:
        slot = data.draw(st.sampled_from([-1, *problem.open_slots]))
        if slot >= 0 and len(members[slot]) < len(problem.free_rooms[slot]):
            plan[t] = slot
            members[slot].append(t)
    _, overflow, moves = full_score(problem, plan)
    locked = [t for t, slot in enumerate(problem.lock_slot) if slot >= 0]  # the same in any plan
    overflow -= sum(
        max(0, problem.size[t] - problem.capacity[problem.lock_room[t]]) for t in locked
    )
    moves -= sum(
        1
        for t in locked
        if problem.prev_slot[t] >= 0
        and (problem.lock_slot[t], problem.lock_room[t])
        != (problem.prev_slot[t], problem.prev_room[t])
    )
    priced = sum(slot_cost(problem, s, topics) for s, topics in enumerate(members))
    priced += sum(problem.moved(t, plan[t]) for t in problem.movable)
    assert priced == overflow * problem.weight + moves


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.filter_too_much])
@given(small_instances(), st.integers(0, 3))
def test_heuristic_results_keep_every_hard_constraint(
    drawn: tuple[Instance, list[str]], seed: int
) -> None:
    problem, frozen = drawn
    result = solve(problem, engine="heuristic", time_limit=FAST, seed=seed, frozen_slots=frozen)
    check_hard_constraints(problem, frozen, result)
    assert objective(result) == recount(problem, result)
    assert result.bound is not None and result.bound >= result.attendable_votes


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.filter_too_much])
@given(small_instances())
def test_engines_find_the_optimum_of_tiny_instances(drawn: tuple[Instance, list[str]]) -> None:
    problem, frozen = drawn
    assume(len(problem.topics) <= 4 and len(problem.rooms) * len(problem.slots) <= 6)
    best = brute_force(problem, frozen)
    result = solve(problem, engine="exact", time_limit=FAST, frozen_slots=frozen, workers=1)
    check_hard_constraints(problem, frozen, result)
    assert objective(result) == recount(problem, result)
    assert objective(result) == best
    assert result.bound == result.attendable_votes
    # The heuristic proves nothing, but on instances this small it finds the optimum too.
    assert objective(solve(problem, engine="heuristic", frozen_slots=frozen)) == best
