"""Events for organisers and facilitators (laptop): the list, a new event, its overview and
settings, links and codes, the poster, the team; and running it live: the control panel, the
phase and the rules."""

from __future__ import annotations

from typing import Annotated, Any
from zoneinfo import available_timezones

from fastapi import APIRouter, Depends, File, Form, Request, UploadFile
from fastapi.responses import FileResponse, RedirectResponse, Response

from app.db import SessionDep
from app.deps import AccessDep, HubDep, SettingsDep, SignedInUser, verify_csrf
from app.errors import DomainError, Invalid, RateLimited
from app.forms import parse_date, parse_int
from app.i18n import board_locales, use_locale
from app.models.events import (
    BLOCK_KIND_LABELS,
    PHASE_LABELS,
    ROLE_LABELS,
    Event,
    EventCreate,
    EventUpdate,
    Role,
)
from app.pages import control_panel, staff, staff_back, staff_context
from app.realtime.notify import EventRoute, quiet
from app.services.access import EventAccess
from app.services.events import events, hosts, logos, phases, programme, retention, team
from app.services.qr import join_url, qr_svg
from app.templating import render

router = APIRouter(prefix="/o", dependencies=[Depends(verify_csrf)], route_class=EventRoute)

TIMEZONES = sorted(available_timezones())


@router.get("")
def dashboard(request: Request, session: SessionDep, user: SignedInUser) -> Response:
    rows = events.events_for_user(session, user=user)
    return render(
        request,
        "events/dashboard.html",
        {"user": user, "rows": rows, "role_labels": ROLE_LABELS},
    )


def _event_form(
    request: Request, user: Any, form: dict[str, str], errors: dict[str, str], status: int = 200
) -> Response:
    return render(
        request,
        "events/new.html",
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
        "events/overview.html",
        {
            **staff_context(access),
            "phase_label": PHASE_LABELS.get(event.phase, event.phase),
            "join_url": join_url(settings, event),
            "board_path": events.board_path(event, settings.secret),
            "participant_count": events.participant_count(session, event_id=access.event_id),
            "days": programme.programme(session, event_id=access.event_id),
            "rooms": programme.rooms(session, event_id=access.event_id),
            "members": team.members(session, event_id=access.event_id),
            "role_labels": ROLE_LABELS,
            "kind_labels": BLOCK_KIND_LABELS,
            "retention": retention.retention(session, event=event),
            "notice": retention.notice(session, event=event),
        },
    )


def _edit_page(
    request: Request,
    session: SessionDep,
    access: EventAccess,
    form: dict[str, str],
    errors: dict[str, str],
    status: int = 200,
) -> Response:
    return render(
        request,
        "events/edit.html",
        {
            **staff_context(access),
            "form": form,
            "errors": errors,
            "timezones": TIMEZONES,
            "is_organiser": access.role == Role.ORGANISER,
            "retention": retention.retention(session, event=access.event),
            "hosts": hosts.of_event(session, event_id=access.event_id),
            "max_hosts": hosts.MAX_HOSTS,
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
        "report_summary": event.report_summary,
        "privacy_contact": event.privacy_contact,
        "retention_days": str(event.retention_days),
    }


@router.get("/{slug}/edit")
def edit_event_form(request: Request, session: SessionDep, access: AccessDep) -> Response:
    event = staff(access).event
    return _edit_page(request, session, access, _event_values(event), {})


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
    organiser_fields: Annotated[bool, Form()] = False,
    report_summary: Annotated[str, Form()] = "",
    privacy_contact: Annotated[str, Form()] = "",
    retention_days: Annotated[str, Form()] = "",
) -> Response:
    # Only an organiser's form has the organisers' fields (it says so: an empty field is sent
    # as nothing at all), so a facilitator's save leaves them as they are.
    sent = (
        {
            "report_summary": report_summary,
            "privacy_contact": privacy_contact,
            "retention_days": retention_days,
        }
        if organiser_fields
        else {}
    )
    form = {
        **_event_values(access.event),
        "name": name,
        "slug": slug_field,
        "languages": languages,
        "timezone": timezone,
        "venue": venue,
        "description": description,
        "report_acknowledgement": report_acknowledgement,
        **sent,
    }
    try:
        values: dict[str, object] = {**sent}
        if organiser_fields:
            values["retention_days"] = parse_int(retention_days, field="retention_days")
        data = EventUpdate.model_validate(
            {
                "name": name,
                "slug": slug_field.strip().lower(),
                "languages": events.parse_languages(languages),
                "timezone": timezone,
                "venue": venue,
                "description": description,
                "report_acknowledgement": report_acknowledgement,
                **values,
            }
        )
        event = events.update_event(session, access=access, data=data)
    except Invalid as error:
        return _edit_page(request, session, access, form, error.errors, status=422)
    return RedirectResponse(f"/o/{event.slug}", status_code=303)


