"""The hub: local WebSocket connections per channel, coalesced rendering, and fan-out.

A change anywhere (``changed(event_id)``, callable from any thread) becomes at most one
"dirty" message per ``publish_delay`` on the broker. Every worker that hears it schedules
one render per ``frame_interval`` for that event: the state is loaded once, each channel
(audience × locale) with local clients is rendered once, and the same string goes to all of
that channel's clients.

Each audience has its own cadence. The board and the staff screens (a few sockets) get a frame
per ``frame_interval``; the phones (thousands) at most one per ``phone_interval``. A change
after a quiet spell reaches the phones at the first tick all the same; only a stream of changes
(a vote burst) is coalesced, into one frame a second instead of four, each going to every
phone. The render loop runs until every channel holds the newest version, so the last change
always reaches every screen. Clients have a one-frame mailbox (the newest frame replaces an unsent
older one), so a slow phone never holds up the others; one that stays stuck is dropped and
reconnects with its last (epoch, version).

A renderer may cut a channel's body into ``Part``s (the phones' is: banner, news, topics …).
Then each frame also carries its *delta*: only the parts that changed since the channel's
previous frame, and inside a part whose only changes are its ``pieces`` (a topic's tally),
only those pieces. A client gets the delta when it holds exactly that previous frame (the one
this hub last sent it, by serial number, never a version a page claims in its hello), and the
whole frame otherwise. During a vote burst a phone's frame is then the changed tallies, about
a tenth of the page.

If the broker was down (Redis restarting), what was published meanwhile reached nobody: when
its subscription is back the broker calls ``catch_up``, which re-renders every event this
worker has sockets for at a fresh version, so every screen shows the present again. A publish
that fails while the broker is down is logged, never raised: the request that caused it has
been answered, its change is stored, and the catch-up brings it to the screens.

Revocations travel the same way: ``revoke(...)`` publishes one "revoke" message, and every
worker closes its own matching sockets with 1008 (the page reloads and asks again) and
remembers when, so that a ticket issued before it is refused at the next handshake.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import logging
import math
import time
from collections.abc import Awaitable, Callable, Coroutine, Generator, Iterable, MutableMapping
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any, NamedTuple, Protocol

from app.realtime.asgi import wire_message
from app.realtime.broker import Broker, dirty_message, nudge_message, revoke_message

logger = logging.getLogger("openspace.realtime")

AUDIENCES = ("board", "phones", "staff")
FANOUT_SLICE = 250
REMEMBERED_REVOCATIONS = 10_000  # per worker; more than a day of sign-outs, a few hundred KB
NEVER = (-math.inf, "", -1)  # what a channel that no frame was pushed to has been pushed
ALL = 0  # the grant id that stands for "every socket of the audience" (ids start at 1)


class ChannelKey(NamedTuple):
    event_id: int
    audience: str
    locale: str


@dataclass(frozen=True)
class Part:
    """A region of a frame's body: ``html`` is one or more out-of-band elements swapped as a
    whole; ``pieces`` are (id, html) of small elements inside it that may change alone, each
    written exactly once in ``html`` and without its own ``hx-swap-oob``."""

    html: str
    pieces: tuple[tuple[str, str], ...] = ()

    @cached_property
    def skeleton(self) -> str:
        """``html`` with each piece replaced by its id: equal skeletons differ in pieces only."""
        skeleton = self.html
        for piece_id, html in self.pieces:
            skeleton = skeleton.replace(html, f"\x00{piece_id}\x00", 1)
        return skeleton


Body = str | tuple[Part, ...]


def body_text(body: Body) -> str:
    return body if isinstance(body, str) else "".join(part.html for part in body)


def out_of_band(html: str) -> str:
    """A piece's element, marked to be swapped by its id on its own."""
    end = html.index(">")
    return f'{html[:end]} hx-swap-oob="true"{html[end:]}'


def _ids(part: Part) -> list[str]:
    return [piece_id for piece_id, _html in part.pieces]


