"""Accounts (organisers, facilitators), server-side sessions and event participants."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import UniqueConstraint
from sqlmodel import Field, SQLModel

from app.i18n import N_
from app.models.base import utcnow

USER_NAME_MAX = 120
PARTICIPANT_NAME_MAX = 80
ORGANISATION_MAX = 160


class User(SQLModel, table=True):
    """A person who signs in with email and password: an organiser or an invited facilitator."""

    id: int | None = Field(default=None, primary_key=True)
    email: str = Field(max_length=254, unique=True, index=True)
    name: str = Field(max_length=USER_NAME_MAX)
    password_hash: str = Field(max_length=255)
    # Organisers may create events; facilitators arrive by invitation and may not.
    can_create_events: bool = False
    created_at: datetime = Field(default_factory=utcnow)


class AuthSession(SQLModel, table=True):
    """A browser that signed in or joined. The cookie holds a token; we store only its hash,
    so logging out (deleting the row) really ends the session."""

    __tablename__ = "auth_session"

    id: str = Field(primary_key=True, max_length=64)  # sha256 of the cookie token
    user_id: int | None = Field(default=None, foreign_key="user.id", index=True, ondelete="CASCADE")
    created_at: datetime = Field(default_factory=utcnow)
    expires_at: datetime


class OrgType(StrEnum):
    NGO = "ngo"
    MUNICIPALITY = "municipality"
    STATE = "state"
    INTERNATIONAL = "international"
    COMMUNITY = "community"
    OTHER = "other"


ORG_TYPE_LABELS: dict[str, str] = {
    OrgType.NGO: N_("NGO"),
    OrgType.MUNICIPALITY: N_("Municipality"),
    OrgType.STATE: N_("State institution"),
    OrgType.INTERNATIONAL: N_("International organisation"),
    OrgType.COMMUNITY: N_("Community or refugee-led group"),
    OrgType.OTHER: N_("Other"),
}


class ParticipantBase(SQLModel):
    name: str = Field(max_length=PARTICIPANT_NAME_MAX)
    organisation: str = Field(default="", max_length=ORGANISATION_MAX)
    org_type: str = Field(default="", max_length=20)
    locale: str = Field(default="en", max_length=8)
    consent_report: bool = False


class Participant(ParticipantBase, table=True):
    """Someone who joined an event from a phone: no password, no email."""

    id: int | None = Field(default=None, primary_key=True)
    event_id: int = Field(foreign_key="event.id", index=True, ondelete="CASCADE")
    # Changing the nonce invalidates the personal link (it is an HMAC over id and nonce).
    link_nonce: str = Field(max_length=32)
    created_at: datetime = Field(default_factory=utcnow)


class ParticipantCreate(ParticipantBase):
    pass


class ParticipantUpdate(SQLModel):
    name: str | None = None
    organisation: str | None = None
    org_type: str | None = None
    locale: str | None = None
    consent_report: bool | None = None


class ParticipantDevice(SQLModel, table=True):
    """Which participant a browser session is, per event (one phone may join several events).

    A binding counts only while its ``link_nonce`` is the participant's current one: resetting
    the personal link changes the participant's nonce, which ends every binding made before,
    including one that a device still in the middle of claiming the old link writes later.
    """

    __tablename__ = "participant_device"
    __table_args__ = (UniqueConstraint("session_id", "event_id"),)

    id: int | None = Field(default=None, primary_key=True)
    session_id: str = Field(foreign_key="auth_session.id", index=True, ondelete="CASCADE")
    event_id: int = Field(foreign_key="event.id", ondelete="CASCADE")
    participant_id: int = Field(foreign_key="participant.id", index=True, ondelete="CASCADE")
    # The participant's link version (``Participant.link_nonce``) this binding was made under.
    link_nonce: str = Field(max_length=32)
    # What the profile page shows to tell devices apart: browser and system, nothing finer
    # (a whole User-Agent string helps fingerprint a person; this is all we need).
    label: str = Field(default="", max_length=40)
    bound_at: datetime = Field(default_factory=utcnow)


class RateCounter(SQLModel, table=True):
    """Fixed-window counters for login and join attempts, shared by every worker."""

    __tablename__ = "rate_counter"

    key: str = Field(primary_key=True, max_length=200)
    window_start: int = Field(primary_key=True)  # unix time of the window's start
    count: int = 0


class MissStreak(SQLModel, table=True):
    """Wrong passwords in a row for one account, and when the next attempt may be made: the
    growing delay of ``app/services/ratelimit.py``, shared by every worker."""

    __tablename__ = "miss_streak"

    key: str = Field(primary_key=True, max_length=200)
    misses: int = 0
    next_at: float = 0.0  # unix time before which an attempt is refused unchecked
