"""Events, their team, days with an ordered programme of time blocks, and rooms."""

from __future__ import annotations

import datetime as dt
from enum import StrEnum

from sqlalchemy import JSON, Column, UniqueConstraint
from sqlmodel import Field, SQLModel

from app.i18n import N_
from app.models.base import utcnow


class Phase(StrEnum):
    SETUP = "setup"
    # The day's fixed programme before the open space: plenaries, presentations, the mapping
    # workshop. Phones show what runs now and next instead of "not started".
    PROGRAMME = "programme"
    MARKETPLACE = "marketplace"
    VOTING = "voting"
    AGENDA = "agenda"
    SESSIONS = "sessions"
    CLOSING = "closing"
    # Optional, after the closing circle: dots on the sessions' proposals, then commitments.
    CONVERGENCE = "convergence"
    ACTIONS = "actions"
    FINISHED = "finished"


PHASE_LABELS: dict[str, str] = {
    Phase.SETUP: N_("Setting up"),
    Phase.PROGRAMME: N_("Programme"),
    Phase.MARKETPLACE: N_("Marketplace"),
    Phase.VOTING: N_("Dot voting"),
    Phase.AGENDA: N_("Agenda"),
    Phase.SESSIONS: N_("Sessions"),
    Phase.CLOSING: N_("Closing circle"),
    Phase.CONVERGENCE: N_("Convergence"),
    Phase.ACTIONS: N_("Action planning"),
    Phase.FINISHED: N_("Finished"),
}


REPORT_ACKNOWLEDGEMENT_MAX = 500
EVENT_NAME_MAX = 160
EVENT_DESCRIPTION_MAX = 4000
VENUE_MAX = 300
INVITATION_NOTE_MAX = 120
DAY_TITLE_MAX = 120
ROOM_NAME_MAX = 80
ROOM_NOTES_MAX = 300
BLOCK_TITLE_MAX = 160  # a plenary item's title, and its presenter
HOST_NAME_MAX = 160  # an organisation that runs the event
REPORT_SUMMARY_MAX = 20_000  # the executive summary: Markdown, as long as a session's notes
PRIVACY_CONTACT_MAX = 254  # an email address at its longest, or a phone number, a web page …
# Participants' data is kept this many days after the event's last day (``openspace purge``
# then deletes the event): at least a day, at most ten years, half a year unless chosen.
RETENTION_DAYS_DEFAULT = 180
RETENTION_DAYS_MIN = 1
RETENTION_DAYS_MAX = 3650
# The days an event may have: far-off years are typing mistakes, and dates near the ends of
# the calendar overflow when a time zone or a day's offset is added to them.
FIRST_POSSIBLE_DAY = dt.date(2000, 1, 1)
LAST_POSSIBLE_DAY = dt.date(2100, 12, 31)


class EventBase(SQLModel):
    name: str = Field(max_length=EVENT_NAME_MAX)
    slug: str = Field(max_length=60, unique=True, index=True)
    description: str = Field(default="", max_length=EVENT_DESCRIPTION_MAX)
    # ISO 639-1 codes; the first is the event's main language (used for the proceedings).
    languages: list[str] = Field(
        default_factory=lambda: ["en"], sa_column=Column(JSON, nullable=False)
    )
    timezone: str = Field(default="UTC", max_length=64)
    venue: str = Field(default="", max_length=VENUE_MAX)


class Event(EventBase, table=True):
    id: int | None = Field(default=None, primary_key=True)
    join_code: str = Field(max_length=6, unique=True, index=True)
    # Rotating the nonce revokes every board link handed out so far.
    board_nonce: str = Field(max_length=32)
    phase: str = Field(default=Phase.SETUP, max_length=20)
    # Marketplace and voting rules, set by the facilitator.
    dots_per_participant: int = Field(default=5, ge=1, le=50)
    max_dots_per_topic: int = Field(default=1, ge=1, le=50)
    blind_voting: bool = False
    board_hides_tallies: bool = False
    proposals_while_voting: bool = True
    pitch_seconds: int = Field(default=45, ge=10, le=600)
    # Re-scheduling never touches a slot that has started or starts within this many minutes.
    freeze_minutes: int = Field(default=15, ge=0, le=240)
    # Printed on the proceedings' cover ("Funded by ..."), as the funder asks.
    report_acknowledgement: str = Field(default="", max_length=REPORT_ACKNOWLEDGEMENT_MAX)
    # The executive summary the organisers write (Markdown): the proceedings open with it.
    report_summary: str = Field(default="", max_length=REPORT_SUMMARY_MAX)
    # The privacy notice on the join page: who runs the event (its ``EventHost`` rows, or its
    # name when there are none), how to reach them about personal data, and how long the data
    # is kept after the last day.
    privacy_contact: str = Field(default="", max_length=PRIVACY_CONTACT_MAX)
    retention_days: int = Field(
        default=RETENTION_DAYS_DEFAULT, ge=RETENTION_DAYS_MIN, le=RETENTION_DAYS_MAX
    )
    created_at: dt.datetime = Field(default_factory=utcnow)


