"""Shared column helpers. Timestamps are aware UTC datetimes (SQLModel's UTCDateTime)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Protocol

# The largest id an INTEGER column holds (PostgreSQL): ids from URLs are checked against it.
MAX_ID = 2**31 - 1


def utcnow() -> datetime:
    return datetime.now(UTC)


class Stored(Protocol):
    id: int | None


def id_of(row: Stored) -> int:
    """A row's id as a plain int. SQLModel types ids ``int | None`` because a row gets its id
    when it is flushed; one that has none yet counts as 0, which no stored row has (ids start
    at 1), so a query made with it finds nothing instead of failing."""
    return row.id or 0
