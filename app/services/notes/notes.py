"""Session notes: several people edit the same report at once, and nothing is ever lost.

Saves are versioned. Each save names the revision its text started from (the *base*). When
the base is current, the save applies. When someone else saved in between, each field is
merged three ways (base, theirs, mine) line by line: changes to different fields, or to
different lines of one field, merge by themselves; two additions at the same place keep both.
When both changed the same lines, the save is *not* applied to that field: their text stays,
and the text that could not be merged is kept as a conflict beside the field, shown to every
editor until someone has merged it by hand.

Every revision's fields are stored (``NotesRevision``), so any base can be found again.

Against flooding and vandalism: each person may save at most ``SAVES_PER_WINDOW`` times a
minute per event (a fast typist with autosave saves about once in two seconds); a refused save
changes nothing and the phone keeps the text and sends it again. Each person keeps at most one
open conflict per field: a later unmerged save replaces their kept text (what they typed last
holds what they meant). Proposals and next steps are deleted only by whoever added them or by
staff, and only softly: the row stays, is listed in the notes' history and can be restored.
"""

from __future__ import annotations

import datetime as dt
import json
import time
from dataclasses import dataclass, field
from difflib import SequenceMatcher
from pathlib import Path

from markupsafe import Markup
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlmodel import Session, col, delete, func, select

from app.errors import Conflict, Invalid, NotFound, PermissionDenied, RateLimited
from app.i18n import _
from app.models.base import utcnow
from app.models.events import Role
from app.models.notes import (
    ACTION_MAX,
    LINE_MAX,
    MARKDOWN_FIELDS,
    MARKDOWN_MAX,
    PROPOSAL_MAX,
    TEXT_FIELDS,
    WHEN_MAX,
    WHO_MAX,
    NextStep,
    NotesConflict,
    NotesPresence,
    NotesRevision,
    Photo,
    Proposal,
    ProposalVote,
    SessionNotes,
)
from app.models.people import Participant
from app.models.schedule import CheckIn
from app.models.topics import Topic, TopicStatus
from app.services import markdown, ratelimit
from app.services.access import STAFF, EventAccess
from app.services.schedule import agenda
from app.services.text import check_length, too_long

PRESENCE_SECONDS = 60  # a name shows this long after its last heartbeat
PRESENCE_REFRESH = 30  # a heartbeat within this of the last one tells nobody
SINGLE_LINE = ("title", "conveners", "outcome", "participant_count")
COUNT_MAX = 10_000
# Autosave waits for a pause of 1.2 s in typing (app/static/js/notes.js), so even a fast typist
# sends about one save in two seconds: 60 a minute is twice that, and a script is cut off.
SAVES_PER_WINDOW = 60
SAVE_WINDOW = 60  # seconds
_clock = time.time  # the save limit's clock (tests hold it still to stay in one window)


# --- merging -------------------------------------------------------------------------------


def _hunks(base: list[str], other: list[str]) -> list[tuple[int, int, list[str]]]:
    matcher = SequenceMatcher(None, base, other, autojunk=False)
    return [
        (i1, i2, other[j1:j2]) for tag, i1, i2, j1, j2 in matcher.get_opcodes() if tag != "equal"
    ]


def _clash(a: tuple[int, int], b: tuple[int, int]) -> bool:
    (a1, a2), (b1, b2) = a, b
    if a1 == a2 and b1 == b2:
        return False  # two insertions, even at the same place: keep both
    if a1 == a2:
        return b1 < a1 < b2
    if b1 == b2:
        return a1 < b1 < a2
    return a1 < b2 and b1 < a2


def merge3(base: str, theirs: str, mine: str) -> str | None:
    """Merge two edits of ``base`` line by line; None when they changed the same lines."""
    if mine == theirs or theirs == base:
        return mine
    if mine == base:
        return theirs
    lines = base.split("\n")
    ours = _hunks(lines, theirs.split("\n"))
    yours = _hunks(lines, mine.split("\n"))
    for a1, a2, a_lines in ours:
        for b1, b2, b_lines in yours:
            same = (a1, a2, a_lines) == (b1, b2, b_lines)
            if not same and _clash((a1, a2), (b1, b2)):
                return None
    hunks = sorted(
        {(a1, a2, 0, tuple(new)) for a1, a2, new in ours}
        | {(b1, b2, 1, tuple(new)) for b1, b2, new in yours if (b1, b2, new) not in ours},
        key=lambda hunk: (hunk[0], hunk[1], hunk[2]),
    )
    merged: list[str] = []
    position = 0
    for start, end, _side, new in hunks:
        merged.extend(lines[position:start])
        merged.extend(new)
        position = max(position, end)
    merged.extend(lines[position:])
    return "\n".join(merged)


