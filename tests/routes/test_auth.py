"""Signing in and out, where a login may lead, facilitator invitations, the language switch."""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session, select

from app.config import Settings
from app.models.events import Event, EventMember, Invitation, Role
from app.models.people import AuthSession, User
from app.services import ratelimit
from app.services.events import team
from app.web import LANG_COOKIE, SID_COOKIE
from tests.factories import PASSWORD, access_as, field_error, login, make_user, post
from tests.routes.helpers import input_value, join, sync


def test_login_page(client: TestClient) -> None:
    response = client.get("/login?next=/o/new")
    assert response.status_code == 200
    assert '<input type="hidden" name="next" value="/o/new">' in response.text


def test_login_success_rotates_cookie_and_opens_dashboard(
    client: TestClient, settings: Settings, owner: User, event: Event
) -> None:
    client.get("/")
    before = client.cookies[SID_COOKIE]
    response = post(
        client, settings, "/login", {"email": "OWNER@example.org", "password": PASSWORD}
    )
    assert (response.status_code, response.headers["location"]) == (303, "/o")
    assert client.cookies[SID_COOKIE] != before  # against session fixation
    dashboard = client.get("/o")
    assert dashboard.status_code == 200
    assert f'<a href="/o/{event.slug}" dir="auto">Lab Sofia</a>' in dashboard.text


def test_login_wrong_password(client: TestClient, settings: Settings, owner: User) -> None:
    response = post(client, settings, "/login", {"email": owner.email, "password": "wrong one"})
    assert response.status_code == 422
    assert field_error(response.text, "password") == "Email or password is wrong."
    assert input_value(response.text, "email") == owner.email
    assert client.get("/o", follow_redirects=False).headers["location"] == "/login?next=/o"


