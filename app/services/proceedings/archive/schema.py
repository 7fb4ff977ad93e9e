"""The archive's schema: which tables and columns belong to an event's file, which stay out
and why, and how values go to JSON and back. Shared by ``dump`` and ``restore``."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy import MetaData, Table, select
from sqlmodel import SQLModel

import app.models  # noqa: F401  (every table in the metadata)

# The file says what it is (``format``) and which version of its layout it follows
# (``version``, a whole number). The version changes when a file would be read differently:
# a table or column renamed or removed, a value's meaning or unit changed. Adding a table or a
# column does not change it: files without them import (no rows; the column's default), and
# an installation that does not know them refuses the file naming them, rather than dropping
# data unseen. Every file the app has written is version 1. README, "The event file (JSON)".
FORMAT = "openspace-event"
VERSION = 1
# The file's first key, for whoever opens it: unlike the proceedings, it names everyone.
# Import reads past it (it is not data), so files with and without it import alike.
NOTICE_KEY = "notice"
NOTICE = (
    "Full archive for the event's organisers: holds personal data of every participant, "
    "including those who did not consent to be named; do not publish."
)
ROOT = "event"
USERS = "user"
MAX_ERRORS = 20

EXCLUDED: dict[str, str] = {
    "auth_session": "sign-in sessions: secrets of browsers, meaningless anywhere else",
    "participant_device": "which browser is which participant: bound to sign-in sessions",
    "idempotency_key": "retry keys of vote requests: only useful for minutes",
    "rate_counter": "login and join attempt counters: not an event's data",
    "miss_streak": "wrong-password delays of accounts: not an event's data",
    "invitation": "facilitator invitations are secret links that expire in 14 days",
    "topic_merge": "what undoes the latest merge: row ids that mean nothing in another database",
}

# Columns that are never exported. Those that a row needs are made anew on import.
SECRET_COLUMNS: dict[str, str] = {
    "user.password_hash": "a password hash",
    "event.board_nonce": "signs the board links (regenerated: old board links stop working)",
    "participant.link_nonce": "signs personal links (regenerated)",
}
# Columns whose name sounds secret but whose value is not (a test checks every such name is
# in one of the two lists).
NOT_SECRET_COLUMNS: dict[str, str] = {
    "photo.key": "the photo's file name in the upload folder, which is never served as it is "
    "(photos go out through the event's pages only)",
    "event_host.logo_key": "the logo's file name in the upload folder, served through the "
    "event's pages only, like a photo's",
}

# Rows naming files in the upload folder as "<event id>/<key>…": the key is unique, so an
# import gives each row a new one, and copies the files when the folder holds the originals.
# An empty key names no file (an organisation without a logo) and stays empty.
FILE_KEYS: dict[str, tuple[str, tuple[str, ...]]] = {
    "photo": ("key", (".jpg", "-thumb.jpg")),
    "event_host": ("logo_key", (".png",)),
}
Renamed = list[tuple[str, str, tuple[str, ...]]]  # (old key, new key, file suffixes)

Remap = Callable[[str, Any], Any]  # (table, old id) → new id, or None when unknown


def _remap_schedule_changes(value: Any, remap: Remap) -> Any:
    """``[{"topic": id, "from": [block, room] | None, "to": [block, room] | None}]``"""
    result = []
    for change in value if isinstance(value, list) else []:
        topic = remap("topic", change.get("topic"))
        if topic is None:
            continue
        result.append(
            {
                **change,
                "topic": topic,
                "from": _remap_cell(change.get("from"), remap),
                "to": _remap_cell(change.get("to"), remap),
            }
        )
    return result


def _remap_grid_cells(value: Any, remap: Remap) -> Any:
    """``{"<topic id>": [block, room, locked] | None}``"""
    result: dict[str, Any] = {}
    for key, cell in (value if isinstance(value, dict) else {}).items():
        topic = remap("topic", int(key)) if str(key).isdigit() else None
        if topic is not None:
            result[str(topic)] = _remap_cell(cell, remap)
    return result


def _remap_cell(cell: Any, remap: Remap) -> Any:
    if not isinstance(cell, list) or len(cell) < 2:
        return None
    block, room = remap("time_block", cell[0]), remap("room", cell[1])
    if block is None or room is None:
        return None
    return [block, room, *cell[2:]]


# JSON columns that hold ids, and how to point them at the new ids. Every other JSON
# column must be listed in ID_FREE_JSON (a test checks), so none is forgotten.
JSON_REFERENCES: dict[str, Callable[[Any, Remap], Any]] = {
    "schedule_version.changes": _remap_schedule_changes,
    "grid_change.before": _remap_grid_cells,
    "grid_change.after": _remap_grid_cells,
}
ID_FREE_JSON = frozenset({"event.languages", "notes_revision.fields"})


# --- which tables, and how their rows belong to the event ----------------------------------


@dataclass(frozen=True)
class Link:
    """A table's rows belong to the event through ``column`` → ``parent.parent_column``."""

    column: str
    parent: str
    parent_column: str


