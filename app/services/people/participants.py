"""Participants: joining by code from a phone, the profile, and moving to another device.

A device (browser session) is bound to a participant under the personal link's current
version, ``Participant.link_nonce``; access counts only bindings made under the current one.
Resetting the link changes the version and deletes the other devices' bindings in the same
transaction. A device that is claiming the old link at that moment checked the old version
and writes the binding under it, so even if it commits after the reset, it grants nothing:
no lock is needed for "reset signs out every other device" to hold.
"""

from __future__ import annotations

import re

from sqlmodel import Session, col, delete, select

from app.config import Settings
from app.errors import Invalid, NotFound, RateLimited
from app.i18n import LOCALES, _
from app.models.base import MAX_ID, id_of, utcnow
from app.models.events import Event
from app.models.people import (
    ORGANISATION_MAX,
    PARTICIPANT_NAME_MAX,
    AuthSession,
    OrgType,
    Participant,
    ParticipantCreate,
    ParticipantDevice,
    ParticipantUpdate,
)
from app.security import new_token, normalise_join_code, sign, signature_matches
from app.services import ratelimit
from app.services.access import EventAccess
from app.services.text import too_long

JOIN_WINDOW = 10 * 60


def _too_many_codes() -> RateLimited:
    return RateLimited(_("Too many wrong codes. Wait a few minutes and try again."), field="code")


def find_event_by_code(
    session: Session, *, code: str, browser_key: str, address: str, settings: Settings
) -> Event:
    """Look an event up by its join code; wrong guesses are limited per browser and address.

    Only wrong codes count; a right code never does. Two buckets, both per 10 minutes and
    separate from wrong passwords:

    - Per browser (``join:<browser>``, its session cookie): ``join_attempts`` wrong codes, then
      that browser is refused, even with the right code, until the window ends: these are its
      own misses, and checking its next guesses would tell a guesser when one is right.
    - Per address (``join-addr:<address>``, ``address_attempts`` wrong codes): a whole room
      shares one Wi-Fi address, and a right code must never be refused because of someone
      else's misses there. So past the ceiling the address is not closed; instead every
      browser behind it gets one wrong code per window, not ``join_attempts``. A browser that
      has not missed still has its code checked, and a right code joins.

    The arithmetic: codes are 6 letters from 25 (``app/security.py``), 244 million codes. A
    guesser who keeps a cookie gets 10 guesses per 10 minutes; one address gets
    ``address_attempts`` (300) per 10 minutes at full rate, about 43,000 a day: with 100
    events open, one hit every two months. Past the ceiling, a guesser must start a new
    browser (drop the cookie) for every single guess, and nothing here stops that: refusing
    fresh browsers at a crowded address would refuse the room's newcomers too, which the audit
    forbids. Beyond the ceiling the guess rate is bounded only by what the server answers;
    closing that needs a cost per guess that a newcomer pays once (longer codes, codes that
    expire with the event, or a proof of work on the join page).
    """
    normalised = normalise_join_code(code)
    if not normalised:
        raise Invalid({"code": _("Enter the code shown on the screen.")})
    browser, crowd = f"join:{browser_key}", f"join-addr:{address}"
    crowded = ratelimit.exceeded(
        session, key=crowd, limit=settings.address_attempts, window=JOIN_WINDOW
    )
    per_browser = 1 if crowded else settings.join_attempts
    # Checked before the lookup: a browser that is over its limit must not learn that a
    # code is right either, or the limit would not slow guessing down at all.
    if ratelimit.exceeded(session, key=browser, limit=per_browser, window=JOIN_WINDOW):
        raise _too_many_codes()
    event = session.exec(select(Event).where(Event.join_code == normalised)).first()
    if event is not None:
        return event
    ratelimit.hit(session, key=crowd, limit=settings.address_attempts, window=JOIN_WINDOW)
    if not ratelimit.hit(session, key=browser, limit=per_browser, window=JOIN_WINDOW):
        raise _too_many_codes()
    raise Invalid({"code": _("No event has this code. Check the letters on the screen.")})


