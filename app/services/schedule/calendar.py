"""Calendar feeds (.ics) of the published agenda: the whole event, or one participant's sessions.

UIDs are stable per session (the topic) and per plenary, so a calendar app that subscribed
updates an entry in place when its session moves; SEQUENCE is the published version number.
Feed links are signed, because calendar apps fetch them without cookies: the event's link
changes with its join code, a participant's with their personal link. Whoever holds a link
reads it, so conveners are named only as the consent rule allows (``people/naming.py``).
"""

from __future__ import annotations

import datetime as dt

from icalendar import Calendar
from icalendar import Event as CalendarEntry
from sqlmodel import Session

from app.errors import NotFound
from app.i18n import _
from app.models.base import id_of
from app.models.events import BlockKind, Event
from app.models.people import Participant
from app.security import sign, signature_matches
from app.services.schedule import agenda
from app.services.schedule.agenda import PublicAgenda

PRODID = "-//Open Space Lab//Agenda//EN"


def event_feed_key(event: Event, secret: bytes) -> str:
    return sign(secret, "calendar", id_of(event), event.join_code)


def personal_feed_key(participant: Participant, secret: bytes) -> str:
    return sign(secret, "calendar", "participant", id_of(participant), participant.link_nonce)


def check_event_key(event: Event, key: str, secret: bytes) -> None:
    if not signature_matches(secret, key, "calendar", id_of(event), event.join_code):
        raise NotFound(_("This calendar link is not valid any more."))


def participant_for_key(
    session: Session, *, event: Event, participant_id: int, key: str, secret: bytes
) -> Participant:
    participant = session.get(Participant, participant_id)
    if (
        participant is None
        or participant.event_id != event.id
        or not signature_matches(
            secret, key, "calendar", "participant", id_of(participant), participant.link_nonce
        )
    ):
        raise NotFound(_("This calendar link is not valid any more."))
    return participant


def _uid(kind: str, number: int, event: Event, host: str) -> str:
    return f"{kind}-{number}.{event.slug}@{host}"


def event_feed(session: Session, *, event: Event, base_url: str) -> bytes:
    """The whole published agenda."""
    return feed(agenda.load_public(session, event=event), base_url=base_url)


def personal_feed(
    session: Session, *, event: Event, participant: Participant, base_url: str
) -> bytes:
    """The sessions a participant follows (voted for or convenes), and the plenaries."""
    return feed(
        agenda.load_public(session, event=event),
        base_url=base_url,
        only=agenda.followed(session, participant_id=id_of(participant)),
        name=_("%(event)s: my agenda") % {"event": event.name},
    )


def feed(
    public: PublicAgenda,
    *,
    base_url: str,
    only: set[int] | None = None,
    name: str | None = None,
) -> bytes:
    """The agenda as iCalendar: every session (or those in ``only``) and the plenaries."""
    grid = public.grid
    event = grid.event
    host = base_url.split("://", 1)[-1].split("/", 1)[0] or "openspace.local"
    stamp = grid.version.published_at if grid.version else dt.datetime.now(dt.UTC)
    sequence = grid.version.number if grid.version else 0
    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("x-wr-calname", name or event.name)
    calendar.add("x-wr-timezone", event.timezone)
    rooms = grid.room_by_id
    for item in sorted(
        grid.sessions.values(), key=lambda s: (grid.starts_at(s.block_id), s.room_id)
    ):
        if only is not None and item.topic_id not in only:
            continue
        entry = CalendarEntry()
        entry.add("uid", _uid("session", item.topic_id, event, host))
        entry.add("dtstamp", stamp)
        entry.add("sequence", sequence)
        entry.add("dtstart", grid.starts_at(item.block_id))
        entry.add("dtend", grid.ends_at(item.block_id))
        entry.add("summary", item.title)
        room = rooms.get(item.room_id)
        if room is not None:
            entry.add("location", f"{room.name}, {event.venue}" if event.venue else room.name)
        conveners = public.conveners(item)
        lines = [conveners] if conveners else []
        if item.description:
            lines.append(item.description)
        if lines:
            entry.add("description", "\n\n".join(lines))
        entry.add("url", f"{base_url}/e/{event.slug}/sessions/{item.topic_id}")
        calendar.add_component(entry)
    for day in grid.days:
        for block in day.blocks:
            if block.kind != BlockKind.PLENARY:
                continue
            entry = CalendarEntry()
            entry.add("uid", _uid("plenary", id_of(block), event, host))
            entry.add("dtstamp", stamp)
            entry.add("sequence", sequence)
            entry.add("dtstart", agenda.block_start(event, day.day, block))
            entry.add("dtend", agenda.block_end(event, day.day, block))
            entry.add("summary", block.title or _("Plenary"))
            if event.venue:
                entry.add("location", event.venue)
            calendar.add_component(entry)
    # VTIMEZONE components, so that clients without the zone database agree on the times.
    calendar.add_missing_timezones()
    return calendar.to_ical()
