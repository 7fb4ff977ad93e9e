"""Saving notes (versioned, merged three ways, conflicts kept beside the field, a limited number
of saves a minute) and presence: who is editing now. The same for a session's notes
(``topic_id``) and a plenary item's (``block_id``): each function takes one of the two."""

from __future__ import annotations

import datetime as dt
import time
from dataclasses import dataclass, field

from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlmodel import Session, col, delete, select

from app.errors import Conflict, Invalid, NotFound, RateLimited
from app.i18n import _
from app.models.base import id_of, utcnow
from app.models.notes import (
    LINE_MAX,
    MARKDOWN_MAX,
    NotesConflict,
    NotesPresence,
    NotesRevision,
    SessionNotes,
)
from app.services import ratelimit
from app.services.access import EventAccess
from app.services.notes.merge import merge3
from app.services.notes.shared import (
    Subject,
    author_of,
    require_editor,
    require_subject,
    values_of,
)
from app.services.text import too_long

PRESENCE_SECONDS = 60  # a name shows this long after its last heartbeat


PRESENCE_REFRESH = 30  # a heartbeat within this of the last one tells nobody


SINGLE_LINE = ("title", "conveners", "outcome", "participant_count")


COUNT_MAX = 10_000


# Autosave waits for a pause of 1.2 s in typing (app/static/js/notes.js), so even a fast typist
# sends about one save in two seconds: 60 a minute is twice that, and a script is cut off.
SAVES_PER_WINDOW = 60


SAVE_WINDOW = 60  # seconds


_clock = time.time  # the save limit's clock (tests hold it still to stay in one window)


# --- saving ----------------------------------------------------------------------------------


@dataclass
class SaveResult:
    revision: int
    values: dict[str, str]  # every field after the save
    applied: list[str] = field(default_factory=list)  # fields that took this save's text
    merged: list[str] = field(default_factory=list)  # ...combined with someone else's change
    conflicts: list[str] = field(default_factory=list)  # kept aside, to merge by hand
    saved_at: dt.datetime | None = None


def _clean(changes: dict[str, str], *, fields: tuple[str, ...]) -> dict[str, str]:
    errors: dict[str, str] = {}
    cleaned: dict[str, str] = {}
    for name, raw in changes.items():
        if name not in fields:
            continue
        # Browsers send CR LF from text areas; the stored text and every base use LF.
        text = raw.replace("\r\n", "\n").replace("\r", "\n")
        if name in SINGLE_LINE:
            text = text.replace("\n", " ")
        if name == "participant_count":
            text = text.strip()
            if text and not (text.isascii() and text.isdigit() and int(text) <= COUNT_MAX):
                errors[name] = _("Enter a whole number, or leave it empty.")
        elif message := too_long(text, LINE_MAX if name in SINGLE_LINE else MARKDOWN_MAX):
            errors[name] = message
        cleaned[name] = text
    if errors:
        raise Invalid(errors)
    return cleaned


def _locked_notes(session: Session, *, event_id: int, subject: Subject) -> SessionNotes:
    """The notes row, created when missing, locked for this transaction (PostgreSQL: FOR
    UPDATE; SQLite: the request's BEGIN IMMEDIATE already serialises writers)."""
    postgres = session.get_bind().dialect.name == "postgresql"
    insert = pg_insert if postgres else sqlite_insert
    session.execute(
        insert(SessionNotes)
        .values(event_id=event_id, **subject.values, revision=0, updated_at=utcnow())
        .on_conflict_do_nothing(index_elements=[subject.column])
    )
    query = select(SessionNotes).where(subject.where(SessionNotes))
    if postgres:
        query = query.with_for_update()
    notes = session.exec(query.execution_options(populate_existing=True)).one()
    return notes


def _base(
    session: Session, *, notes: SessionNotes, revision: int, fields: tuple[str, ...]
) -> dict[str, str]:
    if revision == notes.revision:
        return values_of(notes, fields)
    if revision == 0:
        return values_of(None, fields)
    row = session.exec(
        select(NotesRevision).where(
            NotesRevision.notes_id == notes.id, NotesRevision.revision == revision
        )
    ).first()
    stored = row.fields if row is not None else {}
    return {name: str(stored.get(name, "")) for name in fields}