def delta(before: tuple[Part, ...], after: tuple[Part, ...]) -> str | None:
    """What turns a screen showing ``before`` into ``after``: the parts that changed, or just
    their changed pieces. None when the two do not line up (then the whole body goes)."""
    if len(before) != len(after):
        return None
    changed: list[str] = []
    for old, new in zip(before, after, strict=True):
        if old.html == new.html:
            continue
        if old.skeleton != new.skeleton or _ids(old) != _ids(new):
            changed.append(new.html)
            continue
        changed.extend(
            out_of_band(html)
            for (_id, html), (_old_id, old_html) in zip(new.pieces, old.pieces, strict=True)
            if html != old_html
        )
    return "".join(changed)


_serials = itertools.count(1)


@dataclass(frozen=True)
class Frame:
    epoch: str
    version: int
    text: str
    # The parts the text was made of, for the next frame's delta.
    parts: tuple[Part, ...] | None = None
    # The previous frame of the channel (its serial) and what turns it into this one.
    base: int = 0
    delta_text: str | None = None
    serial: int = field(default_factory=lambda: next(_serials))

    @cached_property
    def message(self) -> dict[str, Any]:
        """The ASGI message, built (and framed) once and handed to every client's send."""
        return wire_message(self.text)

    @cached_property
    def delta_message(self) -> dict[str, Any]:
        """The same for a client that holds the frame ``base``."""
        return wire_message(self.delta_text or "")

    def message_for(self, holds: int) -> dict[str, Any]:
        """The delta for a client holding the previous frame, the whole frame otherwise."""
        if self.delta_text is not None and holds == self.base:
            return self.delta_message
        return self.message


def frame_text(epoch: str, version: int, body: str) -> str:
    marker = (
        f'<div id="live-sync" hidden data-epoch="{epoch}" data-version="{version}"'
        ' hx-swap-oob="true"></div>'
    )
    return marker + body


def make_frame(epoch: str, version: int, body: Body, previous: Frame | None = None) -> Frame:
    """A frame of ``body`` at (epoch, version), with its delta from ``previous`` when both
    came in parts."""
    if isinstance(body, str):
        return Frame(epoch, version, frame_text(epoch, version, body))
    text = frame_text(epoch, version, body_text(body))
    if previous is None or previous.parts is None:
        return Frame(epoch, version, text, parts=body)
    changes = delta(previous.parts, body)
    if changes is None:
        return Frame(epoch, version, text, parts=body)
    return Frame(
        epoch,
        version,
        text,
        parts=body,
        base=previous.serial,
        delta_text=frame_text(epoch, version, changes),
    )


Renderer = Callable[[int, list[ChannelKey]], Awaitable[dict[ChannelKey, Body]]]


class Socket(Protocol):
    """What the hub needs of a WebSocket (Starlette's satisfies it)."""

    async def send(self, message: MutableMapping[str, Any]) -> None: ...

    async def close(self, code: int = 1000, reason: str | None = None) -> None: ...


class _Resumed:
    """Awaitable that carries on a coroutine which was started outside any task."""

    def __init__(self, coroutine: Coroutine[Any, Any, Any], yielded: Any) -> None:
        self._coroutine = coroutine
        self._yielded = yielded

    def __await__(self) -> Generator[Any, Any, Any]:
        value = self._yielded
        while True:
            try:
                sent = yield value
            except BaseException as error:  # e.g. the task was cancelled: pass it inside
                try:
                    value = self._coroutine.throw(error)
                except StopIteration as stop:
                    return stop.value
            else:
                try:
                    value = self._coroutine.send(sent)
                except StopIteration as stop:
                    return stop.value


async def _carry_on(coroutine: Coroutine[Any, Any, Any], yielded: Any) -> Any:
    return await _Resumed(coroutine, yielded)


def start_eagerly(coroutine: Coroutine[Any, Any, Any]) -> asyncio.Future[Any] | None:
    """Run ``coroutine`` until it first has to wait, as Python 3.12's eager tasks do.

    A WebSocket send that fits the transport's buffer never waits, so fanning a frame out to
    thousands of clients is a plain loop, close to ``websockets.broadcast``. Only a send that
    must wait for a slow client becomes a task (returned), which the loop does not wait for.
    Exceptions raised before the first wait propagate to the caller.
    """
    try:
        yielded = coroutine.send(None)
    except StopIteration:
        return None
    return asyncio.ensure_future(_carry_on(coroutine, yielded))


