"""Real Chromium against a real server.

One uvicorn process (``openspace serve``) on a free port with its own SQLite file serves the
whole run; one Chromium serves every test, each test gets fresh contexts (cookies, cache) in
the three shapes the app is made for: a phone, the projector and the organiser's laptop.

Chromium is Debian's (``/usr/bin/chromium``, installed by ``make test``): Playwright's own
browser download needs the internet, which a venue or CI box may not have.
"""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, BrowserContext, Playwright, sync_playwright

from tests.browser.helpers import (
    ORGANISER_PASSWORD,
    PHONE,
    LiveEvent,
    LiveServer,
    Organiser,
    create_event,
    offline_venue,
    sign_in,
)
from tests.servers import (
    OPENSPACE,
    free_port,
    isolated_env,
    migrate,
    start,
    stop,
    wait_until_healthy,
)

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
SECRET = "browser-test-secret-key-long-enough-0123456789"
ACTION_TIMEOUT_MS = 10_000


@pytest.fixture(scope="session")
def live_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    data_dir = tmp_path_factory.mktemp("live-server")
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    env = isolated_env(data_dir, url, secret=SECRET, use_cdn="true")
    migrate(env, data_dir)
    log_path = data_dir / "server.log"
    process = start(port=port, env=env, cwd=data_dir, log=log_path)
    server = LiveServer(url=url, env=env, data_dir=data_dir)
    try:
        wait_until_healthy(url, process, log_path)
        yield server
    finally:
        stop(process)


def create_organiser(
    server: LiveServer, email: str, *, name: str, password: str = ORGANISER_PASSWORD
) -> Organiser:
    """An organiser account on the live server, made the way an operator would: the CLI."""
    subprocess.run(
        [str(OPENSPACE), "create-organiser", email, "--name", name, "--password-stdin"],
        input=f"{password}\n".encode(),
        env=server.env,
        cwd=server.data_dir,
        check=True,
        capture_output=True,
    )
    return Organiser(email=email, name=name, password=password)


@pytest.fixture(scope="session")
def organiser(live_server: LiveServer) -> Organiser:
    return create_organiser(live_server, "nadia@example.org", name="Nadia Petrova")


@pytest.fixture(scope="session")
def playwright() -> Iterator[Playwright]:
    with sync_playwright() as instance:
        yield instance


@pytest.fixture(scope="session")
def browser(playwright: Playwright) -> Iterator[Browser]:
    browser = playwright.chromium.launch(
        executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True
    )
    yield browser
    browser.close()


def _context(browser: Browser, server: LiveServer, **options: Any) -> BrowserContext:
    context = browser.new_context(base_url=server.url, locale="en-GB", **options)
    context.set_default_timeout(ACTION_TIMEOUT_MS)
    offline_venue(context)
    return context


@pytest.fixture
def phone(browser: Browser, live_server: LiveServer) -> Iterator[BrowserContext]:
    context = _context(browser, live_server, **PHONE)
    yield context
    context.close()


@pytest.fixture
def second_phone(browser: Browser, live_server: LiveServer) -> Iterator[BrowserContext]:
    """Another person's phone in the same room: cookies of its own."""
    context = _context(browser, live_server, **PHONE)
    yield context
    context.close()


@pytest.fixture
def projector(browser: Browser, live_server: LiveServer) -> Iterator[BrowserContext]:
    context = _context(browser, live_server, viewport={"width": 1920, "height": 1080})
    yield context
    context.close()


@pytest.fixture
def laptop(browser: Browser, live_server: LiveServer) -> Iterator[BrowserContext]:
    context = _context(browser, live_server, viewport={"width": 1366, "height": 768})
    yield context
    context.close()


@pytest.fixture(scope="session")
def organiser_state(
    browser: Browser,
    live_server: LiveServer,
    organiser: Organiser,
    tmp_path_factory: pytest.TempPathFactory,
) -> Path:
    """Cookies of a signed-in organiser, for tests that need one but do not test signing in."""
    path = tmp_path_factory.mktemp("organiser") / "state.json"
    context = _context(browser, live_server, viewport={"width": 1366, "height": 768})
    try:
        sign_in(context.new_page(), organiser)
        context.storage_state(path=path)
    finally:
        context.close()
    return path


@pytest.fixture
def organiser_laptop(
    browser: Browser, live_server: LiveServer, organiser_state: Path
) -> Iterator[BrowserContext]:
    context = _context(
        browser,
        live_server,
        viewport={"width": 1366, "height": 768},
        storage_state=organiser_state,
    )
    yield context
    context.close()


@pytest.fixture(scope="session")
def event(browser: Browser, live_server: LiveServer, organiser_state: Path) -> LiveEvent:
    """One event for the tests that need an event but are not about setting one up."""
    context = _context(
        browser, live_server, viewport={"width": 1366, "height": 768}, storage_state=organiser_state
    )
    try:
        return create_event(context.new_page(), name="Coalition meeting", slug="coalition")
    finally:
        context.close()