# --- the session behind the notes -----------------------------------------------------------


def require_session(session: Session, *, access: EventAccess, topic_id: int) -> Topic:
    """The topic, if it is a session in the latest published agenda; NotFound otherwise."""
    topic = session.get(Topic, topic_id)
    version = agenda.latest_version(session, event_id=access.event_id)
    if (
        topic is None
        or topic.event_id != access.event_id
        or topic.status != TopicStatus.ACTIVE
        or version is None
        or topic_id not in agenda.published_cells(session, version_id=version.id or 0)
    ):
        raise NotFound(
            _("This topic is not a session in the published agenda, so it has no notes.")
        )
    return topic


def _require_editor(access: EventAccess) -> None:
    access.require(Role.PARTICIPANT, *STAFF)


def _author(access: EventAccess) -> tuple[str, str]:
    """(presence key, name) of whoever is asking."""
    if access.participant is not None:
        return f"p{access.participant.id}", access.participant.name
    assert access.user is not None
    return f"u{access.user.id}", access.user.name


# --- reading ---------------------------------------------------------------------------------


def values_of(notes: SessionNotes | None) -> dict[str, str]:
    """The notes' fields as form text (the participant count as digits or "")."""
    if notes is None:
        return dict.fromkeys(TEXT_FIELDS, "")
    values = {name: getattr(notes, name) for name in TEXT_FIELDS if name != "participant_count"}
    count = notes.participant_count
    values["participant_count"] = "" if count is None else str(count)
    return values


def notes_of(session: Session, *, event_id: int, topic_id: int) -> SessionNotes | None:
    return session.exec(
        select(SessionNotes).where(
            SessionNotes.event_id == event_id, SessionNotes.topic_id == topic_id
        )
    ).first()


@dataclass
class Attendance:
    checked_in: int
    count: int  # the note-taker's figure when given, else the check-ins
    names: list[str]  # only those who agreed to appear in the report


def attendance(
    session: Session, *, event_id: int, topic_id: int, notes: SessionNotes | None
) -> Attendance:
    rows = session.exec(
        select(Participant.id, Participant.name, Participant.consent_report)
        .join(CheckIn, CheckIn.participant_id == Participant.id)  # type: ignore[arg-type]
        .where(CheckIn.event_id == event_id, CheckIn.topic_id == topic_id)
        .distinct()
        .order_by(col(Participant.id))
    ).all()
    names = [name for _id, name, consent in rows if consent]
    checked_in = len({pid for pid, _name, _consent in rows})
    given = notes.participant_count if notes is not None else None
    return Attendance(
        checked_in=checked_in, count=checked_in if given is None else given, names=names
    )


@dataclass
class Editor:
    name: str
    field: str
    seen_at: dt.datetime


@dataclass
class NotesPage:
    topic: Topic
    cell: agenda.AgendaSession
    notes: SessionNotes | None
    values: dict[str, str]
    rendered: dict[str, Markup]
    proposals: list[tuple[Proposal, int]]  # with their dots
    steps: list[NextStep]
    photos: list[Photo]
    conflicts: list[NotesConflict]
    editors: list[Editor]
    attendance: Attendance
    agenda: agenda.Agenda
    history: list[Deletion] = field(default_factory=list)
    deletable: set[tuple[str, int]] = field(default_factory=set)  # ("proposal" | "step", id)

    @property
    def revision(self) -> int:
        return self.notes.revision if self.notes is not None else 0


def editors(
    session: Session, *, event_id: int, topic_id: int, now: dt.datetime | None = None
) -> list[Editor]:
    since = (now or utcnow()) - dt.timedelta(seconds=PRESENCE_SECONDS)
    rows = session.exec(
        select(NotesPresence)
        .where(
            NotesPresence.event_id == event_id,
            NotesPresence.topic_id == topic_id,
            col(NotesPresence.seen_at) >= since,
        )
        .order_by(col(NotesPresence.id))
    ).all()
    return [Editor(row.name, row.field, row.seen_at) for row in rows]


