"""The live WebSocket of a real server (``openspace serve``), with real ``websockets`` clients."""

from __future__ import annotations

import asyncio
import itertools
import json
import time
from contextlib import AsyncExitStack
from dataclasses import dataclass
from typing import Any

import pytest
from websockets.asyncio.client import connect
from websockets.exceptions import InvalidStatus

from app.security import sign
from tests.realtime.helpers import (
    SECRET,
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
    set_rules,
    vote,
)

pytestmark = pytest.mark.anyio

_numbers = itertools.count(1)
QUIET_SECONDS = 1.0  # longer than a frame takes to arrive when one is due (~0.2 s)


async def new_event(organiser: Browser, phase: str = "marketplace") -> LiveEvent:
    event = await create_event(organiser, f"live-{next(_numbers)}-{int(time.time())}")
    await set_phase(organiser, event, phase)
    return event


async def joined_phone(stack: AsyncExitStack, server: Server, event: LiveEvent) -> Browser:
    phone = await stack.enter_async_context(Browser(server))
    await join(phone, event, f"Phone {next(_numbers)}")
    return phone


@dataclass
class VotingRoom:
    event: LiveEvent
    topic_id: int
    phones: list[Browser]
    sockets: list[LiveSocket]  # the board's, then each phone's, each past its first frame


async def voting_room(
    stack: AsyncExitStack,
    server: Server,
    organiser_cookies: dict[str, str],
    phone_count: int,
    title: str,
) -> VotingRoom:
    """An event in dot voting (10 dots, all may go to one topic) with one topic, phones that
    joined, and the board's and the phones' sockets connected."""
    organiser = await stack.enter_async_context(Browser(server, organiser_cookies))
    event = await new_event(organiser)
    await set_rules(organiser, event, dots=10, per_topic=10)
    phones = [await joined_phone(stack, server, event) for _ in range(phone_count)]
    topic_id = await propose(phones[0], event, title)
    await set_phase(organiser, event, "voting")
    projector = await stack.enter_async_context(Browser(server))
    paths = [
        await projector.live_path(event.board_path),
        *[await phone.live_path(f"/e/{event.slug}") for phone in phones],
    ]
    sockets = [
        await stack.enter_async_context(live_socket(server, path, greeting=hello()))
        for path in paths
    ]
    await asyncio.gather(*(socket.next_frame() for socket in sockets))
    return VotingRoom(event, topic_id, phones, sockets)


async def refused(server: Server, path: str, **options: Any) -> int:
    """The HTTP status with which the server turns down the handshake."""
    with pytest.raises(InvalidStatus) as refusal:
        async with connect(server.ws_url + path, open_timeout=5, **options):
            pass
    return refusal.value.response.status_code


def ticket_of(path: str) -> tuple[str, str, str, str, str]:
    audience, subject, grant, expires, signature = path.split("?t=", 1)[1].split(".")
    return audience, subject, grant, expires, signature


async def test_live_socket_from_another_site_is_refused(
    server: Server, organiser_cookies: dict[str, str]
) -> None:
    async with Browser(server, organiser_cookies) as organiser:
        event = await new_event(organiser)
        path = await organiser.live_path(f"/o/{event.slug}/live")

        assert await refused(server, path, origin="https://evil.example") == 403
        assert await refused(server, path, origin=f"http://localhost:{server.port}") == 403
        assert await refused(server, path, origin="http://127.0.0.1:1") == 403
        # The page's own origin, and a client that is no browser (no Origin at all), get in.
        for origin in (server.url, None):
            async with live_socket(server, path, greeting=hello(), origin=origin) as socket:
                assert frame_sync(await socket.next_frame())[0]  # a frame of the current epoch


