"""Editing the agenda grid without HTTP: compare-and-set moves, swaps, locks, blocked cells,
undo, scheduling from votes with locks and frozen slots, publishing, and the problem badges."""

from __future__ import annotations

import datetime as dt
import threading
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import Engine
from sqlmodel import Session, select

from app.config import Settings
from app.db import open_session
from app.errors import DomainError, Invalid, NotFound, PermissionDenied
from app.models.schedule import GridChange, Placement, PublishedPlacement
from app.services.schedule import agenda, grid, optimise, publishing
from app.services.schedule.grid import StaleMove
from app.services.topics import topics
from tests.factories import access_as
from tests.grid_helpers import Grid, make_grid, vote
from tests.marketplace_helpers import as_participant, make_facilitator

SOFIA = ZoneInfo("Europe/Sofia")
EARLY = dt.datetime(2026, 6, 9, 7, 0, tzinfo=SOFIA)  # before the day starts


@pytest.fixture
def g(session: Session, settings: Settings) -> Grid:
    return make_grid(session, settings)


def draft(session: Session, g: Grid) -> dict[int, tuple[int, int, bool]]:
    return grid.spots(session, event_id=g.event.id or 0)


def test_move_places_an_unscheduled_topic(session: Session, g: Grid) -> None:
    grid.move(session, access=g.staff, topic_id=g.topic(0), expected=None, target=g.cell(0, 0))

    assert draft(session, g) == {g.topic(0): (*g.cell(0, 0), False)}


def test_move_into_an_occupied_cell_swaps_in_one_step(session: Session, g: Grid) -> None:
    grid.move(session, access=g.staff, topic_id=g.topic(0), expected=None, target=g.cell(0, 0))
    grid.move(session, access=g.staff, topic_id=g.topic(1), expected=None, target=g.cell(1, 1))

    grid.move(
        session,
        access=g.staff,
        topic_id=g.topic(0),
        expected=g.cell(0, 0),
        target=g.cell(1, 1),
        target_holds=g.topic(1),
    )

    assert draft(session, g) == {
        g.topic(0): (*g.cell(1, 1), False),
        g.topic(1): (*g.cell(0, 0), False),
    }


def test_unscheduled_topic_swapped_in_sends_the_occupant_off_the_grid(
    session: Session, g: Grid
) -> None:
    grid.move(session, access=g.staff, topic_id=g.topic(1), expected=None, target=g.cell(0, 0))

    grid.move(
        session,
        access=g.staff,
        topic_id=g.topic(0),
        expected=None,
        target=g.cell(0, 0),
        target_holds=g.topic(1),
    )

    assert draft(session, g) == {g.topic(0): (*g.cell(0, 0), False)}


def test_stale_move_changes_nothing(session: Session, g: Grid) -> None:
    grid.move(session, access=g.staff, topic_id=g.topic(0), expected=None, target=g.cell(0, 0))
    before = draft(session, g)

    # A second facilitator still sees topic 0 as unscheduled.
    with pytest.raises(StaleMove, match="Someone else moved this topic"):
        grid.move(session, access=g.staff, topic_id=g.topic(0), expected=None, target=g.cell(1, 0))
    session.rollback()
    # ...or sees the target cell as empty when it holds a topic now.
    with pytest.raises(StaleMove, match="That cell changed meanwhile"):
        grid.move(session, access=g.staff, topic_id=g.topic(1), expected=None, target=g.cell(0, 0))
    session.rollback()

    assert draft(session, g) == before


def test_moves_that_break_the_rules_are_refused(
    session: Session, settings: Settings, g: Grid
) -> None:
    other = make_grid(session, settings)
    refusals = [
        (dict(target=(g.plenary.id or 0, g.rooms[0].id or 0)), Invalid),
        (dict(target=other.cell(0, 0)), NotFound),
        (dict(target=(g.slots[0].id or 0, other.rooms[0].id or 0)), NotFound),
        (dict(target=(999_999, g.rooms[0].id or 0)), NotFound),
    ]
    for values, error in refusals:
        with pytest.raises(error):
            grid.move(session, access=g.staff, topic_id=g.topic(0), expected=None, **values)  # type: ignore[arg-type]
        session.rollback()
    with pytest.raises(NotFound):
        grid.move(
            session, access=g.staff, topic_id=other.topic(0), expected=None, target=g.cell(0, 0)
        )
    session.rollback()

    assert draft(session, g) == {}
    assert draft(session, other) == {}


