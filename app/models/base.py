"""Shared column helpers. Timestamps are aware UTC datetimes (SQLModel's UTCDateTime)."""

from __future__ import annotations

from datetime import UTC, datetime

# The largest id an INTEGER column holds (PostgreSQL): ids from URLs are checked against it.
MAX_ID = 2**31 - 1


def utcnow() -> datetime:
    return datetime.now(UTC)
