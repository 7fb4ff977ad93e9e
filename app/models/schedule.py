"""The agenda grid: the facilitator's draft, published versions, blocked cells, check-ins.

The draft is the working copy facilitators edit (``Placement``); participants only ever see a
published version (``PublishedPlacement`` rows of a ``ScheduleVersion``). A "session" is a topic
placed in the published grid: its notes, photos and check-ins hang off the topic.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import JSON, Column, UniqueConstraint
from sqlmodel import Field, SQLModel

from app.models.base import utcnow


class Placement(SQLModel, table=True):
    """A topic in a cell of the draft grid. The unique constraints are the last line of defence
    for the grid's two hard rules: one topic per cell, every topic at most once."""

    __table_args__ = (UniqueConstraint("block_id", "room_id"),)

    id: int | None = Field(default=None, primary_key=True)
    event_id: int = Field(foreign_key="event.id", index=True, ondelete="CASCADE")
    topic_id: int = Field(foreign_key="topic.id", unique=True, ondelete="CASCADE")
    block_id: int = Field(foreign_key="time_block.id", index=True, ondelete="CASCADE")
    room_id: int = Field(foreign_key="room.id", index=True, ondelete="CASCADE")
    # Kept where it is by "Fill from votes" and "Re-optimise".
    locked: bool = False


class BlockedCell(SQLModel, table=True):
    """A room that is not available in one slot (booked elsewhere, being cleaned...)."""

    __tablename__ = "blocked_cell"
    __table_args__ = (UniqueConstraint("block_id", "room_id"),)

    id: int | None = Field(default=None, primary_key=True)
    event_id: int = Field(foreign_key="event.id", index=True, ondelete="CASCADE")
    block_id: int = Field(foreign_key="time_block.id", index=True, ondelete="CASCADE")
    room_id: int = Field(foreign_key="room.id", index=True, ondelete="CASCADE")


class GridChange(SQLModel, table=True):
    """One step of the draft's history, for undo: the affected topics' cells before and after.

    ``before``/``after`` map topic id (as a string, JSON keys) to ``[block, room, locked]`` or
    ``None`` (not on the grid)."""

    __tablename__ = "grid_change"

    id: int | None = Field(default=None, primary_key=True)
    event_id: int = Field(foreign_key="event.id", index=True, ondelete="CASCADE")
    user_id: int | None = Field(default=None, foreign_key="user.id", ondelete="SET NULL")
    kind: str = Field(max_length=20)
    before: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    after: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    undone: bool = False
    created_at: dt.datetime = Field(default_factory=utcnow)


class ScheduleVersion(SQLModel, table=True):
    """A published agenda. ``changes`` lists what moved since the version before it:
    ``[{"topic": id, "from": [block, room] | None, "to": [block, room] | None}]``."""

    __tablename__ = "schedule_version"
    __table_args__ = (UniqueConstraint("event_id", "number"),)

    id: int | None = Field(default=None, primary_key=True)
    event_id: int = Field(foreign_key="event.id", index=True, ondelete="CASCADE")
    number: int
    published_by: int | None = Field(default=None, foreign_key="user.id", ondelete="SET NULL")
    published_at: dt.datetime = Field(default_factory=utcnow)
    changes: list[dict[str, Any]] = Field(
        default_factory=list, sa_column=Column(JSON, nullable=False)
    )


class PublishedPlacement(SQLModel, table=True):
    __tablename__ = "published_placement"
    __table_args__ = (UniqueConstraint("version_id", "topic_id"),)

    id: int | None = Field(default=None, primary_key=True)
    version_id: int = Field(foreign_key="schedule_version.id", index=True, ondelete="CASCADE")
    event_id: int = Field(foreign_key="event.id", index=True, ondelete="CASCADE")
    topic_id: int = Field(foreign_key="topic.id", index=True, ondelete="CASCADE")
    block_id: int = Field(foreign_key="time_block.id", ondelete="CASCADE")
    room_id: int = Field(foreign_key="room.id", ondelete="CASCADE")


class CheckIn(SQLModel, table=True):
    """ "I'm here": a participant in a session. Checking in elsewhere ends the previous one
    (``left_at``), so the history doubles as the attendance record."""

    __tablename__ = "check_in"

    id: int | None = Field(default=None, primary_key=True)
    event_id: int = Field(foreign_key="event.id", index=True, ondelete="CASCADE")
    participant_id: int = Field(foreign_key="participant.id", index=True, ondelete="CASCADE")
    topic_id: int = Field(foreign_key="topic.id", index=True, ondelete="CASCADE")
    arrived_at: dt.datetime = Field(default_factory=utcnow)
    left_at: dt.datetime | None = Field(default=None, index=True)
