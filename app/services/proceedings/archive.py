"""An event's data as one JSON file, and back: for archives and for moving an event to
another installation.

Table-driven, so tables added later are covered without touching this module: every table
in ``SQLModel.metadata`` whose rows belong to an event (an ``event_id`` column, or a
required foreign key to a table that belongs to one, such as ``topic_convener`` → ``topic``)
is exported, unless ``EXCLUDED`` says why not; ``tests/services/proceedings/test_archive.py``
fails when a table is in neither. The accounts of the event's team (and of anyone its rows point to)
come along without their password hashes.

Secrets never leave: sign-in sessions, password hashes, invitation tokens, retry keys, rate
counters, and the nonces behind board and personal links (regenerated on import).

Import checks the whole file first (format marker, version, every row, every reference) and
names the bad entry (``tables.vote[2].topic_id: no topic with id 99 in the file``); then it
inserts in foreign-key order in one transaction, giving every row a new id and pointing
every reference at the new ids. The event gets a new address (and join code) if its own are
taken. Nothing is written when anything is wrong.
"""

from __future__ import annotations

import datetime as dt
import json
import shutil
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy import MetaData, Table, insert, select, update
from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlmodel import Session, SQLModel

import app.models  # noqa: F401  (every table in the metadata)
from app.errors import Invalid
from app.models.events import Event, Role
from app.security import hash_password, new_join_code, new_token

FORMAT = "openspace-event"
VERSION = 1
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
}

# Rows naming files in the upload folder as "<event id>/<key>…": the key is unique, so an
# import gives each row a new one, and copies the files when the folder holds the originals.
FILE_KEYS: dict[str, tuple[str, tuple[str, ...]]] = {"photo": ("key", (".jpg", "-thumb.jpg"))}
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


def _row_filter(plan_: Plan, name: str, event_id: int) -> sa.ColumnElement[bool]:
    table = plan_.table(name)
    if name == ROOT:
        return table.c.id == event_id
    link = plan_.links[name]
    if link.parent == ROOT:
        return table.c[link.column] == event_id
    parent = plan_.table(link.parent)
    parents = select(parent.c[link.parent_column]).where(_row_filter(plan_, link.parent, event_id))
    return table.c[link.column].in_(parents)


# --- values --------------------------------------------------------------------------------


def _kind(column: sa.Column[Any]) -> str:
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


def _dump_value(value: Any) -> Any:
    if isinstance(value, dt.datetime | dt.date | dt.time):
        return value.isoformat()
    return value


class _BadValue(ValueError):
    pass


def _load_value(column: sa.Column[Any], value: Any) -> Any:
    if value is None:
        if not column.nullable:
            raise _BadValue("must not be empty")
        return None
    kind = _kind(column)
    try:
        if kind == "datetime":
            parsed = dt.datetime.fromisoformat(value)
            return parsed if parsed.tzinfo else parsed.replace(tzinfo=dt.UTC)
        if kind == "date":
            return dt.date.fromisoformat(value)
        if kind == "time":
            return dt.time.fromisoformat(value)
    except (TypeError, ValueError):
        raise _BadValue(f"expected an ISO {kind.replace('datetime', 'date and time')}") from None
    if kind == "bool" and not isinstance(value, bool):
        raise _BadValue("expected true or false")
    if kind == "int" and (isinstance(value, bool) or not isinstance(value, int)):
        raise _BadValue("expected a whole number")
    if kind == "float" and (isinstance(value, bool) or not isinstance(value, int | float)):
        raise _BadValue("expected a number")
    if kind == "str":
        if not isinstance(value, str):
            raise _BadValue("expected text")
        length = getattr(column.type, "length", None)
        if length is not None and len(value) > length:
            raise _BadValue(f"longer than {length} characters")
        if "\x00" in value:
            raise _BadValue("contains a NUL character")
    return value


def _exported_columns(table: Table) -> list[sa.Column[Any]]:
    return [c for c in table.columns if f"{table.name}.{c.name}" not in SECRET_COLUMNS]


# --- export --------------------------------------------------------------------------------


