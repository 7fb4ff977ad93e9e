"""People in an event. On the phone: entering the code, joining (also from a door sign), home,
profile, devices, the personal link, the join QR, and one's data rights (download it, be
forgotten); for organisers, the participants list, and forgetting someone who asked."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import JSONResponse, RedirectResponse, Response

from app.config import Settings
from app.db import SessionDep
from app.deps import (
    AccessDep,
    AuthDep,
    HubDep,
    SettingsDep,
    VisitorDep,
    ensure_auth,
    verify_csrf,
)
from app.errors import Invalid, NotFound, RateLimited
from app.i18n import LOCALES, _, newcomer_locale, use_locale
from app.models.base import id_of
from app.models.events import Event, Role
from app.models.people import ORG_TYPE_LABELS, ParticipantCreate, ParticipantUpdate
from app.pages import participant_page
from app.realtime.notify import EventRoute, for_event
from app.security import token_hash
from app.services import navigation
from app.services.access import EventAccess, resolve
from app.services.events import retention
from app.services.people import participants, privacy
from app.services.qr import join_url, qr_svg
from app.services.schedule import agenda, checkins
from app.templating import render
from app.web import remember_language

router = APIRouter(dependencies=[Depends(verify_csrf)], route_class=EventRoute)


def _address(request: Request) -> str:
    return request.client.host if request.client else "unknown"


def _device_label(request: Request) -> str:
    return participants.device_label(request.headers.get("user-agent", ""))


def _home_in_language(
    request: Request, event: Event, locale: str, *, to: str = ""
) -> RedirectResponse:
    """To the event's home (or ``to``), remembering the person's language for their next visit."""
    response = RedirectResponse(to or f"/e/{event.slug}", status_code=303)
    remember_language(response, locale, secure=request.app.state.settings.secure_cookies)
    return response


def _event_for_code(
    request: Request, session: SessionDep, settings: SettingsDep, code: str
) -> Event:
    # Wrong codes count per browser (its cookie) and, more generously, per address.
    return participants.find_event_by_code(
        session,
        code=code,
        browser_key=token_hash(request.state.sid),
        address=_address(request),
        settings=settings,
    )


def _code_page(
    request: Request, *, code: str = "", errors: dict[str, str] | None = None, status: int = 200
) -> Response:
    """The form that asks for an event's code."""
    return render(
        request, "people/code.html", {"errors": errors or {}, "code": code}, status_code=status
    )


@router.get("/join")
def code_form(request: Request) -> Response:
    return _code_page(request)


@router.post("/join")
def enter_code(
    request: Request, session: SessionDep, settings: SettingsDep, code: Annotated[str, Form()] = ""
) -> Response:
    try:
        event = _event_for_code(request, session, settings, code)
    except Invalid as error:
        return _code_page(request, code=code, errors=error.errors, status=422)
    except RateLimited as error:
        return _code_page(request, code=code, errors={"code": error.message}, status=429)
    return RedirectResponse(f"/j/{event.join_code}", status_code=303)


def _join_page(
    request: Request,
    session: SessionDep,
    event: Event,
    form: dict[str, object],
    errors: dict[str, str],
    status: int = 200,
    *,
    action: str = "",
) -> Response:
    # The page speaks the language its form offers (a wrong value: the browser's).
    locale = str(form["locale"]) if form["locale"] in LOCALES else request.state.locale
    with use_locale(locale):
        return render(
            request,
            "people/join.html",
            {
                "event": event,
                "locale": locale,
                "form": form,
                "errors": errors,
                "org_type_labels": ORG_TYPE_LABELS,
                "action": action or f"/j/{event.join_code}",
                "notice": retention.notice(session, event=event),
            },
            status_code=status,
        )


def _empty_form(request: Request, event: Event) -> dict[str, object]:
    return {
        "name": "",
        "organisation": "",
        "org_type": "",
        "locale": _join_locale(request, event),
        "consent_report": False,
    }


def _join_locale(request: Request, event: Event) -> str:
    """The language the join page speaks and offers: the one this browser chose before, else
    the browser's own, else the event's."""
    if request.state.locale_chosen:
        return str(request.state.locale)
    return newcomer_locale(request.headers.get("accept-language"), event.languages)


def _join_as(
    request: Request,
    session: SessionDep,
    auth: AuthDep,
    event: Event,
    data: ParticipantCreate,
    *,
    action: str = "",
    then: str = "",
) -> Response:
    """Join ``event`` from this browser, or show the form again with what was wrong."""
    try:
        participants.join(
            session,
            event=event,
            data=data,
            auth=ensure_auth(request, session, auth),
            label=_device_label(request),
        )
    except Invalid as error:
        session.rollback()
        form = data.model_dump()
        return _join_page(request, session, event, form, error.errors, 422, action=action)
    for_event(request, id_of(event))  # the board counts participants: tell it
    return _home_in_language(request, event, data.locale, to=then)


