"""How long an event's data is kept, the facts of its privacy notice, and ``openspace purge``.

An event is kept ``retention_days`` after its last day (its last ``Day``, or the day it was
created when it has none), counted in the event's own time zone: on the day after that,
``purge`` deletes it (the operator runs ``openspace purge`` daily, from cron or a systemd timer).

Deleting an event, from its settings page or by ``purge``, is one function, ``erase``: the rows
go first (the database cascades from the event to everything in it) and are committed, and only
then the event's upload folder (its photos and logos). So a delete that is rolled back keeps its
files, and a photo is never missing for a row that is still there. A process killed between the two
steps leaves a folder without an event; ``purge`` removes such folders too.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import re
from contextlib import suppress
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import ColumnElement
from sqlmodel import Session, SQLModel, col, delete, func, select

from app.i18n import format_list
from app.models.base import id_of, utcnow
from app.models.events import Day, Event
from app.models.notes import NotesPresence
from app.models.people import AuthSession, MissStreak, RateCounter
from app.models.topics import IdempotencyKey
from app.services import ratelimit
from app.services.events import hosts
from app.services.notes.editing import PRESENCE_SECONDS
from app.services.notes.photos import folder
from app.services.proceedings.archive.schema import ROOT, Plan, plan, row_filter
from app.services.topics.votes import KEY_KEPT

logger = logging.getLogger("openspace")

EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
WEB_ADDRESS = re.compile(r"^https?://\S+$")


# --- when an event's data goes -------------------------------------------------------------


@dataclass(frozen=True)
class Retention:
    last_day: dt.date
    days: int  # kept this many days after the last day
    deleted_on: dt.date  # the first day on which ``purge`` deletes the event


def _zone(event: Event) -> dt.tzinfo:
    try:
        return ZoneInfo(event.timezone)
    except (ZoneInfoNotFoundError, ValueError):  # checked when set; an old import may differ
        return dt.UTC


def local_date(event: Event, moment: dt.datetime) -> dt.date:
    """The date in the event's time zone at ``moment`` (an aware datetime)."""
    return moment.astimezone(_zone(event)).date()


def _created_on(event: Event) -> dt.date:
    created = event.created_at
    # SQLite hands back naive datetimes; they are stored in UTC.
    return local_date(event, created if created.tzinfo else created.replace(tzinfo=dt.UTC))


def _last_days(session: Session, *, event_ids: list[int] | None = None) -> dict[int, dt.date]:
    """Each event's last day (one query); events without days are missing."""
    query = select(Day.event_id, func.max(Day.date)).group_by(col(Day.event_id))
    if event_ids is not None:
        query = query.where(col(Day.event_id).in_(event_ids))
    return {event_id: last for event_id, last in session.exec(query).all()}


def _retention(event: Event, last_day: dt.date | None) -> Retention:
    last = last_day or _created_on(event)
    days = event.retention_days
    return Retention(last_day=last, days=days, deleted_on=last + dt.timedelta(days=days + 1))


def retention(session: Session, *, event: Event) -> Retention:
    """When ``event``'s data is deleted."""
    return _retention(event, _last_days(session, event_ids=[id_of(event)]).get(id_of(event)))


@dataclass(frozen=True)
class PrivacyNotice:
    """What the join page tells people about their data."""

    host: str  # who runs the event: its organisations joined ("A and B"), or its name
    host_count: int  # how many that is (the event's name counts as one), for the verb
    contact: str  # how to reach them about personal data ("" when not given)
    contact_href: str  # a mailto: or web link for the contact, or ""
    retention: Retention


def _contact_href(contact: str) -> str:
    if EMAIL.fullmatch(contact):
        return f"mailto:{contact}"
    if WEB_ADDRESS.fullmatch(contact):
        return contact
    return ""


def notice(session: Session, *, event: Event) -> PrivacyNotice:
    """The join page's privacy notice, in the current language."""
    names = hosts.names(session, event_id=id_of(event))
    return PrivacyNotice(
        host=format_list(names) if names else event.name,
        host_count=max(len(names), 1),
        contact=event.privacy_contact,
        contact_href=_contact_href(event.privacy_contact),
        retention=retention(session, event=event),
    )


# --- deleting an event and its files --------------------------------------------------------


@cache
def _event_tables() -> Plan:
    """Every table whose rows belong to an event, and how (the archive's own definition)."""
    return plan(SQLModel.metadata, excluded=())


def count_rows(session: Session, *, event_id: int) -> int:
    """The rows of every table that belong to the event, the event's own included."""
    tables = _event_tables()
    total = 0
    for name in (ROOT, *tables.links):
        total += session.execute(
            select(func.count())
            .select_from(tables.table(name))
            .where(row_filter(tables, name, event_id))
        ).scalar_one()
    return total


def _files_in(target: Path) -> list[Path]:
    return [Path(root) / name for root, _dirs, names in os.walk(target) for name in names]