class Flag:
    """``asyncio.Event``'s ``set`` and ``is_set``, and one future to wait on: an Event keeps a
    deque of waiters (760 bytes), and waiting on it takes a task, per socket, for hours."""

    __slots__ = ("_future", "_set")

    def __init__(self) -> None:
        self._set = False
        self._future: asyncio.Future[None] | None = None

    def is_set(self) -> bool:
        return self._set

    def set(self) -> None:
        self._set = True
        if self._future is not None and not self._future.done():
            self._future.set_result(None)

    def future(self) -> asyncio.Future[None]:
        """Done once the flag is set (made on first use, in the running loop)."""
        if self._future is None:
            self._future = asyncio.get_running_loop().create_future()
            if self._set:
                self._future.set_result(None)
        return self._future


@dataclass(eq=False)
class Connection:
    """One client. At most one send in flight and one frame waiting: the newest frame replaces
    an unsent older one, so a slow phone holds one frame of memory and holds up nobody."""

    socket: Socket
    key: ChannelKey
    # What the ticket names as granting access (a phone's device binding, a staff member's
    # row): revoking that grant closes exactly these sockets.
    grant_id: int = 0
    # Who the ticket names (a phone's participant): a nudge reaches their sockets only.
    subject_id: int = 0
    sent: tuple[str, int] | None = None
    # The serial of the frame whose content the client holds (0: none of ours, or unknown).
    holds: int = 0
    # Sent when the hub drops the client: 1013 "try again later", or 1008 once revoked.
    close_code: int = 1013
    # Loop time when a send that had to wait began; the hub's watchdog drops a client stuck
    # too long (a timer per message, as asyncio.wait_for sets, costs more than the send).
    sending_since: float | None = None
    dropped: Flag = field(default_factory=Flag)
    _waiting: Frame | None = None
    _nudge: dict[str, Any] | None = None  # a nudge that arrived while a send was in flight
    _in_flight: asyncio.Future[Any] | None = None

    def offer(self, frame: Frame) -> None:
        if self.dropped.is_set():
            return
        if self._in_flight is not None:
            self._waiting = frame
            return
        if self.sent == (frame.epoch, frame.version):
            return
        message = frame.message_for(self.holds)
        self.sent = (frame.epoch, frame.version)
        self.holds = frame.serial
        self._start(message)

    def nudge(self, message: dict[str, Any]) -> None:
        """Send a small message outside the frames' order (it never replaces a frame)."""
        if self.dropped.is_set():
            return
        if self._in_flight is not None:
            self._nudge = message
            return
        self._start(message)

    def _start(self, message: dict[str, Any]) -> None:
        try:
            in_flight = start_eagerly(self.socket.send(message))
        except Exception:  # the peer went away
            self.dropped.set()
            return
        if in_flight is not None:
            self.sending_since = asyncio.get_running_loop().time()
            self._in_flight = in_flight
            in_flight.add_done_callback(self._send_finished)

    def _send_finished(self, in_flight: asyncio.Future[Any]) -> None:
        self._in_flight = None
        self.sending_since = None
        if in_flight.cancelled() or in_flight.exception() is not None:
            self.dropped.set()
            return
        if self._waiting is not None:
            frame, self._waiting = self._waiting, None
            self.offer(frame)
        if self._nudge is not None and self._in_flight is None:
            message, self._nudge = self._nudge, None
            self._start(message)

    def cancel(self) -> None:
        if self._in_flight is not None:
            self._in_flight.cancel()

    def revoke(self) -> None:
        """Close with 1008: what let this client in was taken back."""
        self.close_code = 1008
        self.dropped.set()


def _subject_of(connection: Connection) -> tuple[int, str, int]:
    return connection.key.event_id, connection.key.audience, connection.subject_id


