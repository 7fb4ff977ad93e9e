"""An event's team: its members, and the facilitator invitations (secret links that expire)."""

from __future__ import annotations

from datetime import timedelta

from sqlmodel import Session, col, select

from app.errors import Invalid, NotFound
from app.i18n import _
from app.models.base import utcnow
from app.models.events import (
    INVITATION_NOTE_MAX,
    Event,
    EventMember,
    Invitation,
    Role,
)
from app.models.people import User
from app.security import new_token, token_hash
from app.services.access import EventAccess
from app.services.text import check_length

INVITATION_DAYS = 14


def members(session: Session, *, event_id: int) -> list[tuple[User, str]]:
    rows = session.exec(
        select(User, EventMember.role)
        .join(EventMember, EventMember.user_id == User.id)  # type: ignore[arg-type]
        .where(EventMember.event_id == event_id)
        .order_by(col(EventMember.id))
    ).all()
    return [(user, role) for user, role in rows]


def pending_invitations(session: Session, *, event_id: int) -> list[Invitation]:
    return list(
        session.exec(
            select(Invitation)
            .where(
                Invitation.event_id == event_id,
                col(Invitation.accepted_at).is_(None),
                Invitation.expires_at > utcnow(),
            )
            .order_by(col(Invitation.created_at))
        ).all()
    )


def invite_facilitator(session: Session, *, access: EventAccess, note: str = "") -> str:
    """Create an invitation and return its token (shown once, as a link to pass on)."""
    access.require(Role.ORGANISER)
    check_length(note, INVITATION_NOTE_MAX, field="note")
    token = new_token()
    session.add(
        Invitation(
            event_id=access.event_id,
            token_hash=token_hash(token),
            note=note.strip(),
            created_by=access.user.id if access.user else None,
            expires_at=utcnow() + timedelta(days=INVITATION_DAYS),
        )
    )
    session.commit()
    return token


def invitation_by_token(session: Session, *, token: str) -> tuple[Invitation, Event]:
    row = session.exec(
        select(Invitation, Event)
        .join(Event, Event.id == Invitation.event_id)  # type: ignore[arg-type]
        .where(Invitation.token_hash == token_hash(token))
    ).first()
    if row is None or row[0].accepted_at is not None or row[0].expires_at <= utcnow():
        raise NotFound(
            _("This invitation link is not valid any more. Ask the organiser for a new one.")
        )
    return row[0], row[1]


def accept_invitation(session: Session, *, token: str, user: User) -> Event:
    """Make ``user`` a facilitator of the invitation's event (an organiser stays organiser)."""
    invitation, event = invitation_by_token(session, token=token)
    existing = session.exec(
        select(EventMember).where(EventMember.event_id == event.id, EventMember.user_id == user.id)
    ).first()
    if existing is None:
        session.add(EventMember(event_id=event.id, user_id=user.id, role=Role.FACILITATOR))  # type: ignore[arg-type]
    invitation.accepted_by = user.id
    invitation.accepted_at = utcnow()
    session.add(invitation)
    session.commit()
    return event


def revoke_invitation(session: Session, *, access: EventAccess, invitation_id: int) -> None:
    access.require(Role.ORGANISER)
    invitation = session.get(Invitation, invitation_id)
    if invitation is None or invitation.event_id != access.event_id:
        raise NotFound(_("There is no such invitation."))
    session.delete(invitation)
    session.commit()


def remove_member(session: Session, *, access: EventAccess, user_id: int) -> int:
    """Take a facilitator off the team; returns the membership's id (its live sockets go)."""
    access.require(Role.ORGANISER)
    member = session.exec(
        select(EventMember).where(
            EventMember.event_id == access.event_id, EventMember.user_id == user_id
        )
    ).first()
    if member is None:
        raise NotFound(_("This person is not on the team."))
    if member.role == Role.ORGANISER:
        raise Invalid({"member": _("Organisers cannot be removed here.")})
    session.delete(member)
    session.commit()
    assert member.id is not None
    return member.id
