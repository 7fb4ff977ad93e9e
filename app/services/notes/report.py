"""Session notes as the proceedings read them: every session's fields, next steps and photos."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

from markupsafe import Markup
from sqlmodel import Session, col, func, select

from app.models.base import id_of
from app.models.notes import (
    MARKDOWN_FIELDS,
    NextStep,
    Proposal,
    ProposalVote,
)
from app.models.schedule import CheckIn
from app.services import markdown
from app.services.notes.reading import notes_by_subject, steps_by_topic
from app.services.notes.shared import Subject, values_of
from app.services.people import naming as people_naming
from app.services.people.naming import Naming
from app.services.schedule import agenda

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
    conveners: str  # the notes' conveners, else the topic's, as a public output may name them
    outcome: str
    markdown: dict[str, str]  # discussion, ideas, recommendations, questions: raw Markdown
    html: dict[str, Markup]  # the same, rendered and sanitised
    participant_count: int
    participant_names: list[str]  # only those who may be named (``Naming``)
    proposals: list[tuple[Proposal, int]]  # with their dots
    next_steps: list[NextStep]
    photos: list[PhotoFile]
    revision: int
    updated_at: dt.datetime | None


def report(
    session: Session, *, event_id: int, upload_dir: Path, naming: Naming | None = None
) -> list[SessionReport]:
    """Every session of the published agenda with its notes, in grid order (day, time, room).
    A fixed number of queries, whatever the number of sessions. People are named as
    ``naming`` allows (loaded when not given): the notes' conveners line is screened, the
    topic's conveners and the people checked in are named only if they agreed."""
    from app.models.events import Event
    from app.services.notes import photos

    event = session.get(Event, event_id)
    if event is None:
        return []
    plan = agenda.load_published(session, event=event)
    if naming is None:
        naming = people_naming.load(session, event_id=event_id)
    all_notes = notes_by_subject(session, event_id=event_id)
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
            (proposal, int(dots.get(id_of(proposal), 0)))
        )
    steps = steps_by_topic(session, event_id=event_id)
    pictures = photos.of_event(session, event_id=event_id)
    checkins: dict[int, list[int]] = {}
    for topic_id, participant_id in session.exec(
        select(CheckIn.topic_id, CheckIn.participant_id)
        .where(CheckIn.event_id == event_id)
        .distinct()
        .order_by(col(CheckIn.participant_id))
    ).all():
        checkins.setdefault(topic_id, []).append(participant_id)
    found: list[SessionReport] = []
    for cell in ordered_sessions(plan):
        subject = Subject(topic_id=cell.topic_id)
        notes = all_notes.get(subject)
        values = values_of(notes)
        present = checkins.get(cell.topic_id, [])
        typed = values["conveners"].strip()
        count = notes.participant_count if notes is not None else None
        found.append(
            SessionReport(
                topic_id=cell.topic_id,
                block_id=cell.block_id,
                room_id=cell.room_id,
                title=values["title"].strip() or cell.title,
                conveners=naming.screen(typed) if typed else naming.conveners(cell.convener_ids),
                outcome=values["outcome"].strip(),
                markdown={name: values[name] for name in MARKDOWN_FIELDS},
                html={name: markdown.render(values[name]) for name in MARKDOWN_FIELDS},
                participant_count=len(present) if count is None else count,
                participant_names=naming.split(present)[0],
                proposals=proposals.get(cell.topic_id, []),
                next_steps=steps.get(cell.topic_id, []),
                photos=[
                    PhotoFile(
                        id=id_of(photo),
                        caption=photo.caption,
                        path=photos.path_of(upload_dir, photo),
                        thumb_path=photos.path_of(upload_dir, photo, thumb=True),
                        width=photo.width,
                        height=photo.height,
                    )
                    for photo in pictures.get(subject, [])
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
                cell = plan.sessions.get((id_of(block), id_of(room)))
                if cell is not None:
                    found.append(cell)
    return found