def test_login_rate_limited(
    client: TestClient, settings: Settings, owner: User, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(ratelimit, "clock", lambda: 1_800_000_000.0)  # the wait is exact
    for _attempt in range(settings.login_attempts):
        response = post(client, settings, "/login", {"email": owner.email, "password": "nope"})
        assert response.status_code == 422
    response = post(client, settings, "/login", {"email": owner.email, "password": PASSWORD})
    assert response.status_code == 429
    assert field_error(response.text, "password") == (
        "Too many wrong passwords. Try again in 8 seconds."
    )
    assert input_value(response.text, "email") == owner.email
    assert client.get("/o", follow_redirects=False).status_code == 303


def test_logout_really_ends_the_session(
    client: TestClient,
    settings: Settings,
    session: Session,
    owner: User,
    new_client: Callable[[], TestClient],
) -> None:
    login(client, settings, owner)
    old_cookie = client.cookies[SID_COOKIE]
    response = post(client, settings, "/logout")
    assert (response.status_code, response.headers["location"]) == (303, "/")
    assert client.cookies[SID_COOKIE] != old_cookie
    assert client.get("/o", follow_redirects=False).headers["location"] == "/login?next=/o"
    # Someone who kept a copy of the old cookie gets nothing either.
    thief = new_client()
    thief.cookies.set(SID_COOKIE, old_cookie)
    assert thief.get("/o", follow_redirects=False).headers["location"] == "/login?next=/o"
    sync(session)
    assert session.exec(select(AuthSession).where(AuthSession.user_id == owner.id)).all() == []


def test_login_keeps_joined_events(
    client: TestClient, settings: Settings, owner: User, event: Event
) -> None:
    join(client, settings, event)  # on the phone first, then signing in on the same phone
    login(client, settings, owner)
    response = client.get(f"/j/{event.join_code}", follow_redirects=False)
    assert response.headers["location"] == f"/e/{event.slug}"


@pytest.mark.parametrize(
    ("next_url", "location"),
    [
        ("/o/new", "/o/new"),
        ("", "/o"),
        ("https://evil.example/o", "/o"),
        ("//evil.example/o", "/o"),
        ("/\\evil.example", "/o"),
        ("javascript:alert(1)", "/o"),
    ],
)
def test_login_next_only_local(
    client: TestClient, settings: Settings, owner: User, next_url: str, location: str
) -> None:
    response = post(
        client, settings, "/login", {"email": owner.email, "password": PASSWORD, "next": next_url}
    )
    assert (response.status_code, response.headers["location"]) == (303, location)
    again = client.get("/login", params={"next": next_url}, follow_redirects=False)
    assert (again.status_code, again.headers["location"]) == (303, location)


def test_signed_out_page_asks_to_sign_in_and_comes_back(
    client: TestClient, settings: Settings, owner: User, event: Event
) -> None:
    response = client.get(f"/o/{event.slug}/rooms", follow_redirects=False)
    assert response.headers["location"] == f"/login?next=/o/{event.slug}/rooms"
    response = post(
        client,
        settings,
        "/login",
        {"email": owner.email, "password": PASSWORD, "next": f"/o/{event.slug}/rooms"},
    )
    assert response.headers["location"] == f"/o/{event.slug}/rooms"


# --- invitations -------------------------------------------------------------------------


def _invite(organiser: TestClient, settings: Settings, event: Event) -> str:
    response = post(organiser, settings, f"/o/{event.slug}/team/invite", {"note": "for Ivo"})
    assert response.status_code == 200
    link = input_value(response.text, "invite-link")
    match = re.fullmatch(r"http://testserver/invite/([\w-]+)", link)
    assert match, link
    return match.group(1)


def test_invitation_register_flow(
    organiser: TestClient,
    settings: Settings,
    session: Session,
    event: Event,
    new_client: Callable[[], TestClient],
) -> None:
    token = _invite(organiser, settings, event)
    ivo = new_client()
    page = ivo.get(f"/invite/{token}")
    assert page.status_code == 200
    assert "Lab Sofia" in page.text
    assert f'action="/invite/{token}/register"' in page.text
    response = post(
        ivo,
        settings,
        f"/invite/{token}/register",
        {"name": "Ivo", "email": "Ivo@Example.org", "password": "a long enough secret"},
    )
    assert (response.status_code, response.headers["location"]) == (303, f"/o/{event.slug}")
    assert ivo.get(f"/o/{event.slug}").status_code == 200
    sync(session)
    user = session.exec(select(User).where(User.email == "ivo@example.org")).one()
    assert (user.name, user.can_create_events) == ("Ivo", False)
    assert access_as(session, event, user=user).role == Role.FACILITATOR
    # The link worked once.
    used = new_client().get(f"/invite/{token}")
    assert used.status_code == 404
    assert "This invitation link is not valid any more." in used.text


def test_invitation_register_invalid_changes_nothing(
    organiser: TestClient,
    settings: Settings,
    session: Session,
    owner: User,
    event: Event,
    new_client: Callable[[], TestClient],
) -> None:
    token = _invite(organiser, settings, event)
    ivo = new_client()
    response = post(
        ivo,
        settings,
        f"/invite/{token}/register",
        {"name": "Ivo", "email": owner.email, "password": "short"},
    )
    assert response.status_code == 422
    assert field_error(response.text, "email") == "An account with this email exists already."
    assert field_error(response.text, "password") == "Use at least 10 characters."
    assert input_value(response.text, "name") == "Ivo"
    sync(session)
    assert len(session.exec(select(User)).all()) == 1
    assert team.pending_invitations(session, event_id=event.id) != []  # type: ignore[arg-type]
    assert ivo.get("/o", follow_redirects=False).status_code == 303


def test_invitation_accept_when_signed_in(
    organiser: TestClient,
    settings: Settings,
    session: Session,
    event: Event,
    new_client: Callable[[], TestClient],
) -> None:
    token = _invite(organiser, settings, event)
    fatme = make_user(session, organiser=False, name="Fatme")
    session.commit()
    browser = new_client()
    login(browser, settings, fatme)
    page = browser.get(f"/invite/{token}")
    assert "Signed in as Fatme." in page.text
    response = post(browser, settings, f"/invite/{token}/accept")
    assert (response.status_code, response.headers["location"]) == (303, f"/o/{event.slug}")
    sync(session)
    member = session.exec(select(EventMember).where(EventMember.user_id == fatme.id)).one()
    assert member.role == Role.FACILITATOR


def test_invitation_accept_signed_out_goes_back(
    organiser: TestClient,
    settings: Settings,
    session: Session,
    event: Event,
    new_client: Callable[[], TestClient],
) -> None:
    token = _invite(organiser, settings, event)
    browser = new_client()
    response = post(browser, settings, f"/invite/{token}/accept")
    assert (response.status_code, response.headers["location"]) == (303, f"/invite/{token}")
    sync(session)
    assert session.exec(select(Invitation.accepted_at)).all() == [None]


def test_invitation_revoked_link_refused(
    organiser: TestClient,
    settings: Settings,
    session: Session,
    event: Event,
    new_client: Callable[[], TestClient],
) -> None:
    token = _invite(organiser, settings, event)
    sync(session)
    invitation = session.exec(select(Invitation)).one()
    session.commit()
    response = post(organiser, settings, f"/o/{event.slug}/team/invitations/{invitation.id}/revoke")
    assert response.headers["location"] == f"/o/{event.slug}/team"
    assert new_client().get(f"/invite/{token}").status_code == 404


# --- language ----------------------------------------------------------------------------


def test_language_switch_sets_cookie(client: TestClient, settings: Settings) -> None:
    response = post(client, settings, "/lang", {"locale": "bg", "next": "/join"})
    assert (response.status_code, response.headers["location"]) == (303, "/join")
    assert client.cookies[LANG_COOKIE] == "bg"
    page = client.get("/join")
    assert '<html lang="bg" dir="ltr">' in page.text
    assert "Join an Open Space" not in page.text


def test_language_switch_unknown_locale_refused(client: TestClient, settings: Settings) -> None:
    response = post(client, settings, "/lang", {"locale": "xx", "next": "//evil.example"})
    assert (response.status_code, "Choose one of the listed languages." in response.text) == (
        422,
        True,
    )
    assert "location" not in response.headers
    assert LANG_COOKIE not in client.cookies
    assert '<html lang="en" dir="ltr">' in client.get("/").text


def test_language_from_accept_language(client: TestClient) -> None:
    assert (
        '<html lang="bg" dir="ltr">'
        in client.get("/", headers={"Accept-Language": "bg-BG,en;q=0.5"}).text
    )
    assert (
        '<html lang="en" dir="ltr">'
        in client.get("/", headers={"Accept-Language": "de, en;q=0.8"}).text
    )