class Hub:
    def __init__(
        self,
        broker: Broker,
        renderer: Renderer,
        *,
        publish_delay: float = 0.05,
        frame_interval: float = 0.25,
        phone_interval: float = 1.0,
        send_timeout: float = 10.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.broker = broker
        self.renderer = renderer
        self.publish_delay = publish_delay
        self.frame_interval = frame_interval
        # The shortest time between two frames pushed to an audience's sockets.
        self.intervals = {audience: frame_interval for audience in AUDIENCES}
        self.intervals["phones"] = max(phone_interval, frame_interval)
        self.send_timeout = send_timeout
        self.clock = clock
        self.channels: dict[ChannelKey, set[Connection]] = {}
        self.latest: dict[ChannelKey, Frame] = {}
        # (event, audience, subject) → that person's sockets: a vote nudges its voter's other
        # phones, and looking through every phone of the event for them cost a few hundred
        # microseconds per vote with thousands connected.
        self._by_subject: dict[tuple[int, str, int], set[Connection]] = {}
        # When each channel's newest frame was pushed to all its sockets, and its version.
        self._pushed: dict[ChannelKey, tuple[float, str, int]] = {}
        self.frames_rendered = 0
        self.last_activity = time.monotonic()  # the last change heard of, for idle-time chores
        self._loop: asyncio.AbstractEventLoop | None = None
        self._publish_pending: set[int] = set()
        self._target: dict[int, int] = {}
        self._render_tasks: dict[int, asyncio.Task[None]] = {}
        self._snapshot_locks: dict[ChannelKey, asyncio.Lock] = {}
        self._background: set[asyncio.Task[None]] = set()
        # (event, audience, grant or ALL) → wall-clock time of its revocation, oldest first.
        self._revoked: dict[tuple[int, str, int], float] = {}
        self._epoch = ""  # the broker's epoch as of the last catch-up

    # --- lifecycle -----------------------------------------------------------------------

    async def start(self) -> None:
        self._loop = asyncio.get_running_loop()
        await self.broker.start(self._on_message, self.catch_up)
        self._epoch = self.broker.epoch
        self._spawn(self._watchdog())

    async def _watchdog(self) -> None:
        """Drop clients whose send has been stuck longer than ``send_timeout``."""
        loop = asyncio.get_running_loop()
        while True:
            await asyncio.sleep(min(1.0, self.send_timeout / 2))
            deadline = loop.time() - self.send_timeout
            for members in list(self.channels.values()):
                for connection in list(members):
                    since = connection.sending_since
                    if since is not None and since < deadline:
                        logger.info("Dropping a stalled client on %s", connection.key)
                        connection.dropped.set()

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
            await self.broker.publish(dirty_message(event_id, version))
        except Exception:
            logger.exception("Could not publish a change of event %s", event_id)

    def _spawn(self, coroutine: Awaitable[None]) -> None:
        task: asyncio.Task[None] = asyncio.ensure_future(coroutine)
        self._background.add(task)
        task.add_done_callback(self._background.discard)

    # --- after a broker outage ---------------------------------------------------------

    def catch_up(self) -> None:
        """The broker's subscription is back after an outage (call it in the loop): re-render
        every event with sockets here, so that changes published meanwhile reach them."""
        self._spawn(self._catch_up())

    async def _catch_up(self) -> None:
        if self.broker.epoch != self._epoch:
            # Redis came back empty: versions count from 1 again under a new epoch, so the
            # old ones must not win the max() in _on_message (nor pages' hellos match).
            self._epoch = self.broker.epoch
            for event_id in self._target:
                self._target[event_id] = 0
        for event_id in sorted({key.event_id for key, members in self.channels.items() if members}):
            try:
                version = await self.broker.next_version(event_id)
            except Exception:  # down again: the next resumption catches up
                logger.warning("Could not catch up event %s", event_id, exc_info=True)
                return
            self._on_message(dirty_message(event_id, version))

    # --- revocations ---------------------------------------------------------------------

    def revoke(self, event_id: int, audience: str, grant_ids: Iterable[int] | None = None) -> None:
        """Close the open sockets of ``audience`` in ``event_id`` on every worker: those whose
        ticket names one of ``grant_ids``, or all of them. Safe to call from any thread; call
        it after the change that revokes is committed, so a reconnect can't get in again."""
        loop = self._loop
        if loop is None:
            return
        grants = None if grant_ids is None else sorted(set(grant_ids))
        if grants == []:
            return
        message = revoke_message(event_id, audience, grants)
        loop.call_soon_threadsafe(self._spawn, self._publish_revoke(message))

    async def _publish_revoke(self, message: str) -> None:
        try:
            await self.broker.publish(message)
        except Exception:
            # Other workers will not hear it; this one's sockets close at least.
            logger.exception("Could not publish a revocation: %s", message)
            self._on_message(message)

    def _revoke_local(self, event_id: int, audience: str, grants: frozenset[int] | None) -> None:
        now = time.time()
        for grant in grants if grants is not None else (ALL,):
            entry = (event_id, audience, grant)
            self._revoked.pop(entry, None)  # re-inserted as the newest
            self._revoked[entry] = now
        while len(self._revoked) > REMEMBERED_REVOCATIONS:
            del self._revoked[next(iter(self._revoked))]
        for key, members in self.channels.items():
            if key.event_id != event_id or key.audience != audience:
                continue
            for connection in members:
                if grants is None or connection.grant_id in grants:
                    connection.revoke()

    def revoked_at(self, event_id: int, audience: str, grant_id: int) -> float | None:
        """When this worker last heard that the grant (or its whole audience) was revoked."""
        times = [self._revoked.get((event_id, audience, grant)) for grant in {grant_id, ALL}]
        return max((t for t in times if t is not None), default=None)

    # --- nudges: one person's own state changed -----------------------------------------

    def nudge(
        self, event_id: int, audience: str, subject_ids: Iterable[int], *, except_grant: int = 0
    ) -> None:
        """Tell the open pages of these people (a phone's participant), on every worker, that
        their own state changed elsewhere (a dot placed from their other phone, an answer to
        a request): each page asks for it once. Frames are shared and carry nobody's own
        state; a nudge carries none either, and costs no query. ``except_grant``: the device
        that made the change, which has its answer already. Safe to call from any thread."""
        loop = self._loop
        subjects = sorted({subject for subject in subject_ids if subject > 0})
        if loop is None or not subjects:
            return
        message = nudge_message(event_id, audience, subjects, except_grant)
        loop.call_soon_threadsafe(self._spawn, self._publish_nudge(message))

    async def _publish_nudge(self, message: str) -> None:
        try:
            await self.broker.publish(message)
        except Exception:
            logger.exception("Could not publish a nudge: %s", message)

    def _nudge_local(
        self, event_id: int, audience: str, subjects: frozenset[int], except_grant: int
    ) -> None:
        text = f'<div id="my-nudge" hidden hx-swap-oob="true" data-at="{time.time():.3f}"></div>'
        message = {"type": "websocket.send", "text": text}
        for subject in subjects:
            for connection in self._by_subject.get((event_id, audience, subject), ()):
                if connection.grant_id != except_grant:
                    connection.nudge(message)

    # --- messages from the broker --------------------------------------------------------

    def _on_message(self, raw: str) -> None:
        try:
            message = json.loads(raw)
            kind = message["t"]
            event_id = int(message["e"])
        except (ValueError, KeyError, TypeError):
            logger.warning("Ignoring a malformed broker message: %.200r", raw)
            return
        self.last_activity = time.monotonic()
        if kind == "revoke":
            grants = message.get("g")
            if message.get("a") not in AUDIENCES or not (
                grants is None
                or (isinstance(grants, list) and all(type(g) is int and g > 0 for g in grants))
            ):
                logger.warning("Ignoring a malformed revocation: %.200r", raw)
                return
            self._revoke_local(
                event_id, message["a"], None if grants is None else frozenset(grants)
            )
        elif kind == "nudge":
            subjects, grant = message.get("s"), message.get("x", 0)
            if (
                message.get("a") not in AUDIENCES
                or not isinstance(subjects, list)
                or not all(type(s) is int and s > 0 for s in subjects)
                or type(grant) is not int
            ):
                logger.warning("Ignoring a malformed nudge: %.200r", raw)
                return
            self._nudge_local(event_id, message["a"], frozenset(subjects), grant)
        elif kind == "dirty":
            self._target[event_id] = max(self._target.get(event_id, 0), int(message["v"]))
            if event_id not in self._render_tasks:
                self._render_tasks[event_id] = asyncio.ensure_future(self._render_loop(event_id))

    async def _render_loop(self, event_id: int) -> None:
        try:
            while True:
                await asyncio.sleep(self.frame_interval)
                version = self._target[event_id]
                behind = await self._render_event(event_id, version)
                if not behind and self._target[event_id] == version:
                    return
        except Exception:
            logger.exception("Rendering live frames for event %s failed", event_id)
        finally:
            self._render_tasks.pop(event_id, None)

    async def _render_event(self, event_id: int, version: int) -> bool:
        """Render and push ``version`` to the channels whose cadence allows a frame now.
        Returns whether a channel was left behind (it gets the newest at a later tick)."""
        keys = [
            key for key, members in self.channels.items() if key.event_id == event_id and members
        ]
        # Frames of channels nobody here listens to are stale now; render them on next connect.
        for key in [key for key in self.latest if key.event_id == event_id and key not in keys]:
            del self.latest[key]
        for key in [key for key in self._pushed if key.event_id == event_id and key not in keys]:
            del self._pushed[key]
        epoch, now = self.broker.epoch, self.clock()
        behind = [key for key in keys if self._behind(key, epoch, version)]
        due = [key for key in behind if self._due(key, now)]
        if not due:
            return bool(behind)
        bodies = await self.renderer(event_id, due)
        self.frames_rendered += len(bodies)
        for key, body in bodies.items():
            previous = self.latest.get(key)
            if previous is not None and previous.epoch != epoch:
                previous = None
            frame = make_frame(epoch, version, body, previous)
            self.latest[key] = frame
            self._pushed[key] = (now, epoch, version)
            await self.broadcast(key, frame)
        return len(due) < len(behind)

    def _due(self, key: ChannelKey, now: float) -> bool:
        # The render loop's tick spaces frames by frame_interval already.
        interval = self.intervals[key.audience]
        return interval <= self.frame_interval or now - self._pushed.get(key, NEVER)[0] >= interval

    def _behind(self, key: ChannelKey, epoch: str, version: int) -> bool:
        _at, pushed_epoch, pushed_version = self._pushed.get(key, NEVER)
        return pushed_epoch != epoch or pushed_version < version

    async def broadcast(self, key: ChannelKey, frame: Frame) -> None:
        """Offer ``frame`` to every client of the channel."""
        for index, connection in enumerate(list(self.channels.get(key, ()))):
            connection.offer(frame)
            if index % FANOUT_SLICE == FANOUT_SLICE - 1:
                # Let requests in between: thousands of sends in one go would hold every vote
                # waiting for the event loop (they were the tail of the latency).
                await asyncio.sleep(0)

    def current(self, event_id: int) -> tuple[str, int]:
        """The (epoch, version) that a page rendered from the database from now on is at least
        as new as. Call it *before* reading what the page shows: a change after that has a
        higher version, so the page's hello will still fetch it."""
        return self.broker.epoch, self._target.get(event_id, 0)

    # --- connections ---------------------------------------------------------------------

    def add(self, connection: Connection) -> None:
        self.channels.setdefault(connection.key, set()).add(connection)
        if connection.subject_id:
            self._by_subject.setdefault(_subject_of(connection), set()).add(connection)

    def remove(self, connection: Connection) -> None:
        members = self.channels.get(connection.key)
        if members is not None:
            members.discard(connection)
            if not members:
                del self.channels[connection.key]
        subject = _subject_of(connection)
        own = self._by_subject.get(subject)
        if own is not None:
            own.discard(connection)
            if not own:
                del self._by_subject[subject]

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
            # No delta: a snapshot goes whole to a client that holds none of this epoch's frames.
            frame = make_frame(self.broker.epoch, version, body)
            # A change may have been rendered for this channel while we rendered: keep the newer.
            newer = self.latest.get(key)
            if newer is not None and newer.epoch == frame.epoch and newer.version >= version:
                return newer
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
        dropped = connection.dropped.future()
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
                watched: set[asyncio.Future[Any]] = {reader, dropped}
                finished, _rest = await asyncio.wait(watched, return_when=asyncio.FIRST_COMPLETED)
                if reader not in finished:
                    # Stalled or broken: 1013 asks the browser to come back later (it reconnects).
                    # Revoked: 1008, and the page reloads (its old ticket is refused).
                    code = connection.close_code
                    with contextlib.suppress(Exception):
                        await asyncio.wait_for(connection.socket.close(code=code), timeout=1)
                    return
                message = reader.result()
                if message is None:
                    return
                parse_hello(message)  # only hellos and pings are allowed; they change nothing
                reader = asyncio.ensure_future(receive())
        finally:
            self.remove(connection)
            connection.cancel()
            for task in (dropped, reader):
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
