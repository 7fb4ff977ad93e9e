"""Real Chromium against a real server.

One uvicorn process (``openspace serve``) on a free port with its own SQLite file serves the
whole run; one Chromium serves every test, each test gets fresh contexts (cookies, cache) in
the three shapes the app is made for: a phone, the projector and the organiser's laptop.

Chromium is Debian's (``/usr/bin/chromium``, installed by ``make test``): Playwright's own
browser download needs the internet, which a venue or CI box may not have.

Every page of every test is watched for console errors (``console.error``, uncaught
exceptions, and htmx's ``htmx:oobErrorNoTarget`` in particular: a live frame or a fragment that
targets an id the page lacks). Any of them fails the test, unless the test provokes it on
purpose and says so: ``@pytest.mark.console_errors(r"pattern", reason="...")``.
"""

from __future__ import annotations

import re
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import (
    Browser,
    BrowserContext,
    ConsoleMessage,
    Playwright,
    WebError,
    sync_playwright,
)

from app.templating import CDN_SCRIPTS
from tests.browser.helpers import (
    LAPTOP,
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


# htmx reports an out-of-band fragment without a target as the event htmx:oobErrorNoTarget
# (2.0.11 also logs it, other versions only through htmx.logger): say it on the console
# whatever htmx does, with the page, where the watch hears it.
OOB_NO_TARGET = """
document.addEventListener("htmx:oobErrorNoTarget", function (event) {
  var detail = event.detail || {};
  console.error("htmx:oobErrorNoTarget: no element " + detail.target + " on " + location.pathname);
});
"""
# What every test's set-up provokes on purpose: the offline venue aborts the CDN's scripts (the
# vendored copies load instead), which Chromium reports as failed resources.
ALWAYS_ALLOWED = tuple(
    re.compile(f"^Failed to load resource: net::ERR_FAILED \\({re.escape(cdn_url)}\\)$")
    for cdn_url, _sri, _local in CDN_SCRIPTS.values()
)


class ConsoleWatch:
    """The console errors of every page the running test opened; checked after the test."""

    def __init__(self) -> None:
        self.errors: list[str] = []

    def watch(self, context: BrowserContext) -> None:
        context.add_init_script(script=OOB_NO_TARGET)
        context.on("console", self._console)
        context.on("weberror", self._web_error)

    def _console(self, message: ConsoleMessage) -> None:
        if message.type == "error":
            where = message.location.get("url", "")
            self.errors.append(f"{message.text} ({where})")

    def _web_error(self, error: WebError) -> None:
        page = error.page.url if error.page is not None else ""
        self.errors.append(f"uncaught: {error.error} ({page})")

    def unexpected(self, allowed: list[re.Pattern[str]]) -> list[str]:
        patterns = [*ALWAYS_ALLOWED, *allowed]
        return [text for text in self.errors if not any(p.search(text) for p in patterns)]


_watch = ConsoleWatch()  # emptied after each test by ``console_watch``


@pytest.fixture(autouse=True)
def console_watch(request: pytest.FixtureRequest) -> Iterator[ConsoleWatch]:
    """Fail the test when any page it opened logged an error it did not provoke on purpose."""
    allowed: list[re.Pattern[str]] = []
    for marker in request.node.iter_markers("console_errors"):
        if not marker.kwargs.get("reason"):
            pytest.fail("@pytest.mark.console_errors needs a reason=")
        allowed.extend(re.compile(pattern) for pattern in marker.args)
    # Not emptied here: what the set-up of a shared fixture (the event) logged fails the first
    # test that needed it.
    yield _watch
    unexpected = _watch.unexpected(allowed)
    _watch.errors.clear()
    if unexpected:
        pytest.fail("Console errors in the browser:\n" + "\n".join(unexpected), pytrace=False)


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
    # Every context, also those a test makes itself, is watched for console errors.
    new_context = browser.new_context

    def watched_context(*args: Any, **kwargs: Any) -> BrowserContext:
        context = new_context(*args, **kwargs)
        _watch.watch(context)
        return context

    setattr(browser, "new_context", watched_context)  # noqa: B010 (mypy: no method assign)
    yield browser
    browser.close()


def _context(browser: Browser, server: LiveServer, **options: Any) -> BrowserContext:
    # English unless a test says otherwise (a Ukrainian phone: locale="uk-UA").
    context = browser.new_context(base_url=server.url, **{"locale": "en-GB", **options})
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
    context = _context(browser, live_server, **LAPTOP)
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
    context = _context(browser, live_server, **LAPTOP)
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
    context = _context(browser, live_server, storage_state=organiser_state, **LAPTOP)
    yield context
    context.close()


def set_up_event(
    browser: Browser, server: LiveServer, organiser_state: Path, *, name: str, slug: str
) -> LiveEvent:
    """An event the signed-in organiser creates on a laptop of its own, closed afterwards."""
    context = _context(browser, server, storage_state=organiser_state, **LAPTOP)
    try:
        return create_event(context.new_page(), name=name, slug=slug)
    finally:
        context.close()


@pytest.fixture(scope="session")
def event(browser: Browser, live_server: LiveServer, organiser_state: Path) -> LiveEvent:
    """One event for the tests that need an event but are not about setting one up."""
    return set_up_event(
        browser, live_server, organiser_state, name="Coalition meeting", slug="coalition"
    )