async def test_live_socket_without_a_valid_ticket_is_refused(
    server: Server, organiser_cookies: dict[str, str]
) -> None:
    async with AsyncExitStack() as stack:
        organiser = await stack.enter_async_context(Browser(server, organiser_cookies))
        event = await new_event(organiser)
        other = await new_event(organiser)
        phone = await joined_phone(stack, server, event)
        path = await phone.live_path(f"/e/{event.slug}")
        audience, pid, device, expires, signature = ticket_of(path)
        ticket = f"{audience}.{pid}.{device}.{expires}.{signature}"
        async with live_socket(server, path, greeting=hello()) as socket:
            assert frame_sync(await socket.next_frame())[0]  # a frame of the current epoch

        for bad in (
            "",
            "nonsense",
            f"{audience}.{pid}.{device}.{expires}.{'0' * len(signature)}",  # forged
            f"staff.{pid}.{device}.{expires}.{signature}",  # a phone's is not a facilitator's
            f"board.{pid}.{device}.{expires}.{signature}",
            f"{audience}.{int(pid) + 1}.{device}.{expires}.{signature}",  # someone else's
            f"{audience}.{pid}.{int(device) + 1}.{expires}.{signature}",  # another device's
            f"{audience}.{pid}.{device}.{int(expires) + 86400}.{signature}",  # to last longer
            f"{audience}.{pid}.{expires}.{signature}",  # the old format, without the device
            f"{audience}.{pid}.{device}.{'9' * 40}.{signature}",  # a number too big for a date
        ):
            assert await refused(server, f"/ws/{event.slug}?t={bad}") == 403, bad
        assert await refused(server, f"/ws/{event.slug}") == 403
        assert await refused(server, f"/ws/{other.slug}?t={ticket}") == 403
        assert await refused(server, f"/ws/no-such-event?t={ticket}") == 403


async def test_live_socket_with_an_expired_ticket_is_refused(
    server: Server, organiser_cookies: dict[str, str]
) -> None:
    async with AsyncExitStack() as stack:
        organiser = await stack.enter_async_context(Browser(server, organiser_cookies))
        event = await new_event(organiser)
        phone = await joined_phone(stack, server, event)
        path = await phone.live_path(f"/e/{event.slug}")
        audience, pid, device, _expires, _signature = ticket_of(path)
        event_id = server.event_id(event.slug)

        def ticket(expires: int) -> str:  # signed with the real key: only its age differs
            parts = (audience, int(pid), int(device), expires, "")
            signature = sign(SECRET.encode(), "live", event_id, *parts)
            return f"{audience}.{pid}.{device}.{expires}.{signature}"

        now = int(time.time())
        assert await refused(server, f"/ws/{event.slug}?t={ticket(now - 5)}") == 403
        fresh = f"/ws/{event.slug}?t={ticket(now + 3600)}"
        async with live_socket(server, fresh, greeting=hello()) as socket:
            assert frame_sync(await socket.next_frame())[0]  # a frame of the current epoch


async def test_board_ticket_stops_working_when_the_board_link_is_rotated(
    server: Server, organiser_cookies: dict[str, str]
) -> None:
    async with Browser(server, organiser_cookies) as organiser:
        event = await new_event(organiser)
        async with Browser(server) as projector:
            old_path = await projector.live_path(event.board_path)
            async with live_socket(server, old_path, greeting=hello()) as socket:
                assert frame_sync(await socket.next_frame())[0]  # a frame of the current epoch

            response = await organiser.post(f"/o/{event.slug}/board-link")
            assert response.status_code == 303
            overview = (await organiser.get(f"/o/{event.slug}")).text
            new_board = overview.split('id="board-link" href="', 1)[1].split('"', 1)[0]

            assert new_board != event.board_path
            assert (await projector.get(event.board_path)).status_code == 404
            assert await refused(server, old_path, origin=server.url) == 403
            new_path = await projector.live_path(new_board)
            async with live_socket(server, new_path, greeting=hello()) as socket:
                assert frame_sync(await socket.next_frame())[0]  # a frame of the current epoch