def save_wait(now: float | None = None) -> int:
    """Seconds until a person over the save limit may save again (the window's end)."""
    return SAVE_WINDOW - int(now if now is not None else _clock()) % SAVE_WINDOW


def _limit_saves(session: Session, *, access: EventAccess) -> None:
    # Per person, never per address: a whole room shares the venue's Wi-Fi address.
    key = f"notes-save:{access.event_id}:{author_of(access)[0]}"
    if not ratelimit.hit(
        session, key=key, limit=SAVES_PER_WINDOW, window=SAVE_WINDOW, now=_clock()
    ):
        raise RateLimited(
            _("That was a lot of saving at once. Your text is kept and sent again in a minute.")
        )


def _keep_aside(
    session: Session,
    *,
    access: EventAccess,
    notes: SessionNotes,
    field_name: str,
    text: str,
    base_revision: int,
) -> None:
    """Keep text that could not be merged as this editor's one open conflict for the field:
    their earlier unmerged text there is replaced by this later one. The caller holds the
    notes' lock, so no second save of the same notes reads between this select and its
    write; the partial unique index on (notes, field, editor) is the backstop."""
    key, name = author_of(access)
    conflict = session.exec(
        select(NotesConflict).where(
            NotesConflict.notes_id == notes.id,
            NotesConflict.field == field_name,
            NotesConflict.editor == key,
            col(NotesConflict.resolved_at).is_(None),
        )
    ).first()
    if conflict is None:
        conflict = NotesConflict(
            event_id=access.event_id,
            notes_id=id_of(notes),
            field=field_name,
            text=text,
            base_revision=base_revision,
            author=name,
            editor=key,
        )
    else:
        conflict.text, conflict.base_revision = text, base_revision
        conflict.author, conflict.created_at = name, utcnow()
    session.add(conflict)


def _set(notes: SessionNotes, name: str, value: str) -> None:
    if name == "participant_count":
        notes.participant_count = int(value) if value else None
    else:
        setattr(notes, name, value)


def save(
    session: Session,
    *,
    access: EventAccess,
    topic_id: int | None = None,
    block_id: int | None = None,
    base_revision: int,
    changes: dict[str, str],
) -> SaveResult:
    """Apply one save of some fields of a session's (``topic_id``) or a plenary item's
    (``block_id``) notes, started from ``base_revision``; merge with what others saved since,
    and keep what cannot be merged as a conflict (never dropped, never silently overwriting;
    one open conflict per editor and field, holding their latest text). Fields the subject's
    notes do not have are ignored. Counts the save against the person's limit first
    (committed at once) and raises RateLimited over it, changing nothing else. Commits."""
    subject = Subject(topic_id=topic_id, block_id=block_id)
    require_editor(access)
    _limit_saves(session, access=access)
    require_subject(session, access=access, subject=subject)
    fields = subject.fields
    cleaned = _clean(changes, fields=fields)
    notes = _locked_notes(session, event_id=access.event_id, subject=subject)
    if not 0 <= base_revision <= notes.revision:
        raise Conflict(_("These notes changed in a way this page does not know. Reload it."))
    base = _base(session, notes=notes, revision=base_revision, fields=fields)
    current = values_of(notes, fields)
    key, name = author_of(access)
    result = SaveResult(revision=notes.revision, values=current)
    changed = False
    for field_name, mine in cleaned.items():
        theirs = current[field_name]
        merged = merge3(base[field_name], theirs, mine)
        if merged is None:
            _keep_aside(
                session,
                access=access,
                notes=notes,
                field_name=field_name,
                text=mine,
                base_revision=base_revision,
            )
            result.conflicts.append(field_name)
            continue
        if merged != mine:
            result.merged.append(field_name)
        else:
            result.applied.append(field_name)
        if merged != theirs:
            _set(notes, field_name, merged)
            changed = True
    if changed:
        _new_revision(session, notes=notes, editor=key, author=name)
    _touch_presence(session, access=access, subject=subject, key=key, name=name, field="")
    session.commit()
    result.revision = notes.revision
    result.values = values_of(notes, fields)
    result.saved_at = notes.updated_at
    return result


