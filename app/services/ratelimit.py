"""Fixed-window attempt counters in the database, so every worker sees the same counts."""

from __future__ import annotations

import time

from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlmodel import Session, col, delete, select

from app.models.people import RateCounter


def hit(session: Session, *, key: str, limit: int, window: int, now: float | None = None) -> bool:
    """Count one attempt for ``key``; return False once ``limit`` attempts fell in this window.

    Commits at once: an attempt must be counted even when the caller then fails.
    """
    window_start = int((now if now is not None else time.time()) // window * window)
    insert = pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    statement = (
        insert(RateCounter)
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
    window_start = int((now if now is not None else time.time()) // window * window)
    count = session.exec(
        select(RateCounter.count).where(
            RateCounter.key == key, RateCounter.window_start == window_start
        )
    ).first()
    return count is not None and count >= limit


def reset(session: Session, *, key: str) -> None:
    session.execute(delete(RateCounter).where(col(RateCounter.key) == key))
    session.commit()
