"""Cross-cutting web security: CSRF on every state change, headers, cookies, GET is safe,
user text is escaped."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable

import pytest
from fastapi import FastAPI
from fastapi.routing import APIRoute, iter_route_contexts
from fastapi.testclient import TestClient
from sqlalchemy import Engine
from sqlmodel import Session, select

from app.config import Settings
from app.db import UNSAFE_METHODS
from app.main import create_app
from app.models.events import Event, EventMember, Invitation, Role, RoomCreate, TimeBlockCreate
from app.models.people import Participant, User
from app.services.events import events, programme, team
from app.services.people import participants
from app.templating import CDN_SCRIPTS
from app.web import LANG_COOKIE, SID_COOKIE, csrf_token
from tests.factories import access_as, csrf, make_user, post
from tests.routes.helpers import join, snapshot

EXPIRED = "This form has expired. Reload the page and try again."
PAYLOAD = "<script>alert(1)</script>"
HTMX_PAYLOAD = 'hx-get="/x"'


def _http_routes(app: FastAPI) -> list[tuple[str, set[str]]]:
    """(path, methods) of every HTTP route, with the prefixes of included routers applied."""
    found = [
        (str(context.path), set(context.methods or ()))
        for context in iter_route_contexts(app.routes)
        if isinstance(context.original_route, APIRoute)
    ]
    assert len(found) >= 30  # the iterations below must not pass by finding nothing
    return found


def _unsafe_routes(app: FastAPI) -> list[tuple[str, str]]:
    return [
        (method, path)
        for path, methods in _http_routes(app)
        for method in sorted(methods & UNSAFE_METHODS)
    ]


def _safe_routes(app: FastAPI) -> list[str]:
    return [path for path, methods in _http_routes(app) if "GET" in methods]


@pytest.fixture
def world(session: Session, settings: Settings, event: Event, owner: User) -> dict[str, str | int]:
    """One of everything, so that each route gets ids that would work."""
    access = access_as(session, event, user=owner)
    room = programme.add_room(session, access=access, data=RoomCreate(name="Hall"))
    day = events.days(session, event_id=access.event_id)[0]
    block = programme.add_block(
        session,
        access=access,
        day_id=day.id,  # type: ignore[arg-type]
        data=TimeBlockCreate(starts_at=dt.time(9), ends_at=dt.time(10)),
    )
    invitation_token = team.invite_facilitator(session, access=access)
    invitation = session.exec(select(Invitation)).one()
    facilitator = make_user(session, organiser=False)
    session.add(EventMember(event_id=event.id, user_id=facilitator.id, role=Role.FACILITATOR))  # type: ignore[arg-type]
    session.commit()
    values: dict[str, str | int] = {
        "slug": event.slug,
        "code": event.join_code,
        "room_id": room.id,  # type: ignore[dict-item]
        "day_id": day.id,  # type: ignore[dict-item]
        "block_id": block.id,  # type: ignore[dict-item]
        "invitation_id": invitation.id,  # type: ignore[dict-item]
        "user_id": facilitator.id,  # type: ignore[dict-item]
        "invitation_token": invitation_token,
    }
    session.commit()
    return values


def _fill(path: str, values: dict[str, str | int], personal_token: str) -> str:
    def value(match: re.Match[str]) -> str:
        name = match.group(1)
        if name == "token":
            return personal_token if path.startswith("/e/") else str(values["invitation_token"])
        # An id this fixture does not make: the CSRF check runs before any lookup anyway.
        return str(values.get(name, 1))

    return re.sub(r"{(\w+)}", value, path)


def _form(values: dict[str, str | int]) -> dict[str, str]:
    """Fields that every route would accept, so that only the CSRF check can stop it."""
    return {
        "name": "Changed",
        "email": "new@example.org",
        "password": "another good password",
        "capacity": "7",
        "notes": "n",
        "confirm": str(values["slug"]),
        "slug": "",
        "languages": "en",
        "timezone": "UTC",
        "first_day": "2026-07-01",
        "day_count": "1",
        "date": "2026-07-01",
        "title": "T",
        "kind": "plenary",
        "starts_at": "12:00",
        "ends_at": "13:00",
        "offset": "1",
        "note": "n",
        "code": str(values["code"]),
        "locale": "bg",
        "next": "/",
        "organisation": "Org",
    }


def test_every_unsafe_route_refuses_missing_or_wrong_csrf(
    app: FastAPI,
    engine: Engine,
    session: Session,
    settings: Settings,
    organiser: TestClient,
    new_client: Callable[[], TestClient],
    event: Event,
    world: dict[str, str | int],
) -> None:
    phone = new_client()
    join(phone, settings, event)
    participant = session.exec(select(Participant)).one()
    personal_token = participants.personal_token(participant, settings.secret)
    stranger = new_client()
    stranger.get("/")
    foreign_token = csrf(stranger, settings)  # right for another browser, wrong for these
    form = _form(world)
    before = snapshot(engine)

    for method, path in _unsafe_routes(app):
        url = _fill(path, world, personal_token)
        attempts = [
            (organiser, form, {}),
            (organiser, {**form, "csrf_token": "0" * 32}, {}),
            (organiser, {**form, "csrf_token": foreign_token}, {}),
            (organiser, form, {"X-CSRF-Token": foreign_token}),
            (organiser, {**form, "csrf_token": "ü"}, {}),
            (phone, form, {}),
            (stranger, form, {}),
        ]
        for client, data, headers in attempts:
            response = client.request(
                method, url, data=data, headers=headers, follow_redirects=False
            )
            assert (response.status_code, EXPIRED in response.text) == (403, True), (method, url)
        json_response = organiser.request(method, url, json=form, follow_redirects=False)
        assert json_response.status_code == 403, (method, url)
        assert snapshot(engine) == before, (method, url)

    # The same request with the token does change things: the check above can fail.
    response = post(
        organiser, settings, f"/o/{event.slug}/rooms", {"name": "Garden", "capacity": "9"}
    )
    assert response.status_code == 303
    assert snapshot(engine) != before


def test_csrf_token_in_header_is_accepted(
    engine: Engine, settings: Settings, organiser: TestClient, event: Event
) -> None:
    response = organiser.post(
        f"/o/{event.slug}/rooms",
        data={"name": "Garden", "capacity": "5"},
        headers={"X-CSRF-Token": csrf(organiser, settings)},
        follow_redirects=False,
    )
    assert (response.status_code, response.headers["location"]) == (303, f"/o/{event.slug}/rooms")


def test_first_visit_cannot_post(client: TestClient, settings: Settings) -> None:
    # No cookie yet, so no token can match one: the first request of a browser never writes.
    response = client.post("/join", data={"code": "ACDEFG"}, follow_redirects=False)
    assert response.status_code == 403
    assert SID_COOKIE in response.cookies


# --- headers and cookies -----------------------------------------------------------------


def _csp(response_headers: dict[str, str] | object) -> dict[str, str]:
    header = response_headers["content-security-policy"]  # type: ignore[index]
    return {
        part.strip().split(" ", 1)[0]: part.strip().split(" ", 1)[1]
        for part in header.split(";")
        if part.strip()
    }


@pytest.mark.parametrize("path", ["/", "/join", "/no-such-page", "/healthz", "/static/css/app.css"])
def test_security_headers_present(client: TestClient, path: str) -> None:
    response = client.get(path)
    assert _csp(response.headers) == {
        "default-src": "'self'",
        "script-src": "'self'",
        "style-src": "'self'",
        "img-src": "'self' data: blob:",
        "connect-src": "'self'",
        "object-src": "'none'",
        "base-uri": "'self'",
        "form-action": "'self'",
        "frame-ancestors": "'none'",
    }
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["x-frame-options"] == "DENY"
    assert response.headers["referrer-policy"] == "same-origin"
    assert "strict-transport-security" not in response.headers


def test_csp_allows_only_the_pinned_cdn_files(settings: Settings, engine: Engine) -> None:
    app = create_app(settings.model_copy(update={"use_cdn": True}))
    with TestClient(app) as client:
        response = client.get("/")
    pinned = [url for url, _sri, _local in CDN_SCRIPTS.values()]
    assert _csp(response.headers)["script-src"] == " ".join(["'self'", *pinned])
    for url, sri, _local in CDN_SCRIPTS.values():
        assert f'<script src="{url}" integrity="{sri}" crossorigin="anonymous"' in response.text


def test_session_cookie_flags(client: TestClient) -> None:
    response = client.get("/")
    cookie = response.headers["set-cookie"]
    assert cookie.startswith(f"{SID_COOKIE}=")
    flags = {part.strip().split("=")[0].lower() for part in cookie.split(";")[1:]}
    assert flags == {"httponly", "samesite", "path", "max-age"}
    assert "SameSite=Lax" in cookie
    # Issued once: later responses do not set it again.
    assert "set-cookie" not in client.get("/").headers


def test_cookies_secure_over_https(settings: Settings, engine: Engine) -> None:
    app = create_app(settings.model_copy(update={"base_url": "https://lab.example.org"}))
    with TestClient(app, base_url="https://lab.example.org") as client:
        first = client.get("/")
        sid_cookie = first.headers["set-cookie"]
        token = csrf_token(client.cookies[SID_COOKIE], app.state.settings.secret)
        lang = client.post(
            "/lang", data={"locale": "bg", "csrf_token": token}, follow_redirects=False
        )
    assert {"Secure", "HttpOnly", "SameSite=Lax"} <= {p.strip() for p in sid_cookie.split(";")}
    lang_cookie = lang.headers["set-cookie"]
    assert lang_cookie.startswith(f"{LANG_COOKIE}=bg")
    assert {"Secure", "HttpOnly", "SameSite=lax"} <= {p.strip() for p in lang_cookie.split(";")}
    assert first.headers["strict-transport-security"] == "max-age=31536000; includeSubDomains"


# --- GET changes nothing and never fails -------------------------------------------------

JUNK = [
    "nope",
    "0",
    "99999999999999999999",
    "1.ü",
    "%00",
    "%3Cscript%3E",
    "x" * 400,
]


def test_get_routes_with_junk_ids_never_fail_nor_change(
    app: FastAPI,
    engine: Engine,
    settings: Settings,
    organiser: TestClient,
    new_client: Callable[[], TestClient],
    event: Event,
) -> None:
    phone = new_client()
    join(phone, settings, event)
    # Wrong join codes are counted even on GET (or /j/<guess> would be an unlimited oracle).
    before = snapshot(engine, skip=("rate_counter",))
    statuses: set[int] = set()
    for path in _safe_routes(app):
        for junk in JUNK:
            url = re.sub(r"{\w+}", junk, path)
            for client in (organiser, phone):
                response = client.get(url, follow_redirects=False)
                assert response.status_code < 500, (url, response.status_code)
                statuses.add(response.status_code)
            # The real event, so that junk ids after it reach the lookups.
            url = re.sub(r"{\w+}", junk, path.replace("{slug}", event.slug))
            response = organiser.get(url, follow_redirects=False)
            assert response.status_code < 500, (url, response.status_code)
    assert snapshot(engine, skip=("rate_counter",)) == before
    assert {303, 404} <= statuses


def test_get_routes_with_real_ids_never_fail(
    app: FastAPI,
    engine: Engine,
    settings: Settings,
    session: Session,
    organiser: TestClient,
    new_client: Callable[[], TestClient],
    event: Event,
    world: dict[str, str | int],
) -> None:
    phone = new_client()
    join(phone, settings, event)
    participant = session.exec(select(Participant)).one()
    personal_token = participants.personal_token(participant, settings.secret)
    before = snapshot(engine)
    for path in _safe_routes(app):
        if path.startswith("/board/"):
            continue  # its signature is tested in test_board.py
        url = _fill(path, world, personal_token)
        for client in (organiser, phone, new_client()):
            response = client.get(url, follow_redirects=False)
            assert response.status_code in (200, 303, 403, 404), (url, response.status_code)
    assert snapshot(engine) == before


# --- user text is escaped ----------------------------------------------------------------


def test_user_text_is_escaped(
    session: Session,
    settings: Settings,
    organiser: TestClient,
    new_client: Callable[[], TestClient],
    owner: User,
) -> None:
    response = post(
        organiser,
        settings,
        "/o/new",
        {
            "name": PAYLOAD,
            "languages": "en",
            "timezone": "UTC",
            "first_day": "2026-06-09",
            "venue": HTMX_PAYLOAD,
            "description": PAYLOAD,
        },
    )
    assert response.status_code == 303, response.text
    event = session.exec(select(Event).where(Event.name == PAYLOAD)).one()
    assert event.slug == "script-alert-1-script"
    assert (
        post(
            organiser, settings, f"/o/{event.slug}/rooms", {"name": HTMX_PAYLOAD, "capacity": "9"}
        ).status_code
        == 303
    )
    assert (
        post(
            organiser, settings, f"/o/{event.slug}/rooms", {"name": PAYLOAD, "capacity": "9"}
        ).status_code
        == 303
    )
    phone = new_client()
    response = post(
        phone, settings, f"/j/{event.join_code}", {"name": PAYLOAD, "organisation": HTMX_PAYLOAD}
    )
    assert response.status_code == 303
    board = events.board_path(event, settings.secret)

    pages = [
        (organiser, "/o"),
        (organiser, f"/o/{event.slug}"),
        (organiser, f"/o/{event.slug}/edit"),
        (organiser, f"/o/{event.slug}/rooms"),
        (organiser, f"/o/{event.slug}/programme"),
        (organiser, f"/o/{event.slug}/participants"),
        (organiser, f"/o/{event.slug}/poster"),
        (organiser, f"/o/{event.slug}/report"),
        (organiser, board),
        (phone, f"/e/{event.slug}"),
        (phone, f"/e/{event.slug}/me"),
        (new_client(), f"/j/{event.join_code}"),
    ]
    for client, url in pages:
        html = client.get(url).text
        assert PAYLOAD not in html, url
        assert HTMX_PAYLOAD not in html, url
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html, url
    for url in (f"/o/{event.slug}/rooms", f"/o/{event.slug}/participants"):
        assert "hx-get=&#34;/x&#34;" in organiser.get(url).text


def test_error_message_with_user_text_is_escaped(client: TestClient, settings: Settings) -> None:
    response = post(client, settings, "/join", {"code": PAYLOAD})
    assert response.status_code == 422
    assert PAYLOAD not in response.text
    assert 'value="&lt;script&gt;alert(1)&lt;/script&gt;"' in response.text