def remove_files(upload_dir: Path, event_id: int) -> int:
    """Remove the event's upload folder (its photos); return how many files went. A file
    that cannot be removed is logged and left for the next ``purge``."""
    removed = 0
    for root, _dirs, names in os.walk(folder(upload_dir, event_id), topdown=False):
        for name in names:
            try:
                (Path(root) / name).unlink()
                removed += 1
            except OSError as error:
                if not isinstance(error, FileNotFoundError):  # else gone already: fine
                    logger.warning("cannot remove %s: %s", Path(root) / name, error.strerror)
        with suppress(OSError):  # not empty: a file in it could not be removed
            Path(root).rmdir()
    return removed


def erase(session: Session, *, event: Event, upload_dir: Path) -> int:
    """Delete ``event`` and everything in it, commit, then remove its files; return how many
    files went. The caller checks who may."""
    event_id = id_of(event)
    session.delete(event)
    session.commit()  # a delete that fails keeps the files: they go only once the rows are gone
    return remove_files(upload_dir, event_id)


# --- openspace purge ----------------------------------------------------------------------


@dataclass(frozen=True)
class Expired:
    """An event past its retention: deleted by ``purge``, or listed by a dry run."""

    slug: str
    name: str
    last_day: dt.date
    rows: int
    files: int


@dataclass(frozen=True)
class Chore:
    """Rows that are of no use any more, whichever event they came from."""

    what: str
    model: type[SQLModel]
    where: ColumnElement[bool]


@dataclass(frozen=True)
class PurgeResult:
    dry_run: bool
    events: list[Expired]
    chores: list[tuple[str, int]]  # (what, rows) for each kind of leftover
    orphans: list[tuple[str, int]]  # (folder, files) of upload folders whose event is gone


def expired(session: Session, *, now: dt.datetime | None = None) -> list[tuple[Event, Retention]]:
    """The events past their retention at ``now`` (in each event's time zone), oldest first."""
    moment = now or utcnow()
    last_days = _last_days(session)
    found = [
        (event, _retention(event, last_days.get(id_of(event))))
        for event in session.exec(select(Event).order_by(col(Event.id))).all()
    ]
    return sorted(
        ((event, kept) for event, kept in found if local_date(event, moment) >= kept.deleted_on),
        key=lambda item: item[1].last_day,
    )


def chores(now: dt.datetime) -> list[Chore]:
    """What ``purge`` deletes besides events, each by the rule of the code that wrote it."""
    moment = now.timestamp()
    return [
        Chore("expired sign-in sessions", AuthSession, col(AuthSession.expires_at) <= now),
        Chore("vote retry keys", IdempotencyKey, col(IdempotencyKey.created_at) < now - KEY_KEPT),
        Chore(
            "notes presence rows",
            NotesPresence,
            col(NotesPresence.seen_at) < now - dt.timedelta(seconds=PRESENCE_SECONDS),
        ),
        Chore("attempt counters", RateCounter, ratelimit.finished_counters(moment)),
        Chore("wrong-password streaks", MissStreak, ratelimit.forgotten_streaks(moment)),
    ]


def _orphan_folders(session: Session, upload_dir: Path) -> list[Path]:
    """Upload folders named after an event that does not exist (any more)."""
    if not upload_dir.is_dir():
        return []
    # Listed before the events are read: a folder made for a new event afterwards is not seen.
    named = [path for path in upload_dir.iterdir() if path.is_dir() and path.name.isdigit()]
    known = {str(event_id) for event_id in session.exec(select(Event.id)).all()}
    return sorted((path for path in named if path.name not in known), key=lambda p: int(p.name))


def purge(
    session: Session, *, upload_dir: Path, now: dt.datetime | None = None, dry_run: bool = False
) -> PurgeResult:
    """Delete every event past its retention with its files, then the leftovers that are of
    no use any more (``chores``) and upload folders whose event is gone. Each event is its
    own transaction. ``dry_run`` counts the same things and deletes nothing."""
    moment = now or utcnow()
    events: list[Expired] = []
    for event, kept in expired(session, now=moment):
        event_id = id_of(event)
        rows = count_rows(session, event_id=event_id)
        if dry_run:
            files = len(_files_in(folder(upload_dir, event_id)))
        else:
            files = erase(session, event=event, upload_dir=upload_dir)
        events.append(Expired(event.slug, event.name, kept.last_day, rows, files))
    done = [(chore.what, _sweep(session, chore, dry_run=dry_run)) for chore in chores(moment)]
    session.commit()
    orphans = [
        (str(path), len(_files_in(path)) if dry_run else remove_files(upload_dir, int(path.name)))
        for path in _orphan_folders(session, upload_dir)
    ]
    return PurgeResult(dry_run=dry_run, events=events, chores=done, orphans=orphans)


def _sweep(session: Session, chore: Chore, *, dry_run: bool) -> int:
    if dry_run:
        query = select(func.count()).select_from(chore.model).where(chore.where)
        return int(session.execute(query).scalar_one())
    result = session.execute(delete(chore.model).where(chore.where))
    return int(result.rowcount)  # type: ignore[attr-defined]
