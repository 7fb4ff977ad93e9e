"""Events: creating, editing, deleting, board links and join codes (the team is in ``team``)."""

from __future__ import annotations

import re
import unicodedata
from datetime import timedelta
from functools import cache
from pathlib import Path
from zoneinfo import available_timezones

from babel import Locale, UnknownLocaleError
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, func, select

from app.errors import Invalid, PermissionDenied
from app.i18n import _
from app.models.base import id_of
from app.models.events import (
    EVENT_DESCRIPTION_MAX,
    EVENT_NAME_MAX,
    PRIVACY_CONTACT_MAX,
    REPORT_ACKNOWLEDGEMENT_MAX,
    REPORT_SUMMARY_MAX,
    RETENTION_DAYS_MAX,
    RETENTION_DAYS_MIN,
    VENUE_MAX,
    Day,
    Event,
    EventCreate,
    EventMember,
    EventUpdate,
    Role,
)
from app.models.people import Participant, User
from app.security import new_join_code, new_token, sign
from app.services.access import EventAccess
from app.services.events import retention
from app.services.events.programme import check_day
from app.services.text import too_long

SLUG_PATTERN = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,58}[a-z0-9])?$")
RESERVED_SLUGS = frozenset({"new", "static", "admin", "login", "logout", "join", "board", "o", "e"})
MAX_DAYS = 14

# Streamlined Bulgarian transliteration (the official system), so Cyrillic names get readable slugs.
# fmt: off
_LATIN = ("a", "b", "v", "g", "d", "e", "zh", "z", "i", "y", "k", "l", "m", "n", "o", "p", "r",
          "s", "t", "u", "f", "h", "ts", "ch", "sh", "sht", "a", "y", "yu", "ya")
# fmt: on
_CYRILLIC = dict(zip("абвгдежзийклмнопрстуфхцчшщъьюя", _LATIN, strict=True))


SLUG_MAX = 60


def slugify(text: str) -> str:
    """An address made from an event's name: transliterated, lowercase words joined by dashes,
    cut at a word boundary to fit ``SLUG_MAX`` (mid-word only when the first word is longer)."""
    lowered = "".join(_CYRILLIC.get(ch, ch) for ch in text.lower())
    ascii_text = unicodedata.normalize("NFKD", lowered).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_text).strip("-")
    if len(slug) <= SLUG_MAX:
        return slug
    cut = slug[: SLUG_MAX + 1].rfind("-")  # the dash right after a whole word counts too
    return slug[:cut] if cut > 0 else slug[:SLUG_MAX]


def valid_slug(slug: str) -> bool:
    """An event's address: lowercase letters, digits and inner dashes, not a reserved word."""
    return SLUG_PATTERN.fullmatch(slug) is not None and slug not in RESERVED_SLUGS


def valid_language(code: str) -> bool:
    """An ISO 639 code (``en``, ``bg``, ``uk``, ``ar``) that Babel knows."""
    try:
        Locale.parse(code)
    except (ValueError, TypeError, UnknownLocaleError):
        return False
    return bool(re.fullmatch(r"[a-z]{2,3}", code))


def valid_languages(codes: list[str]) -> bool:
    """An event's languages: at least one, every one a language code."""
    return bool(codes) and all(valid_language(code) for code in codes)


@cache
def _time_zones() -> frozenset[str]:
    """The time zones this machine knows (reading them walks the zone database: once)."""
    return frozenset(available_timezones())


def valid_time_zone(name: str) -> bool:
    return name in _time_zones()


def _check_event_fields(
    session: Session, *, values: dict[str, object], event_id: int | None
) -> dict[str, str]:
    errors: dict[str, str] = {}
    if "name" in values:
        name = str(values["name"]).strip()
        if not name:
            errors["name"] = _("Enter the event's name.")
        elif message := too_long(name, EVENT_NAME_MAX):
            errors["name"] = message
    if "slug" in values:
        slug = str(values["slug"])
        if not valid_slug(slug):
            errors["slug"] = _(
                "Use lowercase letters, digits and dashes (for example lab-sofia-2026)."
            )
        else:
            clash = session.exec(select(Event.id).where(Event.slug == slug)).first()
            if clash is not None and clash != event_id:
                errors["slug"] = _("Another event uses this address already.")
    if "languages" in values:
        languages = values["languages"]
        assert isinstance(languages, list)
        if not valid_languages(languages):
            errors["languages"] = _("List language codes such as en, bg, uk, ar.")
    if "timezone" in values and not valid_time_zone(str(values["timezone"])):
        errors["timezone"] = _("Choose a time zone such as Europe/Sofia.")
    for field, limit in (
        ("description", EVENT_DESCRIPTION_MAX),
        ("venue", VENUE_MAX),
        ("report_acknowledgement", REPORT_ACKNOWLEDGEMENT_MAX),
        ("report_summary", REPORT_SUMMARY_MAX),
        ("privacy_contact", PRIVACY_CONTACT_MAX),
    ):
        if values.get(field) is not None and (message := too_long(str(values[field]), limit)):
            errors[field] = message
    days = values.get("retention_days")
    if days is not None and not (
        isinstance(days, int) and RETENTION_DAYS_MIN <= days <= RETENTION_DAYS_MAX
    ):
        errors["retention_days"] = _("Choose between 1 and 3650 days.")
    return errors


def parse_languages(raw: str) -> list[str]:
    """ "en, bg" → ["en", "bg"]: order kept, duplicates dropped."""
    codes = [part.strip().lower() for part in re.split(r"[,\s]+", raw) if part.strip()]
    return list(dict.fromkeys(codes))


