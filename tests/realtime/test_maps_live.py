"""The mapping workshop over the real live socket: cards and clusters reach the board, the
phones with the map open and the facilitator, within a second or two."""

from __future__ import annotations

import asyncio
import itertools
import re
import time
from contextlib import AsyncExitStack

import pytest

from tests.realtime.helpers import (
    Browser,
    LiveEvent,
    Server,
    create_event,
    frame_sync,
    hello,
    join,
    live_socket,
)

pytestmark = pytest.mark.anyio

_numbers = itertools.count(1)


async def _map_on_board(organiser: Browser, event: LiveEvent, question: str) -> int:
    response = await organiser.post(f"/o/{event.slug}/maps", {"question": question})
    assert response.status_code == 303, response.text
    map_id = int(response.headers["location"].rsplit("/", 1)[1])
    response = await organiser.post(f"/o/{event.slug}/maps/{map_id}/board")
    assert response.status_code == 303, response.text
    return map_id


async def test_posted_card_and_new_cluster_reach_every_socket(
    server: Server, organiser_cookies: dict[str, str]
) -> None:
    async with AsyncExitStack() as stack:
        organiser = await stack.enter_async_context(Browser(server, organiser_cookies))
        event = await create_event(organiser, f"map-{next(_numbers)}-{int(time.time())}")
        map_id = await _map_on_board(organiser, event, "What does your town need?")
        phone = await stack.enter_async_context(Browser(server))
        await join(phone, event, "Mira")
        projector = await stack.enter_async_context(Browser(server))
        page = (await phone.get(f"/e/{event.slug}/maps/{map_id}")).text
        needs = re.findall(r'name="category" value="(\d+)"', page)[2]
        paths = [
            await projector.live_path(event.board_path),
            await phone.live_path(f"/e/{event.slug}/maps/{map_id}"),
            await organiser.live_path(f"/o/{event.slug}/maps/{map_id}"),
        ]
        board, mobile, staff = [
            await stack.enter_async_context(live_socket(server, path, greeting=hello()))
            for path in paths
        ]
        first = await asyncio.gather(*(s.next_frame() for s in (board, mobile, staff)))
        assert '<section id="board-map" class="board-map active"' in first[0]
        assert "No cards here yet." in first[1]

        posted_at = asyncio.get_running_loop().time()
        response = await phone.post(
            f"/e/{event.slug}/maps/{map_id}/cards",
            {"text": "A night bus to the industrial zone", "category": needs},
        )
        assert response.status_code == 303, response.text
        text = "A night bus to the industrial zone"
        frames = await asyncio.gather(
            board.frame_where(lambda frame: text in frame, within=2),
            mobile.frame_where(lambda frame: text in frame, within=2),
            staff.frame_where(
                lambda frame: "What does your town need?”, 1 card" in frame, within=2
            ),
        )
        for socket, frame in zip((board, mobile, staff), frames, strict=True):
            assert socket.arrival_times[socket.frames.index(frame)] - posted_at < 2.0
        card_id = int(re.search(r'id="board-card-(\d+)"', frames[0]).group(1))  # type: ignore[union-attr]
        assert f'id="phone-map-{map_id}"' in frames[1]
        assert f'data-card="{card_id}"' in frames[1]
        # A frame knows nobody: no CSRF token, no author, only the card.
        assert "csrf_token" not in frames[1]
        assert "Mira" not in frames[0] + frames[1]
        assert frame_sync(frames[0])[1] == frame_sync(frames[1])[1]

        start = len(board.frames)
        response = await organiser.post(
            f"/o/{event.slug}/maps/{map_id}/move",
            {"card": str(card_id), "target": f"new:{needs}", "name": "Transport"},
        )
        assert response.status_code == 303, response.text
        clustered = await board.frame_where(
            lambda frame: '<p class="board-cluster-name"><bdi>Transport</bdi>' in frame, start=start
        )
        assert re.search(
            r'class="board-cluster-name"><bdi>Transport</bdi> <span class="count">1</span>'
            rf'.*id="board-card-{card_id}"',
            clustered,
            re.DOTALL,
        )

        start = len(board.frames)
        response = await organiser.post(f"/o/{event.slug}/maps/{map_id}/unboard")
        assert response.status_code == 303, response.text
        gone = await board.frame_where(lambda frame: "board-map" in frame, start=start)
        assert '<section id="board-map" class="board-map" aria-label="Map"' in gone
        assert text not in gone