@dataclass
class Plan:
    metadata: MetaData
    links: dict[str, Link]  # every exported table but the root and the users
    order: list[str]  # exported tables in foreign-key order, root first, users second

    def table(self, name: str) -> Table:
        return self.metadata.tables[name]


def plan(metadata: MetaData = SQLModel.metadata, *, excluded: Iterable[str] = EXCLUDED) -> Plan:
    """Find the event's tables: a table belongs to the event through a required foreign key
    to the event, or to a table that belongs to it (``event_id`` preferred)."""
    skip = set(excluded) | {ROOT, USERS}
    links: dict[str, Link] = {}
    scoped = {ROOT}
    changed = True
    while changed:
        changed = False
        for table in metadata.sorted_tables:
            if table.name in skip or table.name in links:
                continue
            candidates = [
                fk
                for fk in table.foreign_keys
                if fk.column.table.name in scoped and not fk.parent.nullable
            ]
            if not candidates:
                continue
            candidates.sort(key=lambda fk: (fk.column.table.name != ROOT, fk.parent.name))
            fk = candidates[0]
            links[table.name] = Link(fk.parent.name, fk.column.table.name, fk.column.name)
            scoped.add(table.name)
            changed = True
    order = [ROOT, USERS] + [t.name for t in metadata.sorted_tables if t.name in links]
    return Plan(metadata=metadata, links=links, order=order)


def row_filter(plan_: Plan, name: str, event_id: int) -> sa.ColumnElement[bool]:
    table = plan_.table(name)
    if name == ROOT:
        return table.c.id == event_id
    link = plan_.links[name]
    if link.parent == ROOT:
        return table.c[link.column] == event_id
    parent = plan_.table(link.parent)
    parents = select(parent.c[link.parent_column]).where(row_filter(plan_, link.parent, event_id))
    return table.c[link.column].in_(parents)


# --- values --------------------------------------------------------------------------------


def column_kind(column: sa.Column[Any]) -> str:
    column_type = column.type
    if isinstance(column_type, sa.TypeDecorator):
        column_type = column_type.impl_instance
    for kind, types in (
        ("datetime", sa.DateTime),
        ("date", sa.Date),
        ("time", sa.Time),
        ("json", sa.JSON),
        ("bool", sa.Boolean),
        ("int", sa.Integer),
        ("float", (sa.Float, sa.Numeric)),
        ("str", sa.String),
    ):
        if isinstance(column_type, types):
            return kind
    return "any"


def dump_value(value: Any) -> Any:
    """A value as JSON: moments in UTC with their offset (``2021-06-10T11:03:00.123456+00:00``;
    the databases store UTC, naive or not), dates and times of day in ISO 8601."""
    if isinstance(value, dt.datetime):
        aware = value if value.tzinfo else value.replace(tzinfo=dt.UTC)
        return aware.astimezone(dt.UTC).isoformat()
    if isinstance(value, dt.date | dt.time):
        return value.isoformat()
    return value


class BadValue(ValueError):
    pass


def load_value(column: sa.Column[Any], value: Any) -> Any:
    if value is None:
        if not column.nullable:
            raise BadValue("must not be empty")
        return None
    kind = column_kind(column)
    try:
        if kind == "datetime":
            parsed = dt.datetime.fromisoformat(value)
            return parsed if parsed.tzinfo else parsed.replace(tzinfo=dt.UTC)
        if kind == "date":
            return dt.date.fromisoformat(value)
        if kind == "time":
            return dt.time.fromisoformat(value)
    except (TypeError, ValueError):
        raise BadValue(f"expected an ISO {kind.replace('datetime', 'date and time')}") from None
    if kind == "bool" and not isinstance(value, bool):
        raise BadValue("expected true or false")
    if kind == "int" and (isinstance(value, bool) or not isinstance(value, int)):
        raise BadValue("expected a whole number")
    if kind == "float" and (isinstance(value, bool) or not isinstance(value, int | float)):
        raise BadValue("expected a number")
    if kind == "str":
        if not isinstance(value, str):
            raise BadValue("expected text")
        length = getattr(column.type, "length", None)
        if length is not None and len(value) > length:
            raise BadValue(f"longer than {length} characters")
        if "\x00" in value:
            raise BadValue("contains a NUL character")
    return value


def exported_columns(table: Table) -> list[sa.Column[Any]]:
    return [c for c in table.columns if f"{table.name}.{c.name}" not in SECRET_COLUMNS]
