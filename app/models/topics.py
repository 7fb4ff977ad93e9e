"""Topics proposed in the marketplace, their conveners, dots, and the pitch queue."""

from __future__ import annotations

import datetime as dt
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, Column, UniqueConstraint
from sqlmodel import Field, SQLModel

from app.models.base import utcnow

TITLE_MAX = 120
DESCRIPTION_MAX = 1000
HIDDEN_REASON_MAX = 200  # why staff hid a topic
ANNOUNCEMENT_MAX = 280


class TopicStatus(StrEnum):
    ACTIVE = "active"
    HIDDEN = "hidden"
    MERGED = "merged"
    WITHDRAWN = "withdrawn"


class TopicBase(SQLModel):
    title: str = Field(max_length=TITLE_MAX)
    description: str = Field(default="", max_length=DESCRIPTION_MAX)
    language: str = Field(default="", max_length=8)


class Topic(TopicBase, table=True):
    id: int | None = Field(default=None, primary_key=True)
    event_id: int = Field(foreign_key="event.id", index=True, ondelete="CASCADE")
    status: str = Field(default=TopicStatus.ACTIVE, max_length=12, index=True)
    hidden_reason: str = Field(default="", max_length=HIDDEN_REASON_MAX)
    merged_into_id: int | None = Field(default=None, foreign_key="topic.id", ondelete="SET NULL")
    # Who typed it in: a participant on a phone, or a facilitator "on behalf" (proposals written
    # on paper at the wall).
    proposed_by: int | None = Field(default=None, foreign_key="participant.id", ondelete="SET NULL")
    entered_by_user: int | None = Field(default=None, foreign_key="user.id", ondelete="SET NULL")
    created_at: dt.datetime = Field(default_factory=utcnow)
    updated_at: dt.datetime = Field(default_factory=utcnow)


class TopicCreate(TopicBase):
    pass


class TopicUpdate(SQLModel):
    title: str | None = None
    description: str | None = None
    language: str | None = None


class TopicConvener(SQLModel, table=True):
    __tablename__ = "topic_convener"
    __table_args__ = (UniqueConstraint("topic_id", "participant_id"),)

    id: int | None = Field(default=None, primary_key=True)
    topic_id: int = Field(foreign_key="topic.id", index=True, ondelete="CASCADE")
    participant_id: int = Field(foreign_key="participant.id", index=True, ondelete="CASCADE")


class CohostRequestStatus(StrEnum):
    PENDING = "pending"
    DECLINED = "declined"


class CohostRequest(SQLModel, table=True):
    """A participant asks to co-host a topic; a convener (or staff) accepts or declines.

    Accepting makes a ``TopicConvener`` and removes the request; a declined request stays, so
    the same person cannot ask again and again.
    """

    __tablename__ = "cohost_request"
    __table_args__ = (UniqueConstraint("topic_id", "participant_id"),)

    id: int | None = Field(default=None, primary_key=True)
    event_id: int = Field(foreign_key="event.id", index=True, ondelete="CASCADE")
    topic_id: int = Field(foreign_key="topic.id", index=True, ondelete="CASCADE")
    participant_id: int = Field(foreign_key="participant.id", index=True, ondelete="CASCADE")
    status: str = Field(default=CohostRequestStatus.PENDING, max_length=10)
    created_at: dt.datetime = Field(default_factory=utcnow)


class Vote(SQLModel, table=True):
    """One dot. A participant may put up to the event's per-topic maximum on one topic.

    Dots on a withdrawn topic stay in the table but count nowhere (not in tallies, not against
    the voter's budget) until staff restore the topic.

    A dot without a participant is anonymous: its voter asked to be forgotten after voting had
    closed, and published results must not change (``app/services/people/privacy.py``)."""

    id: int | None = Field(default=None, primary_key=True)
    event_id: int = Field(foreign_key="event.id", index=True, ondelete="CASCADE")
    participant_id: int | None = Field(
        default=None, foreign_key="participant.id", index=True, ondelete="CASCADE"
    )
    topic_id: int = Field(foreign_key="topic.id", index=True, ondelete="CASCADE")
    created_at: dt.datetime = Field(default_factory=utcnow)


class TopicMerge(SQLModel, table=True):
    """What undoes an event's latest merge (``app/services/topics/merging.py``): one row per
    event, replaced by the next merge and deleted when undone. ``undo`` holds the rows the merge
    moved, deleted or added (vote, convener, pitch and grid rows of both topics) and what it
    left behind, so that an undo can check that nothing changed since and put back every row."""

    __tablename__ = "topic_merge"

    id: int | None = Field(default=None, primary_key=True)
    event_id: int = Field(foreign_key="event.id", unique=True, ondelete="CASCADE")
    source_id: int = Field(foreign_key="topic.id", ondelete="CASCADE")
    target_id: int = Field(foreign_key="topic.id", ondelete="CASCADE")
    merged_by: int | None = Field(default=None, foreign_key="user.id", ondelete="SET NULL")
    merged_at: dt.datetime = Field(default_factory=utcnow)
    undo: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))


class IdempotencyKey(SQLModel, table=True):
    """A vote request already applied: a phone that retries on bad Wi-Fi is not counted twice."""

    __tablename__ = "idempotency_key"

    participant_id: int = Field(foreign_key="participant.id", primary_key=True, ondelete="CASCADE")
    key: str = Field(primary_key=True, max_length=64)
    created_at: dt.datetime = Field(default_factory=utcnow)


class PitchStatus(StrEnum):
    WAITING = "waiting"
    CURRENT = "current"
    DONE = "done"


class PitchEntry(SQLModel, table=True):
    """A place in the marketplace's pitch queue."""

    __tablename__ = "pitch_entry"
    __table_args__ = (UniqueConstraint("event_id", "topic_id"),)

    id: int | None = Field(default=None, primary_key=True)
    event_id: int = Field(foreign_key="event.id", index=True, ondelete="CASCADE")
    topic_id: int = Field(foreign_key="topic.id", ondelete="CASCADE")
    position: int = 0
    status: str = Field(default=PitchStatus.WAITING, max_length=10)
    started_at: dt.datetime | None = None


class AnnouncementBase(SQLModel):
    text: str = Field(max_length=ANNOUNCEMENT_MAX)


class Announcement(AnnouncementBase, table=True):
    """The facilitator's news, shown on the board and on every phone."""

    id: int | None = Field(default=None, primary_key=True)
    event_id: int = Field(foreign_key="event.id", index=True, ondelete="CASCADE")
    author_id: int | None = Field(default=None, foreign_key="user.id", ondelete="SET NULL")
    created_at: dt.datetime = Field(default_factory=utcnow)
    hidden: bool = False


class AnnouncementCreate(AnnouncementBase):
    pass