def _unique_join_code(session: Session) -> str:
    while True:
        code = new_join_code()
        if session.exec(select(Event.id).where(Event.join_code == code)).first() is None:
            return code


def require_event_creator(user: User) -> None:
    if not user.can_create_events:
        raise PermissionDenied(_("Only organisers can create events."))


def create_event(session: Session, *, owner: User, data: EventCreate) -> Event:
    """Create an event owned by ``owner``, with its days, a join code and a board link."""
    require_event_creator(owner)
    slug = data.slug.strip().lower() or slugify(data.name)
    values: dict[str, object] = {
        "name": data.name,
        "slug": slug,
        "languages": data.languages,
        "timezone": data.timezone,
        "description": data.description,
        "venue": data.venue,
    }
    if not slug and not data.name.strip():
        del values["slug"]  # the name's own message says what is missing
    errors = _check_event_fields(session, values=values, event_id=None)
    if not 1 <= data.day_count <= MAX_DAYS:
        errors["day_count"] = _("An event has between 1 and 14 days.")
    if data.first_day is None:
        errors["first_day"] = _("Choose the first day.")
    else:
        # The whole range: the last day too must be a day an event can have (checked only
        # once the first is, so adding the days cannot overflow the calendar).
        days_after = min(max(data.day_count, 1), MAX_DAYS) - 1
        try:
            check_day(data.first_day, field="first_day")
            check_day(data.first_day + timedelta(days=days_after), field="first_day")
        except Invalid as error:
            errors.update(error.errors)
    if errors:
        raise Invalid(errors)
    assert data.first_day is not None
    event = Event(
        name=data.name.strip(),
        slug=slug,
        description=data.description.strip(),
        languages=data.languages,
        timezone=data.timezone,
        venue=data.venue.strip(),
        join_code=_unique_join_code(session),
        board_nonce=new_token(12),
    )
    session.add(event)
    session.flush()
    session.add(EventMember(event_id=event.id, user_id=owner.id, role=Role.ORGANISER))  # type: ignore[arg-type]
    for offset in range(data.day_count):
        session.add(Day(event_id=event.id, date=data.first_day + timedelta(days=offset)))  # type: ignore[arg-type]
    try:
        session.commit()
    except IntegrityError as error:  # two organisers took the same slug at the same moment
        session.rollback()
        raise Invalid({"slug": _("Another event uses this address already.")}) from error
    session.refresh(event)
    return event


# What the organisers answer for: what the proceedings say first, whom participants ask about
# their data and how long it is kept (who runs the event is its hosts: ``hosts``).
ORGANISER_FIELDS = ("report_summary", "privacy_contact", "retention_days")
TEXT_FIELDS = (
    "name",
    "description",
    "venue",
    "slug",
    "report_acknowledgement",
    "report_summary",
    "privacy_contact",
)


def update_event(session: Session, *, access: EventAccess, data: EventUpdate) -> Event:
    """Change the event's settings: its team may; the executive summary, the privacy contact
    and how long the data is kept (``ORGANISER_FIELDS``) only its organisers."""
    access.require_staff()
    values = data.model_dump(exclude_unset=True)
    for key in TEXT_FIELDS:
        if key in values and values[key] is not None:
            values[key] = str(values[key]).strip()
    event = access.event
    if access.role != Role.ORGANISER and any(
        key in values and values[key] != getattr(event, key) for key in ORGANISER_FIELDS
    ):
        raise PermissionDenied(
            _(
                "Only the organisers can change the executive summary, the privacy notice and "
                "how long data is kept."
            )
        )
    errors = _check_event_fields(session, values=values, event_id=access.event_id)
    if errors:
        raise Invalid(errors)
    for key, value in values.items():
        setattr(event, key, value)
    session.add(event)
    session.commit()
    session.refresh(event)
    return event


def delete_event(
    session: Session, *, access: EventAccess, confirm_slug: str, upload_dir: Path
) -> None:
    """Delete an event, everything in it and its files (``retention.erase``). Only its
    organisers may; they type the slug."""
    access.require(Role.ORGANISER)
    if confirm_slug.strip() != access.event.slug:
        raise Invalid({"confirm": _("Type the event's address to confirm.")})
    retention.erase(session, event=access.event, upload_dir=upload_dir)


def events_for_user(session: Session, *, user: User) -> list[tuple[Event, str]]:
    rows = session.exec(
        select(Event, EventMember.role)
        .join(EventMember, EventMember.event_id == Event.id)  # type: ignore[arg-type]
        .where(EventMember.user_id == user.id)
        .order_by(col(Event.created_at).desc())
    ).all()
    return [(event, role) for event, role in rows]


def days(session: Session, *, event_id: int) -> list[Day]:
    return list(
        session.exec(select(Day).where(Day.event_id == event_id).order_by(col(Day.date))).all()
    )


def participant_count(session: Session, *, event_id: int) -> int:
    return int(
        session.exec(
            select(func.count()).select_from(Participant).where(Participant.event_id == event_id)
        ).one()
    )


def board_path(event: Event, secret: bytes) -> str:
    return f"/board/{event.slug}/{sign(secret, 'board', id_of(event), event.board_nonce)}"


def rotate_board_link(session: Session, *, access: EventAccess) -> Event:
    """Issue a new board link; the old one stops working at once."""
    access.require_staff()
    access.event.board_nonce = new_token(12)
    session.add(access.event)
    session.commit()
    return access.event


def regenerate_join_code(session: Session, *, access: EventAccess) -> Event:
    access.require(Role.ORGANISER)
    access.event.join_code = _unique_join_code(session)
    session.add(access.event)
    session.commit()
    return access.event
