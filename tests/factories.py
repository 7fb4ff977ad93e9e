"""Plain factory functions for tests: they go through the services, like the app does."""

from __future__ import annotations

import datetime as dt
import itertools
import re
from html import unescape

from fastapi.testclient import TestClient
from httpx import Response
from sqlmodel import Session

from app.config import Settings
from app.models.events import Event, EventCreate
from app.models.people import AuthSession, Participant, ParticipantCreate, User
from app.security import new_token
from app.services.access import EventAccess, resolve
from app.services.events import events
from app.services.people import accounts, participants
from app.web import SID_COOKIE, csrf_token

PASSWORD = "correct horse battery"
_numbers = itertools.count(1)


def make_user(
    session: Session, *, email: str | None = None, organiser: bool = True, name: str = "Ana"
) -> User:
    email = email or f"user{next(_numbers)}@example.org"
    return accounts.create_user(
        session, email=email, name=name, password=PASSWORD, can_create_events=organiser
    )


def make_event(
    session: Session,
    *,
    owner: User | None = None,
    name: str | None = None,
    days: int = 1,
    first_day: dt.date = dt.date(2026, 6, 9),
) -> Event:
    owner = owner or make_user(session)
    name = name or f"Lab {next(_numbers)}"
    return events.create_event(
        session,
        owner=owner,
        data=EventCreate(
            name=name,
            languages=["en", "bg"],
            timezone="Europe/Sofia",
            first_day=first_day,
            day_count=days,
        ),
    )


def make_participant(
    session: Session, settings: Settings, *, event: Event, name: str = "Mira", **values: object
) -> tuple[Participant, AuthSession]:
    auth = accounts.start_session(session, token=new_token(), user_id=None, settings=settings)
    participant = participants.join(
        session, event=event, data=ParticipantCreate(name=name, **values), auth=auth
    )  # type: ignore[arg-type]
    return participant, auth


def access_as(
    session: Session, event: Event, *, user: User | None = None, auth: AuthSession | None = None
) -> EventAccess:
    return resolve(session, event=event, user=user, session_id=auth.id if auth else None)


# --- HTTP helpers ------------------------------------------------------------------------


def csrf(client: TestClient, settings: Settings) -> str:
    """The CSRF token for the client's browser cookie (visiting a page first if needed)."""
    if SID_COOKIE not in client.cookies:
        client.get("/healthz")
    return csrf_token(client.cookies[SID_COOKIE], settings.secret)


def post(
    client: TestClient, settings: Settings, url: str, data: dict[str, str] | None = None
) -> Response:
    """Submit a form as a browser would, with the CSRF token, without following redirects."""
    return client.post(
        url, data={**(data or {}), "csrf_token": csrf(client, settings)}, follow_redirects=False
    )


def login(client: TestClient, settings: Settings, user: User) -> None:
    response = post(client, settings, "/login", {"email": user.email, "password": PASSWORD})
    assert response.status_code == 303, response.text


def field_error(html: str, field: str) -> str | None:
    """The message shown next to ``field`` on a re-rendered form, if any."""
    match = re.search(
        rf'<p class="field-error" id="{re.escape(field)}-error" role="alert">([^<]*)</p>', html
    )
    return unescape(match.group(1)) if match else None
