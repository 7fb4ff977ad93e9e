"""Home page, organiser login and logout, facilitator invitations, the language switch."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import RedirectResponse, Response

from app.db import SessionDep
from app.deps import AuthDep, SettingsDep, UserDep, verify_csrf
from app.errors import Invalid, RateLimited
from app.forms import safe_next
from app.i18n import LOCALES, _
from app.services.events import team
from app.services.people import accounts
from app.templating import render
from app.web import remember_language, rotate_sid

router = APIRouter(dependencies=[Depends(verify_csrf)])


def _client_address(request: Request) -> str:
    return request.client.host if request.client else "unknown"


def _sign_in(request: Request, session: SessionDep, settings: SettingsDep, user_id: int) -> None:
    old_token = None if request.state.sid_is_new else request.state.sid
    accounts.sign_in(
        session,
        old_token=old_token,
        new_token=rotate_sid(request.state),
        user_id=user_id,
        settings=settings,
    )


@router.get("/")
def home(request: Request, user: UserDep) -> Response:
    return render(request, "home.html", {"user": user})


@router.get("/login")
def login_form(request: Request, user: UserDep, next: str = "") -> Response:
    if user is not None:
        return RedirectResponse(safe_next(next, "/o"), status_code=303)
    return render(request, "auth/login.html", {"next": next, "errors": {}, "email": ""})


@router.post("/login")
def login(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    email: Annotated[str, Form()] = "",
    password: Annotated[str, Form()] = "",
    next: Annotated[str, Form()] = "",
) -> Response:
    try:
        user = accounts.authenticate(
            session,
            email=email,
            password=password,
            address=_client_address(request),
            settings=settings,
        )
    except Invalid as error:
        return render(
            request,
            "auth/login.html",
            {"next": next, "errors": error.errors, "email": email},
            status_code=422,
        )
    except RateLimited as error:
        return render(
            request,
            "auth/login.html",
            {"next": next, "errors": {"password": error.message}, "email": email},
            status_code=429,
        )
    _sign_in(request, session, settings, user.id)  # type: ignore[arg-type]
    return RedirectResponse(safe_next(next, "/o"), status_code=303)


@router.post("/logout")
def logout(request: Request, session: SessionDep) -> Response:
    accounts.end_session(session, token=request.state.sid)
    rotate_sid(request.state)
    return RedirectResponse("/", status_code=303)


@router.post("/lang")
def choose_language(
    request: Request,
    locale: Annotated[str, Form()] = "",
    next: Annotated[str, Form()] = "/",
) -> Response:
    if locale not in LOCALES:  # only a tampered form sends one: say so, change nothing
        raise Invalid({"locale": _("Choose one of the listed languages.")})
    response = RedirectResponse(safe_next(next, "/"), status_code=303)
    remember_language(response, locale, secure=request.app.state.settings.secure_cookies)
    return response


@router.get("/invite/{token}")
def invitation(request: Request, token: str, session: SessionDep, user: UserDep) -> Response:
    _invitation, event = team.invitation_by_token(session, token=token)
    return render(
        request,
        "auth/invite.html",
        {"event": event, "token": token, "user": user, "errors": {}, "form": {}},
    )


@router.post("/invite/{token}/accept")
def accept_invitation(request: Request, token: str, session: SessionDep, user: UserDep) -> Response:
    if user is None:
        return RedirectResponse(f"/invite/{token}", status_code=303)
    event = team.accept_invitation(session, token=token, user=user)
    return RedirectResponse(f"/o/{event.slug}", status_code=303)


@router.post("/invite/{token}/register")
def register_from_invitation(
    request: Request,
    token: str,
    session: SessionDep,
    settings: SettingsDep,
    auth: AuthDep,
    name: Annotated[str, Form()] = "",
    email: Annotated[str, Form()] = "",
    password: Annotated[str, Form()] = "",
) -> Response:
    _invitation, event = team.invitation_by_token(session, token=token)
    try:
        user = accounts.create_user(session, email=email, name=name, password=password)
    except Invalid as error:
        return render(
            request,
            "auth/invite.html",
            {
                "event": event,
                "token": token,
                "user": None,
                "errors": error.errors,
                "form": {"name": name, "email": email},
            },
            status_code=422,
        )
    _sign_in(request, session, settings, user.id)  # type: ignore[arg-type]
    team.accept_invitation(session, token=token, user=user)
    return RedirectResponse(f"/o/{event.slug}", status_code=303)