def test_only_staff_edit_the_grid(session: Session, settings: Settings, g: Grid) -> None:
    phone = as_participant(session, settings, g.event)

    with pytest.raises(PermissionDenied):
        grid.move(session, access=phone, topic_id=g.topic(0), expected=None, target=g.cell(0, 0))
    with pytest.raises(PermissionDenied):
        publishing.publish(session, access=phone)
    with pytest.raises(PermissionDenied):
        optimise.prepare(session, access=phone, mode="fill")


def test_blocked_cell_takes_no_topic_and_cannot_block_a_session(session: Session, g: Grid) -> None:
    block, room = g.cell(0, 1)
    grid.set_blocked(session, access=g.staff, block_id=block, room_id=room, blocked=True)

    with pytest.raises(Invalid, match="not available"):
        grid.move(session, access=g.staff, topic_id=g.topic(0), expected=None, target=(block, room))
    session.rollback()
    grid.move(session, access=g.staff, topic_id=g.topic(0), expected=None, target=g.cell(0, 0))
    with pytest.raises(Invalid, match="Move the session out"):
        grid.set_blocked(
            session, access=g.staff, block_id=g.cell(0, 0)[0], room_id=g.cell(0, 0)[1], blocked=True
        )
    session.rollback()

    assert agenda.blocked_cells(session, event_id=g.event.id or 0) == {(block, room)}
    grid.set_blocked(session, access=g.staff, block_id=block, room_id=room, blocked=False)
    assert agenda.blocked_cells(session, event_id=g.event.id or 0) == set()


def test_locked_session_stays_put(session: Session, g: Grid) -> None:
    grid.move(session, access=g.staff, topic_id=g.topic(0), expected=None, target=g.cell(0, 0))
    grid.set_locked(session, access=g.staff, topic_id=g.topic(0), locked=True)

    with pytest.raises(Invalid, match="locked"):
        grid.move(session, access=g.staff, topic_id=g.topic(0), expected=g.cell(0, 0), target=None)
    session.rollback()
    with pytest.raises(Invalid, match="locked"):
        grid.move(
            session,
            access=g.staff,
            topic_id=g.topic(1),
            expected=None,
            target=g.cell(0, 0),
            target_holds=g.topic(0),
        )
    session.rollback()

    assert draft(session, g) == {g.topic(0): (*g.cell(0, 0), True)}


def test_undo_steps_back_through_the_history(session: Session, g: Grid) -> None:
    grid.move(session, access=g.staff, topic_id=g.topic(0), expected=None, target=g.cell(0, 0))
    grid.move(
        session, access=g.staff, topic_id=g.topic(0), expected=g.cell(0, 0), target=g.cell(1, 0)
    )

    grid.undo(session, access=g.staff)
    assert draft(session, g) == {g.topic(0): (*g.cell(0, 0), False)}
    grid.undo(session, access=g.staff)
    assert draft(session, g) == {}
    with pytest.raises(Invalid, match="nothing to undo"):
        grid.undo(session, access=g.staff)


def test_undo_refuses_when_the_grid_moved_on(session: Session, g: Grid) -> None:
    grid.move(session, access=g.staff, topic_id=g.topic(0), expected=None, target=g.cell(0, 0))
    grid.move(
        session, access=g.staff, topic_id=g.topic(0), expected=g.cell(0, 0), target=g.cell(1, 0)
    )
    # The cell the step would give back is taken out of use meanwhile.
    block, room = g.cell(0, 0)
    grid.set_blocked(session, access=g.staff, block_id=block, room_id=room, blocked=True)

    with pytest.raises(StaleMove, match="cannot be undone"):
        grid.undo(session, access=g.staff)
    session.rollback()

    assert draft(session, g) == {g.topic(0): (*g.cell(1, 0), False)}


def test_undo_is_per_facilitator_and_checks_the_other_ones_moves(session: Session, g: Grid) -> None:
    other = access_as(session, g.event, user=make_facilitator(session, g.event, g.staff.user))
    grid.move(session, access=g.staff, topic_id=g.topic(0), expected=None, target=g.cell(0, 0))
    grid.move(session, access=other, topic_id=g.topic(1), expected=None, target=g.cell(1, 1))

    grid.undo(session, access=g.staff)  # the organiser's own last step, not the other's
    assert draft(session, g) == {g.topic(1): (*g.cell(1, 1), False)}

    grid.move(session, access=g.staff, topic_id=g.topic(2), expected=None, target=g.cell(0, 0))
    grid.move(
        session, access=other, topic_id=g.topic(2), expected=g.cell(0, 0), target=g.cell(1, 0)
    )
    with pytest.raises(StaleMove, match="cannot be undone"):
        grid.undo(session, access=g.staff)
    session.rollback()
    assert draft(session, g)[g.topic(2)] == (*g.cell(1, 0), False)


