"""A phone whose socket dropped comes back after a jittered wait that never exceeds the cap:
the delay function live.js gives the htmx ws extension is the one ``bench/phones.py`` imitates
(README, "Running it for real")."""

from __future__ import annotations

import pytest
from playwright.sync_api import BrowserContext

from bench.phones import RECONNECT_CAP_S, reconnect_delay

pytestmark = pytest.mark.browser

RETRIES = range(11)  # the extension passes 0, 1, 2 … failures in a row

DELAYS_WITH = """(draw) => {
  const random = Math.random;
  Math.random = () => draw;
  try { return [...Array(11).keys()].map((n) => htmx.config.wsReconnectDelay(n)); }
  finally { Math.random = random; }
}"""


def test_live_js_installs_the_capped_full_jitter_the_benchmark_imitates(
    phone: BrowserContext,
) -> None:
    page = phone.new_page()
    page.goto("/join")
    page.wait_for_function("() => typeof htmx.config.wsReconnectDelay === 'function'")

    # Up to 1, 2, 4 s, then never more than 5 s (htmx's own "full-jitter" goes on to 64 s).
    assert page.evaluate(DELAYS_WITH, 0.5) == [500, 1000, 2000] + [2500] * 8
    assert page.evaluate(DELAYS_WITH, 0.999) == pytest.approx([999, 1998, 3996] + [4995] * 8)
    for draw in (0.0, 0.25, 0.999):
        delays = page.evaluate(DELAYS_WITH, draw)
        assert delays == pytest.approx([reconnect_delay(n, draw) * 1000 for n in RETRIES])

    # With the real Math.random: jittered, and within the cap at every retry count.
    samples = page.evaluate(
        "() => [...Array(2000).keys()].map((i) => htmx.config.wsReconnectDelay(i % 11))"
    )
    assert all(0 <= delay < RECONNECT_CAP_S * 1000 for delay in samples)
    assert len(set(samples)) > 1000
