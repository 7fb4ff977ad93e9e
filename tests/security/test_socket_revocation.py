"""Audit item 7: revocation reaches open sockets. Removing a facilitator, rotating the board
link or signing a device out closes the affected live sockets at once with 1008 (on every
worker: the revocation travels the broker), and their old tickets are refused after.

Through a real server (tests/realtime's, SQLite and the memory broker) with real WebSocket
clients; the hop between workers through Redis is tested on two hubs in this process."""

from __future__ import annotations

import asyncio
import itertools
import re
import time
from contextlib import AsyncExitStack
from html import unescape

import pytest
from sqlmodel import select
from websockets.asyncio.client import connect
from websockets.exceptions import InvalidStatus

from app.db import make_engine, open_session
from app.models.events import EventMember
from app.models.people import User
from app.realtime.broker import RedisBroker
from app.realtime.hub import ChannelKey, Connection, Hub
from tests.realtime.helpers import (
    Browser,
    LiveEvent,
    LiveSocket,
    Server,
    create_event,
    frame_sync,
    hello,
    join,
    live_socket,
    propose,
    set_phase,
)
from tests.realtime.servers import ORGANISER_PASSWORD, create_organiser
from tests.realtime.test_hub import FakeRenderer, FakeSocket

pytestmark = pytest.mark.anyio

_numbers = itertools.count(1)


async def _new_event(organiser: Browser) -> LiveEvent:
    event = await create_event(organiser, f"revoke-{next(_numbers)}-{int(time.time())}")
    await set_phase(organiser, event, "marketplace")
    return event


async def _refused(server: Server, path: str) -> int:
    """The HTTP status with which the server turns down the handshake."""
    with pytest.raises(InvalidStatus) as refusal:
        async with connect(server.ws_url + path, open_timeout=5, origin=server.url):
            pass
    return refusal.value.response.status_code


async def _open(stack: AsyncExitStack, server: Server, path: str) -> LiveSocket:
    socket = await stack.enter_async_context(live_socket(server, path, greeting=hello()))
    assert frame_sync(await socket.next_frame())[0]  # a frame of the current epoch
    return socket


async def _signed_in_facilitator(
    stack: AsyncExitStack, server: Server, organiser: Browser, event: LiveEvent
) -> tuple[Browser, int]:
    """A facilitator of ``event`` by invitation, signed in; their user id."""
    email = f"facilitator-{next(_numbers)}-{int(time.time())}@example.org"
    create_organiser(server, email=email)
    page = (await organiser.post(f"/o/{event.slug}/team/invite", {"note": "Fedya"})).text
    link = re.search(r'id="invite-link" type="text" readonly value="([^"]+)"', page)
    assert link, "no invitation link on the team page"
    token = unescape(link.group(1)).rsplit("/invite/", 1)[1]
    facilitator = await stack.enter_async_context(Browser(server))
    response = await facilitator.post("/login", {"email": email, "password": ORGANISER_PASSWORD})
    assert response.status_code == 303, response.text
    response = await facilitator.post(f"/invite/{token}/accept")
    assert response.status_code == 303, response.text
    engine = make_engine(server.settings())
    try:
        with open_session(engine) as session:
            user_id = session.exec(select(User.id).where(User.email == email)).one()
    finally:
        engine.dispose()
    assert user_id is not None
    return facilitator, user_id


def _membership_count(server: Server, user_id: int) -> int:
    engine = make_engine(server.settings())
    try:
        with open_session(engine) as session:
            rows = session.exec(select(EventMember).where(EventMember.user_id == user_id)).all()
            return len(rows)
    finally:
        engine.dispose()


async def test_removed_facilitator_socket_closes_with_1008_and_cannot_reconnect(
    server: Server, organiser_cookies: dict[str, str]
) -> None:
    async with AsyncExitStack() as stack:
        organiser = await stack.enter_async_context(Browser(server, organiser_cookies))
        event = await _new_event(organiser)
        facilitator, user_id = await _signed_in_facilitator(stack, server, organiser, event)
        path = await facilitator.live_path(f"/o/{event.slug}/live")
        theirs = await _open(stack, server, path)
        organisers = await _open(stack, server, await organiser.live_path(f"/o/{event.slug}/live"))

        response = await organiser.post(f"/o/{event.slug}/team/members/{user_id}/remove")
        assert response.status_code == 303, response.text

        assert await theirs.closed(within=2) == 1008
        assert _membership_count(server, user_id) == 0
        assert await _refused(server, path) == 403
        # The organiser's own socket is untouched and still gets changes.
        async with Browser(server) as phone:
            await join(phone, event, "Mira")
            await propose(phone, event, "Seed libraries")
        await organisers.frame_where(lambda frame: "Seed libraries" in frame)
        assert organisers.close_code is None


