"""Audit item 1: someone who knows only an event's address must not get in.

The code is what keeps outsiders out, so no page gives it to them, and no answer tells them
whether an address belongs to a real event (no slug probing). Door signs let people join from
the door with a signed per-room key instead of the code.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import Engine
from sqlmodel import Session, select
from starlette.websockets import WebSocketDisconnect

from app.config import Settings
from app.models.people import Participant
from app.services.access import live_token
from app.services.events import events
from app.services.schedule import checkins, grid, publishing
from tests.factories import csrf, login, make_user, post
from tests.grid_helpers import Grid, make_grid
from tests.routes.helpers import join, snapshot, sync
from tests.security.helpers import fill, routes

DAY = dt.date.today() + dt.timedelta(days=30)
UNKNOWN = "no-such-event-here"


@pytest.fixture
def g(session: Session, settings: Settings) -> Grid:
    made = make_grid(session, settings, topic_count=2, first_day=DAY)
    for index in range(2):
        grid.move(
            session,
            access=made.staff,
            topic_id=made.topic(index),
            expected=None,
            target=made.cell(0, index),
        )
    publishing.publish(session, access=made.staff)
    session.commit()
    return made


def _outsiders(
    settings: Settings, session: Session, new_client: Callable[[], TestClient]
) -> dict[str, TestClient]:
    """A browser that has been here but joined nothing, and the organiser of another event."""
    stranger = new_client()
    stranger.get("/join")
    other = new_client()
    login(other, settings, make_user(session, email="other@example.org"))
    return {"stranger": stranger, "other organiser": other}


def test_pages_for_members_send_outsiders_to_the_code_form_without_the_code(
    client: TestClient, settings: Settings, g: Grid
) -> None:
    slug = g.event.slug
    for path in (
        f"/e/{slug}/agenda",
        f"/e/{slug}/sessions/{g.topic(0)}",
        f"/e/{slug}/rooms/{g.rooms[0].id}/here",
        f"/e/{slug}/rooms/{g.rooms[0].id}/here?k=wrong",
    ):
        response = client.get(path, follow_redirects=False)
        assert (response.status_code, response.headers["location"]) == (303, "/join"), path
        followed = client.get(path)
        assert followed.status_code == 200
        assert g.event.join_code not in followed.text
        assert all(g.event.join_code not in str(r.headers) for r in followed.history)


def test_no_answer_tells_a_real_address_from_a_made_up_one(
    app: FastAPI,
    engine: Engine,
    session: Session,
    settings: Settings,
    new_client: Callable[[], TestClient],
    g: Grid,
) -> None:
    """Every route under an event's address, asked by outsiders (GET, and every state change
    with a valid CSRF token), answers a real slug exactly as it answers a made-up one."""
    slug = g.event.slug
    outsiders = _outsiders(settings, session, new_client)
    before = snapshot(engine, skip=("auth_session", "rate_counter"))
    compared = 0

    def answer(client: TestClient, method: str, path: str, event_slug: str) -> tuple[object, ...]:
        url = fill(path, slug=event_slug)
        if method == "GET":
            response = client.get(url, follow_redirects=False)
        else:
            response = client.request(
                method, url, data={"csrf_token": csrf(client, settings)}, follow_redirects=False
            )
        location = response.headers.get("location", "").replace(event_slug, "SLUG")
        return response.status_code, location, response.text.replace(event_slug, "SLUG")

    for method, path in routes(app):
        if "{slug}" not in path:
            continue
        for who, client in outsiders.items():
            real = answer(client, method, path, slug)
            made_up = answer(client, method, path, UNKNOWN)
            assert real == made_up, (who, method, path)
            assert real[0] < 500, (who, method, path)
            assert g.event.join_code not in str(real), (who, method, path)
            compared += 1
    assert compared >= 200
    assert snapshot(engine, skip=("auth_session", "rate_counter")) == before


def test_the_live_socket_answers_a_real_and_a_made_up_address_alike(
    client: TestClient, settings: Settings, g: Grid
) -> None:
    forged = live_token(access=g.staff, audience="staff", secret=b"not the key", now=1e10)
    codes = []
    for slug in (g.event.slug, UNKNOWN):
        with (
            pytest.raises(WebSocketDisconnect) as refused,
            client.websocket_connect(f"/ws/{slug}?t={forged}"),
        ):
            pass
        codes.append(refused.value.code)
    assert codes == [1008, 1008]


def test_a_door_signs_key_lets_people_join_from_the_door(
    client: TestClient, session: Session, settings: Settings, g: Grid
) -> None:
    room = g.rooms[1]
    key = checkins.door_key(g.event, room_id=room.id or 0, secret=settings.secret)
    sign = f"/e/{g.event.slug}/rooms/{room.id}/here?k={key}"

    to_form = client.get(sign, follow_redirects=False)
    form_url = f"/e/{g.event.slug}/rooms/{room.id}/join?k={key}"
    assert (to_form.status_code, to_form.headers["location"]) == (303, form_url)
    form = client.get(form_url)
    assert form.status_code == 200
    assert f'action="{form_url}"' in form.text
    assert g.event.join_code not in form.text

    joined = post(client, settings, form_url, {"name": "Door Dana", "locale": "en"})
    assert (joined.status_code, joined.headers["location"]) == (
        303,
        f"/e/{g.event.slug}/rooms/{room.id}/here",
    )
    session_page = client.get(joined.headers["location"], follow_redirects=False)
    assert session_page.headers["location"] == f"/e/{g.event.slug}/sessions/{g.topic(1)}"
    sync(session)
    assert session.exec(select(Participant.name).where(Participant.name == "Door Dana")).one()


def test_a_door_key_opens_only_its_own_room_and_ends_with_the_join_code(
    engine: Engine,
    session: Session,
    settings: Settings,
    new_client: Callable[[], TestClient],
    g: Grid,
) -> None:
    first, second = g.rooms
    key = checkins.door_key(g.event, room_id=first.id or 0, secret=settings.secret)
    stranger = new_client()
    stranger.get("/join")
    before = snapshot(engine, skip=("auth_session", "rate_counter"))

    wrong_room = f"/e/{g.event.slug}/rooms/{second.id}/join?k={key}"
    assert stranger.get(wrong_room).status_code == 404
    refused = post(stranger, settings, wrong_room, {"name": "Eve", "locale": "en"})
    assert refused.status_code == 404
    assert "This door sign is not valid any more." in refused.text

    events.regenerate_join_code(session, access=g.staff)
    session.commit()
    old_sign = f"/e/{g.event.slug}/rooms/{first.id}/join?k={key}"
    assert post(stranger, settings, old_sign, {"name": "Eve", "locale": "en"}).status_code == 404
    assert snapshot(engine, skip=("auth_session", "rate_counter", "event")) == {
        name: rows
        for name, rows in before.items()
        if name not in ("auth_session", "rate_counter", "event")
    }


def test_members_are_not_asked_to_join_again(
    client: TestClient, settings: Settings, g: Grid
) -> None:
    join(client, settings, g.event, name="Pia")
    room = g.rooms[0]
    key = checkins.door_key(g.event, room_id=room.id or 0, secret=settings.secret)
    form = client.get(f"/e/{g.event.slug}/rooms/{room.id}/join?k={key}", follow_redirects=False)
    assert form.headers["location"] == f"/e/{g.event.slug}/rooms/{room.id}/here"
    sign = client.get(f"/e/{g.event.slug}/rooms/{room.id}/here?k={key}", follow_redirects=False)
    assert sign.headers["location"] == f"/e/{g.event.slug}/sessions/{g.topic(0)}"
