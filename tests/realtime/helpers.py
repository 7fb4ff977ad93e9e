"""What the WebSocket tests do against a real server: HTTP as a browser would, live sockets."""

from __future__ import annotations

import asyncio
import contextlib
import json
import re
import secrets
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from html import unescape
from pathlib import Path
from types import TracebackType
from typing import Any

import httpx
from sqlmodel import select
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed

from app.config import Settings
from app.db import make_engine, open_session
from app.models.events import Event
from app.web import SID_COOKIE, csrf_token

SECRET = "realtime-test-secret-key-long-enough-0123456789"
SYNC = re.compile(r'<div id="live-sync" hidden data-epoch="([^"]*)" data-version="(\d+)"')


@dataclass(frozen=True)
class Server:
    url: str
    port: int
    env: dict[str, str]
    data_dir: Path
    database_url: str = ""

    @property
    def ws_url(self) -> str:
        return f"ws://127.0.0.1:{self.port}"

    @property
    def log(self) -> Path:
        return self.data_dir / f"server-{self.port}.log"

    def settings(self) -> Settings:
        """Settings for the test process to reach the server's database."""
        return Settings(
            environment="test",
            data_dir=self.data_dir,
            database_url=self.database_url,
            secret_key=SECRET,
        )

    def event_id(self, slug: str) -> int:
        engine = make_engine(self.settings())
        try:
            with open_session(engine) as session:
                event_id = session.exec(select(Event.id).where(Event.slug == slug)).one()
        finally:
            engine.dispose()
        assert event_id is not None
        return event_id


@dataclass(frozen=True)
class LiveEvent:
    slug: str
    join_code: str
    board_path: str


def frame_sync(frame: str) -> tuple[str, int]:
    """The (epoch, version) a frame carries."""
    match = SYNC.match(frame)
    assert match, f"not a live frame: {frame[:200]!r}"
    return match.group(1), int(match.group(2))


# --- HTTP, as a browser ------------------------------------------------------------------


def sign_in_cookies(client: httpx.Client, email: str, password: str) -> dict[str, str]:
    client.get("/healthz")
    token = csrf_token(client.cookies[SID_COOKIE], SECRET.encode())
    response = client.post(
        "/login", data={"email": email, "password": password, "csrf_token": token}
    )
    assert response.status_code == 303, response.text
    return {cookie.name: cookie.value or "" for cookie in client.cookies.jar}


class Browser:
    """One browser (a cookie jar) on a server; posts carry the CSRF token like forms do."""

    def __init__(self, server: Server, cookies: dict[str, str] | None = None) -> None:
        self.server = server
        self.client = httpx.AsyncClient(base_url=server.url, cookies=cookies, timeout=20)

    async def __aenter__(self) -> Browser:
        return self

    async def __aexit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        await self.client.aclose()

    async def csrf(self) -> str:
        if SID_COOKIE not in self.client.cookies:
            await self.client.get("/healthz")
        return csrf_token(self.client.cookies[SID_COOKIE], SECRET.encode())

    async def get(self, path: str) -> httpx.Response:
        return await self.client.get(path)

    async def post(self, path: str, data: dict[str, str] | None = None) -> httpx.Response:
        return await self.client.post(path, data={**(data or {}), "csrf_token": await self.csrf()})

    async def live_path(self, page: str) -> str:
        """The WebSocket address a page connects to (its ``ws-connect`` attribute)."""
        response = await self.get(page)
        assert response.status_code == 200, response.text
        match = re.search(r'ws-connect="([^"]+)"', response.text)
        assert match, f"no ws-connect on {page}"
        return unescape(match.group(1))


async def create_event(organiser: Browser, slug: str) -> LiveEvent:
    response = await organiser.post(
        "/o/new",
        {
            "name": f"Lab {slug}",
            "slug": slug,
            "languages": "en, bg",
            "timezone": "Europe/Sofia",
            "first_day": "2026-06-09",
            "day_count": "1",
        },
    )
    assert response.status_code == 303, response.text
    overview = (await organiser.get(f"/o/{slug}")).text
    board = re.search(r'id="board-link" href="([^"]+)"', overview)
    code = re.search(r'id="join-code">([^<]+)<', overview)
    assert board and code
    return LiveEvent(slug=slug, join_code=code.group(1).strip(), board_path=board.group(1))


