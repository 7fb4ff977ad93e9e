"""Turning form strings into typed values, with messages that name the field."""

from __future__ import annotations

import datetime as dt

from app.errors import Invalid
from app.i18n import _


def parse_int(raw: str, *, field: str) -> int:
    try:
        return int(raw.strip())
    except ValueError:
        raise Invalid({field: _("Enter a whole number.")}) from None


def parse_date(raw: str, *, field: str) -> dt.date | None:
    if not raw.strip():
        return None
    try:
        return dt.date.fromisoformat(raw.strip())
    except ValueError:
        raise Invalid({field: _("Enter a date such as 2026-06-09.")}) from None


def parse_time(raw: str, *, field: str) -> dt.time:
    try:
        return dt.time.fromisoformat(raw.strip())
    except ValueError:
        raise Invalid({field: _("Enter a time such as 09:30.")}) from None


def safe_next(raw: str | None, default: str) -> str:
    """Only same-site paths: never redirect to another host after login."""
    if raw and raw.startswith("/") and not raw.startswith("//") and "\\" not in raw:
        return raw
    return default
