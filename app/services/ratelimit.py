"""Attempt counters in the database, so every worker sees the same counts.

Two kinds:

- **Fixed windows** (``hit``/``exceeded``/``reset``): at most ``limit`` counted events per key
  per window, e.g. wrong join codes per browser, photo uploads per person.
- **Miss streaks** (``take_turn``/``missed``/``forgive``): a growing delay after wrong answers
  in a row, e.g. wrong passwords for one account. Nothing is ever locked: after a miss the
  next attempt waits ``backoff`` seconds, and a right answer ends the streak.

A streak is raced safely: an attempt first *takes a turn* with one conditional upsert (only
one of several simultaneous attempts wins it; the others are told to wait), is checked, and
then either records the miss (which sets the next turn's time) or forgives the streak. So a
burst of parallel guesses gets one check, not one each.

The time comes from ``clock()`` (tests replace it) unless a ``now`` is passed.
"""

from __future__ import annotations

import math
import time

from sqlalchemy import ColumnElement, case
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlmodel import Session, col, delete, select, update

from app.models.people import MissStreak, RateCounter

TURN = 2.0  # seconds an attempt holds its streak while it is checked
FORGET = 60 * 60  # a streak with no miss for an hour starts again from nothing
# No fixed window is longer (``hit`` and ``exceeded`` refuse one that is), so a counter whose
# window started this long ago is over, whatever its key: ``finished_counters`` finds those.
LONGEST_WINDOW = 60 * 60


def clock() -> float:
    return time.time()


def _now(now: float | None) -> float:
    return clock() if now is None else now


def _window_start(moment: float, window: int) -> int:
    if not 0 < window <= LONGEST_WINDOW:
        raise ValueError(f"a window lasts 1 to {LONGEST_WINDOW} seconds, not {window}")
    return int(moment // window * window)


def finished_counters(now: float) -> ColumnElement[bool]:
    """The counters whose window is over, for ``openspace purge`` (``hit`` drops the old
    windows of the keys it counts; keys that are never counted again stay until then)."""
    return col(RateCounter.window_start) <= now - LONGEST_WINDOW


def forgotten_streaks(now: float) -> ColumnElement[bool]:
    """Streaks with no miss for ``FORGET`` seconds: the next attempt starts from nothing."""
    return col(MissStreak.next_at) < now - FORGET


def _insert(session: Session):  # type: ignore[no-untyped-def]
    return pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert


# --- fixed windows -------------------------------------------------------------------------


def hit(session: Session, *, key: str, limit: int, window: int, now: float | None = None) -> bool:
    """Count one attempt for ``key``; return False once ``limit`` attempts fell in this window.

    Commits at once: an attempt must be counted even when the caller then fails.
    """
    window_start = _window_start(_now(now), window)
    statement = (
        _insert(session)(RateCounter)
        .values(key=key, window_start=window_start, count=1)
        .on_conflict_do_update(
            index_elements=["key", "window_start"],
            set_={"count": col(RateCounter.count) + 1},
        )
        .returning(col(RateCounter.count))
    )
    count = session.execute(statement).scalar_one()
    # Old windows are useless; dropping them here keeps the table small without a cron job.
    session.execute(
        delete(RateCounter).where(
            col(RateCounter.key) == key, col(RateCounter.window_start) < window_start
        )
    )
    session.commit()
    return bool(count <= limit)


def exceeded(
    session: Session, *, key: str, limit: int, window: int, now: float | None = None
) -> bool:
    """Whether ``limit`` attempts for ``key`` fell in this window already (counts nothing)."""
    window_start = _window_start(_now(now), window)
    count = session.exec(
        select(RateCounter.count).where(
            RateCounter.key == key, RateCounter.window_start == window_start
        )
    ).first()
    return count is not None and count >= limit


def reset(session: Session, *, key: str) -> None:
    session.execute(delete(RateCounter).where(col(RateCounter.key) == key))
    session.commit()


# --- miss streaks --------------------------------------------------------------------------


def backoff(misses: int, *, start: int, cap: int) -> int:
    """Seconds to wait after ``misses`` wrong answers in a row: none before the ``start``-th,
    then 2^misses, at most ``cap`` (start=3, cap=300: 0, 0, 8, 16, 32, 64, 128, 256, 300 …)."""
    if misses < start:
        return 0
    return min(2**misses, cap) if misses < 32 else cap


def take_turn(session: Session, *, key: str, now: float | None = None) -> int:
    """Claim the right to check one attempt for ``key``; return 0, or the whole seconds left
    to wait when the streak's delay (or a simultaneous attempt) has not passed yet.

    Commits at once, so a simultaneous attempt sees the turn taken.
    """
    moment = _now(now)
    table = MissStreak.__table__  # type: ignore[attr-defined]
    statement = (
        _insert(session)(MissStreak)
        .values(key=key, misses=0, next_at=moment + TURN)
        .on_conflict_do_update(
            index_elements=["key"],
            set_={
                "next_at": moment + TURN,
                "misses": case((forgotten_streaks(moment), 0), else_=table.c.misses),
            },
            where=table.c.next_at <= moment,
        )
        .returning(col(MissStreak.key))
    )
    won = session.execute(statement).first() is not None
    session.commit()
    if won:
        return 0
    next_at = session.exec(select(MissStreak.next_at).where(MissStreak.key == key)).first()
    return max(math.ceil((next_at or moment) - moment), 1)


def missed(
    session: Session, *, key: str, start: int, cap: int, now: float | None = None
) -> tuple[int, int]:
    """Record a wrong answer after ``take_turn``; return (misses in a row, seconds until the
    next attempt may be checked)."""
    moment = _now(now)
    misses = 1 + (session.exec(select(MissStreak.misses).where(MissStreak.key == key)).first() or 0)
    delay = backoff(misses, start=start, cap=cap)
    session.execute(
        update(MissStreak)
        .where(col(MissStreak.key) == key)
        .values(misses=misses, next_at=moment + delay)
    )
    # Streaks that ended long ago are useless; dropping them here needs no cron job.
    session.execute(delete(MissStreak).where(forgotten_streaks(moment)))
    session.commit()
    return misses, delay


def forgive(session: Session, *, key: str) -> None:
    """A right answer: the streak is over."""
    session.execute(delete(MissStreak).where(col(MissStreak.key) == key))
    session.commit()
