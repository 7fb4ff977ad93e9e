"""Announcements ("news"): the facilitator's messages to the board and every phone."""

from __future__ import annotations

from sqlmodel import Session, col, select

from app.errors import Invalid, NotFound
from app.i18n import _
from app.models.topics import ANNOUNCEMENT_MAX, Announcement, AnnouncementCreate
from app.services.access import EventAccess
from app.services.text import check_length


def announce(session: Session, *, access: EventAccess, text: str) -> Announcement:
    access.require_staff()
    text = text.strip()
    if not text:
        raise Invalid({"text": _("Write the announcement first.")})
    check_length(text, ANNOUNCEMENT_MAX, field="text")
    announcement = Announcement.model_validate(
        AnnouncementCreate(text=text),
        update={"event_id": access.event_id, "author_id": access.user.id if access.user else None},
    )
    session.add(announcement)
    session.commit()
    session.refresh(announcement)
    return announcement


def withdraw(session: Session, *, access: EventAccess, announcement_id: int) -> None:
    access.require_staff()
    announcement = session.get(Announcement, announcement_id)
    if announcement is None or announcement.event_id != access.event_id:
        raise NotFound(_("There is no such announcement."))
    announcement.hidden = True
    session.add(announcement)
    session.commit()


def recent(session: Session, *, event_id: int, limit: int = 3) -> list[Announcement]:
    return list(
        session.exec(
            select(Announcement)
            .where(Announcement.event_id == event_id, col(Announcement.hidden).is_(False))
            .order_by(col(Announcement.created_at).desc(), col(Announcement.id).desc())
            .limit(limit)
        ).all()
    )