def test_undo_after_the_topic_was_hidden_is_refused(session: Session, g: Grid) -> None:
    grid.move(session, access=g.staff, topic_id=g.topic(0), expected=None, target=g.cell(0, 0))
    topics.hide(session, access=g.staff, topic_id=g.topic(0), reason="Off topic")

    with pytest.raises(StaleMove):
        grid.undo(session, access=g.staff)


def test_fill_from_votes_keeps_the_hard_rules(session: Session, settings: Settings) -> None:
    g = make_grid(session, settings, rooms=(("Hall", 40), ("Lab", 10)), topic_count=5, people=3)
    # Topics 0 and 3 share convener 0, topics 1 and 4 convener 1; everybody wants 0, 1 and 2.
    vote(session, g, {0: [0, 1, 2], 1: [0, 1, 2], 2: [0, 1, 2, 3, 4]})

    plan = optimise.prepare(session, access=g.staff, mode="fill", now=EARLY)
    session.commit()
    optimise.apply(session, access=g.staff, plan=optimise.solve(plan, seed=1))

    placed = draft(session, g)
    cells = [spot[:2] for spot in placed.values()]
    assert len(cells) == len(set(cells)) == 4  # 2 rooms × 2 slots, one topic each
    assert placed.get(g.topic(0), (0,))[0] != placed.get(g.topic(3), (-1,))[0]
    assert plan.result is not None
    # Three favourites over two slots: each voter can attend two of them at best.
    assert plan.result.attendable_votes == 6
    unscheduled = set(g.topic(i) for i in range(5)) - set(placed)
    assert len(unscheduled) == 1
    assert set(plan.reasons) == unscheduled


def test_fill_keeps_locked_sessions_and_frozen_slots(session: Session, settings: Settings) -> None:
    g = make_grid(session, settings, topic_count=4, people=4)
    vote(session, g, {0: [1], 1: [1], 2: [2, 3], 3: [0]})
    grid.move(session, access=g.staff, topic_id=g.topic(0), expected=None, target=g.cell(1, 1))
    grid.set_locked(session, access=g.staff, topic_id=g.topic(0), locked=True)
    grid.move(session, access=g.staff, topic_id=g.topic(3), expected=None, target=g.cell(0, 1))
    publishing.publish(session, access=g.staff)

    # 9:50 in Sofia: slot 0 (10:00) starts within the default 15 minutes, so it is frozen.
    now = dt.datetime(2026, 6, 9, 9, 50, tzinfo=SOFIA)
    plan = optimise.prepare(session, access=g.staff, mode="fill", now=now)
    assert plan.frozen == {g.slots[0].id}
    session.commit()
    optimise.apply(session, access=g.staff, plan=optimise.solve(plan, seed=3))

    placed = draft(session, g)
    assert placed[g.topic(0)] == (*g.cell(1, 1), True)
    assert placed[g.topic(3)][:2] == g.cell(0, 1)
    # Nothing new goes into the frozen slot.
    assert [t for t, spot in placed.items() if spot[0] == g.slots[0].id] == [g.topic(3)]


def test_reoptimise_moves_nothing_when_the_published_agenda_is_best(
    session: Session, settings: Settings
) -> None:
    g = make_grid(session, settings, topic_count=4, people=4)
    vote(session, g, {0: [0], 1: [1], 2: [2], 3: [3]})
    plan = optimise.prepare(session, access=g.staff, mode="fill", now=EARLY)
    session.commit()
    optimise.apply(session, access=g.staff, plan=optimise.solve(plan, seed=5))
    publishing.publish(session, access=g.staff)
    published = draft(session, g)

    again = optimise.prepare(session, access=g.staff, mode="reoptimise", now=EARLY)
    session.commit()
    optimise.apply(session, access=g.staff, plan=optimise.solve(again, seed=99))

    assert again.result is not None and again.result.moves == 0
    assert draft(session, g) == published


