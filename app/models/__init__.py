"""All tables, imported so that ``SQLModel.metadata`` knows them (Alembic, tests)."""

from app.models.events import Day, Event, EventMember, Invitation, Room, TimeBlock
from app.models.people import AuthSession, Participant, ParticipantDevice, RateCounter, User

__all__ = [
    "AuthSession",
    "Day",
    "Event",
    "EventMember",
    "Invitation",
    "Participant",
    "ParticipantDevice",
    "RateCounter",
    "Room",
    "TimeBlock",
    "User",
]
