"""Two real server processes on one PostgreSQL database, sharing live updates through Redis."""

from __future__ import annotations

import asyncio
import os
import re
from collections.abc import Iterator
from contextlib import AsyncExitStack
from dataclasses import dataclass

import httpx
import psycopg
import pytest
from redis import Redis

from app.realtime.broker import live_channel
from tests.conftest import POSTGRES_ADMIN_URL
from tests.realtime.helpers import (
    Browser,
    Server,
    create_event,
    frame_sync,
    hello,
    join,
    live_socket,
    propose,
    set_phase,
    sign_in_cookies,
    vote,
)
from tests.realtime.servers import (
    ORGANISER_EMAIL,
    ORGANISER_PASSWORD,
    create_organiser,
    make_server,
    running_servers,
)
from tests.servers import migrate

pytestmark = [pytest.mark.anyio, pytest.mark.postgres, pytest.mark.redis]

# A database number of its own, emptied before and after, so that other runs (and a developer's
# server on db 0) neither see nor disturb this one.
REDIS_DB = int(os.environ.get("OPENSPACE_TEST_REDIS_DB", "13"))
REDIS_URL = f"redis://127.0.0.1:6379/{REDIS_DB}"


@dataclass(frozen=True)
class Pair:
    a: Server
    b: Server
    organiser_cookies: dict[str, str]


def _admin(sql: str) -> None:
    with psycopg.connect(POSTGRES_ADMIN_URL, autocommit=True) as connection:
        connection.execute(sql)


@pytest.fixture(scope="module")
def pair(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Pair]:
    """Servers A and B: one migrated PostgreSQL database, one Redis database."""
    name = f"openspace_two_workers_{os.getpid()}"
    database_url = POSTGRES_ADMIN_URL.rsplit("/", 1)[0] + f"/{name}"
    redis = Redis.from_url(REDIS_URL)
    _admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    _admin(f'CREATE DATABASE "{name}"')
    redis.flushdb()
    try:
        a, b = (
            make_server(
                tmp_path_factory.mktemp(f"worker-{label}"),
                database_url=database_url,
                broadcast_url=REDIS_URL,
            )
            for label in "ab"
        )
        migrate(a.env, a.data_dir)
        create_organiser(a)
        with running_servers(a, b), httpx.Client(base_url=a.url) as client:
            yield Pair(a, b, sign_in_cookies(client, ORGANISER_EMAIL, ORGANISER_PASSWORD))
    finally:
        redis.flushdb()
        redis.close()
        _admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


async def test_vote_through_one_worker_reaches_a_socket_on_the_other(pair: Pair) -> None:
    a, b = pair.a, pair.b
    async with AsyncExitStack() as stack:
        organiser = await stack.enter_async_context(Browser(a, pair.organiser_cookies))
        event = await create_event(organiser, "two-workers")
        await set_phase(organiser, event, "marketplace")
        phones = [await stack.enter_async_context(Browser(a)) for _ in range(4)]
        for number, phone in enumerate(phones):
            await join(phone, event, f"Phone {number}")
        topic_id = await propose(phones[0], event, "Repair cafés")
        await set_phase(organiser, event, "voting")

        projector = await stack.enter_async_context(Browser(b))
        board_path = await projector.live_path(event.board_path)
        phone_paths = [await phone.live_path(f"/e/{event.slug}") for phone in phones]
        # Ten sockets: the board and four phones on B, five phones on A.
        on_b = [board_path, *phone_paths]
        on_a = [*phone_paths, phone_paths[0]]
        sockets_b = [
            await stack.enter_async_context(live_socket(b, path, greeting=hello())) for path in on_b
        ]
        sockets_a = [
            await stack.enter_async_context(live_socket(a, path, greeting=hello())) for path in on_a
        ]
        everyone = sockets_a + sockets_b
        await asyncio.gather(*(socket.next_frame() for socket in everyone))

        channel = live_channel(REDIS_DB)
        with Redis.from_url(REDIS_URL) as redis:
            assert redis.pubsub_numsub(channel) == [(channel.encode(), 2)]

        await vote(phones[1], event, topic_id)
        board = sockets_b[0]
        tallied = await board.frame_where(lambda frame: 'aria-label="1 dot">1</span>' in frame)
        on_a_frame = await sockets_a[0].frame_where(lambda frame: '"tally-count">1<' in frame)
        on_b_frame = await sockets_b[1].frame_where(lambda frame: '"tally-count">1<' in frame)

        # One shared (epoch, version): a phone may move between workers and resume.
        assert frame_sync(tallied) == frame_sync(on_a_frame) == frame_sync(on_b_frame)
        # Each worker sends what changed since its own previous frame (a delta), so the bytes
        # may differ; the topic's tally in them may not.
        tally = f'<p class="tally" id="tally-{topic_id}"'
        assert tally in on_a_frame and tally in on_b_frame
        assert _tally_of(on_a_frame, topic_id) == _tally_of(on_b_frame, topic_id) == 1


def _tally_of(frame: str, topic_id: int) -> int:
    found = re.search(rf'id="tally-{topic_id}"[^>]*><span class="tally-count">(\d+)<', frame)
    assert found is not None, frame
    return int(found.group(1))