def export_event(
    session: Session, *, event: Event, metadata: MetaData | None = None
) -> dict[str, Any]:
    """Everything of ``event`` as a JSON-ready dict (one query per table)."""
    plan_ = plan(metadata or SQLModel.metadata)
    event_id = event.id or 0
    tables: dict[str, list[dict[str, Any]]] = {}
    user_ids: set[int] = set()
    for name in plan_.order:
        if name == USERS:
            continue
        table = plan_.table(name)
        columns = _exported_columns(table)
        rows = session.execute(
            select(*columns)
            .where(_row_filter(plan_, name, event_id))
            .order_by(*table.primary_key.columns)
        ).all()
        tables[name] = [
            {column.name: _dump_value(value) for column, value in zip(columns, row, strict=True)}
            for row in rows
        ]
        for fk in table.foreign_keys:
            if fk.column.table.name == USERS:
                user_ids.update(r[fk.parent.name] for r in tables[name] if r[fk.parent.name])
    users = plan_.table(USERS)
    columns = _exported_columns(users)
    rows = session.execute(
        select(*columns).where(users.c.id.in_(sorted(user_ids))).order_by(users.c.id)
    ).all()
    tables[USERS] = [
        {column.name: _dump_value(value) for column, value in zip(columns, row, strict=True)}
        for row in rows
    ]
    return {
        "format": FORMAT,
        "version": VERSION,
        "exported_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "tables": {name: tables[name] for name in plan_.order},
    }


def dumps(data: dict[str, Any]) -> bytes:
    return json.dumps(data, ensure_ascii=False, indent=1).encode("utf-8")


# --- import --------------------------------------------------------------------------------


@dataclass
class _Checked:
    rows: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    errors: dict[str, str] = field(default_factory=dict)

    def error(self, where: str, message: str) -> None:
        if len(self.errors) < MAX_ERRORS:
            self.errors.setdefault(where, message)


def loads(raw: bytes | str) -> Any:
    """Parse a file's bytes; a clear ``Invalid`` for what is not JSON."""
    try:
        return json.loads(raw.decode("utf-8-sig") if isinstance(raw, bytes) else raw)
    except UnicodeDecodeError:
        raise Invalid({"file": "not UTF-8 text"}) from None
    except json.JSONDecodeError as error:
        raise Invalid({"file": f"not valid JSON: {error}"}) from None
    except RecursionError:
        raise Invalid({"file": "nested too deeply"}) from None


def check(data: Any, *, metadata: MetaData | None = None) -> dict[str, list[dict[str, Any]]]:
    """The file's rows with values parsed, or ``Invalid`` naming every bad entry (up to 20)."""
    plan_ = plan(metadata or SQLModel.metadata)
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        raise Invalid({"format": f'not an Open Space Lab event file (expected "{FORMAT}")'})
    if data.get("version") != VERSION:
        raise Invalid(
            {"version": f"version {data.get('version')!r} is not supported (expected {VERSION})"}
        )
    tables = data.get("tables")
    if not isinstance(tables, dict):
        raise Invalid({"tables": "missing, or not an object"})
    result = _Checked()
    for name in tables:
        if name not in plan_.order:
            reason = EXCLUDED.get(name)
            result.error(
                f"tables.{name}",
                f"not imported ({reason})" if reason else "not a table of this version",
            )
    events = tables.get(ROOT)
    if not isinstance(events, list) or len(events) != 1:
        result.error(f"tables.{ROOT}", "must hold exactly one event")
    ids: dict[str, set[Any]] = defaultdict(set)
    for name in plan_.order:
        _check_rows(plan_, name, tables.get(name, []), result, ids)
    if not result.errors:
        _check_references(plan_, result, ids)
    if result.errors:
        raise Invalid(result.errors)
    return result.rows


def _check_rows(
    plan_: Plan, name: str, rows: Any, result: _Checked, ids: dict[str, set[Any]]
) -> None:
    table = plan_.table(name)
    columns = {c.name: c for c in _exported_columns(table)}
    if not isinstance(rows, list):
        result.error(f"tables.{name}", "must be a list of rows")
        return
    checked = []
    pk = [c.name for c in table.primary_key.columns]
    for index, row in enumerate(rows):
        where = f"tables.{name}[{index}]"
        if not isinstance(row, dict):
            result.error(where, "must be an object")
            continue
        values: dict[str, Any] = {}
        for key in row:
            if key not in columns:
                result.error(f"{where}.{key}", "not a column of this version")
        for column in columns.values():
            if column.name not in row:
                optional = column.nullable or column.default is not None
                if column.primary_key or not (optional or column.server_default is not None):
                    result.error(f"{where}.{column.name}", "missing")
                continue
            try:
                values[column.name] = _load_value(column, row[column.name])
            except _BadValue as error:
                result.error(f"{where}.{column.name}", str(error))
        if all(key in values for key in pk):
            key = tuple(values[key] for key in pk)
            if key in ids[name]:
                result.error(f"{where}.{pk[0]}", f"the id {values[pk[0]]!r} appears twice")
            ids[name].add(key)
        checked.append(values)
    result.rows[name] = checked


