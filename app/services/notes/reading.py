"""Reading the notes: one session's notes page (fields, attendance, editors, proposals, next
steps, photos, history), one plenary item's (fields, editors, photos), and the per-event
listings the live frames show."""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass, field

from markupsafe import Markup
from sqlmodel import Session, col, func, select

from app.errors import NotFound
from app.i18n import _
from app.models.base import id_of, utcnow
from app.models.events import BlockKind, Role, Room, TimeBlock
from app.models.notes import (
    MARKDOWN_FIELDS,
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
from app.models.topics import Topic
from app.services import markdown
from app.services.access import STAFF, EventAccess
from app.services.notes import photos
from app.services.notes.editing import PRESENCE_SECONDS
from app.services.notes.items import Deletion, deletions, may_delete
from app.services.notes.shared import Subject, require_plenary, require_session, values_of
from app.services.people.naming import Naming
from app.services.schedule import agenda, checkins


def notes_of(
    session: Session, *, event_id: int, topic_id: int | None = None, block_id: int | None = None
) -> SessionNotes | None:
    subject = Subject(topic_id=topic_id, block_id=block_id)
    return session.exec(
        select(SessionNotes).where(SessionNotes.event_id == event_id, subject.where(SessionNotes))
    ).first()


@dataclass
class Attendance:
    checked_in: int  # different people who checked in during the session (``Headcount.during``)
    count: int  # the note-taker's figure when given, else the check-ins
    names: list[str]  # only those who may be named (``Naming``)
    here: int = 0  # checked in now: the number the board shows (``Headcount.here``)
    given: bool = False  # ``count`` is the note-taker's figure


def attendance(
    session: Session, *, event_id: int, topic_id: int, notes: SessionNotes | None
) -> Attendance:
    """The session's headcount by the rule the board uses (``checkins.headcounts``), the
    report's figure, and who of those who checked in may be named."""
    rows = session.exec(
        select(
            Participant.id,
            Participant.name,
            Participant.organisation,
            Participant.consent_report,
        )
        .join(CheckIn, CheckIn.participant_id == Participant.id)  # type: ignore[arg-type]
        .where(CheckIn.event_id == event_id, CheckIn.topic_id == topic_id)
        .distinct()
        .order_by(col(Participant.id))
    ).all()
    ids = [row[0] or 0 for row in rows]
    names = Naming.of(rows).split(ids)[0]
    counted = checkins.headcounts(session, event_id=event_id, topic_id=topic_id).get(topic_id)
    here, during = (counted.here, counted.during) if counted else (0, 0)
    given = notes.participant_count if notes is not None else None
    return Attendance(
        checked_in=during,
        count=during if given is None else given,
        names=names,
        here=here,
        given=given is not None,
    )


@dataclass
class Editor:
    name: str
    field: str
    seen_at: dt.datetime


@dataclass
class NotesPage:
    """A session's notes page, or a plenary item's: the same page without what belongs to
    sessions only (attendance, proposals, next steps and their history)."""

    subject: Subject
    heading: str  # the session's title, or the plenary item's
    people: list[str]  # the session's conveners, or the plenary item's presenter
    block: TimeBlock  # the slot the session is in, or the plenary item
    room: Room | None
    starts_at: dt.datetime | None
    notes: SessionNotes | None
    values: dict[str, str]
    rendered: dict[str, Markup]
    photos: list[Photo]
    conflicts: list[NotesConflict]
    editors: list[Editor]
    topic: Topic | None = None  # sessions only, from here on
    cell: agenda.AgendaSession | None = None
    attendance: Attendance | None = None
    proposals: list[tuple[Proposal, int]] = field(default_factory=list)  # with their dots
    steps: list[NextStep] = field(default_factory=list)
    history: list[Deletion] = field(default_factory=list)
    deletable: set[tuple[str, int]] = field(default_factory=set)  # ("proposal" | "step", id)

    @property
    def revision(self) -> int:
        return self.notes.revision if self.notes is not None else 0

    def conflicts_in(self, field_name: str) -> list[NotesConflict]:
        """The open conflicts of one field: they show next to it."""
        return [conflict for conflict in self.conflicts if conflict.field == field_name]


def editors(
    session: Session,
    *,
    event_id: int,
    topic_id: int | None = None,
    block_id: int | None = None,
    now: dt.datetime | None = None,
) -> list[Editor]:
    """Who has a field of a session's or a plenary item's notes open now."""
    subject = Subject(topic_id=topic_id, block_id=block_id)
    since = (now or utcnow()) - dt.timedelta(seconds=PRESENCE_SECONDS)
    rows = session.exec(
        select(NotesPresence)
        .where(
            NotesPresence.event_id == event_id,
            subject.where(NotesPresence),
            col(NotesPresence.seen_at) >= since,
        )
        .order_by(col(NotesPresence.id))
    ).all()
    return [Editor(row.name, row.field, row.seen_at) for row in rows]


def _open_conflicts(
    session: Session, *, event_id: int, notes: SessionNotes | None
) -> list[NotesConflict]:
    if notes is None:
        return []
    return list(
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


def _page(
    session: Session,
    *,
    access: EventAccess,
    subject: Subject,
    plan: agenda.Agenda,
    block: TimeBlock,
    heading: str,
    people: list[str],
    room: Room | None = None,
) -> NotesPage:
    """What both kinds of notes page show."""
    event_id = access.event_id
    notes = notes_of(session, event_id=event_id, **subject.values)
    values = values_of(notes, subject.fields)
    return NotesPage(
        subject=subject,
        heading=heading,
        people=people,
        block=block,
        room=room,
        starts_at=plan.starts_at(id_of(block)) if plan.day_of(id_of(block)) else None,
        notes=notes,
        values=values,
        rendered={name: markdown.render(values[name]) for name in MARKDOWN_FIELDS},
        photos=photos.of_subject(session, event_id=event_id, subject=subject),
        conflicts=_open_conflicts(session, event_id=event_id, notes=notes),
        editors=editors(
            session, event_id=event_id, topic_id=subject.topic_id, block_id=subject.block_id
        ),
    )


def page(session: Session, *, access: EventAccess, topic_id: int) -> NotesPage:
    """Everything a session's notes page shows (anyone of the event may read)."""
    access.require(Role.PARTICIPANT, *STAFF)
    topic = require_session(session, access=access, topic_id=topic_id)
    plan = agenda.load_published(session, event=access.event)
    cell = plan.by_topic.get(topic_id)
    if cell is None or cell.block_id not in plan.blocks:  # it left the grid in between
        raise NotFound(
            _("This topic is not a session in the published agenda, so it has no notes.")
        )
    event_id = access.event_id
    proposals = proposals_with_dots(session, event_id=event_id, topic_id=topic_id)
    steps = next_steps(session, event_id=event_id, topic_id=topic_id)
    deletable = {("proposal", id_of(p)) for p, _dots in proposals if may_delete(access, p)}
    deletable |= {("step", id_of(step)) for step in steps if may_delete(access, step)}
    found = _page(
        session,
        access=access,
        subject=Subject(topic_id=topic_id),
        plan=plan,
        block=plan.blocks[cell.block_id],
        heading=cell.title,
        people=cell.conveners,
        room=plan.room_by_id.get(cell.room_id),
    )
    found.topic, found.cell = topic, cell
    found.proposals, found.steps, found.deletable = proposals, steps, deletable
    found.attendance = attendance(session, event_id=event_id, topic_id=topic_id, notes=found.notes)
    found.history = deletions(session, access=access, topic_id=topic_id)
    return found


def plenary_page(session: Session, *, access: EventAccess, block_id: int) -> NotesPage:
    """Everything a plenary item's notes page shows (anyone of the event may read)."""
    access.require(Role.PARTICIPANT, *STAFF)
    block = require_plenary(session, access=access, block_id=block_id)
    plan = agenda.load_published(session, event=access.event)
    return _page(
        session,
        access=access,
        subject=Subject(block_id=block_id),
        plan=plan,
        block=block,
        heading=block.title,
        people=[block.presenter] if block.presenter else [],
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
    return [(proposal, int(dots.get(id_of(proposal), 0))) for proposal in found]


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


def notes_by_subject(session: Session, *, event_id: int) -> dict[Subject, SessionNotes]:
    """Every session's and plenary item's notes row, by subject (one query)."""
    return {
        Subject.of(notes): notes
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


def authors_by_subject(session: Session, *, event_id: int) -> dict[Subject, list[str]]:
    """Who saved each session's or plenary item's notes, first save first (one query). A
    revision records its author's name as it was then, not the person: callers that name
    people check the names against consent themselves."""
    found: dict[Subject, list[str]] = {}
    for topic_id, block_id, author in session.exec(
        select(SessionNotes.topic_id, SessionNotes.block_id, NotesRevision.author)
        .join(SessionNotes, SessionNotes.id == NotesRevision.notes_id)  # type: ignore[arg-type]
        .where(NotesRevision.event_id == event_id, NotesRevision.author != "")
        .order_by(col(NotesRevision.id))
    ).all():
        names = found.setdefault(Subject(topic_id=topic_id, block_id=block_id), [])
        if author not in names:
            names.append(author)
    return found


def with_notes(session: Session, *, event_id: int) -> set[Subject]:
    """Sessions and plenary items that have notes: a saved report, a photo, or (sessions) a
    proposal or a next step. For the board, the grid and the notes index to mark them (four
    small queries, whatever the event's size)."""
    found = {
        Subject(topic_id=topic_id, block_id=block_id)
        for topic_id, block_id in session.exec(
            select(SessionNotes.topic_id, SessionNotes.block_id).where(
                SessionNotes.event_id == event_id, col(SessionNotes.revision) > 0
            )
        ).all()
    }
    for model in (Proposal, NextStep):
        found.update(
            Subject(topic_id=topic_id)
            for topic_id in session.exec(
                select(model.topic_id)
                .where(model.event_id == event_id, col(model.deleted_at).is_(None))
                .distinct()
            ).all()
        )
    found.update(
        Subject(topic_id=topic_id, block_id=block_id)
        for topic_id, block_id in session.exec(
            select(Photo.topic_id, Photo.block_id).where(Photo.event_id == event_id).distinct()
        ).all()
    )
    return found


def sessions_with_notes(session: Session, *, event_id: int) -> set[int]:
    """Topic ids of the sessions that have notes (``with_notes``)."""
    return {
        subject.topic_id
        for subject in with_notes(session, event_id=event_id)
        if subject.topic_id is not None
    }


@dataclass
class IndexEntry:
    """A line of the notes index: a plenary item or a session."""

    subject: Subject
    title: str
    block: TimeBlock
    room: str = ""  # sessions only


def index_entries(plan: agenda.Agenda) -> list[IndexEntry]:
    """The plenary items and the sessions of the published agenda, in programme order (day,
    time, room): what has notes, or may have."""
    found = []
    for day in plan.days:
        for block in day.blocks:
            if block.kind == BlockKind.PLENARY:
                found.append(IndexEntry(Subject(block_id=id_of(block)), block.title, block))
                continue
            for room in plan.rooms:
                cell = plan.sessions.get((id_of(block), id_of(room)))
                if cell is not None:
                    subject = Subject(topic_id=cell.topic_id)
                    found.append(IndexEntry(subject, cell.title, block, room.name))
    return found


def live_map(
    session: Session,
    *,
    event_id: int,
    now: dt.datetime | None = None,
    counts: dict[int, checkins.Headcount] | None = None,
) -> dict[str, dict[str, object]]:
    """Per session and plenary item, for the live frame (three queries per frame, never per
    client; the headcounts are the frame's own when given): its notes' revision ("r"), when
    they were last saved ("t"), who is editing ("e"), the open conflicts' ids ("c", when any)
    and, for sessions, the headcount ("h" here now, "n" checked in during the session, when
    anyone checked in). A notes page fetches its fresh regions when any of these differ from
    what it shows. Keys are ``Subject.key``: topic ids as strings, "b" and the block's id for
    a plenary item."""
    found: dict[str, dict[str, object]] = {}

    def entry(subject: Subject) -> dict[str, object]:
        return found.setdefault(subject.key, {"r": 0, "t": 0, "e": []})

    for topic_id, block_id, revision, updated_at in session.exec(
        select(
            SessionNotes.topic_id,
            SessionNotes.block_id,
            SessionNotes.revision,
            SessionNotes.updated_at,
        ).where(SessionNotes.event_id == event_id, col(SessionNotes.revision) > 0)
    ).all():
        key = Subject(topic_id=topic_id, block_id=block_id).key
        found[key] = {"r": revision, "t": int(updated_at.timestamp()), "e": []}
    since = (now or utcnow()) - dt.timedelta(seconds=PRESENCE_SECONDS)
    for row in session.exec(
        select(NotesPresence)
        .where(NotesPresence.event_id == event_id, col(NotesPresence.seen_at) >= since)
        .order_by(col(NotesPresence.id))
    ).all():
        editors_ = entry(Subject.of(row))["e"]
        assert isinstance(editors_, list)
        editors_.append([row.name, int(row.seen_at.timestamp())])
    for topic_id, block_id, conflict_id in session.exec(
        select(SessionNotes.topic_id, SessionNotes.block_id, NotesConflict.id)
        .join(SessionNotes, SessionNotes.id == NotesConflict.notes_id)  # type: ignore[arg-type]
        .where(NotesConflict.event_id == event_id, col(NotesConflict.resolved_at).is_(None))
        .order_by(col(NotesConflict.id))
    ).all():
        ids = entry(Subject(topic_id=topic_id, block_id=block_id)).setdefault("c", [])
        assert isinstance(ids, list)
        ids.append(conflict_id)
    if counts is None:
        counts = checkins.headcounts(session, event_id=event_id)
    for topic_id, counted in counts.items():
        entry(Subject(topic_id=topic_id)).update({"h": counted.here, "n": counted.during})
    return found


def live_json(
    session: Session, *, event_id: int, counts: dict[int, checkins.Headcount] | None = None
) -> str:
    return json.dumps(live_map(session, event_id=event_id, counts=counts), ensure_ascii=False)
