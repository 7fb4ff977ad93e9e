"""All tables, imported so that ``SQLModel.metadata`` knows them (Alembic, tests)."""

from app.models.events import Day, Event, EventMember, Invitation, Room, TimeBlock
from app.models.people import AuthSession, Participant, ParticipantDevice, RateCounter, User
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
    "Day",
    "Event",
    "EventMember",
    "IdempotencyKey",
    "Invitation",
    "Participant",
    "ParticipantDevice",
    "PitchEntry",
    "RateCounter",
    "Room",
    "TimeBlock",
    "Topic",
    "TopicConvener",
    "User",
    "Vote",
]