@router.get("/j/{code}")
def join_form(
    request: Request, code: str, session: SessionDep, settings: SettingsDep, auth: AuthDep
) -> Response:
    try:
        event = _event_for_code(request, session, settings, code)
    except Invalid as error:
        return _code_page(request, code=code, errors=error.errors, status=404)
    except RateLimited as error:
        return _code_page(request, code=code, errors={"code": error.message}, status=429)
    access = resolve(session, event=event, user=None, session_id=auth.id if auth else None)
    if access.participant is not None:
        return RedirectResponse(f"/e/{event.slug}", status_code=303)
    return _join_page(request, session, event, _empty_form(request, event), {})


def _join_form(
    name: Annotated[str, Form()] = "",
    organisation: Annotated[str, Form()] = "",
    org_type: Annotated[str, Form()] = "",
    locale: Annotated[str, Form()] = "en",
    consent_report: Annotated[bool, Form()] = False,
) -> ParticipantCreate:
    # Not validated here: the service checks every field and words the messages.
    return ParticipantCreate.model_construct(
        name=name,
        organisation=organisation,
        org_type=org_type,
        locale=locale,
        consent_report=consent_report,
    )


JoinForm = Annotated[ParticipantCreate, Depends(_join_form)]


@router.post("/j/{code}")
def join(
    request: Request,
    code: str,
    session: SessionDep,
    settings: SettingsDep,
    auth: AuthDep,
    data: JoinForm,
) -> Response:
    event = _event_for_code(request, session, settings, code)
    return _join_as(request, session, auth, event, data)


# --- joining from a door sign: its signed key stands in for the code ---------------------


def _door_action(access: EventAccess, settings: Settings, room_id: int, key: str) -> str:
    """Where the door sign's join form posts; an invalid key is refused like a bad link."""
    key = key[:64]
    if not checkins.door_key_ok(access.event, room_id=room_id, key=key, secret=settings.secret):
        raise NotFound(_("This door sign is not valid any more. Ask for the event's code."))
    return f"/e/{access.event.slug}/rooms/{room_id}/join?k={key}"


@router.get("/e/{slug}/rooms/{room_id}/join")
def door_join_form(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    access: VisitorDep,
    room_id: int,
    k: str = "",
) -> Response:
    if access.participant is not None or access.is_staff:
        return RedirectResponse(f"/e/{access.event.slug}/rooms/{room_id}/here", status_code=303)
    action = _door_action(access, settings, room_id, k)
    return _join_page(
        request, session, access.event, _empty_form(request, access.event), {}, action=action
    )


@router.post("/e/{slug}/rooms/{room_id}/join")
def door_join(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    auth: AuthDep,
    access: VisitorDep,
    room_id: int,
    data: JoinForm,
    k: str = "",
) -> Response:
    action = _door_action(access, settings, room_id, k)
    return _join_as(
        request,
        session,
        auth,
        access.event,
        data,
        action=action,
        then=f"/e/{access.event.slug}/rooms/{room_id}/here",
    )


@router.get("/e/{slug}")
def participant_home(request: Request, session: SessionDep, access: VisitorDep) -> Response:
    if access.participant is None:
        if access.is_staff:
            return RedirectResponse(f"/o/{access.event.slug}", status_code=303)
        return _code_page(request)
    return participant_page(request, session, access)


def _profile_page(
    request: Request,
    session: SessionDep,
    access: AccessDep,
    settings: SettingsDep,
    form: dict[str, object],
    errors: dict[str, str],
    status: int = 200,
) -> Response:
    assert access.participant is not None
    token = participants.personal_token(access.participant, settings.secret)
    return render(
        request,
        "people/me.html",
        {
            "event": access.event,
            "participant": access.participant,
            "form": form,
            "errors": errors,
            "org_type_labels": ORG_TYPE_LABELS,
            "personal_link": f"{settings.base_url}/e/{access.event.slug}/p/{token}",
            "devices": participants.devices(session, access=access),
            "this_device": access.device_id,
            "zone": agenda.zone(access.event),
            "phone_nav": navigation.load(session, event=access.event),
        },
        status_code=status,
    )


@router.get("/e/{slug}/me")
def profile(
    request: Request, session: SessionDep, access: AccessDep, settings: SettingsDep
) -> Response:
    if access.participant is None:
        return RedirectResponse(f"/e/{access.event.slug}", status_code=303)
    return _profile_page(request, session, access, settings, access.participant.model_dump(), {})


@router.post("/e/{slug}/me")
def update_profile(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    access: AccessDep,
    name: Annotated[str, Form()] = "",
    organisation: Annotated[str, Form()] = "",
    org_type: Annotated[str, Form()] = "",
    locale: Annotated[str, Form()] = "en",
    consent_report: Annotated[bool, Form()] = False,
) -> Response:
    data = ParticipantUpdate(
        name=name,
        organisation=organisation,
        org_type=org_type,
        locale=locale,
        consent_report=consent_report,
    )
    try:
        participants.update_profile(session, access=access, data=data)
    except Invalid as error:
        session.rollback()
        return _profile_page(
            request, session, access, settings, data.model_dump(), error.errors, status=422
        )
    return _home_in_language(request, access.event, locale)


