"""Fixed-window attempt counters, driven by the ``now`` parameter."""

from __future__ import annotations

from sqlmodel import Session, select

from app.models.people import RateCounter
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