def test_apply_refuses_when_the_grid_changed_while_solving(session: Session, g: Grid) -> None:
    plan = optimise.prepare(session, access=g.staff, mode="fill", now=EARLY)
    session.commit()
    optimise.solve(plan, seed=1)
    grid.move(session, access=g.staff, topic_id=g.topic(2), expected=None, target=g.cell(1, 1))
    before = draft(session, g)

    with pytest.raises(StaleMove, match="changed while the scheduler"):
        optimise.apply(session, access=g.staff, plan=plan)
    session.rollback()

    assert draft(session, g) == before


def test_clashing_locks_get_a_message(session: Session, settings: Settings) -> None:
    g = make_grid(session, settings, topic_count=3, people=1)  # one person convenes everything
    grid.move(session, access=g.staff, topic_id=g.topic(0), expected=None, target=g.cell(0, 0))
    grid.move(session, access=g.staff, topic_id=g.topic(1), expected=None, target=g.cell(0, 1))
    for index in (0, 1):
        grid.set_locked(session, access=g.staff, topic_id=g.topic(index), locked=True)

    plan = optimise.prepare(session, access=g.staff, mode="fill", now=EARLY)
    with pytest.raises(Invalid, match="clash"):
        optimise.solve(plan, seed=0)


def test_publish_numbers_versions_and_lists_what_moved(session: Session, g: Grid) -> None:
    grid.move(session, access=g.staff, topic_id=g.topic(0), expected=None, target=g.cell(0, 0))
    grid.move(session, access=g.staff, topic_id=g.topic(1), expected=None, target=g.cell(0, 1))
    first = publishing.publish(session, access=g.staff)
    grid.move(
        session, access=g.staff, topic_id=g.topic(0), expected=g.cell(0, 0), target=g.cell(1, 0)
    )
    grid.move(session, access=g.staff, topic_id=g.topic(1), expected=g.cell(0, 1), target=None)
    second = publishing.publish(session, access=g.staff)

    assert (first.number, first.changes) == (1, [])
    assert second.number == 2
    assert second.changes == [
        {"topic": g.topic(0), "from": list(g.cell(0, 0)), "to": list(g.cell(1, 0))},
        {"topic": g.topic(1), "from": list(g.cell(0, 1)), "to": None},
    ]
    rows = session.exec(
        select(PublishedPlacement.topic_id).where(PublishedPlacement.version_id == second.id)
    ).all()
    assert rows == [g.topic(0)]
    seen = agenda.load_published(session, event=g.event)
    assert {item.topic_id: item.cell for item in seen.sessions.values()} == {
        g.topic(0): g.cell(1, 0)
    }


def test_drafts_stay_unseen_until_published(session: Session, g: Grid) -> None:
    grid.move(session, access=g.staff, topic_id=g.topic(0), expected=None, target=g.cell(0, 0))

    assert agenda.load_published(session, event=g.event).sessions == {}
    draft = agenda.load_draft(session, event=g.event)
    assert publishing.unpublished_changes(session, grid=draft) == 1


def test_hidden_topic_leaves_the_grid(session: Session, g: Grid) -> None:
    grid.move(session, access=g.staff, topic_id=g.topic(0), expected=None, target=g.cell(0, 0))

    topics.hide(session, access=g.staff, topic_id=g.topic(0), reason="Duplicate")

    assert draft(session, g) == {}


def test_problem_badges(session: Session, settings: Settings) -> None:
    # Conveners: topic i by person i % 3, so person 0 convenes topics 0 and 3.
    g = make_grid(session, settings, topic_count=4, people=3)
    vote(session, g, {0: [0, 3, 1], 1: [0, 3, 1], 2: [1]})
    grid.move(session, access=g.staff, topic_id=g.topic(0), expected=None, target=g.cell(0, 0))
    grid.move(session, access=g.staff, topic_id=g.topic(3), expected=None, target=g.cell(0, 1))
    grid.move(session, access=g.staff, topic_id=g.topic(1), expected=None, target=g.cell(1, 1))

    found = grid.problems(session, grid=agenda.load_draft(session, event=g.event))

    assert found.convener_clash == {g.topic(0), g.topic(3)}
    assert found.over_capacity == {g.topic(1): (3, 2)}  # three voters, the Lab seats two
    assert found.split_favourites == {g.slots[0].id: 2}  # persons 0 and 1 want 0 and 3
    assert found.voters == {g.topic(0): 2, g.topic(1): 3, g.topic(3): 2}