async def set_phase(organiser: Browser, event: LiveEvent, phase: str) -> None:
    response = await organiser.post(f"/o/{event.slug}/phase", {"phase": phase})
    assert response.status_code == 303, response.text


async def set_rules(organiser: Browser, event: LiveEvent, *, dots: int, per_topic: int) -> None:
    response = await organiser.post(
        f"/o/{event.slug}/rules",
        {
            "dots_per_participant": str(dots),
            "max_dots_per_topic": str(per_topic),
            "pitch_seconds": "45",
            "proposals_while_voting": "true",
        },
    )
    assert response.status_code == 303, response.text


async def join(phone: Browser, event: LiveEvent, name: str) -> None:
    response = await phone.post(f"/j/{event.join_code}", {"name": name, "locale": "en"})
    assert response.status_code == 303, response.text
    assert response.headers["location"] == f"/e/{event.slug}"


async def propose(phone: Browser, event: LiveEvent, title: str) -> int:
    """Propose a topic from a phone; returns its id (from the phone's own page)."""
    response = await phone.post(
        f"/e/{event.slug}/topics", {"title": title, "description": "", "language": "en"}
    )
    assert response.status_code == 303, response.text
    page = (await phone.get(f"/e/{event.slug}")).text
    match = re.search(
        rf'data-topic="(\d+)">\s*<h3 class="topic-title" dir="auto">{re.escape(title)}</h3>', page
    )
    assert match, f"topic {title!r} is not on the phone's page"
    return int(match.group(1))


async def vote(phone: Browser, event: LiveEvent, topic_id: int) -> None:
    response = await phone.client.post(
        f"/e/{event.slug}/topics/{topic_id}/vote",
        headers={"X-CSRF-Token": await phone.csrf(), "Idempotency-Key": secrets.token_hex(16)},
    )
    assert response.status_code == 200, response.text


# --- WebSockets --------------------------------------------------------------------------


def hello(epoch: str = "", version: int = 0) -> str:
    """What the page sends on open: the (epoch, version) of the last frame it has."""
    return json.dumps({"type": "hello", "epoch": epoch, "version": version})


class LiveSocket:
    """A client socket whose frames are read as they come (so none pile up in buffers)."""

    def __init__(self, connection: ClientConnection) -> None:
        self.connection = connection
        self.frames: list[str] = []
        self.arrival_times: list[float] = []  # loop time of each frame
        self._arrived = asyncio.Event()
        self._taken = 0
        self._reader = asyncio.create_task(self._read())

    async def _read(self) -> None:
        with contextlib.suppress(ConnectionClosed):
            async for message in self.connection:
                self.frames.append(str(message))
                self.arrival_times.append(asyncio.get_running_loop().time())
                self._arrived.set()
        self._arrived.set()

    @property
    def close_code(self) -> int | None:
        return self.connection.close_code

    async def frame_where(
        self, predicate: Callable[[str], bool], *, start: int = 0, within: float = 2.0
    ) -> str:
        """The first frame from index ``start`` on that satisfies ``predicate``."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + within
        seen = start
        while True:
            for frame in self.frames[seen:]:
                if predicate(frame):
                    return frame
            seen = len(self.frames)
            if self._reader.done():
                raise AssertionError(f"socket closed ({self.close_code}) before the frame")
            self._arrived.clear()
            remaining = deadline - loop.time()
            if remaining <= 0:
                raise AssertionError(f"no such frame within {within} s ({seen} frames)")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._arrived.wait(), remaining)

    async def next_frame(self, *, within: float = 2.0) -> str:
        """Frames one by one, in order: the first call returns the first frame."""
        frame = await self.frame_where(lambda _frame: True, start=self._taken, within=within)
        self._taken += 1
        return frame

    async def closed(self, *, within: float = 2.0) -> int | None:
        """Wait until the server closes the socket; its close code."""
        await asyncio.wait_for(asyncio.shield(self._reader), within)
        return self.close_code


@contextlib.asynccontextmanager
async def live_socket(
    server: Server, path: str, *, greeting: str | None = None, **options: Any
) -> AsyncIterator[LiveSocket]:
    """Connect as the page would: same Origin as the page, then greet with a hello."""
    options.setdefault("origin", server.url)
    async with connect(server.ws_url + path, open_timeout=5, **options) as connection:
        socket = LiveSocket(connection)
        if greeting is not None:
            await connection.send(greeting)
        try:
            yield socket
        finally:
            await connection.close()
            await socket.closed(within=5)
