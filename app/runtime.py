"""Process tuning for a server that holds thousands of WebSockets.

Measured with ``bench/vote_burst.py`` (2,000 sockets, 2,000 votes in 30 s): the slowest votes
were the ones caught in a full garbage collection (100–250 ms with that many connection objects
alive) and threads waiting for the GIL while the event loop fanned frames out.
"""

from __future__ import annotations

import asyncio
import gc
import sys
import time
from collections.abc import Callable

IDLE_SECONDS = 10.0


_tuned = False


def tune_process() -> None:
    """Once per process, however many apps it starts (the tests start hundreds): a second
    gc.freeze() would pin whatever happened to be alive by then for the rest of the process."""
    global _tuned
    if _tuned:
        return
    _tuned = True
    # A write holds the database lock across several driver calls, each of which gives the GIL
    # back; with the default 5 ms switch interval a writer can wait 5 ms per call while the
    # event loop fans a frame out, and every phone queued behind it waits too.
    sys.setswitchinterval(0.001)
    # Fewer young collections, and full ones only rarely: a full pass stops everything for as
    # long as it takes to walk every connection. collect_when_idle() catches up in quiet times.
    gc.set_threshold(20_000, 20, 100)
    # What exists now (modules, templates, settings) lives as long as the process: take it
    # out of the collector's walk for good.
    gc.collect()
    gc.freeze()


async def collect_when_idle(last_activity: Callable[[], float]) -> None:
    """Run a full collection whenever the event has been quiet for a while."""
    collected_at = time.monotonic()
    while True:
        await asyncio.sleep(IDLE_SECONDS / 2)
        quiet_since = last_activity()
        now = time.monotonic()
        if now - quiet_since >= IDLE_SECONDS and quiet_since > collected_at:
            gc.collect()
            collected_at = now