@router.post("/{slug}/delete")
@quiet  # the event is gone: there is nothing left to render, and no version to keep for it
def delete_event(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    access: AccessDep,
    confirm: Annotated[str, Form()] = "",
) -> Response:
    try:
        events.delete_event(
            session, access=access, confirm_slug=confirm, upload_dir=settings.uploads_path
        )
    except Invalid as error:
        values = _event_values(access.event)
        return _edit_page(request, session, access, values, error.errors, status=422)
    return RedirectResponse("/o", status_code=303)


@router.post("/{slug}/board-link")
def rotate_board_link(session: SessionDep, access: AccessDep, hub: HubDep) -> Response:
    events.rotate_board_link(session, access=access)
    hub.revoke(access.event_id, "board")  # the screens showing the old link go dark at once
    return staff_back(access)


@router.post("/{slug}/join-code")
def regenerate_join_code(session: SessionDep, access: AccessDep) -> Response:
    events.regenerate_join_code(session, access=access)
    return staff_back(access)


@router.get("/{slug}/poster")
def poster(request: Request, settings: SettingsDep, access: AccessDep, lang: str = "") -> Response:
    event = staff(access).event
    url = join_url(settings, event)
    # Printed for the room, so in the event's language (and its second), as the board is.
    locale, second = board_locales(event.languages, lang)
    with use_locale(locale):
        return render(
            request,
            "events/poster.html",
            {
                "event": event,
                "locale": locale,
                "second_locale": second,
                "join_url": url,
                "qr": qr_svg(url, scale=12),
            },
        )


# --- the organisations that run the event (on the edit page) --------------------------------


def _hosts_refused(
    request: Request,
    session: SessionDep,
    access: EventAccess,
    prefix: str,
    error: DomainError,
    name: str | None = None,
) -> Response:
    """The edit page again, the message next to the organisation's field that was refused
    and the name as it was typed."""
    session.rollback()
    field = error.field or "name"
    values = _event_values(access.event)
    if name is not None:
        values[f"{prefix}name"] = name
    errors = {f"{prefix}{field}": error.message}
    return _edit_page(request, session, access, values, errors, status=error.status_code)


def _upload(upload: UploadFile | None) -> tuple[bytes, str]:
    # At most one byte past the limit: the size check needs no more.
    if upload is None:
        return b"", ""
    return upload.file.read(logos.MAX_BYTES + 1), upload.filename or ""


@router.post("/{slug}/hosts")
def add_host(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    access: AccessDep,
    name: Annotated[str, Form()] = "",
    logo: Annotated[UploadFile | None, File()] = None,
) -> Response:
    data, filename = _upload(logo)
    try:
        hosts.add(
            session,
            access=access,
            name=name,
            logo=data,
            filename=filename,
            upload_dir=settings.uploads_path,
        )
    except (Invalid, RateLimited) as error:
        return _hosts_refused(request, session, access, "new_host_", error, name)
    return staff_back(access, "/edit#hosts")


@router.post("/{slug}/hosts/{host_id}/name")
def rename_host(
    request: Request,
    session: SessionDep,
    access: AccessDep,
    host_id: int,
    name: Annotated[str, Form()] = "",
) -> Response:
    try:
        hosts.rename(session, access=access, host_id=host_id, name=name)
    except Invalid as error:
        return _hosts_refused(request, session, access, f"host_{host_id}_", error, name)
    return staff_back(access, f"/edit#host-{host_id}")


@router.post("/{slug}/hosts/{host_id}/logo")
def set_host_logo(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    access: AccessDep,
    host_id: int,
    logo: Annotated[UploadFile | None, File()] = None,
) -> Response:
    data, filename = _upload(logo)
    try:
        hosts.set_logo(
            session,
            access=access,
            host_id=host_id,
            data=data,
            filename=filename,
            upload_dir=settings.uploads_path,
        )
    except (Invalid, RateLimited) as error:
        return _hosts_refused(request, session, access, f"host_{host_id}_", error)
    return staff_back(access, f"/edit#host-{host_id}")


@router.post("/{slug}/hosts/{host_id}/logo/delete")
def remove_host_logo(
    session: SessionDep, settings: SettingsDep, access: AccessDep, host_id: int
) -> Response:
    hosts.remove_logo(session, access=access, host_id=host_id, upload_dir=settings.uploads_path)
    return staff_back(access, f"/edit#host-{host_id}")


@router.post("/{slug}/hosts/{host_id}/move")
def move_host(
    session: SessionDep,
    access: AccessDep,
    host_id: int,
    direction: Annotated[str, Form()] = "",
) -> Response:
    hosts.move(session, access=access, host_id=host_id, step=-1 if direction == "up" else 1)
    return staff_back(access, f"/edit#host-{host_id}")


