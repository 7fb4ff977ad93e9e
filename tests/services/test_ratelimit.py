"""Attempt counters (fixed windows and miss streaks), driven by the ``now`` parameter."""

from __future__ import annotations

from sqlmodel import Session, select

from app.models.people import MissStreak, RateCounter
from app.services import ratelimit

WINDOW = 600
START = 1_800_000_000  # a multiple of the window: the start of one


def _hits(session: Session, key: str, times: list[float], limit: int = 3) -> list[bool]:
    return [ratelimit.hit(session, key=key, limit=limit, window=WINDOW, now=now) for now in times]


def test_hit_allows_up_to_limit_in_window(session: Session) -> None:
    assert _hits(session, "k", [START, START + 1, START + 599, START + 599.9]) == [
        True,
        True,
        True,
        False,
    ]


def test_hit_new_window_starts_fresh_and_drops_old(session: Session) -> None:
    assert _hits(session, "k", [START] * 4) == [True, True, True, False]
    assert _hits(session, "k", [START + WINDOW]) == [True]
    rows = session.exec(select(RateCounter)).all()
    assert [(row.key, row.window_start, row.count) for row in rows] == [("k", START + WINDOW, 1)]


def test_hit_windows_are_fixed_not_sliding(session: Session) -> None:
    # Three attempts at the end of one window and three at the start of the next all pass.
    assert _hits(session, "k", [START + 598, START + 599, START + 599]) == [True] * 3
    assert _hits(session, "k", [START + 600, START + 601, START + 602]) == [True] * 3


def test_hit_keys_are_independent(session: Session) -> None:
    assert _hits(session, "a", [START] * 3) == [True] * 3
    assert _hits(session, "b", [START]) == [True]
    assert _hits(session, "a", [START]) == [False]


def test_exceeded_counts_nothing(session: Session) -> None:
    for _check in range(5):
        assert not ratelimit.exceeded(session, key="k", limit=2, window=WINDOW, now=START)
    _hits(session, "k", [START, START], limit=2)
    assert ratelimit.exceeded(session, key="k", limit=2, window=WINDOW, now=START + 10)
    assert not ratelimit.exceeded(session, key="k", limit=2, window=WINDOW, now=START + WINDOW)
    assert session.exec(select(RateCounter.count)).all() == [2]


def test_reset_clears_key_only(session: Session) -> None:
    _hits(session, "a", [START] * 4)
    _hits(session, "b", [START])
    ratelimit.reset(session, key="a")
    assert _hits(session, "a", [START]) == [True]
    rows = session.exec(select(RateCounter).order_by(RateCounter.key)).all()  # type: ignore[arg-type]
    assert [(row.key, row.count) for row in rows] == [("a", 1), ("b", 1)]


# --- miss streaks --------------------------------------------------------------------------


def test_backoff_schedule() -> None:
    waits = [ratelimit.backoff(misses, start=3, cap=300) for misses in range(1, 12)]
    assert waits == [0, 0, 8, 16, 32, 64, 128, 256, 300, 300, 300]
    assert ratelimit.backoff(10_000, start=3, cap=300) == 300


def test_turns_misses_and_forgiving(session: Session) -> None:
    assert ratelimit.take_turn(session, key="k", now=START) == 0
    # Taken: a simultaneous attempt waits for the check to end.
    assert ratelimit.take_turn(session, key="k", now=START + 0.5) == 2
    assert ratelimit.missed(session, key="k", start=1, cap=300, now=START + 1) == (1, 2)
    assert ratelimit.take_turn(session, key="k", now=START + 2) == 1
    assert ratelimit.take_turn(session, key="k", now=START + 3) == 0
    assert ratelimit.missed(session, key="k", start=1, cap=300, now=START + 3) == (2, 4)
    ratelimit.forgive(session, key="k")
    assert session.exec(select(MissStreak)).all() == []
    assert ratelimit.take_turn(session, key="k", now=START + 3) == 0


def test_old_streaks_are_forgotten_and_dropped(session: Session) -> None:
    ratelimit.take_turn(session, key="old", now=START)
    ratelimit.missed(session, key="old", start=1, cap=300, now=START)
    later = START + ratelimit.FORGET + 10
    ratelimit.take_turn(session, key="new", now=later)
    ratelimit.missed(session, key="new", start=1, cap=300, now=later)
    assert [row.key for row in session.exec(select(MissStreak)).all()] == ["new"]
    assert ratelimit.take_turn(session, key="old", now=later) == 0
    assert ratelimit.missed(session, key="old", start=1, cap=300, now=later) == (1, 2)