@router.post("/e/{slug}/me/new-link")
def reset_personal_link(session: SessionDep, access: AccessDep, hub: HubDep) -> Response:
    signed_out = participants.reset_personal_link(session, access=access)
    hub.revoke(access.event_id, "phones", signed_out)  # their open pages stop updating at once
    return RedirectResponse(f"/e/{access.event.slug}/me", status_code=303)


@router.post("/e/{slug}/me/devices/{device_id}/sign-out")
def sign_out_device(
    session: SessionDep, access: AccessDep, hub: HubDep, device_id: int
) -> Response:
    participants.sign_out_device(session, access=access, device_id=device_id)
    hub.revoke(access.event_id, "phones", [device_id])
    if device_id == access.device_id:  # this very device: it is nobody here now
        return RedirectResponse(f"/e/{access.event.slug}", status_code=303)
    return RedirectResponse(f"/e/{access.event.slug}/me#devices", status_code=303)


# --- data rights: my data, forget me -------------------------------------------------------


@router.get("/e/{slug}/me/data")
def my_data(session: SessionDep, settings: SettingsDep, access: AccessDep) -> Response:
    """Everything stored about me in this event, as a JSON file to keep."""
    data = privacy.my_data(session, access=access, base_url=settings.base_url)
    filename = f"{access.event.slug}-my-data.json"
    return JSONResponse(data, headers={"Content-Disposition": f'attachment; filename="{filename}"'})


@router.get("/e/{slug}/me/forget")
def forget_me_form(request: Request, access: AccessDep) -> Response:
    if access.participant is None:
        return RedirectResponse(f"/e/{access.event.slug}", status_code=303)
    return render(
        request,
        "people/forget.html",
        {"event": access.event, "participant": access.participant, "staff": False},
    )


@router.post("/e/{slug}/me/forget")
def forget_me(
    request: Request, session: SessionDep, settings: SettingsDep, access: AccessDep, hub: HubDep
) -> Response:
    done = privacy.forget_me(session, access=access, upload_dir=settings.uploads_path)
    hub.revoke(access.event_id, "phones", done.device_ids)  # their other phones stop at once
    return render(request, "people/forgotten.html", {"event": access.event})


@router.get("/e/{slug}/p/{token}")
def personal_link(
    request: Request, session: SessionDep, settings: SettingsDep, access: VisitorDep, token: str
) -> Response:
    participant = participants.participant_by_token(
        session, event=access.event, token=token, secret=settings.secret
    )
    # Opening a link changes nothing: the person confirms with a button (no state change on GET).
    return render(
        request,
        "people/claim.html",
        {"event": access.event, "participant": participant, "token": token},
    )


@router.post("/e/{slug}/p/{token}")
def claim_personal_link(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    auth: AuthDep,
    access: VisitorDep,
    token: str,
) -> Response:
    participant = participants.participant_by_token(
        session, event=access.event, token=token, secret=settings.secret
    )
    participants.claim(
        session,
        participant=participant,
        auth=ensure_auth(request, session, auth),
        label=_device_label(request),
    )
    return _home_in_language(request, access.event, participant.locale)


@router.get("/e/{slug}/qr.svg")
def join_qr(settings: SettingsDep, access: VisitorDep) -> Response:
    # The QR carries the join code: only those already in the event may pass it on. (A picture,
    # not a page: an outsider is refused here rather than sent to the code form.)
    access.require(Role.ORGANISER, Role.FACILITATOR, Role.PARTICIPANT)
    svg = qr_svg(join_url(settings, access.event))
    return Response(
        svg, media_type="image/svg+xml", headers={"Cache-Control": "private, max-age=300"}
    )


# --- for organisers: the participants ----------------------------------------------------


@router.get("/o/{slug}/participants/{participant_id}/forget")
def forget_participant_form(
    request: Request, session: SessionDep, access: AccessDep, participant_id: int
) -> Response:
    person = participants.in_event(session, access=access, participant_id=participant_id)
    return render(
        request,
        "people/forget.html",
        {
            "access": access,
            "event": access.event,
            "user": access.user,
            "participant": person,
            "staff": True,
        },
    )


@router.post("/o/{slug}/participants/{participant_id}/forget")
def forget_participant(
    session: SessionDep, settings: SettingsDep, access: AccessDep, hub: HubDep, participant_id: int
) -> Response:
    done = privacy.forget(
        session, access=access, participant_id=participant_id, upload_dir=settings.uploads_path
    )
    hub.revoke(access.event_id, "phones", done.device_ids)
    return RedirectResponse(
        f"/o/{access.event.slug}/participants?forgotten={done.participant_id}", status_code=303
    )


@router.get("/o/{slug}/participants")
def participants_page(
    request: Request, session: SessionDep, access: AccessDep, forgotten: int = 0
) -> Response:
    access.require_staff()
    return render(
        request,
        "people/participants.html",
        {
            "access": access,
            "event": access.event,
            "user": access.user,
            "participants": participants.participants(session, access=access),
            "org_type_labels": ORG_TYPE_LABELS,
            "forgotten": forgotten,
        },
    )