def _check_references(plan_: Plan, result: _Checked, ids: dict[str, set[Any]]) -> None:
    single = {name: {key[0] for key in keys if len(key) == 1} for name, keys in ids.items()}
    event_ids = single.get(ROOT, set())
    for name in plan_.order:
        table = plan_.table(name)
        for index, row in enumerate(result.rows.get(name, [])):
            for fk in table.foreign_keys:
                target = fk.column.table.name
                value = row.get(fk.parent.name)
                if value is None or f"{name}.{fk.parent.name}" in SECRET_COLUMNS:
                    continue
                where = f"tables.{name}[{index}].{fk.parent.name}"
                if target not in plan_.order:
                    result.error(where, f"points to {target}, which is not imported")
                elif target == ROOT and value not in event_ids:
                    result.error(where, f"not the file's event (id {value!r})")
                elif value not in single.get(target, set()):
                    result.error(where, f"no {target} with id {value!r} in the file")


def import_event(
    session: Session,
    *,
    data: Any,
    owner_email: str | None = None,
    metadata: MetaData | None = None,
    upload_dir: Path | None = None,
) -> Event:
    """Create a new event from an export (checked first; one transaction). Accounts are
    matched by email; missing ones are created without a usable password. ``owner_email``
    (an existing account) becomes an organiser of the new event. Files of the exported event
    found in ``upload_dir`` (photos) are copied for the new one."""
    plan_ = plan(metadata or SQLModel.metadata)
    rows = check(data, metadata=plan_.metadata)
    owner_id = None
    if owner_email is not None:
        users = plan_.table(USERS)
        owner_id = session.execute(
            select(users.c.id).where(users.c.email == owner_email.strip().lower())
        ).scalar()
        if owner_id is None:
            raise Invalid({"owner": f"no account with the email {owner_email}"})
    renamed: Renamed = []
    try:
        event_id = _insert_all(session, plan_, rows, owner_id=owner_id, renamed=renamed)
        session.commit()
    except (IntegrityError, DBAPIError) as error:
        session.rollback()
        message = str(error.orig).strip().splitlines()[0] if error.orig else str(error)
        raise Invalid({"database": f"refused the data, nothing was imported: {message}"}) from None
    except BaseException:
        session.rollback()
        raise
    event = session.get(Event, event_id)
    assert event is not None
    if upload_dir is not None:
        _copy_files(upload_dir, rows[ROOT][0]["id"], event_id, renamed)
    return event


def _copy_files(
    upload_dir: Path,
    old_event: Any,
    new_event: int,
    renamed: list[tuple[str, str, tuple[str, ...]]],
) -> None:
    source, target = upload_dir / str(old_event), upload_dir / str(new_event)
    for old_key, new_key, suffixes in renamed:
        for suffix in suffixes:
            original = source / f"{old_key}{suffix}"
            # Keys are random tokens, but the file is the user's: never leave the folder.
            if "/" in old_key or ".." in old_key or not original.is_file():
                continue
            target.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(original, target / f"{new_key}{suffix}")


def _insert_all(  # noqa: C901
    session: Session,
    plan_: Plan,
    rows: dict[str, list[dict[str, Any]]],
    *,
    owner_id: int | None,
    renamed: Renamed,
) -> int:
    ids: dict[str, dict[Any, Any]] = defaultdict(dict)

    def remap(table: str, old: Any) -> Any:
        return ids[table].get(old)

    later: list[tuple[Table, Any, str, str, Any]] = []  # (table, new id, column, target, old)
    done: set[str] = set()
    for name in plan_.order:
        table = plan_.table(name)
        if name == ROOT:
            prepared = [_fresh_event(session, table, rows[ROOT][0])]
        elif name == USERS:
            prepared = []
            for row in rows.get(USERS, []):
                existing = session.execute(
                    select(table.c.id).where(table.c.email == str(row["email"]).lower())
                ).scalar()
                if existing is not None:
                    ids[USERS][row["id"]] = existing
                else:
                    prepared.append(dict(row))
        else:
            prepared = [dict(row) for row in rows.get(name, [])]
        pk = [c for c in table.primary_key.columns]
        generated = len(pk) == 1 and not pk[0].foreign_keys and _kind(pk[0]) == "int"
        pending: list[tuple[dict[str, Any], list[tuple[str, str, Any]]]] = []
        for values in prepared:
            deferred = []
            for fk in table.foreign_keys:
                column, target = fk.parent.name, fk.column.table.name
                old = values.get(column)
                if old is None or column not in values:
                    continue
                if target in done:
                    values[column] = ids[target][old]
                else:  # a reference to its own table (merged into ...): set afterwards
                    assert fk.parent.nullable, f"{name}.{column} cannot wait for {target}"
                    values[column] = None
                    deferred.append((column, target, old))
            values.update(_new_secrets(table))
            if name in FILE_KEYS:
                column, suffixes = FILE_KEYS[name]
                fresh = new_token(24)
                renamed.append((str(values[column]), fresh, suffixes))
                values[column] = fresh
            pending.append((values, deferred))
        for values, deferred, new_id in _insert(session, table, pending, generated):
            if generated:
                ids[name][values["__old_id"]] = new_id
            later += [(table, new_id, column, target, old) for column, target, old in deferred]
        done.add(name)
    if owner_id is not None:
        _add_owner(session, plan_, event_id=ids[ROOT][rows[ROOT][0]["id"]], owner_id=owner_id)
    for table, new_id, column, target, old in later:
        session.execute(
            update(table).where(table.c.id == new_id).values({column: ids[target].get(old)})
        )
    _remap_json(session, plan_, rows, ids, remap)
    return int(ids[ROOT][rows[ROOT][0]["id"]])