async def test_staff_ticket_of_a_member_removed_while_offline_is_refused(
    server: Server, organiser_cookies: dict[str, str]
) -> None:
    async with AsyncExitStack() as stack:
        organiser = await stack.enter_async_context(Browser(server, organiser_cookies))
        event = await _new_event(organiser)
        facilitator, user_id = await _signed_in_facilitator(stack, server, organiser, event)
        path = await facilitator.live_path(f"/o/{event.slug}/live")
        response = await organiser.post(f"/o/{event.slug}/team/members/{user_id}/remove")
        assert response.status_code == 303, response.text
        assert await _refused(server, path) == 403
        # A staff ticket names the member row: the organiser's ticket for another event, or
        # one naming another user, does not get in either.
        other = await _new_event(organiser)
        theirs = (await organiser.live_path(f"/o/{other.slug}/live")).split("?t=", 1)[1]
        assert await _refused(server, f"/ws/{event.slug}?t={theirs}") == 403


async def test_board_socket_closes_with_1008_when_the_board_link_is_rotated(
    server: Server, organiser_cookies: dict[str, str]
) -> None:
    async with AsyncExitStack() as stack:
        organiser = await stack.enter_async_context(Browser(server, organiser_cookies))
        event = await _new_event(organiser)
        other = await _new_event(organiser)
        projector = await stack.enter_async_context(Browser(server))
        path = await projector.live_path(event.board_path)
        board = await _open(stack, server, path)
        other_board = await _open(stack, server, await projector.live_path(other.board_path))

        response = await organiser.post(f"/o/{event.slug}/board-link")
        assert response.status_code == 303, response.text

        assert await board.closed(within=2) == 1008
        assert await _refused(server, path) == 403
        await asyncio.sleep(0.5)
        assert other_board.close_code is None  # another event's board stays on


async def test_signed_out_device_socket_closes_and_its_ticket_is_refused(
    server: Server, organiser_cookies: dict[str, str]
) -> None:
    async with AsyncExitStack() as stack:
        organiser = await stack.enter_async_context(Browser(server, organiser_cookies))
        event = await _new_event(organiser)
        phone_a = await stack.enter_async_context(Browser(server))
        await join(phone_a, event, "Mira")
        page = (await phone_a.get(f"/e/{event.slug}/me")).text
        link = re.search(r'id="personal-link" type="text" readonly value="([^"]+)"', page)
        assert link
        personal = unescape(link.group(1)).removeprefix(server.url)
        phone_b = await stack.enter_async_context(Browser(server))
        assert (await phone_b.post(personal)).status_code == 303
        path_a = await phone_a.live_path(f"/e/{event.slug}")
        path_b = await phone_b.live_path(f"/e/{event.slug}")
        socket_a = await _open(stack, server, path_a)
        socket_b = await _open(stack, server, path_b)
        await asyncio.sleep(1.1)  # the tickets are from a second before the reset

        response = await phone_a.post(f"/e/{event.slug}/me/new-link")
        assert response.status_code == 303, response.text

        assert await socket_b.closed(within=2) == 1008
        assert await _refused(server, path_b) == 403
        await propose(phone_a, event, "Bike kitchen")
        await socket_a.frame_where(lambda frame: "Bike kitchen" in frame)
        assert socket_a.close_code is None
        async with live_socket(server, path_a, greeting=hello()) as again:
            assert frame_sync(await again.next_frame())[0]


# --- across workers: two hubs, one Redis -------------------------------------------------

REDIS_URL = "redis://127.0.0.1:6379/12"  # not the two-worker test's database (13)


@pytest.mark.redis
async def test_revocation_published_on_one_worker_closes_sockets_on_another() -> None:
    hubs = [
        Hub(RedisBroker(REDIS_URL), FakeRenderer(), publish_delay=0.01, frame_interval=0.05)
        for _ in range(2)
    ]
    for hub in hubs:
        await hub.start()
    try:
        event_id = 900_000 + next(_numbers)
        staff = ChannelKey(event_id, "staff", "en")
        sockets = {grant: FakeSocket() for grant in (5, 6)}
        tasks = []
        for grant, socket in sockets.items():
            socket.inbox.put_nowait(hello())
            connection = Connection(socket=socket, key=staff, grant_id=grant)
            tasks.append(asyncio.create_task(hubs[1].serve(connection, socket.receive)))
        await asyncio.sleep(0.2)

        hubs[0].revoke(event_id, "staff", [5])

        await asyncio.wait_for(tasks[0], timeout=2)
        assert (sockets[5].closed_with, sockets[6].closed_with) == (1008, None)
        assert hubs[1].revoked_at(event_id, "staff", 5) is not None
        assert hubs[1].revoked_at(event_id, "staff", 6) is None
        sockets[6].inbox.put_nowait(None)
        await asyncio.wait_for(tasks[1], timeout=2)
    finally:
        for hub in hubs:
            await hub.stop()
