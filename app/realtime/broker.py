"""Pub/sub between workers. ``memory://`` for one process, ``redis://`` for several.

Each worker holds ONE subscription (not one per socket); what arrives is fanned out locally
by the hub. The broker also hands out the (epoch, version) pairs that order frames: versions
come from one counter per event shared by all workers, and the epoch changes when that counter
may have been lost (a new process with the memory broker, a Redis that restarted empty), which
tells reconnecting clients that they need a full snapshot.

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
PREFIX = "osl"


class Broker(Protocol):
    epoch: str

    async def start(self, handler: Handler) -> None: ...

    async def stop(self) -> None: ...

    async def publish(self, message: str) -> None: ...

    async def next_version(self, event_id: int) -> int: ...

    async def current_version(self, event_id: int) -> int: ...


class MemoryBroker:
    def __init__(self) -> None:
        self.epoch = secrets.token_hex(6)
        self._versions: dict[int, int] = {}
        self._handler: Handler | None = None

    async def start(self, handler: Handler) -> None:
        self._handler = handler

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
        self._channel = live_channel(
            int(self._redis.connection_pool.connection_kwargs.get("db") or 0)
        )

    async def _ensure_epoch(self) -> None:
        # SET NX: the first worker picks the epoch, the others adopt it. If Redis restarts
        # empty, the key (and the version counters) are gone and a new epoch is picked.
        candidate = secrets.token_hex(6)
        await self._redis.set(f"{PREFIX}:epoch", candidate, nx=True)
        self.epoch = str(await self._redis.get(f"{PREFIX}:epoch") or candidate)

    async def start(self, handler: Handler) -> None:
        await self._ensure_epoch()
        ready = asyncio.Event()
        self._task = asyncio.create_task(self._listen(handler, ready))
        await asyncio.wait_for(ready.wait(), timeout=10)

    async def _listen(self, handler: Handler, ready: asyncio.Event) -> None:
        delay = 0.5
        while True:
            try:
                pubsub = self._redis.pubsub(ignore_subscribe_messages=True)
                await pubsub.subscribe(self._channel)
                ready.set()
                delay = 0.5
                async for message in pubsub.listen():
                    if message.get("type") == "message":
                        handler(message["data"])
            except asyncio.CancelledError:
                raise
            except Exception:  # a Redis hiccup must not end live updates for good
                logger.warning("Redis subscription lost; retrying in %.1fs", delay, exc_info=True)
                await asyncio.sleep(delay)
                delay = min(delay * 2, 10)
                with contextlib.suppress(Exception):
                    await self._ensure_epoch()

    async def stop(self) -> None:
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
