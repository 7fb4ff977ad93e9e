"""Organiser and facilitator screens (laptop): events, rooms, programme, team, poster."""

from __future__ import annotations

from typing import Annotated, Any
from zoneinfo import available_timezones

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import RedirectResponse, Response

from app.db import SessionDep
from app.deps import AccessDep, HubDep, SettingsDep, SignedInUser, verify_csrf
from app.errors import Invalid
from app.forms import parse_date, parse_int, parse_time
from app.models.events import (
    BLOCK_KIND_LABELS,
    PHASE_LABELS,
    ROLE_LABELS,
    Event,
    EventCreate,
    EventUpdate,
    Role,
    RoomCreate,
    RoomUpdate,
    TimeBlockCreate,
)
from app.models.people import ORG_TYPE_LABELS
from app.realtime.notify import EventRoute, quiet
from app.services.access import EventAccess
from app.services.events import events, programme
from app.services.people import participants
from app.services.qr import join_url, qr_svg
from app.templating import render

router = APIRouter(prefix="/o", dependencies=[Depends(verify_csrf)], route_class=EventRoute)

TIMEZONES = sorted(available_timezones())


def _staff(access: EventAccess) -> EventAccess:
    access.require_staff()
    return access


def _staff_context(access: EventAccess) -> dict[str, Any]:
    """What every staff screen's layout needs. It checks who asks first: error paths render
    these screens too, before any service has checked."""
    _staff(access)
    return {"access": access, "event": access.event, "user": access.user}


def _back(access: EventAccess, page: str = "") -> RedirectResponse:
    return RedirectResponse(f"/o/{access.event.slug}{page}", status_code=303)


@router.get("")
def dashboard(request: Request, session: SessionDep, user: SignedInUser) -> Response:
    rows = events.events_for_user(session, user=user)
    return render(
        request,
        "organiser/dashboard.html",
        {"user": user, "rows": rows, "role_labels": ROLE_LABELS},
    )


def _event_form(
    request: Request, user: Any, form: dict[str, str], errors: dict[str, str], status: int = 200
) -> Response:
    return render(
        request,
        "organiser/new_event.html",
        {"user": user, "form": form, "errors": errors, "timezones": TIMEZONES},
        status_code=status,
    )


@router.get("/new")
def new_event_form(request: Request, user: SignedInUser) -> Response:
    events.require_event_creator(user)
    form = {
        "name": "",
        "slug": "",
        "languages": "en, bg",
        "timezone": "Europe/Sofia",
        "venue": "",
        "description": "",
        "first_day": "",
        "day_count": "1",
    }
    return _event_form(request, user, form, {})


@router.post("/new")
def create_event(
    request: Request,
    session: SessionDep,
    user: SignedInUser,
    name: Annotated[str, Form()] = "",
    slug: Annotated[str, Form()] = "",
    languages: Annotated[str, Form()] = "",
    timezone: Annotated[str, Form()] = "UTC",
    venue: Annotated[str, Form()] = "",
    description: Annotated[str, Form()] = "",
    first_day: Annotated[str, Form()] = "",
    day_count: Annotated[str, Form()] = "1",
) -> Response:
    form = {
        "name": name,
        "slug": slug,
        "languages": languages,
        "timezone": timezone,
        "venue": venue,
        "description": description,
        "first_day": first_day,
        "day_count": day_count,
    }
    try:
        data = EventCreate(
            name=name,
            slug=slug,
            languages=events.parse_languages(languages),
            timezone=timezone,
            venue=venue,
            description=description,
            first_day=parse_date(first_day, field="first_day"),
            day_count=parse_int(day_count, field="day_count"),
        )
        event = events.create_event(session, owner=user, data=data)
    except Invalid as error:
        return _event_form(request, user, form, error.errors, status=422)
    return RedirectResponse(f"/o/{event.slug}", status_code=303)