async def test_hello_decides_between_nothing_the_latest_frame_and_a_snapshot(
    server: Server, organiser_cookies: dict[str, str]
) -> None:
    async with AsyncExitStack() as stack:
        organiser = await stack.enter_async_context(Browser(server, organiser_cookies))
        event = await new_event(organiser)
        phone = await joined_phone(stack, server, event)
        path = await phone.live_path(f"/e/{event.slug}")
        first = await stack.enter_async_context(live_socket(server, path, greeting=hello()))
        epoch, start = frame_sync(await first.next_frame())
        await propose(phone, event, "Seed libraries")
        latest = await first.frame_where(lambda frame: "Seed libraries" in frame)
        assert frame_sync(latest)[0] == epoch
        version = frame_sync(latest)[1]
        assert version > start

        async def greeted(epoch: str, version: int) -> LiveSocket:
            greeting = hello(epoch, version)
            return await stack.enter_async_context(live_socket(server, path, greeting=greeting))

        current = await greeted(epoch, version)
        behind = await greeted(epoch, start)
        lost = await greeted("0123456789ab", version)  # from before a server restart

        # The first socket got the change as a delta (the topic list; the bar did not change);
        # the others get the whole frame at that version: what they missed, as one frame, and
        # a snapshot in the current epoch.
        assert 'id="phone-nav"' not in latest
        whole = await behind.next_frame()
        assert frame_sync(whole) == frame_sync(latest)
        assert "Seed libraries" in whole and 'id="phone-nav"' in whole
        assert await lost.next_frame() == whole
        await asyncio.sleep(QUIET_SECONDS)
        assert current.frames == []  # it has the newest frame already

        await propose(phone, event, "Bike kitchen")
        newer = await current.frame_where(lambda frame: "Bike kitchen" in frame)
        assert frame_sync(newer) > (epoch, version)


@pytest.mark.parametrize(
    "message",
    [
        "not json",
        json.dumps({"type": "subscribe", "event": 1}),
        json.dumps({"type": "ping", "padding": "x" * 1100}),  # more than 1 KiB
        b'{"type": "ping"}',  # binary frames are not ours either
    ],
    ids=["malformed", "unknown-type", "oversized", "binary"],
)
async def test_bad_client_message_closes_the_socket_with_1008(
    server: Server, organiser_cookies: dict[str, str], message: str | bytes
) -> None:
    async with Browser(server, organiser_cookies) as organiser:
        event = await new_event(organiser)
        path = await organiser.live_path(f"/o/{event.slug}/live")
        # Before the hello and after it: both end the same way.
        async with live_socket(server, path) as early:
            await early.connection.send(message)
            assert await early.closed() == 1008
            assert early.frames == []
        async with live_socket(server, path, greeting=hello()) as later:
            await later.next_frame()
            await later.connection.send(json.dumps({"type": "ping"}))  # allowed, changes nothing
            await later.connection.send(message)
            assert await later.closed() == 1008
            assert len(later.frames) == 1


async def test_proposed_topic_reaches_every_socket_within_two_seconds(
    server: Server, organiser_cookies: dict[str, str]
) -> None:
    async with AsyncExitStack() as stack:
        organiser = await stack.enter_async_context(Browser(server, organiser_cookies))
        event = await new_event(organiser)
        projector = await stack.enter_async_context(Browser(server))
        phones = [await joined_phone(stack, server, event) for _ in range(3)]
        paths = [
            await projector.live_path(event.board_path),
            await organiser.live_path(f"/o/{event.slug}/live"),
            *[await phone.live_path(f"/e/{event.slug}") for phone in phones],
        ]
        sockets = [
            await stack.enter_async_context(live_socket(server, path, greeting=hello()))
            for path in paths
        ]
        await asyncio.gather(*(socket.next_frame() for socket in sockets))

        proposed_at = asyncio.get_running_loop().time()
        await propose(phones[0], event, "Open data for city budgets")
        frames = await asyncio.gather(
            *(
                socket.frame_where(lambda frame: "Open data for city budgets" in frame, within=2)
                for socket in sockets
            )
        )

        for socket, frame in zip(sockets, frames, strict=True):
            assert socket.arrival_times[socket.frames.index(frame)] - proposed_at < 2.0

        assert 'id="board-topics"' in frames[0]
        assert 'id="topic-list"' in frames[-1]
        assert {frame_sync(frame) for frame in frames[2:]} == {frame_sync(frames[0])}


