"""The hub: local WebSocket connections per channel, coalesced rendering, and fan-out.

A change anywhere (``changed(event_id)``, callable from any thread) becomes at most one
"dirty" message per ``publish_delay`` on the broker. Every worker that hears it schedules
one render per ``frame_interval`` for that event: the state is loaded once, each channel
(audience × locale) with local clients is rendered once, and the same string goes to all of
that channel's clients. Clients have a one-frame mailbox (the newest frame replaces an unsent
older one), so a slow phone never holds up the others; one that stays stuck is dropped and
reconnects with its last (epoch, version).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, NamedTuple, Protocol

from app.realtime.broker import Broker

logger = logging.getLogger("openspace.realtime")

AUDIENCES = ("board", "phones", "staff")


class ChannelKey(NamedTuple):
    event_id: int
    audience: str
    locale: str


@dataclass(frozen=True)
class Frame:
    epoch: str
    version: int
    text: str


Renderer = Callable[[int, list[ChannelKey]], Awaitable[dict[ChannelKey, str]]]


class Socket(Protocol):
    """What the hub needs of a WebSocket (Starlette's satisfies it)."""

    async def send_text(self, data: str) -> None: ...

    async def close(self, code: int = 1000, reason: str | None = None) -> None: ...


@dataclass(eq=False)
class Connection:
    socket: Socket
    key: ChannelKey
    sent: tuple[str, int] | None = None
    _frame: Frame | None = None
    _wakeup: asyncio.Event = field(default_factory=asyncio.Event)
    dropped: asyncio.Event = field(default_factory=asyncio.Event)

    def offer(self, frame: Frame) -> None:
        if self.sent == (frame.epoch, frame.version) and self._frame is None:
            return
        self._frame = frame
        self._wakeup.set()

    async def run_sender(self, *, send_timeout: float) -> None:
        """Send whatever is newest until the socket goes away or stalls."""
        while True:
            await self._wakeup.wait()
            self._wakeup.clear()
            while self._frame is not None:
                frame, self._frame = self._frame, None
                self.sent = (frame.epoch, frame.version)
                try:
                    await asyncio.wait_for(self.socket.send_text(frame.text), timeout=send_timeout)
                except TimeoutError:
                    logger.info("Dropping a stalled client on %s", self.key)
                    self.dropped.set()
                    return
                except Exception:  # the peer went away mid-send
                    self.dropped.set()
                    return


def frame_text(epoch: str, version: int, body: str) -> str:
    marker = (
        f'<div id="live-sync" hidden data-epoch="{epoch}" data-version="{version}"'
        ' hx-swap-oob="true"></div>'
    )
    return marker + body


class Hub:
    def __init__(
        self,
        broker: Broker,
        renderer: Renderer,
        *,
        publish_delay: float = 0.05,
        frame_interval: float = 0.15,
        send_timeout: float = 10.0,
    ) -> None:
        self.broker = broker
        self.renderer = renderer
        self.publish_delay = publish_delay
        self.frame_interval = frame_interval
        self.send_timeout = send_timeout
        self.channels: dict[ChannelKey, set[Connection]] = {}
        self.latest: dict[ChannelKey, Frame] = {}
        self.frames_rendered = 0
        self._loop: asyncio.AbstractEventLoop | None = None
        self._publish_pending: set[int] = set()
        self._target: dict[int, int] = {}
        self._render_tasks: dict[int, asyncio.Task[None]] = {}
        self._snapshot_locks: dict[ChannelKey, asyncio.Lock] = {}
        self._background: set[asyncio.Task[None]] = set()

    # --- lifecycle -----------------------------------------------------------------------

    async def start(self) -> None:
        self._loop = asyncio.get_running_loop()
        await self.broker.start(self._on_message)

    async def stop(self) -> None:
        for task in [*self._render_tasks.values(), *self._background]:
            task.cancel()
        await self.broker.stop()
        self._loop = None

    # --- changes -------------------------------------------------------------------------

    def changed(self, event_id: int) -> None:
        """Something in ``event_id`` changed (safe to call from any thread)."""
        loop = self._loop
        if loop is None:
            return
        loop.call_soon_threadsafe(self._schedule_publish, event_id)

    def _schedule_publish(self, event_id: int) -> None:
        if event_id in self._publish_pending:
            return
        self._publish_pending.add(event_id)
        self._spawn(self._publish_dirty(event_id))

    async def _publish_dirty(self, event_id: int) -> None:
        await asyncio.sleep(self.publish_delay)
        self._publish_pending.discard(event_id)
        try:
            version = await self.broker.next_version(event_id)
            await self.broker.publish(json.dumps({"t": "dirty", "e": event_id, "v": version}))
        except Exception:
            logger.exception("Could not publish a change of event %s", event_id)

    def _spawn(self, coroutine: Awaitable[None]) -> None:
        task: asyncio.Task[None] = asyncio.ensure_future(coroutine)
        self._background.add(task)
        task.add_done_callback(self._background.discard)

    # --- messages from the broker --------------------------------------------------------

    def _on_message(self, raw: str) -> None:
        try:
            message = json.loads(raw)
            kind = message["t"]
            event_id = int(message["e"])
        except (ValueError, KeyError, TypeError):
            logger.warning("Ignoring a malformed broker message: %.200r", raw)
            return
        if kind == "dirty":
            self._target[event_id] = max(self._target.get(event_id, 0), int(message["v"]))
            if event_id not in self._render_tasks:
                self._render_tasks[event_id] = asyncio.ensure_future(self._render_loop(event_id))

    async def _render_loop(self, event_id: int) -> None:
        try:
            while True:
                await asyncio.sleep(self.frame_interval)
                version = self._target[event_id]
                await self._render_event(event_id, version)
                if self._target[event_id] == version:
                    return
        except Exception:
            logger.exception("Rendering live frames for event %s failed", event_id)
        finally:
            self._render_tasks.pop(event_id, None)

    async def _render_event(self, event_id: int, version: int) -> None:
        keys = [
            key for key, members in self.channels.items() if key.event_id == event_id and members
        ]
        # Frames of channels nobody here listens to are stale now; render them on next connect.
        for key in [key for key in self.latest if key.event_id == event_id and key not in keys]:
            del self.latest[key]
        if not keys:
            return
        bodies = await self.renderer(event_id, keys)
        self.frames_rendered += len(bodies)
        for key, body in bodies.items():
            frame = Frame(self.broker.epoch, version, frame_text(self.broker.epoch, version, body))
            self.latest[key] = frame
            for connection in list(self.channels.get(key, ())):
                connection.offer(frame)

    # --- connections ---------------------------------------------------------------------

    def add(self, connection: Connection) -> None:
        self.channels.setdefault(connection.key, set()).add(connection)

    def remove(self, connection: Connection) -> None:
        members = self.channels.get(connection.key)
        if members is not None:
            members.discard(connection)
            if not members:
                del self.channels[connection.key]

    async def snapshot(self, key: ChannelKey) -> Frame:
        """The newest frame of a channel: cached, or rendered once however many ask at once."""
        frame = self.latest.get(key)
        if frame is not None and frame.epoch == self.broker.epoch:
            return frame
        lock = self._snapshot_locks.setdefault(key, asyncio.Lock())
        async with lock:
            frame = self.latest.get(key)
            if frame is not None and frame.epoch == self.broker.epoch:
                return frame
            version = self._target.get(key.event_id)
            if version is None:
                version = await self.broker.current_version(key.event_id)
            body = (await self.renderer(key.event_id, [key]))[key]
            self.frames_rendered += 1
            frame = Frame(self.broker.epoch, version, frame_text(self.broker.epoch, version, body))
            self.latest[key] = frame
            return frame

    async def serve(
        self,
        connection: Connection,
        receive: Callable[[], Awaitable[str | None]],
        *,
        hello_timeout: float = 1.0,
    ) -> None:
        """Run one client: hello → snapshot if needed → live frames, until it goes away.

        ``receive`` returns the next text message, or None when the client disconnected; it
        raises ``ValueError`` on a message that breaks the protocol.
        """
        self.add(connection)
        sender = asyncio.ensure_future(connection.run_sender(send_timeout=self.send_timeout))
        dropped = asyncio.ensure_future(connection.dropped.wait())
        reader: asyncio.Future[str | None] = asyncio.ensure_future(receive())
        try:
            hello: tuple[str, int] | None = None
            done, _pending = await asyncio.wait({reader}, timeout=hello_timeout)
            if done:
                message = reader.result()
                if message is None:
                    return
                hello = parse_hello(message)
                reader = asyncio.ensure_future(receive())
            frame = await self.snapshot(connection.key)
            if hello == (frame.epoch, frame.version):
                connection.sent = hello
            else:
                connection.offer(frame)
            while True:
                watched: set[asyncio.Future[Any]] = {reader, sender, dropped}
                finished, _rest = await asyncio.wait(watched, return_when=asyncio.FIRST_COMPLETED)
                if reader not in finished:
                    # Stalled or broken: 1013 asks the browser to come back later (it reconnects).
                    with contextlib.suppress(Exception):
                        await asyncio.wait_for(connection.socket.close(code=1013), timeout=1)
                    return
                message = reader.result()
                if message is None:
                    return
                parse_hello(message)  # only hellos and pings are allowed; they change nothing
                reader = asyncio.ensure_future(receive())
        finally:
            self.remove(connection)
            for task in (sender, dropped, reader):
                task.cancel()


def parse_hello(message: str) -> tuple[str, int] | None:
    """``{"type": "hello", "epoch": "...", "version": 3}`` or ``{"type": "ping"}``."""
    try:
        data = json.loads(message)
    except ValueError:
        raise ValueError("not JSON") from None
    if not isinstance(data, dict) or data.get("type") not in ("hello", "ping"):
        raise ValueError("unknown message type")
    if data["type"] == "ping":
        return None
    epoch, version = data.get("epoch"), data.get("version")
    if not isinstance(epoch, str) or len(epoch) > 64:
        return None
    if isinstance(version, str) and version.isdigit():
        version = int(version)
    if not isinstance(version, int) or isinstance(version, bool):
        return None
    return epoch, version