@router.get("/{slug}")
def overview(
    request: Request, session: SessionDep, settings: SettingsDep, access: AccessDep
) -> Response:
    event = access.event
    return render(
        request,
        "organiser/overview.html",
        {
            **_staff_context(access),
            "phase_label": PHASE_LABELS.get(event.phase, event.phase),
            "join_url": join_url(settings, event),
            "board_path": events.board_path(event, settings.secret),
            "participant_count": events.participant_count(session, event_id=access.event_id),
            "days": programme.programme(session, event_id=access.event_id),
            "rooms": programme.rooms(session, event_id=access.event_id),
            "members": events.members(session, event_id=access.event_id),
            "role_labels": ROLE_LABELS,
            "kind_labels": BLOCK_KIND_LABELS,
        },
    )


def _edit_page(
    request: Request,
    access: EventAccess,
    form: dict[str, str],
    errors: dict[str, str],
    status: int = 200,
) -> Response:
    return render(
        request,
        "organiser/edit_event.html",
        {
            **_staff_context(access),
            "form": form,
            "errors": errors,
            "timezones": TIMEZONES,
        },
        status_code=status,
    )


def _event_values(event: Event) -> dict[str, str]:
    """The edit form filled in with the event as it is stored."""
    return {
        "name": event.name,
        "slug": event.slug,
        "languages": ", ".join(event.languages),
        "timezone": event.timezone,
        "venue": event.venue,
        "description": event.description,
        "report_acknowledgement": event.report_acknowledgement,
    }


@router.get("/{slug}/edit")
def edit_event_form(request: Request, access: AccessDep) -> Response:
    event = _staff(access).event
    return _edit_page(request, access, _event_values(event), {})


@router.post("/{slug}/edit")
def edit_event(
    request: Request,
    session: SessionDep,
    access: AccessDep,
    name: Annotated[str, Form()] = "",
    slug_field: Annotated[str, Form(alias="slug")] = "",
    languages: Annotated[str, Form()] = "",
    timezone: Annotated[str, Form()] = "",
    venue: Annotated[str, Form()] = "",
    description: Annotated[str, Form()] = "",
    report_acknowledgement: Annotated[str, Form()] = "",
) -> Response:
    form = {
        "name": name,
        "slug": slug_field,
        "languages": languages,
        "timezone": timezone,
        "venue": venue,
        "description": description,
        "report_acknowledgement": report_acknowledgement,
    }
    try:
        data = EventUpdate(
            name=name,
            slug=slug_field.strip().lower(),
            languages=events.parse_languages(languages),
            timezone=timezone,
            venue=venue,
            description=description,
            report_acknowledgement=report_acknowledgement,
        )
        event = events.update_event(session, access=access, data=data)
    except Invalid as error:
        return _edit_page(request, access, form, error.errors, status=422)
    return RedirectResponse(f"/o/{event.slug}", status_code=303)


@router.post("/{slug}/delete")
@quiet  # the event is gone: there is nothing left to render, and no version to keep for it
def delete_event(
    request: Request, session: SessionDep, access: AccessDep, confirm: Annotated[str, Form()] = ""
) -> Response:
    try:
        events.delete_event(session, access=access, confirm_slug=confirm)
    except Invalid as error:
        return _edit_page(request, access, _event_values(access.event), error.errors, status=422)
    return RedirectResponse("/o", status_code=303)


@router.post("/{slug}/board-link")
def rotate_board_link(session: SessionDep, access: AccessDep, hub: HubDep) -> Response:
    events.rotate_board_link(session, access=access)
    hub.revoke(access.event_id, "board")  # the screens showing the old link go dark at once
    return _back(access)


@router.post("/{slug}/join-code")
def regenerate_join_code(session: SessionDep, access: AccessDep) -> Response:
    events.regenerate_join_code(session, access=access)
    return _back(access)


# --- rooms -------------------------------------------------------------------------------


def _rooms_page(
    request: Request,
    session: SessionDep,
    access: EventAccess,
    *,
    errors: dict[str, str] | None = None,
    form: dict[str, str] | None = None,
    room_errors: dict[int, dict[str, str]] | None = None,
    status: int = 200,
) -> Response:
    return render(
        request,
        "organiser/rooms.html",
        {
            **_staff_context(access),
            "rooms": programme.rooms(session, event_id=access.event_id),
            "errors": errors or {},
            "form": form or {"name": "", "capacity": "20", "notes": ""},
            "room_errors": room_errors or {},
        },
        status_code=status,
    )


