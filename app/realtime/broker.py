"""Pub/sub between workers. ``memory://`` for one process, ``redis://`` for several.

Each worker holds ONE subscription (not one per socket); what arrives is fanned out locally
by the hub. The broker also hands out the (epoch, version) pairs that order frames: versions
come from one counter per event shared by all workers, and the epoch changes when that counter
may have been lost (a new process with the memory broker, a Redis that restarted empty), which
tells reconnecting clients that they need a full snapshot.

Redis may go away (a restart, a network cut). Changes published meanwhile reach nobody, so
when the subscription is back the broker calls ``resumed`` and the hub re-renders every channel
it serves (see ``Hub.catch_up``): every screen catches up within a frame or two, not at the next
change. The subscription is retried every ``RESUBSCRIBE_DELAY`` seconds at most while Redis is
down; redis-py may also reconnect a subscription by itself, which resumes the same way.

The messages the workers exchange are made here too, so that a command run outside the
workers (``openspace forget``) can speak to them: it needs the broker, not the web.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import secrets
from collections.abc import Callable, Iterable
from typing import Protocol

logger = logging.getLogger("openspace.realtime")

Handler = Callable[[str], None]
Resumed = Callable[[], None]
PREFIX = "osl"
# Longest wait between attempts to subscribe again while Redis is down: screens catch up at
# most this long after it is back. An attempt is one refused connection, cheap to repeat.
RESUBSCRIBE_DELAY = 1.0


class Broker(Protocol):
    epoch: str

    async def start(self, handler: Handler, resumed: Resumed | None = None) -> None: ...

    async def stop(self) -> None: ...

    async def publish(self, message: str) -> None: ...

    async def next_version(self, event_id: int) -> int: ...

    async def current_version(self, event_id: int) -> int: ...


class MemoryBroker:
    def __init__(self) -> None:
        self.epoch = secrets.token_hex(6)
        self._versions: dict[int, int] = {}
        self._handler: Handler | None = None

    async def start(self, handler: Handler, resumed: Resumed | None = None) -> None:
        self._handler = handler  # nothing to lose: ``resumed`` is never called

    async def stop(self) -> None:
        self._handler = None

    async def publish(self, message: str) -> None:
        if self._handler is not None:
            self._handler(message)

    async def next_version(self, event_id: int) -> int:
        self._versions[event_id] = self._versions.get(event_id, 0) + 1
        return self._versions[event_id]

    async def current_version(self, event_id: int) -> int:
        return self._versions.get(event_id, 0)


def live_channel(db: int) -> str:
    """The pub/sub channel of one Redis database.

    Keys live in a numbered database, but pub/sub channels are shared by all of them: two
    installations on one Redis (say db 0 and db 1) would otherwise hear each other's changes
    and mix up their version counters.
    """
    return f"{PREFIX}:live" if db == 0 else f"{PREFIX}:{db}:live"


class RedisBroker:
    def __init__(self, url: str) -> None:
        import redis.asyncio as redis

        self._redis = redis.from_url(url, decode_responses=True)
        self.epoch = ""
        self._task: asyncio.Task[None] | None = None
        self._resumed: Resumed | None = None
        self._resuming: set[asyncio.Future[None]] = set()
        self._channel = live_channel(
            int(self._redis.connection_pool.connection_kwargs.get("db") or 0)
        )

    async def _ensure_epoch(self) -> None:
        # SET NX: the first worker picks the epoch, the others adopt it. If Redis restarts
        # empty, the key (and the version counters) are gone and a new epoch is picked.
        candidate = secrets.token_hex(6)
        await self._redis.set(f"{PREFIX}:epoch", candidate, nx=True)
        self.epoch = str(await self._redis.get(f"{PREFIX}:epoch") or candidate)

    async def start(self, handler: Handler, resumed: Resumed | None = None) -> None:
        await self._ensure_epoch()
        ready = asyncio.Event()
        self._resumed = resumed
        self._task = asyncio.create_task(self._listen(handler, ready))
        await asyncio.wait_for(ready.wait(), timeout=10)

    async def _listen(self, handler: Handler, ready: asyncio.Event) -> None:
        delay = 0.1
        while True:
            pubsub = self._redis.pubsub(ignore_subscribe_messages=True)
            connection = None
            try:
                await pubsub.subscribe(self._channel)
                if ready.is_set():  # subscribed again after an outage
                    self._resume()
                ready.set()
                delay = 0.1
                connection = pubsub.connection
                if connection is not None:
                    # redis-py reconnects a subscription by itself after a short outage.
                    connection.register_connect_callback(self._reconnected)
                async for message in pubsub.listen():
                    if message.get("type") == "message":
                        handler(message["data"])
            except asyncio.CancelledError:
                raise
            except Exception:  # a Redis hiccup must not end live updates for good
                # The traceback once per outage, not once per attempt.
                logger.warning(
                    "Redis subscription lost; retrying in %.1fs", delay, exc_info=delay == 0.1
                )
                await asyncio.sleep(delay)
                delay = min(delay * 2, RESUBSCRIBE_DELAY)
            finally:
                if connection is not None:  # it goes back to the pool: no catching up there
                    connection.deregister_connect_callback(self._reconnected)
                with contextlib.suppress(Exception):
                    await pubsub.aclose()

    async def _reconnected(self, _connection: object) -> None:
        self._resume()

    def _resume(self) -> None:
        """The subscription is back: adopt the epoch (Redis may have restarted empty), then
        let the hub catch up with what was published while nobody listened."""
        task = asyncio.ensure_future(self._resume_now())
        self._resuming.add(task)
        task.add_done_callback(self._resuming.discard)

    async def _resume_now(self) -> None:
        try:
            await self._ensure_epoch()
        except Exception:  # down again: the next subscription resumes
            logger.warning("Redis went away again while resuming", exc_info=True)
            return
        logger.info("Redis subscription back; catching up")
        if self._resumed is not None:
            self._resumed()

    async def stop(self) -> None:
        for resuming in self._resuming:
            resuming.cancel()
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._task
        await self._redis.aclose()

    async def publish(self, message: str) -> None:
        await self._redis.publish(self._channel, message)

    async def next_version(self, event_id: int) -> int:
        return int(await self._redis.incr(f"{PREFIX}:version:{event_id}"))

    async def current_version(self, event_id: int) -> int:
        return int(await self._redis.get(f"{PREFIX}:version:{event_id}") or 0)


def dirty_message(event_id: int, version: int) -> str:
    """What tells every worker that ``event_id`` changed (its frames are ``version`` now)."""
    return json.dumps({"t": "dirty", "e": event_id, "v": version})


def revoke_message(event_id: int, audience: str, grants: list[int] | None) -> str:
    """What tells every worker to close the sockets of ``grants`` (None: the whole audience)."""
    return json.dumps({"t": "revoke", "e": event_id, "a": audience, "g": grants})


def nudge_message(event_id: int, audience: str, subjects: list[int], except_grant: int) -> str:
    """What tells every worker to nudge these people's sockets (but the ``except_grant`` one)."""
    return json.dumps(
        {"t": "nudge", "e": event_id, "a": audience, "s": subjects, "x": except_grant}
    )


async def announce(broker: Broker, event_id: int, *, revoke_phones: Iterable[int] = ()) -> None:
    """Tell the workers from outside them (a command the operator runs, through a shared
    broker): ``event_id`` changed, and these phones' device bindings are gone."""
    phones = sorted(set(revoke_phones))
    if phones:
        await broker.publish(revoke_message(event_id, "phones", phones))
    await broker.publish(dirty_message(event_id, await broker.next_version(event_id)))


def make_broker(url: str) -> Broker:
    if url.startswith("memory"):
        return MemoryBroker()
    if url.startswith(("redis://", "rediss://", "unix://")):
        return RedisBroker(url)
    raise ValueError(f"OPENSPACE_BROADCAST_URL must start with memory:// or redis://, not {url!r}")