def page(session: Session, *, access: EventAccess, topic_id: int) -> NotesPage:
    """Everything the notes page shows (anyone of the event may read)."""
    access.require(Role.PARTICIPANT, *STAFF)
    topic = require_session(session, access=access, topic_id=topic_id)
    plan = agenda.load_published(session, event=access.event)
    cell = plan.by_topic.get(topic_id)
    if cell is None:  # the topic left the grid between the two reads
        raise NotFound(
            _("This topic is not a session in the published agenda, so it has no notes.")
        )
    event_id = access.event_id
    notes = notes_of(session, event_id=event_id, topic_id=topic_id)
    values = values_of(notes)
    conflicts: list[NotesConflict] = []
    if notes is not None:
        conflicts = list(
            session.exec(
                select(NotesConflict)
                .where(
                    NotesConflict.event_id == event_id,
                    NotesConflict.notes_id == notes.id,
                    col(NotesConflict.resolved_at).is_(None),
                )
                .order_by(col(NotesConflict.id))
            ).all()
        )
    proposals = proposals_with_dots(session, event_id=event_id, topic_id=topic_id)
    steps = next_steps(session, event_id=event_id, topic_id=topic_id)
    deletable = {("proposal", p.id or 0) for p, _dots in proposals if may_delete(access, p)}
    deletable |= {("step", step.id or 0) for step in steps if may_delete(access, step)}
    return NotesPage(
        topic=topic,
        cell=cell,
        notes=notes,
        values=values,
        rendered={name: markdown.render(values[name]) for name in MARKDOWN_FIELDS},
        proposals=proposals,
        steps=steps,
        photos=_photos(session, event_id=event_id, topic_id=topic_id),
        conflicts=conflicts,
        editors=editors(session, event_id=event_id, topic_id=topic_id),
        attendance=attendance(session, event_id=event_id, topic_id=topic_id, notes=notes),
        agenda=plan,
        history=deletions(session, access=access, topic_id=topic_id),
        deletable=deletable,
    )


def _photos(session: Session, *, event_id: int, topic_id: int) -> list[Photo]:
    return list(
        session.exec(
            select(Photo)
            .where(Photo.event_id == event_id, Photo.topic_id == topic_id)
            .order_by(col(Photo.id))
        ).all()
    )


def proposals_with_dots(
    session: Session, *, event_id: int, topic_id: int
) -> list[tuple[Proposal, int]]:
    found = session.exec(
        select(Proposal)
        .where(
            Proposal.event_id == event_id,
            Proposal.topic_id == topic_id,
            col(Proposal.deleted_at).is_(None),
        )
        .order_by(col(Proposal.id))
    ).all()
    dots = dict(
        session.exec(
            select(ProposalVote.proposal_id, func.count(col(ProposalVote.id)))
            .join(Proposal, Proposal.id == ProposalVote.proposal_id)  # type: ignore[arg-type]
            .where(Proposal.event_id == event_id, Proposal.topic_id == topic_id)
            .group_by(col(ProposalVote.proposal_id))
        ).all()
    )
    return [(proposal, int(dots.get(proposal.id or 0, 0))) for proposal in found]


def next_steps(session: Session, *, event_id: int, topic_id: int) -> list[NextStep]:
    return list(
        session.exec(
            select(NextStep)
            .where(
                NextStep.event_id == event_id,
                NextStep.topic_id == topic_id,
                col(NextStep.deleted_at).is_(None),
            )
            .order_by(col(NextStep.id))
        ).all()
    )


def notes_by_topic(session: Session, *, event_id: int) -> dict[int, SessionNotes]:
    """Every session's notes row, by topic id (one query)."""
    return {
        notes.topic_id: notes
        for notes in session.exec(
            select(SessionNotes).where(SessionNotes.event_id == event_id)
        ).all()
    }


def steps_by_topic(session: Session, *, event_id: int) -> dict[int, list[NextStep]]:
    """Every session's next steps, oldest first, by topic id (one query; deleted ones not)."""
    found: dict[int, list[NextStep]] = {}
    for step in session.exec(
        select(NextStep)
        .where(NextStep.event_id == event_id, col(NextStep.deleted_at).is_(None))
        .order_by(col(NextStep.id))
    ).all():
        found.setdefault(step.topic_id, []).append(step)
    return found


def authors_by_topic(session: Session, *, event_id: int) -> dict[int, list[str]]:
    """Who saved each session's notes, first save first, by topic id (one query). A revision
    records its author's name as it was then, not the person: callers that name people check
    the names against consent themselves."""
    found: dict[int, list[str]] = {}
    for topic_id, author in session.exec(
        select(SessionNotes.topic_id, NotesRevision.author)
        .join(SessionNotes, SessionNotes.id == NotesRevision.notes_id)  # type: ignore[arg-type]
        .where(NotesRevision.event_id == event_id, NotesRevision.author != "")
        .order_by(col(NotesRevision.id))
    ).all():
        names = found.setdefault(topic_id, [])
        if author not in names:
            names.append(author)
    return found


