"""All tables, imported so that ``SQLModel.metadata`` knows them (Alembic, tests)."""

from app.models.events import Day, Event, EventMember, Invitation, Room, TimeBlock
from app.models.notes import (
    ClosingState,
    Commitment,
    NextStep,
    NotesConflict,
    NotesPresence,
    NotesRevision,
    Photo,
    Proposal,
    ProposalVote,
    SessionNotes,
)
from app.models.people import AuthSession, Participant, ParticipantDevice, RateCounter, User
from app.models.schedule import (
    BlockedCell,
    CheckIn,
    GridChange,
    Placement,
    PublishedPlacement,
    ScheduleVersion,
)
from app.models.topics import (
    Announcement,
    IdempotencyKey,
    PitchEntry,
    Topic,
    TopicConvener,
    Vote,
)

__all__ = [
    "Announcement",
    "AuthSession",
    "BlockedCell",
    "CheckIn",
    "ClosingState",
    "Commitment",
    "Day",
    "Event",
    "EventMember",
    "GridChange",
    "IdempotencyKey",
    "Invitation",
    "NextStep",
    "NotesConflict",
    "NotesPresence",
    "NotesRevision",
    "Participant",
    "ParticipantDevice",
    "Photo",
    "PitchEntry",
    "Placement",
    "Proposal",
    "ProposalVote",
    "PublishedPlacement",
    "RateCounter",
    "Room",
    "ScheduleVersion",
    "SessionNotes",
    "TimeBlock",
    "Topic",
    "TopicConvener",
    "User",
    "Vote",
]
