"""Reading the notes: one session's notes page (fields, attendance, editors, proposals, next
steps, photos, history) and the per-event listings the live frames show."""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass, field

from markupsafe import Markup
from sqlmodel import Session, col, func, select

from app.errors import NotFound
from app.i18n import _
from app.models.base import id_of, utcnow
from app.models.events import Role
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
from app.services.notes.shared import require_session, values_of
from app.services.people.naming import Naming
from app.services.schedule import agenda, checkins


def notes_of(session: Session, *, event_id: int, topic_id: int) -> SessionNotes | None:
    return session.exec(
        select(SessionNotes).where(
            SessionNotes.event_id == event_id, SessionNotes.topic_id == topic_id
        )
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

    def conflicts_in(self, field_name: str) -> list[NotesConflict]:
        """The open conflicts of one field: they show next to it."""
        return [conflict for conflict in self.conflicts if conflict.field == field_name]


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
    deletable = {("proposal", id_of(p)) for p, _dots in proposals if may_delete(access, p)}
    deletable |= {("step", id_of(step)) for step in steps if may_delete(access, step)}
    return NotesPage(
        topic=topic,
        cell=cell,
        notes=notes,
        values=values,
        rendered={name: markdown.render(values[name]) for name in MARKDOWN_FIELDS},
        proposals=proposals,
        steps=steps,
        photos=photos.of_session(session, event_id=event_id, topic_id=topic_id),
        conflicts=conflicts,
        editors=editors(session, event_id=event_id, topic_id=topic_id),
        attendance=attendance(session, event_id=event_id, topic_id=topic_id, notes=notes),
        agenda=plan,
        history=deletions(session, access=access, topic_id=topic_id),
        deletable=deletable,
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
    session: Session,
    *,
    event_id: int,
    now: dt.datetime | None = None,
    counts: dict[int, checkins.Headcount] | None = None,
) -> dict[str, dict[str, object]]:
    """Per session, for the live frame (three queries per frame, never per client; the
    headcounts are the frame's own when given): its notes' revision ("r"), when they were last
    saved ("t"), who is editing ("e"), the open conflicts' ids ("c", when any) and the
    headcount ("h" here now, "n" checked in during the session, when anyone checked in).
    A notes page fetches its fresh regions when any of these differ from what it shows. Keys
    are topic ids as strings."""
    found: dict[str, dict[str, object]] = {}

    def entry(topic_id: int) -> dict[str, object]:
        return found.setdefault(str(topic_id), {"r": 0, "t": 0, "e": []})

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
        editors_ = entry(row.topic_id)["e"]
        assert isinstance(editors_, list)
        editors_.append([row.name, int(row.seen_at.timestamp())])
    for topic_id, conflict_id in session.exec(
        select(SessionNotes.topic_id, NotesConflict.id)
        .join(SessionNotes, SessionNotes.id == NotesConflict.notes_id)  # type: ignore[arg-type]
        .where(NotesConflict.event_id == event_id, col(NotesConflict.resolved_at).is_(None))
        .order_by(col(NotesConflict.id))
    ).all():
        ids = entry(topic_id).setdefault("c", [])
        assert isinstance(ids, list)
        ids.append(conflict_id)
    if counts is None:
        counts = checkins.headcounts(session, event_id=event_id)
    for topic_id, counted in counts.items():
        entry(topic_id).update({"h": counted.here, "n": counted.during})
    return found


def live_json(
    session: Session, *, event_id: int, counts: dict[int, checkins.Headcount] | None = None
) -> str:
    return json.dumps(live_map(session, event_id=event_id, counts=counts), ensure_ascii=False)
