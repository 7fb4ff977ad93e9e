"""What the benchmarks do as people would: the organiser's set-up, phones joining, sockets.

Shared by ``vote_burst.py`` (one server) and ``cluster.py`` (three nodes behind a balancer):
everything goes through the public HTTP and WebSocket interface, parsed from the pages.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import re
import ssl
import time

import httpx
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed, InvalidStatus, WebSocketException

PASSWORD = "a long secret phrase 123"  # noqa: S105 - a throw-away account on a throw-away server
CSRF = re.compile(r'"X-CSRF-Token": "([0-9a-f]+)"')
WS_URL = re.compile(r'ws-connect="([^"]+)"')
JOIN_CODE = re.compile(r'id="join-code">(\w+)<')
BOARD = re.compile(r'id="board-link" href="([^"]+)"')
SYNC = re.compile(rb'data-epoch="([^"]*)" data-version="(\d+)"')
# A card's tally, in a whole frame and alone in a frame's delta.
PHONE_TALLY = re.compile(rb'id="tally-(\d+)"[^>]*><span class="tally-count">(\d+)<')
BOARD_TALLY = re.compile(
    rb'id="board-topic-(\d+)".*?(?:class="board-tally"[^>]*>(\d+)<|</li>)', re.S
)


def form(client: httpx.Client, url: str, data: dict[str, str], page: str) -> httpx.Response:
    token = CSRF.search(client.get(page).text).group(1)  # type: ignore[union-attr]
    response = client.post(url, data={**data, "csrf_token": token})
    if response.status_code not in (200, 303):
        raise SystemExit(f"{url}: {response.status_code} {response.text[:300]}")
    return response


def set_up(base: str, args: argparse.Namespace) -> tuple[str, str, list[int]]:
    """As the organiser: event, topics, rules. Returns (slug, join code, topic ids)."""
    organiser = httpx.Client(base_url=base, follow_redirects=False, timeout=30)
    form(organiser, "/login", {"email": "bench@example.org", "password": PASSWORD}, "/login")
    created = form(
        organiser,
        "/o/new",
        {
            "name": "Bench lab",
            "languages": "en",
            "timezone": "Europe/Sofia",
            "first_day": "2026-06-09",
            "day_count": "1",
        },
        "/o/new",
    )
    slug = created.headers["location"].rsplit("/", 1)[1]
    live = f"/o/{slug}/live"
    dots = max(1, -(-args.votes // args.clients))  # ceiling: enough dots for every vote
    form(
        organiser,
        f"/o/{slug}/rules",
        {
            "dots_per_participant": str(dots),
            "max_dots_per_topic": "1",
            "pitch_seconds": "45",
            "proposals_while_voting": "true",
        },
        live,
    )
    form(organiser, f"/o/{slug}/phase", {"phase": "marketplace"}, live)
    for number in range(args.topics):
        form(organiser, f"/o/{slug}/topics", {"title": f"Topic number {number + 1}"}, live)
    overview = organiser.get(f"/o/{slug}").text
    code = JOIN_CODE.search(overview).group(1)  # type: ignore[union-attr]
    page = organiser.get(live).text
    topic_ids = sorted({int(match) for match in re.findall(r'id="staff-topic-(\d+)"', page)})
    board_path = BOARD.search(overview).group(1)  # type: ignore[union-attr]
    form(organiser, f"/o/{slug}/phase", {"phase": "voting"}, live)
    board_ws = WS_URL.search(organiser.get(board_path).text).group(1)  # type: ignore[union-attr]
    organiser.close()
    return board_ws, code, topic_ids


async def join_all(
    base: str, code: str, count: int, concurrency: int
) -> list[tuple[httpx.AsyncClient, str, str]]:
    """N participants join; each keeps its own cookie jar. Returns (client, csrf, ws url)."""
    limits = asyncio.Semaphore(concurrency)
    # One TLS context for all: httpx builds one per client otherwise (loading the CA bundle,
    # 0.25 s of CPU each on a loaded machine: 12 minutes for 3,000 phones).
    tls = ssl.create_default_context()

    async def one(number: int) -> tuple[httpx.AsyncClient, str, str]:
        client = httpx.AsyncClient(
            base_url=base, timeout=60, limits=httpx.Limits(max_connections=2), verify=tls
        )
        async with limits:
            page = await client.get(f"/j/{code}")
            token = CSRF.search(page.text).group(1)  # type: ignore[union-attr]
            joined = await client.post(
                f"/j/{code}", data={"name": f"P{number}", "csrf_token": token}
            )
            if joined.status_code != 303:
                raise SystemExit(f"join: {joined.status_code} {joined.text[:200]}")
            home = await client.get(joined.headers["location"])
        return client, CSRF.search(home.text).group(1), WS_URL.search(home.text).group(1)  # type: ignore[union-attr]

    return list(await asyncio.gather(*(one(number) for number in range(count))))


# How the phones wait before reconnecting a dropped socket, exactly as live.js sets
# ``htmx.config.wsReconnectDelay`` (the htmx ws extension calls it with 0, 1, 2 … failures in a
# row): "full jitter", a random time up to 1, 2, 4 s, never more than 5 s. Only the close codes
# the extension reconnects on bring a phone back; a refused or failed handshake is 1006.
RECONNECT_BASE_S = 1.0
RECONNECT_CAP_S = 5.0
RECONNECT_CODES = (1006, 1011, 1012, 1013)


def reconnect_delay(retry_count: int, draw: float) -> float:
    """Seconds to wait before attempt ``retry_count + 1``; ``draw`` is Math.random()."""
    return draw * min(RECONNECT_CAP_S, RECONNECT_BASE_S * 2 ** min(retry_count, 16))


class Watcher:
    """A socket that applies each frame as the page does, and reconnects as a phone does.

    With a ``pattern`` (``PHONE_TALLY``, ``BOARD_TALLY``), ``tallies`` holds what the screen
    shows: each frame's tallies replace those it carries (a delta carries the changed ones).

    By default it comes back after half a second. ``jitter=True`` waits as the phones do
    (``reconnect_delay``), and like them gives up on a close code the htmx extension does not
    reconnect on. ``opened`` holds (monotonic time, the balancer's ``X-Served-By``) of every
    connection it made, ``failed`` (monotonic time, why) of every attempt or socket that
    failed, for the failover benchmark.
    """

    def __init__(
        self, url: str, *, jitter: bool = False, pattern: re.Pattern[bytes] | None = None
    ) -> None:
        self.url = url
        self.jitter = jitter
        self.pattern = pattern
        self.tallies: dict[int, int] = {}
        self.epoch = ""
        self.version = -1
        self.reconnects = 0
        self.frames = 0  # messages received, and their bytes
        self.bytes = 0
        self.connected = asyncio.Event()
        self.opened: list[tuple[float, str]] = []
        self.failed: list[tuple[float, str]] = []
        self.waited: list[tuple[float, float]] = []
        self.gave_up = ""

    async def run(self) -> None:
        retry_count = 0
        while True:
            try:
                async with connect(
                    self.url, max_size=None, open_timeout=120, ping_interval=None
                ) as ws:
                    hello = {"type": "hello", "epoch": self.epoch, "version": self.version}
                    await ws.send(json.dumps(hello))
                    served_by = ws.response.headers.get("X-Served-By", "") if ws.response else ""
                    self.opened.append((time.monotonic(), served_by))
                    retry_count = 0
                    self.connected.set()
                    while True:
                        # Bytes, not str: decoding every frame would make this process, not
                        # the server, the bottleneck.
                        message = await ws.recv(decode=False)
                        self.frames += 1
                        self.bytes += len(message)
                        match = SYNC.search(message, 0, 300)
                        if match:
                            self.epoch = match.group(1).decode()
                            self.version = int(match.group(2))
                            if self.pattern is not None:
                                self.tallies.update(tallies(message, self.pattern))
            except ConnectionClosed as closed:
                code = closed.rcvd.code if closed.rcvd else 1006
                self.failed.append((time.monotonic(), f"closed {code}"))
                if self.jitter and code not in RECONNECT_CODES:
                    self.gave_up = f"closed {code}"
                    return
            except InvalidStatus as refused:
                self.failed.append((time.monotonic(), f"handshake {refused.response.status_code}"))
            except (OSError, WebSocketException, TimeoutError) as error:
                self.failed.append((time.monotonic(), type(error).__name__))
            self.reconnects += 1
            delay = reconnect_delay(retry_count, random.random()) if self.jitter else 0.5
            retry_count += 1
            self.waited.append((time.monotonic(), delay))
            await asyncio.sleep(delay)


def tallies(frame: bytes, pattern: re.Pattern[bytes]) -> dict[int, int]:
    return {int(topic): int(count or 0) for topic, count in pattern.findall(frame)}


def slug_of(board_ws: str) -> str:
    return board_ws.split("/ws/", 1)[1].split("?", 1)[0]
