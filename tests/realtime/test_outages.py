"""A real server losing Redis or PostgreSQL mid-event, and getting it back.

Neither shared service is touched: Redis is a private ``redis-server`` on a free port, stopped
and started again (empty, as a restart without persistence leaves it); PostgreSQL is reached
through a private TCP proxy (``socat``) that is cut and restored, which is what a restart looks
like to the server: its connections break and new ones are refused for a while.
"""

from __future__ import annotations

import asyncio
import os
import secrets
import shutil
import signal
import socket
import subprocess
import time
from collections.abc import AsyncIterator, Iterator
from contextlib import AsyncExitStack, asynccontextmanager, contextmanager
from pathlib import Path

import httpx
import psycopg
import pytest
from sqlalchemy.engine import make_url

from tests.conftest import POSTGRES_ADMIN_URL
from tests.realtime.helpers import (
    Browser,
    LiveEvent,
    create_event,
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
from tests.servers import free_port, migrate

pytestmark = [pytest.mark.anyio]

# Generous: these wait for a state, they do not measure how fast it came.
CONVERGE_DEADLINE = 30.0


def _wait_for_port(port: int, *, up: bool) -> None:
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        try:
            with socket_to(port):
                if up:
                    return
        except OSError:
            if not up:
                return
        time.sleep(0.05)
    raise AssertionError(f"port {port} did not go {'up' if up else 'down'}")


@contextmanager
def socket_to(port: int) -> Iterator[None]:
    with socket.create_connection(("127.0.0.1", port), timeout=1):
        yield


class Service:
    """A process on a port of its own that the test stops and starts again."""

    def __init__(self, command: list[str], port: int) -> None:
        self.command = command
        self.port = port
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        self.process = subprocess.Popen(
            self.command,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        _wait_for_port(self.port, up=True)

    def stop(self) -> None:
        if self.process is None:
            return
        # The whole group: socat forks one child per connection, and they must go too.
        os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=10)
        self.process = None
        _wait_for_port(self.port, up=False)


@contextmanager
def running(service: Service) -> Iterator[Service]:
    service.start()
    try:
        yield service
    finally:
        service.stop()


def private_redis() -> Service:
    port = free_port()
    redis_server = shutil.which("redis-server") or "redis-server"
    command = [redis_server, "--bind", "127.0.0.1", "--port", str(port)]
    return Service([*command, "--save", "", "--appendonly", "no"], port)


def postgres_proxy() -> Service:
    """``socat`` in front of the shared PostgreSQL: cutting it is the server's outage."""
    port = free_port()
    target = make_url(POSTGRES_ADMIN_URL)
    listen = f"TCP-LISTEN:{port},bind=127.0.0.1,fork,reuseaddr"
    upstream = f"TCP:{target.host or '127.0.0.1'}:{target.port or 5432}"
    return Service([shutil.which("socat") or "socat", listen, upstream], port)


@asynccontextmanager
async def voting_event(
    browser_of: Browser, organiser: Browser, slug: str
) -> AsyncIterator[tuple[LiveEvent, int]]:
    event = await create_event(organiser, slug)
    await set_phase(organiser, event, "marketplace")
    await join(browser_of, event, "Mira")
    topic_id = await propose(browser_of, event, "Seed libraries")
    await set_phase(organiser, event, "voting")
    yield event, topic_id


def tally(count: int) -> str:
    return f'"tally-count">{count}<'


async def test_votes_while_redis_is_down_reach_the_screens_once_it_is_back(
    tmp_path: Path,
) -> None:
    redis = private_redis()
    server = make_server(tmp_path, broadcast_url=f"redis://127.0.0.1:{redis.port}/0")
    migrate(server.env, server.data_dir)
    create_organiser(server)
    redis.start()
    try:
        with running_servers(server), httpx.Client(base_url=server.url) as client:
            cookies = sign_in_cookies(client, ORGANISER_EMAIL, ORGANISER_PASSWORD)
            async with AsyncExitStack() as stack:
                organiser = await stack.enter_async_context(Browser(server, cookies))
                phone = await stack.enter_async_context(Browser(server))
                other = await stack.enter_async_context(Browser(server))
                event, topic_id = await stack.enter_async_context(
                    voting_event(phone, organiser, "redis-outage")
                )
                await join(other, event, "Ivo")
                path = await phone.live_path(f"/e/{event.slug}")
                socket = await stack.enter_async_context(
                    live_socket(server, path, greeting=hello())
                )
                await socket.frame_where(lambda frame: tally(0) in frame)

                redis.stop()
                await vote(phone, event, topic_id)  # acknowledged: the dot is stored
                seen = len(socket.frames)
                redis.start()  # empty, as after a restart without persistence

                await socket.frame_where(
                    lambda frame: tally(1) in frame, start=seen, within=CONVERGE_DEADLINE
                )
                # Live again, under Redis's new epoch: the next change arrives as usual.
                await vote(other, event, topic_id)
                await socket.frame_where(lambda frame: tally(2) in frame, within=10)
    finally:
        redis.stop()


@pytest.mark.postgres
async def test_votes_while_postgresql_restarts_get_try_again_and_count_once(
    tmp_path: Path,
) -> None:
    proxy = postgres_proxy()
    name = f"openspace_outage_{os.getpid()}"
    with psycopg.connect(POSTGRES_ADMIN_URL, autocommit=True) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        connection.execute(f'CREATE DATABASE "{name}"')
    through_proxy = make_url(POSTGRES_ADMIN_URL).set(
        host="127.0.0.1", port=proxy.port, database=name
    )
    database_url = through_proxy.render_as_string(hide_password=False)
    server = make_server(tmp_path, database_url=database_url)
    try:
        with running(proxy):
            migrate(server.env, server.data_dir)
            create_organiser(server)
            with running_servers(server), httpx.Client(base_url=server.url) as client:
                cookies = sign_in_cookies(client, ORGANISER_EMAIL, ORGANISER_PASSWORD)
                async with (
                    Browser(server, cookies) as organiser,
                    Browser(server) as phone,
                    voting_event(phone, organiser, "pg-outage") as (event, topic_id),
                ):
                    await _vote_through_an_outage(proxy, phone, event, topic_id)
    finally:
        with psycopg.connect(POSTGRES_ADMIN_URL, autocommit=True) as connection:
            connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


async def _vote_through_an_outage(
    proxy: Service, phone: Browser, event: LiveEvent, topic_id: int
) -> None:
    url = f"/e/{event.slug}/topics/{topic_id}/vote"
    headers = {
        "X-CSRF-Token": await phone.csrf(),
        "HX-Request": "true",
        "Idempotency-Key": secrets.token_hex(16),
    }
    proxy.stop()
    refused = await phone.client.post(url, headers=headers)
    assert refused.status_code == 503
    assert refused.headers["retry-after"] == "2"
    assert "The database is not answering for a moment. Please try again." in refused.text
    as_api = await phone.client.post(url, headers={**headers, "Accept": "application/json"})
    assert as_api.status_code == 503
    assert as_api.json() == {
        "error": "unavailable",
        "message": "The database is not answering for a moment. Please try again.",
        "retry_after": 2,
    }
    page = await phone.get(f"/e/{event.slug}")
    assert page.status_code == 503
    assert (await phone.get("/healthz")).status_code == 503

    proxy.start()
    # The phone retries with the same key until it is answered; the dot counts once.
    deadline = asyncio.get_running_loop().time() + CONVERGE_DEADLINE
    while True:
        answer = await phone.client.post(url, headers=headers)
        assert answer.status_code in (200, 503), answer.text
        if answer.status_code == 200:
            break
        assert asyncio.get_running_loop().time() < deadline, "still refused"
        await asyncio.sleep(0.2)
    again = await phone.client.post(url, headers=headers)
    assert again.status_code == 200
    assert tally(1) in (await phone.get(f"/e/{event.slug}")).text