@router.get("/{slug}/rooms")
def rooms_page(request: Request, session: SessionDep, access: AccessDep) -> Response:
    return _rooms_page(request, session, _staff(access))


@router.post("/{slug}/rooms")
def add_room(
    request: Request,
    session: SessionDep,
    access: AccessDep,
    name: Annotated[str, Form()] = "",
    capacity: Annotated[str, Form()] = "",
    notes: Annotated[str, Form()] = "",
) -> Response:
    try:
        # Not validated here: the service checks every field and words the messages.
        data = RoomCreate.model_construct(
            name=name, capacity=parse_int(capacity, field="capacity"), notes=notes
        )
        programme.add_room(session, access=access, data=data)
    except Invalid as error:
        form = {"name": name, "capacity": capacity, "notes": notes}
        return _rooms_page(request, session, access, errors=error.errors, form=form, status=422)
    return _back(access, "/rooms")


@router.post("/{slug}/rooms/{room_id}")
def update_room(
    request: Request,
    session: SessionDep,
    access: AccessDep,
    room_id: int,
    name: Annotated[str, Form()] = "",
    capacity: Annotated[str, Form()] = "",
    notes: Annotated[str, Form()] = "",
) -> Response:
    try:
        data = RoomUpdate(name=name, capacity=parse_int(capacity, field="capacity"), notes=notes)
        programme.update_room(session, access=access, room_id=room_id, data=data)
    except Invalid as error:
        session.rollback()
        return _rooms_page(
            request, session, access, room_errors={room_id: error.errors}, status=422
        )
    return _back(access, "/rooms")


@router.post("/{slug}/rooms/{room_id}/move")
def move_room(
    session: SessionDep, access: AccessDep, room_id: int, offset: Annotated[int, Form()] = 0
) -> Response:
    programme.move_room(session, access=access, room_id=room_id, offset=max(-1, min(1, offset)))
    return _back(access, "/rooms")


@router.post("/{slug}/rooms/{room_id}/delete")
def delete_room(session: SessionDep, access: AccessDep, room_id: int) -> Response:
    programme.delete_room(session, access=access, room_id=room_id)
    return _back(access, "/rooms")


# --- programme ---------------------------------------------------------------------------


def _programme_page(
    request: Request,
    session: SessionDep,
    access: EventAccess,
    *,
    errors: dict[str, str] | None = None,
    error_day: int | None = None,
    form: dict[str, str] | None = None,
    status: int = 200,
) -> Response:
    return render(
        request,
        "organiser/programme.html",
        {
            **_staff_context(access),
            "days": programme.programme(session, event_id=access.event_id),
            "kind_labels": BLOCK_KIND_LABELS,
            "errors": errors or {},
            "error_day": error_day,
            "form": form or {},
        },
        status_code=status,
    )


@router.get("/{slug}/programme")
def programme_page(request: Request, session: SessionDep, access: AccessDep) -> Response:
    return _programme_page(request, session, _staff(access))


@router.post("/{slug}/days")
def add_day(
    request: Request,
    session: SessionDep,
    access: AccessDep,
    date: Annotated[str, Form()] = "",
    title: Annotated[str, Form()] = "",
) -> Response:
    try:
        programme.add_day(session, access=access, date=parse_date(date, field="date"), title=title)
    except Invalid as error:
        return _programme_page(
            request,
            session,
            access,
            errors=error.errors,
            form={"date": date, "title": title},
            status=422,
        )
    return _back(access, "/programme")


@router.post("/{slug}/days/{day_id}/delete")
def delete_day(session: SessionDep, access: AccessDep, day_id: int) -> Response:
    programme.delete_day(session, access=access, day_id=day_id)
    return _back(access, "/programme")