async def test_burst_of_50_votes_makes_few_frames_ending_at_the_final_tally(
    server: Server, organiser_cookies: dict[str, str]
) -> None:
    async with AsyncExitStack() as stack:
        room = await voting_room(stack, server, organiser_cookies, 5, "Community energy")
        event, topic_id, phones, sockets = room.event, room.topic_id, room.phones, room.sockets

        # Ten at a time: 40 or more concurrent writes starve the server's thread pool on
        # SQLite (reported separately); this test is about frames, not about the database.
        limit = asyncio.Semaphore(10)

        async def vote_once(phone: Browser) -> None:
            async with limit:
                await vote(phone, event, topic_id)

        await asyncio.gather(*(vote_once(phone) for _ in range(10) for phone in phones))
        board_tally = 'aria-label="50 dots">50</span>'
        phone_tally = '<span class="tally-count">50</span>'
        await sockets[0].frame_where(lambda frame: board_tally in frame, within=3)
        await asyncio.gather(
            *(
                socket.frame_where(lambda frame: phone_tally in frame, within=3)
                for socket in sockets[1:]
            )
        )
        await asyncio.sleep(QUIET_SECONDS)  # let any frame still due arrive

        counts = [len(socket.frames) - 1 for socket in sockets]
        print(f"frames per socket for 50 votes: {counts}")
        assert all(1 <= count <= 15 for count in counts), counts
        assert board_tally in sockets[0].frames[-1]
        assert all(phone_tally in socket.frames[-1] for socket in sockets[1:])
        for socket in sockets:
            versions = [frame_sync(frame)[1] for frame in socket.frames]
            assert versions == sorted(set(versions))


async def test_live_socket_follows_a_slug_to_its_new_event(
    server: Server, organiser_cookies: dict[str, str]
) -> None:
    """Deleting an event and making a new one at the same address: its phones connect."""
    async with AsyncExitStack() as stack:
        organiser = await stack.enter_async_context(Browser(server, organiser_cookies))
        event = await new_event(organiser)
        phone = await joined_phone(stack, server, event)
        async with live_socket(server, await phone.live_path(f"/e/{event.slug}")) as socket:
            await socket.next_frame()
        await new_event(organiser)  # so that the next event cannot get the deleted one's id
        response = await organiser.post(f"/o/{event.slug}/delete", {"confirm": event.slug})
        assert response.status_code == 303, response.text

        reborn = await create_event(organiser, event.slug)
        await set_phase(organiser, reborn, "marketplace")
        newcomer = await joined_phone(stack, server, reborn)
        path = await newcomer.live_path(f"/e/{reborn.slug}")
        async with live_socket(server, path, greeting=hello()) as socket:
            assert frame_sync(await socket.next_frame())[0]  # a frame of the current epoch


async def test_vote_waves_reach_the_phones_in_fewer_frames_than_the_board(
    server: Server, organiser_cookies: dict[str, str]
) -> None:
    """Phones get at most a frame a second (the board four): under a stream of votes they
    never get more frames than the board, and their last one holds the final tallies. (That
    they get fewer depends on how fast the server goes; test_hub.py shows it with a clock.)"""
    async with AsyncExitStack() as stack:
        room = await voting_room(stack, server, organiser_cookies, 4, "Repair cafés")
        event, topic_id, phones, sockets = room.event, room.topic_id, room.phones, room.sockets
        board = sockets[0]

        # Eight waves, each waiting for the board's frame of the one before: the board gets
        # a frame per wave, and the votes keep coming for as long as that takes.
        for wave in range(1, 9):
            await asyncio.gather(*(vote(phone, event, topic_id) for phone in phones))
            tally = f'aria-label="{4 * wave} dots">{4 * wave}</span>'
            await board.frame_where(lambda frame, tally=tally: tally in frame, within=5)
        final = '<span class="tally-count">32</span>'
        await asyncio.gather(
            *(socket.frame_where(lambda frame: final in frame, within=5) for socket in sockets[1:])
        )
        await asyncio.sleep(QUIET_SECONDS)  # let any frame still due arrive

        counts = [len(socket.frames) - 1 for socket in sockets]  # after the first
        print(f"frames for eight waves of votes, board then phones: {counts}")
        assert counts[0] >= 8
        assert all(1 <= count <= counts[0] for count in counts[1:]), counts
        assert all(final in socket.frames[-1] for socket in sockets[1:])
        last = frame_sync(board.frames[-1])
        assert {frame_sync(socket.frames[-1]) for socket in sockets} == {last}