def sessions_with_notes(session: Session, *, event_id: int) -> set[int]:
    """Topic ids that have notes: a saved report, a proposal, a next step or a photo.
    For the board and the grid to mark them (four small queries, whatever the event's size)."""
    found: set[int] = set(
        session.exec(
            select(SessionNotes.topic_id).where(
                SessionNotes.event_id == event_id, col(SessionNotes.revision) > 0
            )
        ).all()
    )
    for model in (Proposal, NextStep):
        found.update(
            session.exec(
                select(model.topic_id)
                .where(model.event_id == event_id, col(model.deleted_at).is_(None))
                .distinct()
            ).all()
        )
    found.update(
        session.exec(select(Photo.topic_id).where(Photo.event_id == event_id).distinct()).all()
    )
    return found


def live_map(
    session: Session, *, event_id: int, now: dt.datetime | None = None
) -> dict[str, dict[str, object]]:
    """Per session: its notes' revision, when they were last saved and who is editing, for the
    live frame (two queries per frame, never per client). Keys are topic ids as strings."""
    found: dict[str, dict[str, object]] = {}
    for topic_id, revision, updated_at in session.exec(
        select(SessionNotes.topic_id, SessionNotes.revision, SessionNotes.updated_at).where(
            SessionNotes.event_id == event_id, col(SessionNotes.revision) > 0
        )
    ).all():
        found[str(topic_id)] = {"r": revision, "t": int(updated_at.timestamp()), "e": []}
    since = (now or utcnow()) - dt.timedelta(seconds=PRESENCE_SECONDS)
    for row in session.exec(
        select(NotesPresence)
        .where(NotesPresence.event_id == event_id, col(NotesPresence.seen_at) >= since)
        .order_by(col(NotesPresence.id))
    ).all():
        entry = found.setdefault(str(row.topic_id), {"r": 0, "t": 0, "e": []})
        editors_ = entry["e"]
        assert isinstance(editors_, list)
        editors_.append([row.name, int(row.seen_at.timestamp())])
    return found


def live_json(session: Session, *, event_id: int) -> str:
    return json.dumps(live_map(session, event_id=event_id), ensure_ascii=False)


# --- saving ----------------------------------------------------------------------------------


@dataclass
class SaveResult:
    revision: int
    values: dict[str, str]  # every field after the save
    applied: list[str] = field(default_factory=list)  # fields that took this save's text
    merged: list[str] = field(default_factory=list)  # ...combined with someone else's change
    conflicts: list[str] = field(default_factory=list)  # kept aside, to merge by hand
    saved_at: dt.datetime | None = None


def _clean(changes: dict[str, str]) -> dict[str, str]:
    errors: dict[str, str] = {}
    cleaned: dict[str, str] = {}
    for name, raw in changes.items():
        if name not in TEXT_FIELDS:
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


def _locked_notes(session: Session, *, event_id: int, topic_id: int) -> SessionNotes:
    """The notes row, created when missing, locked for this transaction (PostgreSQL: FOR
    UPDATE; SQLite: the request's BEGIN IMMEDIATE already serialises writers)."""
    postgres = session.get_bind().dialect.name == "postgresql"
    insert = pg_insert if postgres else sqlite_insert
    session.execute(
        insert(SessionNotes)
        .values(event_id=event_id, topic_id=topic_id, revision=0, updated_at=utcnow())
        .on_conflict_do_nothing(index_elements=["topic_id"])
    )
    query = select(SessionNotes).where(SessionNotes.topic_id == topic_id)
    if postgres:
        query = query.with_for_update()
    notes = session.exec(query.execution_options(populate_existing=True)).one()
    return notes


def _base(session: Session, *, notes: SessionNotes, revision: int) -> dict[str, str]:
    if revision == notes.revision:
        return values_of(notes)
    if revision == 0:
        return values_of(None)
    row = session.exec(
        select(NotesRevision).where(
            NotesRevision.notes_id == notes.id, NotesRevision.revision == revision
        )
    ).first()
    stored = row.fields if row is not None else {}
    return {name: str(stored.get(name, "")) for name in TEXT_FIELDS}


