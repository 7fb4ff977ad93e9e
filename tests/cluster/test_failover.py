"""The cluster benchmark, small: three nodes behind HAProxy (``deploy/haproxy.cfg`` as it is),
one killed with ``kill -9`` in the middle of a vote burst, then Redis and the database lost
and back. Every acknowledged vote counts once and every screen shows it in the end.

It needs root, ``ip netns``, HAProxy and socat; ``make test`` installs the last two.
"""

from __future__ import annotations

import argparse
import asyncio

import pytest

from bench.cluster import Cluster, available, scenario
from bench.phones import reconnect_delay

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.skipif(available() is not None, reason=f"the cluster {available()}"),
]

PHONES = 60
VOTES = 60
OUTAGE_VOTES = 10


def test_a_node_killed_mid_burst_loses_nothing_and_its_phones_come_back() -> None:
    args = argparse.Namespace(
        phones=PHONES,
        votes=VOTES,
        seconds=3.0,
        concurrency=20,
        topics=10,
        kill="app2",
        kill_at=0.5,
        watchers=1,
        settle=60.0,  # a deadline for the screens to agree, not a measurement
        outages=True,
        outage_votes=OUTAGE_VOTES,
        outage_seconds=1.5,
    )
    with Cluster() as cluster:
        result = asyncio.run(scenario(cluster, args))

    assert result["acknowledged"] == result["stored"] == VOTES
    assert result["lost"] == result["duplicated"] == 0
    assert result["converge_ms"] is not None  # every phone and the board show the tallies
    assert result["dead_node_phones"] > 0
    assert result["not_reconnected"] == 0
    # The phones' own waits, however often they failed: never more than the cap allows.
    most = sum(reconnect_delay(n, 1.0) for n in range(result["failed_attempts_max"]))
    assert result["reconnect_waited_max_s"] <= most
    assert result["gave_up"] == {}  # no socket closed with a code the phones do not retry
    assert result["refused"] == {}

    redis = result["redis_outage"]
    assert redis["acknowledged_while_down"] == OUTAGE_VOTES
    assert redis["acknowledged"] == redis["stored"] == VOTES + OUTAGE_VOTES
    assert redis["lost"] == redis["duplicated"] == 0
    assert redis["converge_ms"] is not None
    assert redis["gave_up"] == {}

    database = result["postgresql_outage"]
    assert database["answered_503"] > 0
    assert database["acknowledged"] == database["stored"] == VOTES + 2 * OUTAGE_VOTES
    assert database["lost"] == database["duplicated"] == 0
    assert database["converge_ms"] is not None
    assert database["gave_up"] == {}