@router.post("/{slug}/hosts/{host_id}/delete")
def delete_host(
    session: SessionDep, settings: SettingsDep, access: AccessDep, host_id: int
) -> Response:
    hosts.delete(session, access=access, host_id=host_id, upload_dir=settings.uploads_path)
    return staff_back(access, "/edit#hosts")


@router.get("/{slug}/hosts/{host_id}/logo")
def host_logo(
    session: SessionDep, settings: SettingsDep, access: AccessDep, host_id: int
) -> Response:
    path = hosts.viewable_logo(
        session, access=access, host_id=host_id, upload_dir=settings.uploads_path
    )
    return FileResponse(
        path,
        media_type="image/png",  # the logos service writes PNG only
        headers={
            "Content-Disposition": "inline",
            "Cache-Control": "private, max-age=86400",
            "X-Content-Type-Options": "nosniff",
        },
    )


# --- the team ----------------------------------------------------------------------------


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
        "events/team.html",
        {
            **staff_context(access),
            "members": team.members(session, event_id=access.event_id),
            "invitations": team.pending_invitations(session, event_id=access.event_id),
            "role_labels": ROLE_LABELS,
            "new_link": new_link,
            "errors": errors or {},
            "is_organiser": access.role == Role.ORGANISER,
        },
        status_code=status,
    )


@router.get("/{slug}/team")
def team_page(request: Request, session: SessionDep, access: AccessDep) -> Response:
    return _team_page(request, session, staff(access))


@router.post("/{slug}/team/invite")
def invite(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    access: AccessDep,
    note: Annotated[str, Form()] = "",
) -> Response:
    try:
        token = team.invite_facilitator(session, access=access, note=note)
    except Invalid as error:
        return _team_page(request, session, access, errors=error.errors, status=422)
    # The link is shown once: only its hash is stored.
    return _team_page(request, session, access, new_link=f"{settings.base_url}/invite/{token}")


@router.post("/{slug}/team/invitations/{invitation_id}/revoke")
def revoke_invitation(session: SessionDep, access: AccessDep, invitation_id: int) -> Response:
    team.revoke_invitation(session, access=access, invitation_id=invitation_id)
    return staff_back(access, "/team")


@router.post("/{slug}/team/members/{user_id}/remove")
def remove_member(session: SessionDep, access: AccessDep, hub: HubDep, user_id: int) -> Response:
    member_id = team.remove_member(session, access=access, user_id=user_id)
    hub.revoke(access.event_id, "staff", [member_id])  # their open pages lose the live view
    return staff_back(access, "/team")


# --- running the event: the control panel, phase and rules -------------------------------


@router.get("/{slug}/live")
def panel(request: Request, session: SessionDep, access: AccessDep) -> Response:
    return control_panel(request, session, access)


@router.post("/{slug}/phase")
def set_phase(
    session: SessionDep, access: AccessDep, phase: Annotated[str, Form()] = ""
) -> Response:
    phases.set_phase(session, access=access, phase=phase)
    return staff_back(access, "/live")


@router.post("/{slug}/rules")
def update_rules(
    request: Request,
    session: SessionDep,
    access: AccessDep,
    dots_per_participant: Annotated[str, Form()] = "",
    max_dots_per_topic: Annotated[str, Form()] = "",
    pitch_seconds: Annotated[str, Form()] = "",
    blind_voting: Annotated[bool, Form()] = False,
    board_hides_tallies: Annotated[bool, Form()] = False,
    proposals_while_voting: Annotated[bool, Form()] = False,
) -> Response:
    try:
        phases.update_rules(
            session,
            access=access,
            dots_per_participant=parse_int(dots_per_participant, field="dots_per_participant"),
            max_dots_per_topic=parse_int(max_dots_per_topic, field="max_dots_per_topic"),
            pitch_seconds=parse_int(pitch_seconds, field="pitch_seconds"),
            blind_voting=blind_voting,
            board_hides_tallies=board_hides_tallies,
            proposals_while_voting=proposals_while_voting,
        )
    except Invalid as error:
        session.rollback()
        form = {
            "dots_per_participant": dots_per_participant,
            "max_dots_per_topic": max_dots_per_topic,
            "pitch_seconds": pitch_seconds,
            # Boxes come back as ticked, not as stored ("" is unticked).
            "blind_voting": "true" if blind_voting else "",
            "board_hides_tallies": "true" if board_hides_tallies else "",
            "proposals_while_voting": "true" if proposals_while_voting else "",
        }
        return control_panel(request, session, access, errors=error.errors, form=form, status=422)
    return staff_back(access, "/live#rules")
