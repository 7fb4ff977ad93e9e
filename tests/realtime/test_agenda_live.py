"""The agenda live, through a real server and real WebSocket clients: publishing reaches phones
and the board in one frame; a draft move reaches the other facilitator's screens, not phones."""

from __future__ import annotations

import re
from contextlib import AsyncExitStack

import pytest

from tests.realtime.helpers import (
    Browser,
    Server,
    create_event,
    hello,
    join,
    live_socket,
    propose,
    set_phase,
)

pytestmark = pytest.mark.anyio


async def test_publish_reaches_phones_and_board_and_moves_reach_staff_only(
    server: Server, organiser_cookies: dict[str, str]
) -> None:
    async with AsyncExitStack() as stack:
        organiser = await stack.enter_async_context(Browser(server, organiser_cookies))
        event = await create_event(organiser, "agenda-live")
        await set_phase(organiser, event, "marketplace")
        assert (
            await organiser.post(f"/o/{event.slug}/rooms", {"name": "Hall", "capacity": "30"})
        ).status_code == 303
        programme = (await organiser.get(f"/o/{event.slug}/programme")).text
        day_id = re.search(r'id="day-(\d+)"', programme)
        assert day_id
        added = await organiser.post(
            f"/o/{event.slug}/days/{day_id.group(1)}/blocks",
            {"kind": "slot", "starts_at": "10:00", "ends_at": "11:00"},
        )
        assert added.status_code == 303, added.text
        phone = await stack.enter_async_context(Browser(server))
        await join(phone, event, "Pia")
        topic = await propose(phone, event, "Commons and cooperatives")
        await set_phase(organiser, event, "agenda")
        grid_page = (await organiser.get(f"/o/{event.slug}/grid")).text
        block = re.search(r'data-drop="cell" data-block="(\d+)" data-room="(\d+)"', grid_page)
        assert block

        projector = await stack.enter_async_context(Browser(server))
        sockets = {
            name: await stack.enter_async_context(
                live_socket(server, await browser.live_path(page), greeting=hello())
            )
            for name, browser, page in (
                ("phone", phone, f"/e/{event.slug}"),
                ("board", projector, event.board_path),
                ("staff", organiser, f"/o/{event.slug}/grid"),
            )
        }
        for socket in sockets.values():
            await socket.next_frame()

        moved = await organiser.post(
            f"/o/{event.slug}/grid/move",
            {"topic": str(topic), "to_block": block.group(1), "to_room": block.group(2)},
        )
        assert moved.status_code == 303, moved.text
        staff_frame = await sockets["staff"].frame_where(
            lambda frame: (
                re.search(r'id="grid-revision" hidden data-revision="[1-9]', frame) is not None
            )
        )
        assert staff_frame
        # The draft is not published: phones get no session.
        phone_frame = sockets["phone"].frames[-1]
        assert 'class="agenda-session"' not in phone_frame

        published = await organiser.post(f"/o/{event.slug}/grid/publish")
        assert published.status_code == 303
        phone_frame = await sockets["phone"].frame_where(
            lambda frame: f'class="agenda-session" data-topic="{topic}"' in frame
        )
        board_frame = await sockets["board"].frame_where(
            lambda frame: "board-session-title" in frame
        )
        assert 'data-version="1"' in phone_frame
        assert "0/30 here" in board_frame

        here = await phone.post(f"/e/{event.slug}/sessions/{topic}/here")
        assert here.status_code == 303
        await sockets["board"].frame_where(lambda frame: "1/30 here" in frame)
