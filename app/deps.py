"""Typed dependencies shared by the routes: settings, who is asking, CSRF, event access."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request
from pydantic import TypeAdapter, ValidationError
from sqlmodel import Session
from starlette.requests import HTTPConnection

from app.config import Settings
from app.db import UNSAFE_METHODS, SessionDep, reading
from app.errors import Invalid, NotFound, NotSignedIn, PermissionDenied
from app.i18n import _
from app.models.base import MAX_ID, id_of
from app.models.people import AuthSession, User
from app.realtime.hub import Hub
from app.realtime.notify import for_event
from app.services.access import (
    EventAccess,
    event_by_slug,
    outsider_error,
    resolve,
    unknown_event,
)
from app.services.people import accounts
from app.web import csrf_ok

_ID = TypeAdapter(int)


async def valid_ids(connection: HTTPConnection) -> None:
    """An id in the path must fit an INTEGER column: a huge (or hugely negative) number in a
    hand-made URL would otherwise fail inside the database driver (a 500) instead of finding
    nothing. Parsed as the route will parse it, which takes "1e0"-like forms too."""
    for name, value in connection.path_params.items():
        if not name.endswith("_id"):
            continue
        try:
            number = _ID.validate_python(value)
        except ValidationError:
            continue  # not a number at all: the route's own validation refuses it
        if not 0 < number <= MAX_ID:
            raise NotFound(_("There is nothing at this address."))


FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")


async def no_nul_in_forms(connection: HTTPConnection) -> None:
    """Refuse a NUL byte anywhere in a submitted form, before any route sees it.

    Nobody types one; PostgreSQL refuses it in text while SQLite would store it, so without
    this the same hand-made request would fail on one database and be kept on the other.
    """
    if not isinstance(connection, Request) or connection.method not in UNSAFE_METHODS:
        return
    if not connection.headers.get("content-type", "").startswith(FORM_TYPES):
        return
    form = await connection.form()  # parsed once: Starlette keeps it for the route
    for name, value in form.multi_items():
        if "\x00" in name or (isinstance(value, str) and "\x00" in value):
            raise Invalid({name: _("Some of what was sent could not be understood.")})


async def get_settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


SettingsDep = Annotated[Settings, Depends(get_settings)]


async def verify_csrf(request: Request) -> None:
    """Every state change carries the token bound to this browser's cookie.

    The token comes in the ``X-CSRF-Token`` header (htmx sends it from ``<body hx-headers>``)
    or in a ``csrf_token`` form field. Starlette caches the parsed form, so the route can
    read it again.
    """
    if request.method not in UNSAFE_METHODS:
        return
    token = request.headers.get("x-csrf-token")
    if token is None:
        content_type = request.headers.get("content-type", "")
        if content_type.startswith(("application/x-www-form-urlencoded", "multipart/form-data")):
            form = await request.form()
            value = form.get("csrf_token")
            token = value if isinstance(value, str) else None
    sid = None if request.state.sid_is_new else request.state.sid
    if not csrf_ok(sid, token, request.app.state.settings.secret):
        raise PermissionDenied(
            _("This form has expired. Reload the page and try again."), field="csrf"
        )


def _identity(request: Request, session: Session) -> tuple[AuthSession | None, User | None]:
    """Who is asking: the browser's session record and its user, looked up once per request."""
    cached: tuple[AuthSession | None, User | None] | None = getattr(request.state, "identity", None)
    if cached is not None:
        return cached
    auth = user = None
    if not request.state.sid_is_new:
        auth = accounts.load_session(session, token=request.state.sid)
        if auth is not None and auth.user_id is not None:
            user = session.get(User, auth.user_id)
    request.state.identity = (auth, user)
    return auth, user


def get_auth(request: Request, session: SessionDep) -> AuthSession | None:
    with reading(session):
        return _identity(request, session)[0]


AuthDep = Annotated[AuthSession | None, Depends(get_auth)]


def get_user(request: Request, session: SessionDep) -> User | None:
    with reading(session):
        return _identity(request, session)[1]


UserDep = Annotated[User | None, Depends(get_user)]


async def require_user(user: UserDep) -> User:
    if user is None:
        raise NotSignedIn(_("Please sign in first."))
    return user


SignedInUser = Annotated[User, Depends(require_user)]


def ensure_auth(request: Request, session: Session, auth: AuthSession | None) -> AuthSession:
    """The server-side record for this browser, created on first need (joining an event)."""
    if auth is not None:
        return auth
    settings: Settings = request.app.state.settings
    return accounts.start_session(session, token=request.state.sid, user_id=None, settings=settings)


def get_visitor_access(request: Request, slug: str, session: SessionDep) -> EventAccess:
    """Whoever asks, member or not: for the few pages that let people in by a credential of
    their own (a personal link, a door sign's key, a calendar key, the board's cookie)."""
    # One worker-thread hop for everything (not one per dependency): under load each hop
    # waits for the event loop, which may be busy fanning a frame out.
    with reading(session):
        auth, user = _identity(request, session)
        try:
            event = event_by_slug(session, slug)
        except NotFound:
            # No slug probing: a stranger gets the same answer for a real event and a made-up
            # one (see ``unknown_event``).
            return EventAccess(event=unknown_event(slug), role=None, user=user)
        for_event(request, id_of(event))  # a successful write to it tells its live screens
        return resolve(session, event=event, user=user, session_id=auth.id if auth else None)


VisitorDep = Annotated[EventAccess, Depends(get_visitor_access)]


def get_event_access(request: Request, slug: str, session: SessionDep) -> EventAccess:
    """Someone of the event (staff or participant). Everyone else is turned away here, before
    any route looks anything up, so an outsider hears the same whether the event, the topic
    or the photo they named exists or not."""
    access = get_visitor_access(request, slug, session)
    if access.role is None:
        raise outsider_error(request.url.path, signed_in=access.user is not None)
    return access


AccessDep = Annotated[EventAccess, Depends(get_event_access)]


async def get_hub(request: Request) -> Hub:
    hub: Hub = request.app.state.hub
    return hub


HubDep = Annotated[Hub, Depends(get_hub)]