def _clean(data: ParticipantCreate | ParticipantUpdate, *, event: Event) -> dict[str, object]:
    values = data.model_dump(exclude_unset=True)
    errors: dict[str, str] = {}
    if "name" in values:
        values["name"] = " ".join(str(values["name"] or "").split())
        if not values["name"]:
            errors["name"] = _("Enter a name; a first name or a nickname is fine.")
        elif message := too_long(values["name"], PARTICIPANT_NAME_MAX):
            errors["name"] = message
    if "organisation" in values:
        values["organisation"] = " ".join(str(values["organisation"] or "").split())
        if message := too_long(values["organisation"], ORGANISATION_MAX):
            errors["organisation"] = message
    if "org_type" in values:
        values["org_type"] = values["org_type"] or ""
        if values["org_type"] and values["org_type"] not in set(OrgType):
            errors["org_type"] = _("Choose one of the listed types.")
    if "locale" in values and values["locale"] not in LOCALES:
        errors["locale"] = _("Choose one of the listed languages.")
    if errors:
        raise Invalid(errors)
    return values


def join(
    session: Session, *, event: Event, data: ParticipantCreate, auth: AuthSession, label: str = ""
) -> Participant:
    """Create a participant and remember it for this browser session.

    A browser that joined already gets its participant back: a second tap on "Join" over
    slow Wi-Fi must not make the same person twice.
    """
    values = _clean(data, event=event)
    existing = session.exec(
        select(Participant)
        .join(ParticipantDevice, ParticipantDevice.participant_id == Participant.id)  # type: ignore[arg-type]
        .where(
            ParticipantDevice.session_id == auth.id,
            Participant.event_id == event.id,
            ParticipantDevice.link_nonce == Participant.link_nonce,
        )
    ).first()
    if existing is not None:
        return existing
    participant = Participant(event_id=event.id, link_nonce=new_token(12), **values)  # type: ignore[arg-type]
    session.add(participant)
    session.flush()
    _bind(session, auth=auth, participant=participant, label=label)
    session.commit()
    session.refresh(participant)
    return participant


def _bind(session: Session, *, auth: AuthSession, participant: Participant, label: str) -> None:
    """This browser is ``participant`` from now on, under the link version ``participant``
    was read with (the one a personal link was checked against)."""
    device = session.exec(
        select(ParticipantDevice).where(
            ParticipantDevice.session_id == auth.id,
            ParticipantDevice.event_id == participant.event_id,
        )
    ).first()
    if device is None:
        device = ParticipantDevice(
            session_id=auth.id,
            event_id=participant.event_id,
            participant_id=participant.id,  # type: ignore[arg-type]
            link_nonce=participant.link_nonce,
        )
    device.participant_id = participant.id  # type: ignore[assignment]
    device.link_nonce = participant.link_nonce
    device.label = label[:40]
    device.bound_at = utcnow()
    session.add(device)


# Browser and system names, in the order to test them (Edge and Opera also say "Chrome").
_BROWSERS = (
    ("Edg", "Edge"),
    ("OPR", "Opera"),
    ("SamsungBrowser", "Samsung Internet"),
    ("Firefox", "Firefox"),
    ("FxiOS", "Firefox"),
    ("CriOS", "Chrome"),
    ("Chrome", "Chrome"),
    ("Safari", "Safari"),
)
_SYSTEMS = (
    ("Android", "Android"),
    ("iPhone", "iPhone"),
    ("iPad", "iPad"),
    ("CrOS", "ChromeOS"),
    ("Windows", "Windows"),
    ("Macintosh", "macOS"),
    ("Linux", "Linux"),
)


def device_label(user_agent: str) -> str:
    """A short name for a device, such as "Firefox, Android", from its User-Agent header.

    Only the browser's and the system's names are kept, never versions or models: enough
    to tell one's own devices apart, too little to recognise a person's phone by.
    """
    words = set(re.findall(r"[A-Za-z]+", user_agent[:512]))
    browser = next((name for token, name in _BROWSERS if token in words), "")
    system = next((name for token, name in _SYSTEMS if token in words), "")
    return ", ".join(part for part in (browser, system) if part)


