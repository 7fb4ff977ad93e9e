"""htmx comes from the pinned CDN with SRI; a venue without internet gets the vendored copy."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from playwright.sync_api import BrowserContext, Request, Route

from app.templating import CDN_SCRIPTS

pytestmark = pytest.mark.browser

STATIC = Path(__file__).parents[2] / "app" / "static"
VENDORED = re.compile(r"/static/vendor/htmx-.*\.js$")


def _requested(context: BrowserContext) -> list[str]:
    urls: list[str] = []

    def record(request: Request) -> None:
        urls.append(request.url)

    context.on("request", record)
    return urls


def test_page_gets_vendored_htmx_when_cdn_is_blocked(laptop: BrowserContext) -> None:
    laptop.route("https://cdn.jsdelivr.net/**", lambda route: route.abort())
    requested = _requested(laptop)
    page = laptop.new_page()
    page.goto("/join")
    page.wait_for_function("() => !!(window.htmx && window.htmx.createWebSocket)")
    assert page.evaluate("typeof window.htmx.ajax") == "function"
    vendored = sorted(url.rsplit("/", 1)[1] for url in requested if VENDORED.search(url))
    assert vendored == ["htmx-2.0.11.min.js", "htmx-ext-ws-2.0.4.min.js"]


def test_page_uses_cdn_htmx_and_skips_fallback_when_cdn_answers(laptop: BrowserContext) -> None:
    by_url = {
        cdn_url: STATIC / local.removeprefix("/static/")
        for cdn_url, _, local in CDN_SCRIPTS.values()
    }
    served: list[str] = []

    def from_cdn(route: Route) -> None:
        # The same bytes the CDN serves, so the pinned SRI hash matches.
        served.append(route.request.url)
        route.fulfill(
            status=200,
            body=by_url[route.request.url].read_bytes(),
            content_type="application/javascript",
            headers={"access-control-allow-origin": "*"},
        )

    laptop.route("https://cdn.jsdelivr.net/**", from_cdn)
    requested = _requested(laptop)
    page = laptop.new_page()
    page.goto("/join")
    page.wait_for_function("() => !!(window.htmx && window.htmx.createWebSocket)")
    assert sorted(served) == sorted(by_url)
    assert [url for url in requested if VENDORED.search(url)] == []
