"""Session notes (the Open Space report of one session), their revisions and merge conflicts,
who is editing, proposals and next steps, flipchart photos, and what comes after the closing
circle: dots on proposals (convergence), commitments (action planning), the presentation.

Notes and photos are about a *subject*: a topic placed in the published grid (a *session*) or a
plenary item of the programme (a welcome, a good-practice presentation: a ``TimeBlock`` of kind
plenary). A row names exactly one of the two (``topic_id`` or ``block_id``; a CHECK says so),
never a topic made up for a plenary: that would be counted, voted on and exported as a topic.
Proposals and next steps belong to sessions only. Every table carries the event id, so every
query can be scoped to one event.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import JSON, CheckConstraint, Column, Index, UniqueConstraint, text
from sqlmodel import Field, SQLModel

from app.models.base import utcnow

MARKDOWN_MAX = 20_000
LINE_MAX = 200  # a title, the conveners, the one-line outcome
PROPOSAL_MAX = 500
ACTION_MAX = 500
WHO_MAX = 160
WHEN_MAX = 80
CAPTION_MAX = 200

# The report's free-text fields in the order of the form; all of them merge the same way.
TEXT_FIELDS = (
    "title",
    "conveners",
    "outcome",
    "discussion",
    "ideas",
    "recommendations",
    "questions",
    "participant_count",
)
MARKDOWN_FIELDS = ("discussion", "ideas", "recommendations", "questions")
# A plenary item's notes: its title and presenter are the programme's, and everyone was there.
PLENARY_FIELDS = ("outcome", *MARKDOWN_FIELDS)


def one_subject(table: str) -> CheckConstraint:
    """A row of ``table`` is about a session or a plenary item: exactly one of the two."""
    return CheckConstraint(
        "(topic_id IS NULL) != (block_id IS NULL)", name=f"ck_{table}_one_subject"
    )


class SessionNotes(SQLModel, table=True):
    """The report of one session or plenary item. Empty ``title``/``conveners`` mean the
    topic's own (a plenary item's notes leave them empty: ``PLENARY_FIELDS``)."""

    __tablename__ = "session_notes"
    __table_args__ = (one_subject("session_notes"),)

    id: int | None = Field(default=None, primary_key=True)
    event_id: int = Field(foreign_key="event.id", index=True, ondelete="CASCADE")
    topic_id: int | None = Field(
        default=None, foreign_key="topic.id", unique=True, ondelete="CASCADE"
    )
    block_id: int | None = Field(
        default=None, foreign_key="time_block.id", unique=True, ondelete="CASCADE"
    )
    # Goes up by one with every applied save; a save names the revision it started from.
    revision: int = 0
    title: str = Field(default="", max_length=LINE_MAX)
    conveners: str = Field(default="", max_length=LINE_MAX)
    outcome: str = Field(default="", max_length=LINE_MAX)
    discussion: str = Field(default="", max_length=MARKDOWN_MAX)
    ideas: str = Field(default="", max_length=MARKDOWN_MAX)
    recommendations: str = Field(default="", max_length=MARKDOWN_MAX)
    questions: str = Field(default="", max_length=MARKDOWN_MAX)
    # Typed in by the note-taker when check-ins undercount (people without phones).
    participant_count: int | None = None
    updated_at: dt.datetime = Field(default_factory=utcnow)
    updated_by: str = Field(default="", max_length=120)


class NotesRevision(SQLModel, table=True):
    """The fields as they were after one save: the common base of a three-way merge."""

    __tablename__ = "notes_revision"
    __table_args__ = (UniqueConstraint("notes_id", "revision"),)

    id: int | None = Field(default=None, primary_key=True)
    event_id: int = Field(foreign_key="event.id", index=True, ondelete="CASCADE")
    notes_id: int = Field(foreign_key="session_notes.id", index=True, ondelete="CASCADE")
    revision: int
    fields: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    author: str = Field(default="", max_length=120)
    # Who saved it: "p<participant id>" or "u<user id>" ("" on rows from before it was recorded).
    editor: str = Field(default="", max_length=24)
    created_at: dt.datetime = Field(default_factory=utcnow)


# At most one open conflict per editor and field: a later unmerged save of the same person to
# the same field replaces their kept text (``notes.save`` updates it under the notes' lock; this
# index makes the database refuse a second one all the same). Rows from before editors were
# recorded have an empty editor and are left out.
_ONE_OPEN = text("resolved_at IS NULL AND editor != ''")


class NotesConflict(SQLModel, table=True):
    """Text that could not be merged: kept until someone has merged it by hand."""

    __tablename__ = "notes_conflict"
    __table_args__ = (
        Index(
            "uq_notes_conflict_open",
            "notes_id",
            "field",
            "editor",
            unique=True,
            sqlite_where=_ONE_OPEN,
            postgresql_where=_ONE_OPEN,
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    event_id: int = Field(foreign_key="event.id", index=True, ondelete="CASCADE")
    notes_id: int = Field(foreign_key="session_notes.id", index=True, ondelete="CASCADE")
    field: str = Field(max_length=30)
    text: str = Field(max_length=MARKDOWN_MAX)
    base_revision: int
    author: str = Field(default="", max_length=120)
    editor: str = Field(default="", max_length=24)  # "p<participant id>" or "u<user id>"
    created_at: dt.datetime = Field(default_factory=utcnow)  # of the latest text kept
    resolved_at: dt.datetime | None = None


class NotesPresence(SQLModel, table=True):
    """Someone with a field of the notes open for typing, as of their last heartbeat."""

    __tablename__ = "notes_presence"
    __table_args__ = (
        UniqueConstraint("topic_id", "editor"),
        UniqueConstraint("block_id", "editor"),
        one_subject("notes_presence"),
    )

    id: int | None = Field(default=None, primary_key=True)
    event_id: int = Field(foreign_key="event.id", index=True, ondelete="CASCADE")
    topic_id: int | None = Field(
        default=None, foreign_key="topic.id", index=True, ondelete="CASCADE"
    )
    block_id: int | None = Field(
        default=None, foreign_key="time_block.id", index=True, ondelete="CASCADE"
    )
    editor: str = Field(max_length=24)  # "p<participant id>" or "u<user id>"
    name: str = Field(max_length=120)
    field: str = Field(default="", max_length=30)
    seen_at: dt.datetime = Field(default_factory=utcnow, index=True)


class ProposalBase(SQLModel):
    text: str = Field(max_length=PROPOSAL_MAX)


class Proposal(ProposalBase, table=True):
    """An idea or proposal from a session: one row each, so that people can dot-vote on it."""

    id: int | None = Field(default=None, primary_key=True)
    event_id: int = Field(foreign_key="event.id", index=True, ondelete="CASCADE")
    topic_id: int = Field(foreign_key="topic.id", index=True, ondelete="CASCADE")
    author: str = Field(default="", max_length=120)
    # Who added it (for who may delete it); both empty on rows from before they were recorded.
    added_by_participant: int | None = Field(
        default=None, foreign_key="participant.id", ondelete="SET NULL"
    )
    added_by_user: int | None = Field(default=None, foreign_key="user.id", ondelete="SET NULL")
    created_at: dt.datetime = Field(default_factory=utcnow)
    # Deleting only sets these: the row stays, shown in the notes' history, and can come back.
    deleted_at: dt.datetime | None = None
    deleted_by: str = Field(default="", max_length=120)
    deleted_by_staff: bool = False


class ProposalCreate(ProposalBase):
    pass


class NextStepBase(SQLModel):
    action: str = Field(max_length=ACTION_MAX)
    who: str = Field(default="", max_length=WHO_MAX)
    by_when: str = Field(default="", max_length=WHEN_MAX)


class NextStep(NextStepBase, table=True):
    """A next step agreed in a session: what, who (an organisation or a person), by when."""

    __tablename__ = "next_step"

    id: int | None = Field(default=None, primary_key=True)
    event_id: int = Field(foreign_key="event.id", index=True, ondelete="CASCADE")
    topic_id: int = Field(foreign_key="topic.id", index=True, ondelete="CASCADE")
    author: str = Field(default="", max_length=120)
    # Who added it (for who may delete it); both empty on rows from before they were recorded.
    added_by_participant: int | None = Field(
        default=None, foreign_key="participant.id", ondelete="SET NULL"
    )
    added_by_user: int | None = Field(default=None, foreign_key="user.id", ondelete="SET NULL")
    created_at: dt.datetime = Field(default_factory=utcnow)
    # Deleting only sets these: the row stays, shown in the notes' history, and can come back.
    deleted_at: dt.datetime | None = None
    deleted_by: str = Field(default="", max_length=120)
    deleted_by_staff: bool = False


class NextStepCreate(NextStepBase):
    pass


class Photo(SQLModel, table=True):
    """A flipchart photo of a session or a plenary item, re-encoded without metadata; files
    ``<key>.jpg`` and ``<key>-thumb.jpg`` under ``<upload dir>/<event id>/``."""

    __table_args__ = (one_subject("photo"),)

    id: int | None = Field(default=None, primary_key=True)
    event_id: int = Field(foreign_key="event.id", index=True, ondelete="CASCADE")
    topic_id: int | None = Field(
        default=None, foreign_key="topic.id", index=True, ondelete="CASCADE"
    )
    block_id: int | None = Field(
        default=None, foreign_key="time_block.id", index=True, ondelete="CASCADE"
    )
    key: str = Field(max_length=64, unique=True)
    caption: str = Field(default="", max_length=CAPTION_MAX)
    width: int
    height: int
    thumb_width: int
    thumb_height: int
    size_bytes: int
    uploaded_by_participant: int | None = Field(
        default=None, foreign_key="participant.id", ondelete="SET NULL"
    )
    uploaded_by_user: int | None = Field(default=None, foreign_key="user.id", ondelete="SET NULL")
    created_at: dt.datetime = Field(default_factory=utcnow)


class ProposalVote(SQLModel, table=True):
    """One dot on a proposal in the convergence phase (the event's topic-voting rules apply).
    Without a participant it is anonymous, like a forgotten voter's ``Vote``."""

    __tablename__ = "proposal_vote"

    id: int | None = Field(default=None, primary_key=True)
    event_id: int = Field(foreign_key="event.id", index=True, ondelete="CASCADE")
    participant_id: int | None = Field(
        default=None, foreign_key="participant.id", index=True, ondelete="CASCADE"
    )
    proposal_id: int = Field(foreign_key="proposal.id", index=True, ondelete="CASCADE")
    created_at: dt.datetime = Field(default_factory=utcnow)


class Commitment(SQLModel, table=True):
    """ "Our organisation will…": someone commits to a next step on a priority."""

    id: int | None = Field(default=None, primary_key=True)
    event_id: int = Field(foreign_key="event.id", index=True, ondelete="CASCADE")
    proposal_id: int = Field(foreign_key="proposal.id", index=True, ondelete="CASCADE")
    participant_id: int | None = Field(
        default=None, foreign_key="participant.id", ondelete="SET NULL"
    )
    user_id: int | None = Field(default=None, foreign_key="user.id", ondelete="SET NULL")
    who: str = Field(max_length=WHO_MAX)
    action: str = Field(max_length=ACTION_MAX)
    by_when: str = Field(default="", max_length=WHEN_MAX)
    created_at: dt.datetime = Field(default_factory=utcnow)


class ClosingState(SQLModel, table=True):
    """The closing circle's presentation: which session is on the board, and whether it
    advances by itself (every ``auto_seconds`` from ``changed_at``; 0 is off)."""

    __tablename__ = "closing_state"

    id: int | None = Field(default=None, primary_key=True)
    event_id: int = Field(foreign_key="event.id", unique=True, ondelete="CASCADE")
    position: int = 0
    auto_seconds: int = 0
    changed_at: dt.datetime = Field(default_factory=utcnow)
