"""Who may do what in an event. Services take an ``EventAccess`` and check it themselves."""

from __future__ import annotations

import time
from dataclasses import dataclass

from sqlmodel import Session, select

from app.errors import DomainError, NotFound, NotJoined, NotSignedIn, PermissionDenied
from app.i18n import _
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
    return signature_matches(secret, signature, "board", event.id or 0, event.board_nonce)


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
            return EventAccess(event=event, role=Role(member.role), user=user)
    if session_id is not None:
        participant = session.exec(
            select(Participant)
            .join(ParticipantDevice, ParticipantDevice.participant_id == Participant.id)  # type: ignore[arg-type]
            .where(
                ParticipantDevice.session_id == session_id,
                ParticipantDevice.event_id == event.id,
                Participant.event_id == event.id,
            )
        ).first()
        if participant is not None:
            return EventAccess(
                event=event, role=Role.PARTICIPANT, user=user, participant=participant
            )
    if board_signature and board_signature_ok(event, board_signature, secret):
        return EventAccess(event=event, role=Role.BOARD, user=user)
    return EventAccess(event=event, role=None, user=user)


LIVE_TOKEN_SECONDS = 2 * 86400


@dataclass(frozen=True)
class LiveTicket:
    audience: str
    participant_id: int | None
    expires: int
    signature: str


def live_token(
    *, event: Event, audience: str, participant_id: int | None, secret: bytes, now: float
) -> str:
    """A signed ticket for the page's WebSocket, so a reconnect storm needs no database query
    per client to check who is connecting. It outlives a long day with the page open.

    A board's ticket also signs the board nonce: a new board link cuts off the old screens.
    """
    expires = int(now) + LIVE_TOKEN_SECONDS
    pid = participant_id or 0
    nonce = event.board_nonce if audience == "board" else ""
    signature = sign(secret, "live", event.id or 0, audience, pid, expires, nonce)
    return f"{audience}.{pid}.{expires}.{signature}"


def live_path(
    *, event: Event, audience: str, secret: bytes, participant_id: int | None = None
) -> str:
    """Where a page's WebSocket connects, ticket included."""
    token = live_token(
        event=event,
        audience=audience,
        participant_id=participant_id,
        secret=secret,
        now=time.time(),
    )
    return f"/ws/{event.slug}?t={token}"


def parse_live_token(token: str) -> LiveTicket | None:
    parts = token.split(".")
    if len(parts) != 4 or not parts[1].isdigit() or not parts[2].isdigit():
        return None
    return LiveTicket(parts[0], int(parts[1]) or None, int(parts[2]), parts[3])


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
        ticket.participant_id or 0,
        ticket.expires,
        nonce,
    )