def _new_revision(session: Session, *, notes: SessionNotes, editor: str, author: str) -> None:
    """Count a new revision and store its fields, so any later save can merge against it."""
    notes.revision += 1
    notes.updated_at = utcnow()
    notes.updated_by = author
    session.add(notes)
    session.add(
        NotesRevision(
            event_id=notes.event_id,
            notes_id=id_of(notes),
            revision=notes.revision,
            fields=values_of(notes, Subject.of(notes).fields),
            author=author,
            editor=editor,
        )
    )


def bump(
    session: Session,
    *,
    access: EventAccess,
    topic_id: int | None = None,
    block_id: int | None = None,
) -> int:
    """A new revision with the same text, after a proposal, next step or photo changed: the
    live frame carries revisions, so screens showing these notes fetch them again."""
    subject = Subject(topic_id=topic_id, block_id=block_id)
    notes = _locked_notes(session, event_id=access.event_id, subject=subject)
    key, name = author_of(access)
    _new_revision(session, notes=notes, editor=key, author=name)
    session.commit()
    return notes.revision


def resolve_conflict(session: Session, *, access: EventAccess, conflict_id: int) -> NotesConflict:
    """Mark kept-aside text as merged by hand (it stays in the database). The live frame lists
    open conflicts, so the box leaves every page showing these notes."""
    require_editor(access)
    conflict = session.get(NotesConflict, conflict_id)
    if conflict is None or conflict.event_id != access.event_id:
        raise NotFound(_("There is no such text to merge."))
    if conflict.resolved_at is None:
        conflict.resolved_at = utcnow()
        session.add(conflict)
        session.commit()
    return conflict


def subject_of_conflict(session: Session, *, access: EventAccess, conflict_id: int) -> Subject:
    """The session or plenary item whose notes hold the conflict."""
    conflict = session.get(NotesConflict, conflict_id)
    notes = session.get(SessionNotes, conflict.notes_id) if conflict is not None else None
    if notes is None or notes.event_id != access.event_id:
        raise NotFound(_("There is no such text to merge."))
    return Subject.of(notes)


# --- presence --------------------------------------------------------------------------------


def _touch_presence(
    session: Session, *, access: EventAccess, subject: Subject, key: str, name: str, field: str
) -> bool:
    row = session.exec(
        select(NotesPresence).where(subject.where(NotesPresence), NotesPresence.editor == key)
    ).first()
    now = utcnow()
    if row is None:
        session.add(
            NotesPresence(
                event_id=access.event_id,
                topic_id=subject.topic_id,
                block_id=subject.block_id,
                editor=key,
                name=name,
                field=field,
                seen_at=now,
            )
        )
        return True
    fresh = (now - row.seen_at).total_seconds() < PRESENCE_REFRESH
    if fresh and row.field == field and row.name == name:
        return False
    row.seen_at, row.field, row.name = now, field, name
    session.add(row)
    return True


def heartbeat(
    session: Session,
    *,
    access: EventAccess,
    topic_id: int | None = None,
    block_id: int | None = None,
    field: str,
) -> bool:
    """Someone is typing in ``field`` of a session's or a plenary item's notes. True when the
    live screens should hear of it (a new editor, another field, or the last word older than
    PRESENCE_REFRESH); heartbeats in between change nothing, so twenty phones typing do not
    flood every screen."""
    subject = Subject(topic_id=topic_id, block_id=block_id)
    require_editor(access)
    require_subject(session, access=access, subject=subject)
    others = () if subject.is_plenary else ("proposal", "step")
    if field not in (*subject.fields, *others, ""):
        field = ""
    key, name = author_of(access)
    changed = _touch_presence(
        session, access=access, subject=subject, key=key, name=name, field=field
    )
    session.commit()
    return changed


def leave(
    session: Session,
    *,
    access: EventAccess,
    topic_id: int | None = None,
    block_id: int | None = None,
) -> bool:
    """Someone stopped editing; True when they had been shown."""
    subject = Subject(topic_id=topic_id, block_id=block_id)
    require_editor(access)
    key, _name = author_of(access)
    gone = session.execute(
        delete(NotesPresence).where(
            col(NotesPresence.event_id) == access.event_id,
            subject.where(NotesPresence),
            col(NotesPresence.editor) == key,
        )
    )
    session.commit()
    return bool(getattr(gone, "rowcount", 0))
