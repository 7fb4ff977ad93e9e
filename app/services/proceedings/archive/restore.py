"""Read an event's JSON file back: check all of it, then insert it as a new event in one
transaction (see the package docstring)."""

from __future__ import annotations

import json
import shutil
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import MetaData, Table, insert, select, update
from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlmodel import Session, SQLModel

from app.errors import Invalid
from app.models.events import Event, Role
from app.security import hash_password, new_join_code, new_token, normalise_join_code
from app.services.proceedings.archive.rules import row_errors
from app.services.proceedings.archive.schema import (
    EXCLUDED,
    FILE_KEYS,
    FORMAT,
    JSON_REFERENCES,
    MAX_ERRORS,
    ROOT,
    SECRET_COLUMNS,
    USERS,
    VERSION,
    BadValue,
    Plan,
    Remap,
    Renamed,
    column_kind,
    exported_columns,
    load_value,
    plan,
)

# A table or column the file has and this installation does not: added by a newer one (adding
# does not change the version), or typed in by hand. Refused rather than dropped unseen.
UNKNOWN = "not a {what} this installation knows (is the file from a newer Open Space Lab?)"


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


def version_error(version: Any) -> str | None:
    """What is wrong with a file's ``version``, or None when this installation reads it.
    Only version 1 was ever written (see ``schema.VERSION``)."""
    if version == VERSION and isinstance(version, int) and not isinstance(version, bool):
        return None
    if isinstance(version, int) and not isinstance(version, bool) and version > VERSION:
        return (
            f"version {version} is from a newer Open Space Lab; this installation reads "
            f"version {VERSION}: update it to import this file"
        )
    if version is None:
        return f"missing (this installation reads version {VERSION})"
    return (
        f"{json.dumps(version, ensure_ascii=False)} is not a version of the event file "
        f"(this installation reads version {VERSION})"
    )


def check(data: Any, *, metadata: MetaData | None = None) -> dict[str, list[dict[str, Any]]]:
    """The file's rows with values parsed, or ``Invalid`` naming every bad entry (up to 20)."""
    plan_ = plan(metadata or SQLModel.metadata)
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        raise Invalid({"format": f'not an Open Space Lab event file (expected "{FORMAT}")'})
    if message := version_error(data.get("version")):
        raise Invalid({"version": message})
    tables = data.get("tables")
    if not isinstance(tables, dict):
        raise Invalid({"tables": "missing, or not an object"})
    tables = _one_host_column(tables)
    result = _Checked()
    for name in tables:
        if name not in plan_.order:
            reason = EXCLUDED.get(name)
            result.error(
                f"tables.{name}",
                f"not imported ({reason})" if reason else UNKNOWN.format(what="table"),
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


def _one_host_column(tables: dict[str, Any]) -> dict[str, Any]:
    """Files written while an event named one organisation, in ``event.host_organisation``:
    that name becomes the event's first organisation (``event_host``), as the migration
    does with databases of that time."""
    events = tables.get(ROOT)
    if not (isinstance(events, list) and len(events) == 1 and isinstance(events[0], dict)):
        return tables
    if "host_organisation" not in events[0]:
        return tables
    event = dict(events[0])
    name = event.pop("host_organisation")
    upgraded = {**tables, ROOT: [event]}
    if isinstance(name, str) and name.strip() and not tables.get("event_host"):
        row = {"id": 1, "event_id": event.get("id"), "name": name.strip(), "position": 0}
        upgraded["event_host"] = [{**row, "logo_key": ""}]
    return upgraded


def _check_rows(
    plan_: Plan, name: str, rows: Any, result: _Checked, ids: dict[str, set[Any]]
) -> None:
    table = plan_.table(name)
    columns = {c.name: c for c in exported_columns(table)}
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
                result.error(f"{where}.{key}", UNKNOWN.format(what="column"))
        for column in columns.values():
            if column.name not in row:
                optional = column.nullable or column.default is not None
                if column.primary_key or not (optional or column.server_default is not None):
                    result.error(f"{where}.{column.name}", "missing")
                continue
            try:
                values[column.name] = load_value(column, row[column.name])
            except BadValue as error:
                result.error(f"{where}.{column.name}", str(error))
        for column_name, message in row_errors(table, values).items():
            result.error(f"{where}.{column_name}", message)
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
    found in ``upload_dir`` (photos, logos) are copied for the new one."""
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
        generated = len(pk) == 1 and not pk[0].foreign_keys and column_kind(pk[0]) == "int"
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
            if name in FILE_KEYS and values.get(FILE_KEYS[name][0]):
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
    # A code that typing cannot reach (the join form normalises what is typed) gets a new one.
    while (
        not code
        or normalise_join_code(code) != code
        or session.execute(select(table.c.id).where(table.c.join_code == code)).first()
    ):
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
