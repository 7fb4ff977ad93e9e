"""The benchmarks' phones reconnect as real phones do: the same capped full-jitter wait as
live.js installs (``tests/browser/test_reconnect.py`` checks it in Chromium), and only on the
close codes the htmx ws extension reconnects on. Needs nothing but a local socket."""

from __future__ import annotations

import asyncio
import re
from http import HTTPStatus
from pathlib import Path

import pytest
from websockets.asyncio.server import Request, Response, ServerConnection, serve

from bench import phones
from bench.phones import RECONNECT_BASE_S, RECONNECT_CAP_S, Watcher, reconnect_delay

LIVE_JS = Path(__file__).parents[2] / "app" / "static" / "js" / "live.js"
FRAME = b'<div id="live-sync" data-epoch="e1" data-version="7"></div>'


def test_the_constants_are_live_js_s() -> None:
    script = LIVE_JS.read_text()
    base = re.search(r"RECONNECT_BASE_MS = (\d+);", script)
    cap = re.search(r"RECONNECT_CAP_MS = (\d+);", script)
    assert base and cap
    assert int(base.group(1)) == RECONNECT_BASE_S * 1000
    assert int(cap.group(1)) == RECONNECT_CAP_S * 1000
    # The extension reconnects on these codes only (a failed handshake closes with 1006).
    vendored = (LIVE_JS.parents[1] / "vendor" / "htmx-ext-ws-2.0.4.min.js").read_text()
    assert "[1006,1011,1012,1013].indexOf(e.code)" in vendored
    assert phones.RECONNECT_CODES == (1006, 1011, 1012, 1013)


def test_the_wait_doubles_up_to_the_cap() -> None:
    assert [reconnect_delay(n, 0.5) for n in range(6)] == [0.5, 1.0, 2.0, 2.5, 2.5, 2.5]
    assert reconnect_delay(10_000, 0.999) == pytest.approx(0.999 * RECONNECT_CAP_S)
    assert reconnect_delay(3, 0.0) == 0.0


def test_a_watcher_retries_what_a_phone_retries_and_gives_up_on_the_rest(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(phones.random, "random", lambda: 0.0)  # no waiting between attempts
    attempts = 0

    def refuse_first(connection: ServerConnection, request: Request) -> Response | None:
        nonlocal attempts
        attempts += 1
        if attempts == 1:  # the balancer found no node
            return connection.respond(HTTPStatus.SERVICE_UNAVAILABLE, "no node\n")
        return None

    async def handler(socket: ServerConnection) -> None:
        await socket.recv()  # the hello
        await socket.send(FRAME)
        # "Try again later" first, then "policy violation" (a revoked ticket).
        await socket.close(code=1013 if attempts == 2 else 1008)

    async def scenario() -> Watcher:
        async with serve(handler, "127.0.0.1", 0, process_request=refuse_first) as server:
            port = server.sockets[0].getsockname()[1]
            watcher = Watcher(f"ws://127.0.0.1:{port}/", jitter=True)
            await asyncio.wait_for(watcher.run(), timeout=30)
            return watcher

    watcher = asyncio.run(scenario())
    assert [why for _at, why in watcher.failed] == ["handshake 503", "closed 1013", "closed 1008"]
    assert watcher.gave_up == "closed 1008"
    assert len(watcher.opened) == 2
    assert (watcher.epoch, watcher.version) == ("e1", 7)