def save_wait(now: float | None = None) -> int:
    """Seconds until a person over the save limit may save again (the window's end)."""
    return SAVE_WINDOW - int(now if now is not None else _clock()) % SAVE_WINDOW


def _limit_saves(session: Session, *, access: EventAccess) -> None:
    # Per person, never per address: a whole room shares the venue's Wi-Fi address.
    key = f"notes-save:{access.event_id}:{_author(access)[0]}"
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
    key, name = _author(access)
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
            notes_id=notes.id or 0,
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
    topic_id: int,
    base_revision: int,
    changes: dict[str, str],
) -> SaveResult:
    """Apply one save of some fields, started from ``base_revision``; merge with what others
    saved since, and keep what cannot be merged as a conflict (never dropped, never silently
    overwriting; one open conflict per editor and field, holding their latest text). Counts
    the save against the person's limit first (committed at once) and raises RateLimited
    over it, changing nothing else. Commits."""
    _require_editor(access)
    _limit_saves(session, access=access)
    require_session(session, access=access, topic_id=topic_id)
    cleaned = _clean(changes)
    notes = _locked_notes(session, event_id=access.event_id, topic_id=topic_id)
    if not 0 <= base_revision <= notes.revision:
        raise Conflict(_("These notes changed in a way this page does not know. Reload it."))
    base = _base(session, notes=notes, revision=base_revision)
    current = values_of(notes)
    key, name = _author(access)
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
        notes.revision += 1
        notes.updated_at = utcnow()
        notes.updated_by = name
        session.add(notes)
        session.add(
            NotesRevision(
                event_id=access.event_id,
                notes_id=notes.id or 0,
                revision=notes.revision,
                fields=values_of(notes),
                author=name,
            )
        )
    _touch_presence(session, access=access, topic_id=topic_id, key=key, name=name, field="")
    session.commit()
    result.revision = notes.revision
    result.values = values_of(notes)
    result.saved_at = notes.updated_at
    return result


def bump(session: Session, *, access: EventAccess, topic_id: int) -> int:
    """A new revision with the same text, after a proposal, next step or photo changed: the
    live frame carries revisions, so screens showing these notes fetch them again."""
    notes = _locked_notes(session, event_id=access.event_id, topic_id=topic_id)
    notes.revision += 1
    notes.updated_at = utcnow()
    notes.updated_by = _author(access)[1]
    session.add(notes)
    session.add(
        NotesRevision(
            event_id=access.event_id,
            notes_id=notes.id or 0,
            revision=notes.revision,
            fields=values_of(notes),
            author=notes.updated_by,
        )
    )
    session.commit()
    return notes.revision


def resolve_conflict(session: Session, *, access: EventAccess, conflict_id: int) -> None:
    """Mark kept-aside text as merged by hand (it stays in the database)."""
    _require_editor(access)
    conflict = session.get(NotesConflict, conflict_id)
    if conflict is None or conflict.event_id != access.event_id:
        raise NotFound(_("There is no such text to merge."))
    if conflict.resolved_at is None:
        conflict.resolved_at = utcnow()
        session.add(conflict)
        session.commit()


def topic_of_conflict(session: Session, *, access: EventAccess, conflict_id: int) -> int:
    conflict = session.get(NotesConflict, conflict_id)
    notes = session.get(SessionNotes, conflict.notes_id) if conflict is not None else None
    if notes is None or notes.event_id != access.event_id:
        raise NotFound(_("There is no such text to merge."))
    return notes.topic_id


# --- presence --------------------------------------------------------------------------------


