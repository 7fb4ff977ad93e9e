"""The published agenda for everyone: the phone's agenda and session pages, "I'm here", the door
sign's QR landing, calendar feeds; and for organisers the printable agenda and door signs."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse, Response

from app.db import SessionDep
from app.deps import AccessDep, SettingsDep, VisitorDep, verify_csrf
from app.errors import Invalid, NotFound
from app.i18n import _
from app.models.base import id_of, utcnow
from app.realtime.frames import live_context
from app.realtime.notify import EventRoute, nudge
from app.services import live, navigation
from app.services.access import EventAccess, live_path, outsider_error
from app.services.qr import qr_svg
from app.services.schedule import agenda, calendar, checkins
from app.services.topics import topics
from app.templating import render

router = APIRouter(dependencies=[Depends(verify_csrf)], route_class=EventRoute)


def _phone_context(request: Request, session: SessionDep, access: EventAccess) -> dict[str, Any]:
    state = live.load(session, event_id=access.event_id)
    assert state is not None
    settings = request.app.state.settings
    participant = access.participant
    follows = agenda.followed(session, participant_id=id_of(participant)) if participant else set()
    context: dict[str, Any] = {
        **live_context(state, "phones"),
        "access": access,
        "participant": participant,
        "follows": follows,
        "mine": agenda.mine(state.agenda, follows) if state.agenda else [],
        "live_sync": request.app.state.hub.current(access.event_id),
        "live_url": live_path(access=access, audience="phones", secret=settings.secret)
        if participant
        else None,
    }
    return context


@router.get("/e/{slug}/agenda")
def agenda_page(request: Request, session: SessionDep, access: AccessDep) -> Response:
    context = _phone_context(request, session, access)
    settings = request.app.state.settings
    event = access.event
    context["event_feed"] = (
        f"{settings.base_url}/e/{event.slug}/calendar.ics"
        f"?k={calendar.event_feed_key(event, settings.secret)}"
    )
    if access.participant is not None:
        context["personal_feed"] = (
            f"{settings.base_url}/e/{event.slug}/calendar/{access.participant.id}.ics"
            f"?k={calendar.personal_feed_key(access.participant, settings.secret)}"
        )
    context["nav_current"] = "agenda"
    return render(request, "agenda/phone.html", context)


def _session_page(
    request: Request,
    session: SessionDep,
    access: EventAccess,
    topic_id: int,
    *,
    message: str = "",
    status: int = 200,
) -> Response:
    grid = agenda.load_published(session, event=access.event)
    item = grid.by_topic.get(topic_id)
    if item is None:
        raise NotFound(_("This session is not on the agenda."))
    here = checkins.attendance(session, event_id=access.event_id).get(topic_id, 0)
    current = (
        checkins.current_topic(session, participant_id=id_of(access.participant))
        if access.participant
        else None
    )
    return render(
        request,
        "agenda/session.html",
        {
            "event": access.event,
            "access": access,
            "item": item,
            "grid": grid,
            "room": grid.room_by_id[item.room_id],
            "block": grid.blocks[item.block_id],
            "day": grid.day_of(item.block_id),
            "here": here,
            "checked_in": current == topic_id,
            "message": message,
            "phone_nav": navigation.load(session, event=access.event),
            "nav_current": "agenda",
        },
        status_code=status,
    )


@router.get("/e/{slug}/sessions/{topic_id}")
def session_page(
    request: Request, session: SessionDep, access: AccessDep, topic_id: int
) -> Response:
    return _session_page(request, session, access, topic_id)


@router.post("/e/{slug}/sessions/{topic_id}/here")
def check_in(request: Request, session: SessionDep, access: AccessDep, topic_id: int) -> Response:
    """From the session's page (a page load) or from "Now and next" on the home page (htmx:
    where this phone is now, and a message)."""
    checkins.check_in(session, access=access, topic_id=topic_id)
    participant = access.participant.id if access.participant else None
    nudge(request, [participant or 0], except_device=access.device_id or 0)
    if request.headers.get("hx-request") != "true":
        return RedirectResponse(f"/e/{access.event.slug}/sessions/{topic_id}", status_code=303)
    title = topics.get_topic(session, access=access, topic_id=topic_id).title
    response = render(
        request,
        "partials/agenda/here.html",
        {"here": topic_id, "message": _("You are checked in: %(title)s") % {"title": title}},
    )
    response.headers["Vary"] = "HX-Request"
    return response


@router.post("/e/{slug}/sessions/{topic_id}/leave")
def check_out(request: Request, session: SessionDep, access: AccessDep, topic_id: int) -> Response:
    try:
        checkins.check_out(session, access=access)
    except Invalid as error:
        session.rollback()
        return _session_page(
            request, session, access, topic_id, message=error.message, status=error.status_code
        )
    return RedirectResponse(f"/e/{access.event.slug}/sessions/{topic_id}", status_code=303)


@router.get("/e/{slug}/rooms/{room_id}/here")
def door_sign(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    access: VisitorDep,
    room_id: int,
    k: str = "",
) -> Response:
    """Where a door sign's QR code leads: the session in this room now (or next). Someone who
    has not joined yet joins from here if the sign's key is right (the sign is in the venue)."""
    if (
        access.participant is None
        and not access.is_staff
        and checkins.door_key_ok(access.event, room_id=room_id, key=k[:64], secret=settings.secret)
    ):
        return RedirectResponse(
            f"/e/{access.event.slug}/rooms/{room_id}/join?k={k[:64]}", status_code=303
        )
    if access.role is None:
        raise outsider_error(request.url.path, signed_in=access.user is not None)
    grid = agenda.load_published(session, event=access.event)
    if room_id not in grid.room_by_id:
        raise NotFound(_("There is no such room."))
    item = checkins.session_in_room(grid, room_id=room_id, now=utcnow())
    if item is None:
        raise NotFound(_("No session is planned in this room."))
    return RedirectResponse(f"/e/{access.event.slug}/sessions/{item.topic_id}", status_code=303)