def update_profile(
    session: Session, *, access: EventAccess, data: ParticipantUpdate
) -> Participant:
    participant = access.participant
    if participant is None:
        raise NotFound(_("Join the event first."))
    for key, value in _clean(data, event=access.event).items():
        setattr(participant, key, value)
    session.add(participant)
    session.commit()
    return participant


def personal_token(participant: Participant, secret: bytes) -> str:
    signature = sign(secret, "participant", id_of(participant), participant.link_nonce)
    return f"{participant.id}.{signature}"


def participant_by_token(
    session: Session, *, event: Event, token: str, secret: bytes
) -> Participant:
    raw_id, _sep, signature = token.partition(".")
    # isdigit() alone lets "²" through, and the id must fit the column: a link is user input.
    number = int(raw_id) if raw_id.isascii() and raw_id.isdigit() else 0
    participant = session.get(Participant, number) if 0 < number <= MAX_ID else None
    if (
        participant is None
        or participant.event_id != event.id
        or not signature_matches(
            secret, signature, "participant", id_of(participant), participant.link_nonce
        )
    ):
        raise NotFound(_("This personal link is not valid. Join with the event code instead."))
    return participant


def claim(
    session: Session, *, participant: Participant, auth: AuthSession, label: str = ""
) -> None:
    """Use the personal link on this device: it becomes that participant for the event."""
    _bind(session, auth=auth, participant=participant, label=label)
    session.commit()


def reset_personal_link(session: Session, *, access: EventAccess) -> list[int]:
    """A new personal link; the old one (say, shared by mistake) stops working, and every
    other device that used it is signed out. The device asking stays signed in.

    Returns the ids of the bindings that ended (their open sockets are to be closed).
    """
    participant = access.participant
    if participant is None or access.device_id is None:
        raise NotFound(_("Join the event first."))
    participant.link_nonce = new_token(12)
    session.add(participant)
    this_device = session.get(ParticipantDevice, access.device_id)
    assert this_device is not None
    this_device.link_nonce = participant.link_nonce
    session.add(this_device)
    others = list(
        session.exec(
            select(ParticipantDevice.id).where(
                ParticipantDevice.participant_id == participant.id,
                ParticipantDevice.id != access.device_id,
            )
        ).all()
    )
    if others:
        session.execute(delete(ParticipantDevice).where(col(ParticipantDevice.id).in_(others)))
    session.commit()
    return [device_id for device_id in others if device_id is not None]


def devices(session: Session, *, access: EventAccess) -> list[ParticipantDevice]:
    """The devices signed in as this participant, the oldest first."""
    participant = access.participant
    if participant is None:
        raise NotFound(_("Join the event first."))
    return list(
        session.exec(
            select(ParticipantDevice)
            .where(
                ParticipantDevice.participant_id == participant.id,
                ParticipantDevice.link_nonce == participant.link_nonce,
            )
            .order_by(col(ParticipantDevice.bound_at), col(ParticipantDevice.id))
        ).all()
    )


def sign_out_device(session: Session, *, access: EventAccess, device_id: int) -> None:
    """End one of this participant's device bindings (this device's own too): that browser
    sees the join form again. Anyone else's device is "not found", whoever it belongs to."""
    participant = access.participant
    if participant is None:
        raise NotFound(_("Join the event first."))
    device = session.get(ParticipantDevice, device_id) if 0 < device_id <= MAX_ID else None
    if device is None or device.participant_id != participant.id:
        raise NotFound(_("This device is not signed in as you."))
    session.delete(device)
    session.commit()


def participants(session: Session, *, access: EventAccess) -> list[Participant]:
    access.require_staff()
    return list(
        session.exec(
            select(Participant)
            .where(Participant.event_id == access.event_id)
            .order_by(col(Participant.name))
        ).all()
    )


def in_event(session: Session, *, access: EventAccess, participant_id: int) -> Participant:
    """One participant of the event, for staff."""
    access.require_staff()
    person = session.get(Participant, participant_id) if 0 < participant_id <= MAX_ID else None
    if person is None or person.event_id != access.event_id:
        raise NotFound(_("There is no such participant in this event."))
    return person
