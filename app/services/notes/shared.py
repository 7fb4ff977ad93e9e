"""What every part of the notes needs: the subject of the notes (a session, that is a published
topic, or a plenary item of the programme), who may edit them, who is asking, and a revision's
fields."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol

from sqlalchemy import ColumnElement
from sqlmodel import Session, col

from app.errors import NotFound
from app.i18n import _
from app.models.base import id_of
from app.models.events import BlockKind, Role, TimeBlock
from app.models.notes import (
    PLENARY_FIELDS,
    TEXT_FIELDS,
    SessionNotes,
)
from app.models.topics import Topic, TopicStatus
from app.services.access import STAFF, EventAccess
from app.services.schedule import agenda

# --- what the notes are about ---------------------------------------------------------------


class _AboutSubject(Protocol):
    topic_id: int | None
    block_id: int | None


@dataclass(frozen=True)
class Subject:
    """What notes, presence and photos are about: a session (``topic_id``) or a plenary item
    of the programme (``block_id``), exactly one, as in their tables. The services take both
    as keyword arguments and make one of these, so one function serves both kinds."""

    topic_id: int | None = None
    block_id: int | None = None

    def __post_init__(self) -> None:
        if (self.topic_id is None) == (self.block_id is None):
            raise ValueError("notes are about a session or a plenary item: give exactly one")

    @classmethod
    def of(cls, row: _AboutSubject) -> Subject:
        return cls(topic_id=row.topic_id, block_id=row.block_id)

    @property
    def is_plenary(self) -> bool:
        return self.block_id is not None

    @property
    def column(self) -> str:
        return "block_id" if self.is_plenary else "topic_id"

    @property
    def values(self) -> dict[str, int | None]:
        """The row's columns that name the subject."""
        return {"topic_id": self.topic_id, "block_id": self.block_id}

    def where(self, model: Any) -> ColumnElement[bool]:
        """The clause that picks ``model``'s rows about this subject."""
        if self.block_id is not None:
            return col(model.block_id) == self.block_id
        return col(model.topic_id) == self.topic_id

    @property
    def key(self) -> str:
        """Its key in the live frame's notes map: a topic's id, or "b" and a block's id."""
        return f"b{self.block_id}" if self.block_id is not None else str(self.topic_id)

    @property
    def fields(self) -> tuple[str, ...]:
        """The notes' fields for this kind of subject, in the order of the form."""
        return PLENARY_FIELDS if self.is_plenary else TEXT_FIELDS


def require_plenary(session: Session, *, access: EventAccess, block_id: int) -> TimeBlock:
    """The plenary item of the event's programme; NotFound otherwise."""
    block = session.get(TimeBlock, block_id)
    if block is None or block.event_id != access.event_id or block.kind != BlockKind.PLENARY:
        raise NotFound(_("There is no such plenary item in the programme."))
    return block


def require_subject(
    session: Session, *, access: EventAccess, subject: Subject
) -> Topic | TimeBlock:
    """The session or plenary item the notes are about; NotFound when it is not one (any
    more) of this event."""
    if subject.block_id is not None:
        return require_plenary(session, access=access, block_id=subject.block_id)
    assert subject.topic_id is not None
    return require_session(session, access=access, topic_id=subject.topic_id)


# --- the session behind the notes -----------------------------------------------------------


def require_session(session: Session, *, access: EventAccess, topic_id: int) -> Topic:
    """The topic, if it is a session in the latest published agenda; NotFound otherwise."""
    topic = session.get(Topic, topic_id)
    version = agenda.latest_version(session, event_id=access.event_id)
    if (
        topic is None
        or topic.event_id != access.event_id
        or topic.status != TopicStatus.ACTIVE
        or version is None
        or topic_id not in agenda.published_cells(session, version_id=id_of(version))
    ):
        raise NotFound(
            _("This topic is not a session in the published agenda, so it has no notes.")
        )
    return topic


def require_editor(access: EventAccess) -> None:
    access.require(Role.PARTICIPANT, *STAFF)


def author_of(access: EventAccess) -> tuple[str, str]:
    """(presence key, name) of whoever is asking."""
    if access.participant is not None:
        return f"p{access.participant.id}", access.participant.name
    assert access.user is not None
    return f"u{access.user.id}", access.user.name


# --- reading ---------------------------------------------------------------------------------


def values_of(notes: SessionNotes | None, fields: tuple[str, ...] = TEXT_FIELDS) -> dict[str, str]:
    """The notes' ``fields`` as form text (the participant count as digits or "")."""
    if notes is None:
        return dict.fromkeys(fields, "")
    values = {name: getattr(notes, name) for name in fields if name != "participant_count"}
    if "participant_count" in fields:
        count = notes.participant_count
        values["participant_count"] = "" if count is None else str(count)
    return values
