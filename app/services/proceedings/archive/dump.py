"""Write an event to its JSON file (see the package docstring for what goes in): the
organisers' full archive, not a publication (``schema.NOTICE`` says so at its top)."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from sqlalchemy import MetaData, select
from sqlmodel import Session, SQLModel

from app.models.base import id_of
from app.models.events import Event
from app.services.proceedings.archive.schema import (
    FORMAT,
    NOTICE,
    NOTICE_KEY,
    USERS,
    VERSION,
    dump_value,
    exported_columns,
    plan,
    row_filter,
)


def export_event(
    session: Session, *, event: Event, metadata: MetaData | None = None
) -> dict[str, Any]:
    """Everything of ``event`` as a JSON-ready dict (one query per table), the notice that it
    holds every participant's personal data first."""
    plan_ = plan(metadata or SQLModel.metadata)
    event_id = id_of(event)
    tables: dict[str, list[dict[str, Any]]] = {}
    user_ids: set[int] = set()
    for name in plan_.order:
        if name == USERS:
            continue
        table = plan_.table(name)
        columns = exported_columns(table)
        rows = session.execute(
            select(*columns)
            .where(row_filter(plan_, name, event_id))
            .order_by(*table.primary_key.columns)
        ).all()
        tables[name] = [
            {column.name: dump_value(value) for column, value in zip(columns, row, strict=True)}
            for row in rows
        ]
        for fk in table.foreign_keys:
            if fk.column.table.name == USERS:
                user_ids.update(r[fk.parent.name] for r in tables[name] if r[fk.parent.name])
    users = plan_.table(USERS)
    columns = exported_columns(users)
    rows = session.execute(
        select(*columns).where(users.c.id.in_(sorted(user_ids))).order_by(users.c.id)
    ).all()
    tables[USERS] = [
        {column.name: dump_value(value) for column, value in zip(columns, row, strict=True)}
        for row in rows
    ]
    return {
        NOTICE_KEY: NOTICE,
        "format": FORMAT,
        "version": VERSION,
        "exported_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "tables": {name: tables[name] for name in plan_.order},
    }


def dumps(data: dict[str, Any]) -> bytes:
    return json.dumps(data, ensure_ascii=False, indent=1).encode("utf-8")
