"""The participant's phone: entering the code, the join form, home, profile, personal link."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import RedirectResponse, Response

from app.db import SessionDep
from app.deps import AccessDep, AuthDep, HubDep, SettingsDep, ensure_auth, verify_csrf
from app.errors import Invalid, RateLimited
from app.i18n import LOCALES
from app.models.events import Event, Role
from app.models.people import ORG_TYPE_LABELS, ParticipantCreate, ParticipantUpdate
from app.routes.marketplace import participant_page
from app.security import token_hash
from app.services import people
from app.services.access import resolve
from app.services.qr import join_url, qr_svg
from app.templating import render
from app.web import LANG_COOKIE

router = APIRouter(dependencies=[Depends(verify_csrf)])


def _address(request: Request) -> str:
    return request.client.host if request.client else "unknown"


def _home_in_language(request: Request, event: Event, locale: str) -> RedirectResponse:
    """To the event's home, remembering the person's language for their next visit."""
    response = RedirectResponse(f"/e/{event.slug}", status_code=303)
    if locale in LOCALES:
        response.set_cookie(
            LANG_COOKIE,
            locale,
            max_age=365 * 86400,
            httponly=True,
            samesite="lax",
            secure=request.app.state.settings.secure_cookies,
        )
    return response


def _event_for_code(
    request: Request, session: SessionDep, settings: SettingsDep, code: str
) -> Event:
    # Wrong codes count per browser (its cookie) and, more generously, per address.
    return people.find_event_by_code(
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
        request, "participant/code.html", {"errors": errors or {}, "code": code}, status_code=status
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
    event: Event,
    form: dict[str, object],
    errors: dict[str, str],
    status: int = 200,
) -> Response:
    return render(
        request,
        "participant/join.html",
        {"event": event, "form": form, "errors": errors, "org_type_labels": ORG_TYPE_LABELS},
        status_code=status,
    )


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
    form = {
        "name": "",
        "organisation": "",
        "org_type": "",
        "locale": request.state.locale,
        "consent_report": False,
    }
    return _join_page(request, event, form, {})


@router.post("/j/{code}")
def join(
    request: Request,
    code: str,
    session: SessionDep,
    settings: SettingsDep,
    auth: AuthDep,
    hub: HubDep,
    name: Annotated[str, Form()] = "",
    organisation: Annotated[str, Form()] = "",
    org_type: Annotated[str, Form()] = "",
    locale: Annotated[str, Form()] = "en",
    consent_report: Annotated[bool, Form()] = False,
) -> Response:
    event = _event_for_code(request, session, settings, code)
    # Not validated here: the service checks every field and words the messages.
    data = ParticipantCreate.model_construct(
        name=name,
        organisation=organisation,
        org_type=org_type,
        locale=locale,
        consent_report=consent_report,
    )
    try:
        people.join(session, event=event, data=data, auth=ensure_auth(request, session, auth))
    except Invalid as error:
        session.rollback()
        return _join_page(request, event, data.model_dump(), error.errors, status=422)
    hub.changed(event.id or 0)  # the board counts participants
    return _home_in_language(request, event, locale)


@router.get("/e/{slug}")
def participant_home(request: Request, session: SessionDep, access: AccessDep) -> Response:
    if access.participant is None:
        if access.is_staff:
            return RedirectResponse(f"/o/{access.event.slug}", status_code=303)
        return _code_page(request)
    return participant_page(request, session, access)


def _profile_page(
    request: Request,
    access: AccessDep,
    settings: SettingsDep,
    form: dict[str, object],
    errors: dict[str, str],
    status: int = 200,
) -> Response:
    assert access.participant is not None
    token = people.personal_token(access.participant, settings.secret)
    return render(
        request,
        "participant/me.html",
        {
            "event": access.event,
            "participant": access.participant,
            "form": form,
            "errors": errors,
            "org_type_labels": ORG_TYPE_LABELS,
            "personal_link": f"{settings.base_url}/e/{access.event.slug}/p/{token}",
        },
        status_code=status,
    )


@router.get("/e/{slug}/me")
def profile(request: Request, access: AccessDep, settings: SettingsDep) -> Response:
    if access.participant is None:
        return RedirectResponse(f"/e/{access.event.slug}", status_code=303)
    return _profile_page(request, access, settings, access.participant.model_dump(), {})


@router.post("/e/{slug}/me")
def update_profile(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    access: AccessDep,
    hub: HubDep,
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
        people.update_profile(session, access=access, data=data)
    except Invalid as error:
        session.rollback()
        return _profile_page(request, access, settings, data.model_dump(), error.errors, status=422)
    hub.changed(access.event_id)  # a new name shows on the topics this person convenes
    return _home_in_language(request, access.event, locale)


@router.post("/e/{slug}/me/new-link")
def reset_personal_link(session: SessionDep, access: AccessDep) -> Response:
    people.reset_personal_link(session, access=access)
    return RedirectResponse(f"/e/{access.event.slug}/me", status_code=303)


@router.get("/e/{slug}/p/{token}")
def personal_link(
    request: Request, session: SessionDep, settings: SettingsDep, access: AccessDep, token: str
) -> Response:
    participant = people.participant_by_token(
        session, event=access.event, token=token, secret=settings.secret
    )
    # Opening a link changes nothing: the person confirms with a button (no state change on GET).
    return render(
        request,
        "participant/claim.html",
        {"event": access.event, "participant": participant, "token": token},
    )


@router.post("/e/{slug}/p/{token}")
def claim_personal_link(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    auth: AuthDep,
    access: AccessDep,
    token: str,
) -> Response:
    participant = people.participant_by_token(
        session, event=access.event, token=token, secret=settings.secret
    )
    people.claim(session, participant=participant, auth=ensure_auth(request, session, auth))
    return _home_in_language(request, access.event, participant.locale)


@router.get("/e/{slug}/qr.svg")
def join_qr(settings: SettingsDep, access: AccessDep) -> Response:
    # The QR carries the join code: only those already in the event may pass it on.
    access.require(Role.ORGANISER, Role.FACILITATOR, Role.PARTICIPANT)
    svg = qr_svg(join_url(settings, access.event))
    return Response(
        svg, media_type="image/svg+xml", headers={"Cache-Control": "private, max-age=300"}
    )