def _touch_presence(
    session: Session, *, access: EventAccess, topic_id: int, key: str, name: str, field: str
) -> bool:
    row = session.exec(
        select(NotesPresence).where(NotesPresence.topic_id == topic_id, NotesPresence.editor == key)
    ).first()
    now = utcnow()
    if row is None:
        session.add(
            NotesPresence(
                event_id=access.event_id,
                topic_id=topic_id,
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


def heartbeat(session: Session, *, access: EventAccess, topic_id: int, field: str) -> bool:
    """Someone is typing in ``field``. True when the live screens should hear of it (a new
    editor, another field, or the last word older than PRESENCE_REFRESH); heartbeats in
    between change nothing, so twenty phones typing do not flood every screen."""
    _require_editor(access)
    require_session(session, access=access, topic_id=topic_id)
    if field not in (*TEXT_FIELDS, "proposal", "step", ""):
        field = ""
    key, name = _author(access)
    changed = _touch_presence(
        session, access=access, topic_id=topic_id, key=key, name=name, field=field
    )
    session.commit()
    return changed


def leave(session: Session, *, access: EventAccess, topic_id: int) -> bool:
    """Someone stopped editing; True when they had been shown."""
    _require_editor(access)
    key, _name = _author(access)
    gone = session.execute(
        delete(NotesPresence).where(
            col(NotesPresence.event_id) == access.event_id,
            col(NotesPresence.topic_id) == topic_id,
            col(NotesPresence.editor) == key,
        )
    )
    session.commit()
    return bool(getattr(gone, "rowcount", 0))


# --- proposals and next steps ----------------------------------------------------------------


def _one_line(text: str) -> str:
    return " ".join(text.split())


def _adder(access: EventAccess) -> tuple[int | None, int | None]:
    """(participant id, user id) of whoever adds a row: one of them."""
    if access.participant is not None:
        return access.participant.id, None
    assert access.user is not None
    return None, access.user.id


def _added_by(access: EventAccess, row: Proposal | NextStep) -> bool:
    if access.participant is not None:
        return row.added_by_participant is not None and (
            row.added_by_participant == access.participant.id
        )
    if access.user is not None and access.user.id is not None:
        return row.added_by_user == access.user.id
    return False


def may_delete(access: EventAccess, row: Proposal | NextStep) -> bool:
    """Whoever added a proposal or next step, or staff (rows from before adders were recorded:
    staff only)."""
    return access.is_staff or _added_by(access, row)


def may_restore(access: EventAccess, row: Proposal | NextStep) -> bool:
    """Staff; or whoever added it, unless staff deleted it: moderation is not undone by the
    person moderated."""
    return access.is_staff or (_added_by(access, row) and not row.deleted_by_staff)


def _mark_deleted(row: Proposal | NextStep, access: EventAccess) -> None:
    row.deleted_at, row.deleted_by = utcnow(), _author(access)[1]
    row.deleted_by_staff = access.is_staff


def _mark_restored(row: Proposal | NextStep) -> None:
    row.deleted_at, row.deleted_by, row.deleted_by_staff = None, "", False


def _proposal(session: Session, *, access: EventAccess, proposal_id: int) -> Proposal:
    # Locked (PostgreSQL; SQLite's BEGIN IMMEDIATE serialises writers anyway) so that a dot
    # cast at the same moment (convergence.cast locks the row too) and this delete cannot both
    # see the other not yet done.
    proposal = session.get(Proposal, proposal_id, with_for_update=True, populate_existing=True)
    if proposal is None or proposal.event_id != access.event_id:
        raise NotFound(_("There is no such proposal."))
    return proposal


def _step(session: Session, *, access: EventAccess, step_id: int) -> NextStep:
    step = session.get(NextStep, step_id, with_for_update=True, populate_existing=True)
    if step is None or step.event_id != access.event_id:
        raise NotFound(_("There is no such next step."))
    return step


def add_proposal(session: Session, *, access: EventAccess, topic_id: int, text: str) -> Proposal:
    _require_editor(access)
    require_session(session, access=access, topic_id=topic_id)
    text = _one_line(text)
    if not text:
        raise Invalid({"proposal": _("Write the proposal first.")})
    check_length(text, PROPOSAL_MAX, field="proposal")
    participant_id, user_id = _adder(access)
    proposal = Proposal(
        event_id=access.event_id,
        topic_id=topic_id,
        text=text,
        author=_author(access)[1],
        added_by_participant=participant_id,
        added_by_user=user_id,
    )
    session.add(proposal)
    session.commit()
    session.refresh(proposal)
    return proposal


def delete_proposal(session: Session, *, access: EventAccess, proposal_id: int) -> Proposal:
    """Delete a proposal softly (its adder or staff): it leaves the notes, the proceedings and
    the convergence vote, and stays in the notes' history to restore. A proposal with dots
    stays: deleting it would take people's dots away. Commits."""
    _require_editor(access)
    proposal = _proposal(session, access=access, proposal_id=proposal_id)
    if not may_delete(access, proposal):
        raise PermissionDenied(
            _("Only the person who added this proposal, or the organisers, can delete it.")
        )
    if proposal.deleted_at is not None:  # a second click
        return proposal
    dots = session.exec(
        select(func.count())
        .select_from(ProposalVote)
        .where(ProposalVote.proposal_id == proposal_id)
    ).one()
    if dots:
        raise Conflict(_("People have put dots on this proposal, so it stays."))
    _mark_deleted(proposal, access)
    session.add(proposal)
    session.commit()
    return proposal


def restore_proposal(session: Session, *, access: EventAccess, proposal_id: int) -> Proposal:
    """Bring a deleted proposal back (its adder, unless staff deleted it; or staff). Commits."""
    _require_editor(access)
    proposal = _proposal(session, access=access, proposal_id=proposal_id)
    if proposal.deleted_at is None:  # a second click
        return proposal
    if not may_restore(access, proposal):
        raise PermissionDenied(
            _("The organisers deleted this proposal: only they can restore it.")
            if proposal.deleted_by_staff
            else _("Only the person who added this proposal, or the organisers, can restore it.")
        )
    _mark_restored(proposal)
    session.add(proposal)
    session.commit()
    return proposal


def add_step(
    session: Session, *, access: EventAccess, topic_id: int, action: str, who: str, by_when: str
) -> NextStep:
    _require_editor(access)
    require_session(session, access=access, topic_id=topic_id)
    action, who, by_when = _one_line(action), _one_line(who), _one_line(by_when)
    errors: dict[str, str] = {}
    if not action:
        errors["action"] = _("Write the next step first.")
    elif message := too_long(action, ACTION_MAX):
        errors["action"] = message
    if message := too_long(who, WHO_MAX):
        errors["who"] = message
    if message := too_long(by_when, WHEN_MAX):
        errors["by_when"] = message
    if errors:
        raise Invalid(errors)
    participant_id, user_id = _adder(access)
    step = NextStep(
        event_id=access.event_id,
        topic_id=topic_id,
        action=action,
        who=who,
        by_when=by_when,
        author=_author(access)[1],
        added_by_participant=participant_id,
        added_by_user=user_id,
    )
    session.add(step)
    session.commit()
    session.refresh(step)
    return step


def delete_step(session: Session, *, access: EventAccess, step_id: int) -> NextStep:
    """Delete a next step softly (its adder or staff); it stays in the notes' history to
    restore. Commits."""
    _require_editor(access)
    step = _step(session, access=access, step_id=step_id)
    if not may_delete(access, step):
        raise PermissionDenied(
            _("Only the person who added this next step, or the organisers, can delete it.")
        )
    if step.deleted_at is None:
        _mark_deleted(step, access)
        session.add(step)
        session.commit()
    return step


def restore_step(session: Session, *, access: EventAccess, step_id: int) -> NextStep:
    """Bring a deleted next step back (its adder, unless staff deleted it; or staff). Commits."""
    _require_editor(access)
    step = _step(session, access=access, step_id=step_id)
    if step.deleted_at is None:
        return step
    if not may_restore(access, step):
        raise PermissionDenied(
            _("The organisers deleted this next step: only they can restore it.")
            if step.deleted_by_staff
            else _("Only the person who added this next step, or the organisers, can restore it.")
        )
    _mark_restored(step)
    session.add(step)
    session.commit()
    return step


def topic_of_proposal(session: Session, *, access: EventAccess, proposal_id: int) -> int:
    return _proposal(session, access=access, proposal_id=proposal_id).topic_id


def topic_of_step(session: Session, *, access: EventAccess, step_id: int) -> int:
    return _step(session, access=access, step_id=step_id).topic_id


@dataclass(frozen=True)
class Deletion:
    """A deleted proposal or next step, as the notes' history lists it."""

    kind: str  # "proposal" or "step"
    id: int
    text: str
    by: str
    at: dt.datetime
    may_restore: bool


def deletions(session: Session, *, access: EventAccess, topic_id: int) -> list[Deletion]:
    """The session's deleted proposals and next steps, the latest deletion first."""
    rows: list[tuple[str, Proposal | NextStep, str]] = [
        ("proposal", row, row.text)
        for row in session.exec(
            select(Proposal).where(
                Proposal.event_id == access.event_id,
                Proposal.topic_id == topic_id,
                col(Proposal.deleted_at).is_not(None),
            )
        ).all()
    ]
    rows += [
        ("step", row, row.action)
        for row in session.exec(
            select(NextStep).where(
                NextStep.event_id == access.event_id,
                NextStep.topic_id == topic_id,
                col(NextStep.deleted_at).is_not(None),
            )
        ).all()
    ]
    found = [
        Deletion(kind, row.id or 0, text, row.deleted_by, at, may_restore(access, row))
        for kind, row, text in rows
        if (at := row.deleted_at) is not None
    ]
    return sorted(found, key=lambda item: (item.at, item.kind, item.id), reverse=True)


# --- for the proceedings ---------------------------------------------------------------------


@dataclass
class PhotoFile:
    id: int
    caption: str
    path: Path
    thumb_path: Path
    width: int
    height: int


@dataclass
class SessionReport:
    """One session's notes as the proceedings need them."""

    topic_id: int
    block_id: int
    room_id: int
    title: str  # the notes' title, else the topic's
    conveners: str  # the notes' conveners, else the topic's conveners
    outcome: str
    markdown: dict[str, str]  # discussion, ideas, recommendations, questions: raw Markdown
    html: dict[str, Markup]  # the same, rendered and sanitised
    participant_count: int
    participant_names: list[str]  # only those who consented to appear in the report
    proposals: list[tuple[Proposal, int]]  # with their dots
    next_steps: list[NextStep]
    photos: list[PhotoFile]
    revision: int
    updated_at: dt.datetime | None


def report(session: Session, *, event_id: int, upload_dir: Path) -> list[SessionReport]:
    """Every session of the published agenda with its notes, in grid order (day, time, room).
    A fixed number of queries, whatever the number of sessions."""
    from app.models.events import Event
    from app.services.notes import photos

    event = session.get(Event, event_id)
    if event is None:
        return []
    plan = agenda.load_published(session, event=event)
    all_notes = notes_by_topic(session, event_id=event_id)
    dots = dict(
        session.exec(
            select(ProposalVote.proposal_id, func.count(col(ProposalVote.id)))
            .where(ProposalVote.event_id == event_id)
            .group_by(col(ProposalVote.proposal_id))
        ).all()
    )
    proposals: dict[int, list[tuple[Proposal, int]]] = {}
    for proposal in session.exec(
        select(Proposal)
        .where(Proposal.event_id == event_id, col(Proposal.deleted_at).is_(None))
        .order_by(col(Proposal.id))
    ).all():
        proposals.setdefault(proposal.topic_id, []).append(
            (proposal, int(dots.get(proposal.id or 0, 0)))
        )
    steps = steps_by_topic(session, event_id=event_id)
    pictures = photos.of_event(session, event_id=event_id)
    checkins: dict[int, dict[int, tuple[str, bool]]] = {}
    for topic_id, pid, name, consent in session.exec(
        select(CheckIn.topic_id, Participant.id, Participant.name, Participant.consent_report)
        .join(Participant, Participant.id == CheckIn.participant_id)  # type: ignore[arg-type]
        .where(CheckIn.event_id == event_id)
        .order_by(col(Participant.id))
    ).all():
        checkins.setdefault(topic_id, {})[pid or 0] = (name, consent)
    found: list[SessionReport] = []
    for cell in ordered_sessions(plan):
        notes = all_notes.get(cell.topic_id)
        values = values_of(notes)
        present = checkins.get(cell.topic_id, {})
        count = notes.participant_count if notes is not None else None
        found.append(
            SessionReport(
                topic_id=cell.topic_id,
                block_id=cell.block_id,
                room_id=cell.room_id,
                title=values["title"].strip() or cell.title,
                conveners=values["conveners"].strip() or ", ".join(cell.conveners),
                outcome=values["outcome"].strip(),
                markdown={name: values[name] for name in MARKDOWN_FIELDS},
                html={name: markdown.render(values[name]) for name in MARKDOWN_FIELDS},
                participant_count=len(present) if count is None else count,
                participant_names=[name for name, consent in present.values() if consent],
                proposals=proposals.get(cell.topic_id, []),
                next_steps=steps.get(cell.topic_id, []),
                photos=[
                    PhotoFile(
                        id=photo.id or 0,
                        caption=photo.caption,
                        path=photos.path_of(upload_dir, photo),
                        thumb_path=photos.path_of(upload_dir, photo, thumb=True),
                        width=photo.width,
                        height=photo.height,
                    )
                    for photo in pictures.get(cell.topic_id, [])
                ],
                revision=notes.revision if notes is not None else 0,
                updated_at=notes.updated_at if notes is not None and notes.revision else None,
            )
        )
    return found


def ordered_sessions(plan: agenda.Agenda) -> list[agenda.AgendaSession]:
    """The sessions of an agenda in reading order: day, time, room."""
    found = []
    for day in plan.days:
        for block in day.blocks:
            for room in plan.rooms:
                cell = plan.sessions.get((block.id or 0, room.id or 0))
                if cell is not None:
                    found.append(cell)
    return found
