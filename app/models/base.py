"""Shared column helpers. Timestamps are aware UTC datetimes (SQLModel's UTCDateTime)."""

from __future__ import annotations

from datetime import UTC, datetime


def utcnow() -> datetime:
    return datetime.now(UTC)
