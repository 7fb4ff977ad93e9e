"""What every part of the notes needs: the session (a published topic) behind the notes, who
may edit them, who is asking, and a revision's fields."""

from __future__ import annotations

from sqlmodel import Session

from app.errors import NotFound
from app.i18n import _
from app.models.base import id_of
from app.models.events import Role
from app.models.notes import (
    TEXT_FIELDS,
    SessionNotes,
)
from app.models.topics import Topic, TopicStatus
from app.services.access import STAFF, EventAccess
from app.services.schedule import agenda

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


def values_of(notes: SessionNotes | None) -> dict[str, str]:
    """The notes' fields as form text (the participant count as digits or "")."""
    if notes is None:
        return dict.fromkeys(TEXT_FIELDS, "")
    values = {name: getattr(notes, name) for name in TEXT_FIELDS if name != "participant_count"}
    count = notes.participant_count
    values["participant_count"] = "" if count is None else str(count)
    return values