def _ics(body: bytes, filename: str) -> Response:
    return Response(
        body,
        media_type="text/calendar; charset=utf-8",
        headers={
            "Content-Disposition": f'inline; filename="{filename}"',
            "Cache-Control": "private, max-age=300",
        },
    )


@router.get("/e/{slug}/calendar.ics")
def event_feed(
    session: SessionDep, settings: SettingsDep, access: VisitorDep, k: str = ""
) -> Response:
    calendar.check_event_key(access.event, k[:64], settings.secret)
    body = calendar.event_feed(session, event=access.event, base_url=settings.base_url)
    return _ics(body, f"{access.event.slug}.ics")


@router.get("/e/{slug}/calendar/{participant_id}.ics")
def personal_feed(
    session: SessionDep,
    settings: SettingsDep,
    access: VisitorDep,
    participant_id: int,
    k: str = "",
) -> Response:
    participant = calendar.participant_for_key(
        session,
        event=access.event,
        participant_id=participant_id,
        key=k[:64],
        secret=settings.secret,
    )
    body = calendar.personal_feed(
        session, event=access.event, participant=participant, base_url=settings.base_url
    )
    return _ics(body, f"{access.event.slug}-mine.ics")


# --- printable, for organisers -----------------------------------------------------------


@router.get("/o/{slug}/agenda/print")
def printable_agenda(request: Request, session: SessionDep, access: AccessDep) -> Response:
    public = agenda.printable(session, access=access)
    return render(
        request,
        "agenda/print.html",
        {
            "event": access.event,
            "access": access,
            "user": access.user,
            "grid": public.grid,
            "public": public,
        },
    )


@router.get("/o/{slug}/signs")
def door_signs(
    request: Request, session: SessionDep, settings: SettingsDep, access: AccessDep
) -> Response:
    found = checkins.door_signs(
        session, access=access, base_url=settings.base_url, secret=settings.secret
    )
    return render(
        request,
        "agenda/signs.html",
        {
            "event": access.event,
            "access": access,
            "user": access.user,
            "grid": found.agenda.grid,
            "public": found.agenda,
            "signs": [(sign, qr_svg(sign.url, scale=6)) for sign in found.signs],
        },
    )
