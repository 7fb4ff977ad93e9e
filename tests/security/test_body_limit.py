"""Audit item 10: only photo uploads had a size limit; any other route read any body whole.

Every request body now has its route's cap, enforced while it streams, before any parsing."""

from __future__ import annotations

from collections.abc import Iterator
from urllib.parse import urlencode

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import Engine
from starlette.requests import Request
from starlette.responses import PlainTextResponse
from starlette.types import Message, Receive, Scope, Send

from app.bodylimit import EVENT_BODY, FORM_BODY, LOGO_BODY, NOTES_BODY, BodyLimit, cap_for
from app.config import Settings
from app.models.events import (
    EVENT_DESCRIPTION_MAX,
    EVENT_NAME_MAX,
    PRIVACY_CONTACT_MAX,
    REPORT_ACKNOWLEDGEMENT_MAX,
    REPORT_SUMMARY_MAX,
    VENUE_MAX,
)
from app.models.notes import LINE_MAX, MARKDOWN_MAX
from app.models.people import User
from app.services.events import logos
from tests.factories import PASSWORD, csrf
from tests.routes.helpers import snapshot

TOO_LARGE = "What was sent is too large. Shorten it and try again."


def _login_form(
    client: TestClient, settings: Settings, owner: User, padding: int
) -> dict[str, str]:
    return {
        "email": owner.email,
        "password": PASSWORD,
        "csrf_token": csrf(client, settings),
        "padding": "x" * padding,
    }


def test_a_large_login_form_is_refused_unread(
    client: TestClient, engine: Engine, settings: Settings, owner: User
) -> None:
    before = snapshot(engine, skip=("auth_session",))
    response = client.post(
        "/login", data=_login_form(client, settings, owner, FORM_BODY), follow_redirects=False
    )
    assert (response.status_code, TOO_LARGE in response.text) == (413, True)
    assert response.headers["connection"] == "close"
    # Not counted as an attempt, not signed in: the form was never read.
    assert snapshot(engine, skip=("auth_session",)) == before
    assert client.get("/o", follow_redirects=False).status_code == 303

    fits = client.post(
        "/login", data=_login_form(client, settings, owner, 1000), follow_redirects=False
    )
    assert (fits.status_code, fits.headers["location"]) == (303, "/o")


def test_a_streamed_body_without_a_length_is_cut_off_at_the_cap(
    client: TestClient, engine: Engine, settings: Settings, owner: User
) -> None:
    body = urlencode(_login_form(client, settings, owner, 4 * FORM_BODY)).encode()
    sent: list[int] = []

    def chunks() -> Iterator[bytes]:
        for start in range(0, len(body), 4096):
            sent.append(start)
            yield body[start : start + 4096]

    before = snapshot(engine, skip=("auth_session",))
    response = client.post(
        "/login",
        content=chunks(),
        headers={"Content-Type": "application/x-www-form-urlencoded"},
        follow_redirects=False,
    )
    assert (response.status_code, TOO_LARGE in response.text) == (413, True)
    assert snapshot(engine, skip=("auth_session",)) == before


@pytest.mark.anyio
async def test_the_cap_stops_reading_as_soon_as_it_is_passed(app: FastAPI) -> None:
    """The middleware on its own, in front of a tiny app that reads all it is given."""
    read: list[int] = []

    async def reader(scope: Scope, receive: Receive, send: Send) -> None:
        request = Request(scope, receive)
        async for chunk in request.stream():
            read.append(len(chunk))
        await PlainTextResponse("read it all")(scope, receive, send)

    chunk = b"x" * 8192
    offered = 0

    async def receive() -> Message:
        nonlocal offered
        offered += 1
        return {"type": "http.request", "body": chunk, "more_body": offered < 1000}

    answers: list[Message] = []

    async def send(message: Message) -> None:
        answers.append(message)

    scope: Scope = {
        "type": "http",
        "method": "POST",
        "path": "/login",
        "headers": [(b"content-type", b"application/x-www-form-urlencoded")],
        "query_string": b"",
        "state": {"locale": "en", "sid": "s", "sid_is_new": True},
        "app": app,  # the error page is the app's
    }
    await BodyLimit(reader)(scope, receive, send)

    assert answers[0]["status"] == 413
    assert sum(read) <= FORM_BODY
    assert offered == FORM_BODY // len(chunk) + 1  # it stopped at the chunk that passed the cap


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


def test_the_longest_notes_a_form_can_carry_fit_under_the_notes_cap() -> None:
    """Four Markdown fields and three lines at their limits, in emoji (12 bytes percent-encoded
    each): the biggest notes form there can be is not refused."""
    longest = {
        **{
            name: "😀" * MARKDOWN_MAX
            for name in ("discussion", "ideas", "recommendations", "questions")
        },
        **{name: "😀" * LINE_MAX for name in ("title", "conveners", "outcome")},
        "participant_count": "12",
        "base_revision": "123456",
        "csrf_token": "0" * 32,
    }
    assert len(urlencode(longest)) < NOTES_BODY
    assert cap_for("/e/lab/sessions/7/notes").limit == NOTES_BODY
    assert cap_for("/e/lab/sessions/7/notes/presence").limit == FORM_BODY
    assert cap_for("/login").limit == FORM_BODY


def test_the_event_settings_and_logos_have_room_for_their_longest() -> None:
    longest = {
        "report_summary": "😀" * REPORT_SUMMARY_MAX,
        "description": "😀" * EVENT_DESCRIPTION_MAX,
        "report_acknowledgement": "😀" * REPORT_ACKNOWLEDGEMENT_MAX,
        "venue": "😀" * VENUE_MAX,
        "name": "😀" * EVENT_NAME_MAX,
        "privacy_contact": "😀" * PRIVACY_CONTACT_MAX,
        "slug": "a" * 60,
        "languages": "en, bg",
        "timezone": "Europe/Sofia",
        "retention_days": "3650",
        "organiser_fields": "true",
        "csrf_token": "0" * 32,
    }
    assert FORM_BODY < len(urlencode(longest)) < EVENT_BODY
    assert cap_for("/o/lab/edit").limit == EVENT_BODY
    assert cap_for("/o/lab/hosts").limit == LOGO_BODY > logos.MAX_BYTES
    assert cap_for("/o/lab/hosts/3/logo").limit == LOGO_BODY
    assert cap_for("/o/lab/hosts/3/name").limit == FORM_BODY
    assert cap_for("/o/lab/hosts").message == (
        "This logo is larger than 5 MB. Save it smaller and try again."
    )
