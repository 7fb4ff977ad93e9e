"""All tables, imported so that ``SQLModel.metadata`` knows them (Alembic, tests)."""

from app.models.events import Day, Event, EventMember, Invitation, Room, TimeBlock
from app.models.maps import Map, MapCard, MapCategory, MapCluster, MapPlace, MapPlusOne
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
    "Day",
    "Event",
    "EventMember",
    "GridChange",
    "IdempotencyKey",
    "Invitation",
    "Map",
    "MapCard",
    "MapCategory",
    "MapCluster",
    "MapPlace",
    "MapPlusOne",
    "Participant",
    "ParticipantDevice",
    "PitchEntry",
    "Placement",
    "PublishedPlacement",
    "RateCounter",
    "Room",
    "ScheduleVersion",
    "TimeBlock",
    "Topic",
    "TopicConvener",
    "User",
    "Vote",
]