@pytest.mark.parametrize("attempts", [8])
def test_concurrent_moves_never_lose_or_duplicate_a_topic(
    session: Session, engine: Engine, g: Grid, attempts: int
) -> None:
    """Facilitators drop the same unscheduled topic into different cells at the same moment:
    exactly one move wins; the others are told the grid changed."""
    owner = g.staff.user
    assert owner is not None
    session.commit()
    barrier = threading.Barrier(attempts)
    outcomes: list[str] = [""] * attempts
    targets = [g.cell(i % 2, (i // 2) % 2) for i in range(attempts)]

    def run(number: int) -> None:
        barrier.wait(timeout=30)
        with open_session(engine, write=True) as own:
            access = access_as(own, g.event, user=owner)
            try:
                grid.move(
                    own, access=access, topic_id=g.topic(0), expected=None, target=targets[number]
                )
                outcomes[number] = "moved"
            except DomainError as error:
                outcomes[number] = type(error).__name__

    threads = [threading.Thread(target=run, args=(n,)) for n in range(attempts)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert sorted(outcomes) == ["StaleMove"] * (attempts - 1) + ["moved"]
    rows = session.exec(select(Placement).where(Placement.topic_id == g.topic(0))).all()
    assert len(rows) == 1
    changes = session.exec(select(GridChange).where(GridChange.event_id == g.event.id)).all()
    assert len(changes) == 1


def test_nothing_to_schedule_once_every_slot_has_started(session: Session, g: Grid) -> None:
    late = dt.datetime(2026, 6, 9, 15, 0, tzinfo=SOFIA)

    with pytest.raises(Invalid, match="Every slot has started"):
        optimise.prepare(session, access=g.staff, mode="fill", now=late)


def test_every_slot_started_is_filled_only_when_asked_for_all_slots(
    session: Session, settings: Settings
) -> None:
    # An event entered afterwards: its day was a year ago, so every slot has started.
    g = make_grid(session, settings, topic_count=4, people=4, first_day=dt.date(2025, 6, 9))
    vote(session, g, {0: [0], 1: [1], 2: [2], 3: [3]})
    grid.move(session, access=g.staff, topic_id=g.topic(3), expected=None, target=g.cell(1, 0))
    grid.set_locked(session, access=g.staff, topic_id=g.topic(3), locked=True)
    draft_grid = agenda.load_draft(session, event=g.event)
    assert optimise.all_started(g.event, draft_grid) is True
    with pytest.raises(Invalid, match="Schedule all slots anyway"):
        optimise.prepare(session, access=g.staff, mode="fill")

    plan = optimise.prepare(session, access=g.staff, mode="fill", include_started=True)
    assert plan.frozen == set()
    session.commit()
    optimise.apply(session, access=g.staff, plan=optimise.solve(plan, seed=2))

    placed = draft(session, g)
    assert set(placed) == {g.topic(0), g.topic(1), g.topic(2), g.topic(3)}
    assert placed[g.topic(3)] == (*g.cell(1, 0), True)  # the lock held
    assert len({spot[:2] for spot in placed.values()}) == 4


def test_all_started_is_false_while_a_slot_is_ahead(session: Session, g: Grid) -> None:
    draft_grid = agenda.load_draft(session, event=g.event)
    # 10:30 in Sofia: the 10:00 slot has started, the 11:30 one has not.
    half_past_ten = dt.datetime(2026, 6, 9, 10, 30, tzinfo=SOFIA)

    assert optimise.all_started(g.event, draft_grid, now=half_past_ten) is False
    assert optimise.all_started(g.event, draft_grid, now=EARLY) is False
    late = dt.datetime(2026, 6, 9, 11, 30, tzinfo=SOFIA)
    assert optimise.all_started(g.event, draft_grid, now=late) is True


def test_a_freeze_window_of_zero_freezes_only_started_slots(session: Session, g: Grid) -> None:
    grid.set_freeze_minutes(session, access=g.staff, minutes=0)
    # 11:29: the 11:30 slot starts in a minute, yet with no window it can still be filled.
    now = dt.datetime(2026, 6, 9, 11, 29, tzinfo=SOFIA)

    plan = optimise.prepare(session, access=g.staff, mode="fill", now=now)

    assert plan.frozen == {g.slots[0].id}


def test_a_programme_of_only_plenaries_says_so(session: Session, settings: Settings) -> None:
    g = make_grid(session, settings, slots=())

    with pytest.raises(Invalid, match="only plenary items and breaks") as refused:
        optimise.prepare(session, access=g.staff, mode="fill", now=EARLY)
    assert refused.value.errors == {
        "grid": "The programme has only plenary items and breaks: add an open-space slot to a "
        "day first."
    }