def _block_data(
    kind: str, starts_at: str, ends_at: str, title: str, presenter: str
) -> TimeBlockCreate:
    errors: dict[str, str] = {}
    times = {}
    for field, raw in (("starts_at", starts_at), ("ends_at", ends_at)):
        try:
            times[field] = parse_time(raw, field=field)
        except Invalid as error:
            errors.update(error.errors)
    if errors:
        raise Invalid(errors)
    # Not validated here: the service checks every field and words the messages.
    return TimeBlockCreate.model_construct(
        kind=kind,
        starts_at=times["starts_at"],
        ends_at=times["ends_at"],
        title=title,
        presenter=presenter,
    )


@router.post("/{slug}/days/{day_id}/blocks")
def add_block(
    request: Request,
    session: SessionDep,
    access: AccessDep,
    day_id: int,
    kind: Annotated[str, Form()] = "slot",
    starts_at: Annotated[str, Form()] = "",
    ends_at: Annotated[str, Form()] = "",
    title: Annotated[str, Form()] = "",
    presenter: Annotated[str, Form()] = "",
) -> Response:
    try:
        data = _block_data(kind, starts_at, ends_at, title, presenter)
        programme.add_block(session, access=access, day_id=day_id, data=data)
    except Invalid as error:
        form = {
            "kind": kind,
            "starts_at": starts_at,
            "ends_at": ends_at,
            "title": title,
            "presenter": presenter,
        }
        return _programme_page(
            request, session, access, errors=error.errors, error_day=day_id, form=form, status=422
        )
    return _back(access, "/programme")


@router.post("/{slug}/blocks/{block_id}/delete")
def delete_block(session: SessionDep, access: AccessDep, block_id: int) -> Response:
    programme.delete_block(session, access=access, block_id=block_id)
    return _back(access, "/programme")


# --- team and participants ---------------------------------------------------------------


def _team_page(
    request: Request,
    session: SessionDep,
    access: EventAccess,
    *,
    new_link: str = "",
    errors: dict[str, str] | None = None,
    status: int = 200,
) -> Response:
    return render(
        request,
        "organiser/team.html",
        {
            **_staff_context(access),
            "members": events.members(session, event_id=access.event_id),
            "invitations": events.pending_invitations(session, event_id=access.event_id),
            "role_labels": ROLE_LABELS,
            "new_link": new_link,
            "errors": errors or {},
            "is_organiser": access.role == Role.ORGANISER,
        },
        status_code=status,
    )


@router.get("/{slug}/team")
def team_page(request: Request, session: SessionDep, access: AccessDep) -> Response:
    return _team_page(request, session, _staff(access))


@router.post("/{slug}/team/invite")
def invite(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    access: AccessDep,
    note: Annotated[str, Form()] = "",
) -> Response:
    try:
        token = events.invite_facilitator(session, access=access, note=note)
    except Invalid as error:
        return _team_page(request, session, access, errors=error.errors, status=422)
    # The link is shown once: only its hash is stored.
    return _team_page(request, session, access, new_link=f"{settings.base_url}/invite/{token}")


@router.post("/{slug}/team/invitations/{invitation_id}/revoke")
def revoke_invitation(session: SessionDep, access: AccessDep, invitation_id: int) -> Response:
    events.revoke_invitation(session, access=access, invitation_id=invitation_id)
    return _back(access, "/team")


@router.post("/{slug}/team/members/{user_id}/remove")
def remove_member(session: SessionDep, access: AccessDep, hub: HubDep, user_id: int) -> Response:
    member_id = events.remove_member(session, access=access, user_id=user_id)
    hub.revoke(access.event_id, "staff", [member_id])  # their open pages lose the live view
    return _back(access, "/team")


@router.get("/{slug}/participants")
def participants_page(request: Request, session: SessionDep, access: AccessDep) -> Response:
    return render(
        request,
        "organiser/participants.html",
        {
            **_staff_context(access),
            "participants": participants.participants(session, access=access),
            "org_type_labels": ORG_TYPE_LABELS,
        },
    )


@router.get("/{slug}/poster")
def poster(request: Request, settings: SettingsDep, access: AccessDep) -> Response:
    event = _staff(access).event
    url = join_url(settings, event)
    return render(
        request,
        "organiser/poster.html",
        {"event": event, "join_url": url, "qr": qr_svg(url, scale=12)},
    )