class EventCreate(SQLModel):
    name: str
    slug: str = ""
    description: str = ""
    languages: list[str] = ["en"]
    timezone: str = "UTC"
    venue: str = ""
    first_day: dt.date | None = None
    day_count: int = 1


class EventUpdate(SQLModel):
    name: str | None = None
    slug: str | None = None
    description: str | None = None
    languages: list[str] | None = None
    timezone: str | None = None
    venue: str | None = None
    report_acknowledgement: str | None = None
    report_summary: str | None = None
    privacy_contact: str | None = None
    retention_days: int | None = None


class Role(StrEnum):
    ORGANISER = "organiser"
    FACILITATOR = "facilitator"
    PARTICIPANT = "participant"
    BOARD = "board"


ROLE_LABELS: dict[str, str] = {
    Role.ORGANISER: N_("Organiser"),
    Role.FACILITATOR: N_("Facilitator"),
    Role.PARTICIPANT: N_("Participant"),
    Role.BOARD: N_("Board display"),
}


class EventMember(SQLModel, table=True):
    """A user's role in an event: organiser (owns it) or facilitator (runs it)."""

    __tablename__ = "event_member"
    __table_args__ = (UniqueConstraint("event_id", "user_id"),)

    id: int | None = Field(default=None, primary_key=True)
    event_id: int = Field(foreign_key="event.id", index=True, ondelete="CASCADE")
    user_id: int = Field(foreign_key="user.id", index=True, ondelete="CASCADE")
    role: str = Field(max_length=20)


class Invitation(SQLModel, table=True):
    """An invitation link for a facilitator; the link carries a token whose hash is kept."""

    id: int | None = Field(default=None, primary_key=True)
    event_id: int = Field(foreign_key="event.id", index=True, ondelete="CASCADE")
    token_hash: str = Field(max_length=64, unique=True)
    note: str = Field(default="", max_length=INVITATION_NOTE_MAX)
    created_by: int | None = Field(default=None, foreign_key="user.id", ondelete="SET NULL")
    created_at: dt.datetime = Field(default_factory=utcnow)
    expires_at: dt.datetime
    accepted_by: int | None = Field(default=None, foreign_key="user.id", ondelete="SET NULL")
    accepted_at: dt.datetime | None = None


class EventHost(SQLModel, table=True):
    """An organisation that runs the event, in the order the cover of the proceedings and the
    privacy notice name them. ``logo_key`` names its logo in the upload folder
    (``<event id>/<key>.png``, re-encoded on upload), empty when it has none."""

    __tablename__ = "event_host"

    id: int | None = Field(default=None, primary_key=True)
    event_id: int = Field(foreign_key="event.id", index=True, ondelete="CASCADE")
    name: str = Field(max_length=HOST_NAME_MAX)
    logo_key: str = Field(default="", max_length=40)
    position: int = 0


class Day(SQLModel, table=True):
    __table_args__ = (UniqueConstraint("event_id", "date"),)

    id: int | None = Field(default=None, primary_key=True)
    event_id: int = Field(foreign_key="event.id", index=True, ondelete="CASCADE")
    date: dt.date
    title: str = Field(default="", max_length=DAY_TITLE_MAX)


class RoomBase(SQLModel):
    name: str = Field(max_length=ROOM_NAME_MAX)
    capacity: int = Field(default=20, ge=1, le=10000)
    notes: str = Field(default="", max_length=ROOM_NOTES_MAX)


class Room(RoomBase, table=True):
    id: int | None = Field(default=None, primary_key=True)
    event_id: int = Field(foreign_key="event.id", index=True, ondelete="CASCADE")
    position: int = 0


class RoomCreate(RoomBase):
    pass


class RoomUpdate(SQLModel):
    name: str | None = None
    capacity: int | None = None
    notes: str | None = None


class BlockKind(StrEnum):
    SLOT = "slot"
    PLENARY = "plenary"
    BREAK = "break"


BLOCK_KIND_LABELS: dict[str, str] = {
    BlockKind.SLOT: N_("Open space slot"),
    BlockKind.PLENARY: N_("Plenary"),
    BlockKind.BREAK: N_("Break"),
}


class TimeBlockBase(SQLModel):
    kind: str = Field(default=BlockKind.SLOT, max_length=10)
    starts_at: dt.time
    ends_at: dt.time
    title: str = Field(default="", max_length=BLOCK_TITLE_MAX)
    presenter: str = Field(default="", max_length=BLOCK_TITLE_MAX)


class TimeBlock(TimeBlockBase, table=True):
    """One row of a day's programme: an open-space slot, a plenary item or a break.
    Times are wall-clock times in the event's time zone."""

    __tablename__ = "time_block"

    id: int | None = Field(default=None, primary_key=True)
    event_id: int = Field(foreign_key="event.id", index=True, ondelete="CASCADE")
    day_id: int = Field(foreign_key="day.id", index=True, ondelete="CASCADE")


class TimeBlockCreate(TimeBlockBase):
    pass
