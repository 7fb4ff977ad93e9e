"""Who may do what in an event. Services take an ``EventAccess`` and check it themselves."""

from __future__ import annotations

import time
from dataclasses import dataclass

from sqlmodel import Session, select

from app.errors import DomainError, NotFound, NotJoined, NotSignedIn, PermissionDenied
from app.i18n import _
from app.models.base import MAX_ID, id_of
from app.models.events import Event, EventMember, Role
from app.models.people import Participant, ParticipantDevice, User
from app.security import new_token, sign, signature_matches

STAFF = (Role.ORGANISER, Role.FACILITATOR)


@dataclass(frozen=True)
class EventAccess:
    event: Event
    role: Role | None
    user: User | None = None
    participant: Participant | None = None
    # What grants the role: the staff member's EventMember row, the participant's device
    # binding. Live tickets name them, so revoking one can close exactly its sockets.
    member_id: int | None = None
    device_id: int | None = None

    @property
    def event_id(self) -> int:
        assert self.event.id is not None
        return self.event.id

    @property
    def is_staff(self) -> bool:
        return self.role in STAFF

    def require(self, *roles: Role) -> None:
        if self.role in roles:
            return
        if self.role is None and self.user is None and Role.PARTICIPANT not in roles:
            raise NotSignedIn(_("Please sign in first."))
        raise PermissionDenied(_("You do not have access to this page."))

    def require_staff(self) -> None:
        self.require(*STAFF)


def outsider_error(path: str, *, signed_in: bool) -> DomainError:
    """What someone who is not in an event hears from its pages, whether it exists or not:
    the staff screens ask for a sign-in, the phone pages for the event's code."""
    if path.startswith("/o/"):
        if signed_in:
            return PermissionDenied(_("You do not have access to this page."))
        return NotSignedIn(_("Please sign in first."))
    return NotJoined(_("Join the event first."))


def event_by_slug(session: Session, slug: str) -> Event:
    event = session.exec(select(Event).where(Event.slug == slug)).first()
    if event is None:
        raise NotFound(_("There is no such event."))
    return event


def unknown_event(slug: str) -> Event:
    """What an address with an unknown slug stands for: an event that nobody is in.

    An outsider must not learn which slugs are real, so an unknown slug is answered as a real
    event is answered to someone who has not joined it (the code form, "sign in first", an
    invalid link). Its id matches no row and its secrets are random, so every check of a
    link, a key or a membership fails as it would for a stranger. It is never stored.
    """
    return Event(
        id=0,
        slug=slug,
        name="",
        join_code="",
        board_nonce=new_token(12),
        languages=["en"],
    )


def board_signature_ok(event: Event, signature: str, secret: bytes) -> bool:
    return signature_matches(secret, signature, "board", id_of(event), event.board_nonce)


def resolve(
    session: Session,
    *,
    event: Event,
    user: User | None,
    session_id: str | None,
    board_signature: str | None = None,
    secret: bytes = b"",
) -> EventAccess:
    """The strongest role this browser has in ``event``."""
    if user is not None:
        member = session.exec(
            select(EventMember).where(
                EventMember.event_id == event.id, EventMember.user_id == user.id
            )
        ).first()
        if member is not None:
            return EventAccess(event=event, role=Role(member.role), user=user, member_id=member.id)
    if session_id is not None:
        row = session.exec(
            select(Participant, ParticipantDevice.id)
            .join(ParticipantDevice, ParticipantDevice.participant_id == Participant.id)  # type: ignore[arg-type]
            .where(
                ParticipantDevice.session_id == session_id,
                ParticipantDevice.event_id == event.id,
                Participant.event_id == event.id,
                # A binding made under an older personal link (since reset) grants nothing.
                ParticipantDevice.link_nonce == Participant.link_nonce,
            )
        ).first()
        if row is not None:
            participant, device_id = row
            return EventAccess(
                event=event,
                role=Role.PARTICIPANT,
                user=user,
                participant=participant,
                device_id=device_id,
            )
    if board_signature and board_signature_ok(event, board_signature, secret):
        return EventAccess(event=event, role=Role.BOARD, user=user)
    return EventAccess(event=event, role=None, user=user)


LIVE_TOKEN_SECONDS = 2 * 86400


@dataclass(frozen=True)
class LiveTicket:
    """``audience.subject.grant.expires.signature``: who connects, and what lets them.

    Phones: the participant and their device binding. Staff: the user and their EventMember
    row. Boards: neither (0.0); their signature covers the board nonce instead.
    """

    audience: str
    subject_id: int
    grant_id: int
    expires: int
    signature: str

    @property
    def issued_at(self) -> int:
        return self.expires - LIVE_TOKEN_SECONDS


def _ticket_ids(access: EventAccess, audience: str) -> tuple[int, int]:
    """(subject, grant) for a ticket; 0 where ``access`` has none (such a staff ticket is
    refused at the handshake, which checks the member row)."""
    if audience == "phones":
        participant_id = access.participant.id if access.participant else None
        return participant_id or 0, access.device_id or 0
    if audience == "staff":
        return (access.user.id if access.user else None) or 0, access.member_id or 0
    return 0, 0


def live_token(*, access: EventAccess, audience: str, secret: bytes, now: float) -> str:
    """A signed ticket for the page's WebSocket, so a reconnect storm of phones needs no
    database query per client to check who is connecting. It outlives a long day with the
    page open.

    A board's ticket also signs the board nonce: a new board link cuts off the old screens.
    Staff tickets name the member row, which the handshake checks still exists.
    """
    event = access.event
    subject_id, grant_id = _ticket_ids(access, audience)
    expires = int(now) + LIVE_TOKEN_SECONDS
    nonce = event.board_nonce if audience == "board" else ""
    signature = sign(secret, "live", id_of(event), audience, subject_id, grant_id, expires, nonce)
    return f"{audience}.{subject_id}.{grant_id}.{expires}.{signature}"


def live_path(*, access: EventAccess, audience: str, secret: bytes) -> str:
    """Where a page's WebSocket connects, ticket included."""
    token = live_token(access=access, audience=audience, secret=secret, now=time.time())
    return f"/ws/{access.event.slug}?t={token}"


def parse_live_token(token: str) -> LiveTicket | None:
    parts = token.split(".")
    # isdigit() alone lets "²" through; the ids must also fit an INTEGER column.
    numbers = parts[1:4]
    if len(parts) != 5 or not all(n.isascii() and n.isdigit() and len(n) <= 12 for n in numbers):
        return None
    subject_id, grant_id, expires = (int(n) for n in numbers)
    if subject_id > MAX_ID or grant_id > MAX_ID:
        return None
    return LiveTicket(parts[0], subject_id, grant_id, expires, parts[4])


def live_ticket_valid(
    ticket: LiveTicket, *, event_id: int, secret: bytes, now: float, board_nonce: str = ""
) -> bool:
    nonce = board_nonce if ticket.audience == "board" else ""
    return ticket.expires >= now and signature_matches(
        secret,
        ticket.signature,
        "live",
        event_id,
        ticket.audience,
        ticket.subject_id,
        ticket.grant_id,
        ticket.expires,
        nonce,
    )


def staff_ticket_current(session: Session, *, event_id: int, ticket: LiveTicket) -> bool:
    """The member the staff ticket names is still on the event's team (one indexed lookup:
    staff are few, and a removed facilitator must not get back in with an old ticket)."""
    member = session.get(EventMember, ticket.grant_id) if ticket.grant_id else None
    return (
        member is not None
        and member.event_id == event_id
        and member.user_id == ticket.subject_id
        and member.role in STAFF
    )