def _insert(
    session: Session,
    table: Table,
    pending: list[tuple[dict[str, Any], list[tuple[str, str, Any]]]],
    generated: bool,
) -> list[tuple[dict[str, Any], list[tuple[str, str, Any]], Any]]:
    """Insert rows in batches of the same columns; with new ids when the table makes them."""
    out = []
    groups: dict[tuple[str, ...], list[tuple[dict[str, Any], list[tuple[str, str, Any]]]]] = (
        defaultdict(list)
    )
    for values, deferred in pending:
        if generated:
            values = {"__old_id": values.pop("id"), **values}
        groups[tuple(sorted(k for k in values if k != "__old_id"))].append((values, deferred))
    for columns, group in groups.items():
        params = [{key: values[key] for key in columns} for values, _deferred in group]
        if generated:
            statement = insert(table).returning(table.c.id, sort_by_parameter_order=True)
            new_ids = session.execute(statement, params).scalars().all()
        else:
            session.execute(insert(table), params)
            new_ids = [None] * len(params)
        out += [
            (values, deferred, new_id)
            for (values, deferred), new_id in zip(group, new_ids, strict=True)
        ]
    return out


def _fresh_event(session: Session, table: Table, row: dict[str, Any]) -> dict[str, Any]:
    """The event's row with an address and a join code that are free here, and new secrets."""
    values = dict(row)
    base = str(values["slug"])
    slug, number = base, 1
    while session.execute(select(table.c.id).where(table.c.slug == slug)).first():
        number += 1
        suffix = f"-{number}"
        slug = base[: 60 - len(suffix)].rstrip("-") + suffix
    values["slug"] = slug
    code = values.get("join_code")
    while not code or session.execute(select(table.c.id).where(table.c.join_code == code)).first():
        code = new_join_code()
    values["join_code"] = code
    return values


def _new_secrets(table: Table) -> dict[str, Any]:
    """Fresh values for the secret columns a row needs: a random password nobody knows
    (the account signs in once an organiser sets it anew), new nonces."""
    values: dict[str, Any] = {}
    for column in table.columns:
        if f"{table.name}.{column.name}" not in SECRET_COLUMNS or column.nullable:
            continue
        if column.name == "password_hash":
            values[column.name] = hash_password(new_token())
        else:
            values[column.name] = new_token(12)[: getattr(column.type, "length", None) or 16]
    return values


def _add_owner(session: Session, plan_: Plan, *, event_id: int, owner_id: int) -> None:
    members = plan_.table("event_member")
    existing = session.execute(
        select(members.c.id).where(members.c.event_id == event_id, members.c.user_id == owner_id)
    ).scalar()
    if existing is None:
        session.execute(
            insert(members).values(event_id=event_id, user_id=owner_id, role=Role.ORGANISER)
        )
    else:
        session.execute(update(members).where(members.c.id == existing).values(role=Role.ORGANISER))


def _remap_json(
    session: Session,
    plan_: Plan,
    rows: dict[str, list[dict[str, Any]]],
    ids: dict[str, dict[Any, Any]],
    remap: Remap,
) -> None:
    for key, function in JSON_REFERENCES.items():
        name, column = key.split(".")
        if name not in plan_.links:
            continue
        table = plan_.table(name)
        for row in rows.get(name, []):
            if row.get(column) is None:
                continue
            new_id = ids[name][row["id"]]
            value = function(row[column], remap)
            session.execute(update(table).where(table.c.id == new_id).values({column: value}))
