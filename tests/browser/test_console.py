"""Every kind of page, open at once, through every phase and a few live pushes, at phone and
projector sizes: not one console error (the watch in conftest.py fails the test on any, and on
htmx:oobErrorNoTarget in particular: a frame region the page has no place for)."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import BrowserContext, Page, expect

from app.models.events import PHASE_LABELS
from tests.browser.helpers import LiveServer, create_event, join_event, open_propose_form
from tests.browser.seed import publish_sessions

pytestmark = pytest.mark.browser

LIVE_MS = 5_000
PHONE_SIZE = {"width": 390, "height": 844}
PROJECTOR_SIZE = {"width": 1920, "height": 1080}


def _version(page: Page) -> int:
    return int(page.evaluate("Number(document.getElementById('live-sync').dataset.version)"))


def _live(pages: list[Page]) -> list[Page]:
    """The pages with a live connection (they carry the sync point)."""
    return [page for page in pages if page.locator("#live-sync").count()]


def _pushed(pages: list[Page], before: dict[int, int]) -> None:
    """Wait until every live page has applied a frame newer than it had."""
    for page in _live(pages):
        page.wait_for_function(
            "v => Number(document.getElementById('live-sync').dataset.version) > v",
            arg=before[id(page)],
            timeout=LIVE_MS,
        )


def _versions(pages: list[Page]) -> dict[int, int]:
    return {id(page): _version(page) for page in _live(pages)}


def _set_phase(panel: Page, label: str) -> None:
    panel.locator("#phases").get_by_role("button", name=label, exact=True).click()
    expect(panel.locator("#phase-badge")).to_have_text(label)


def test_no_page_logs_a_console_error_in_any_phase_or_after_live_pushes(
    live_server: LiveServer,
    organiser_laptop: BrowserContext,
    phone: BrowserContext,
    projector: BrowserContext,
) -> None:
    panel = organiser_laptop.new_page()
    event = create_event(panel, name="Every page", slug="every-page")
    slug = event.slug
    panel.goto(f"/o/{slug}/maps")
    panel.get_by_label("Question").fill("What does your town need?")
    panel.get_by_role("button", name="Create map").click()
    expect(panel).to_have_url(re.compile(rf"/o/{slug}/maps/\d+$"))
    map_id = int(panel.url.rsplit("/", 1)[1])
    home = phone.new_page()
    join_event(home, code=event.join_code, name="Mira")
    (session_id,) = publish_sessions(live_server, slug, ["Housing"], "Mira")
    panel.goto(f"/o/{slug}/live")

    phone_paths = [
        f"/e/{slug}/agenda",
        f"/e/{slug}/sessions/{session_id}",
        f"/e/{slug}/sessions/{session_id}/notes",
        f"/e/{slug}/notes",
        f"/e/{slug}/maps",
        f"/e/{slug}/maps/{map_id}",
        f"/e/{slug}/priorities",
        f"/e/{slug}/me",
    ]
    staff_paths = [
        f"/o/{slug}",
        f"/o/{slug}/grid",
        f"/o/{slug}/programme",
        f"/o/{slug}/rooms",
        f"/o/{slug}/participants",
        f"/o/{slug}/poster",
        f"/o/{slug}/closing",
        f"/o/{slug}/priorities",
        f"/o/{slug}/maps/{map_id}",
        f"/o/{slug}/report",
    ]
    board = projector.new_page()
    opened = [home, board]
    for context, paths in ((phone, phone_paths), (organiser_laptop, staff_paths)):
        for path in paths:
            page = context.new_page()
            page.goto(path)
            opened.append(page)

    # Every phase: every open page hears of it, and the home page and the board are drawn in it.
    for label in PHASE_LABELS.values():
        before = _versions([*opened, panel])
        _set_phase(panel, label)
        _pushed(opened, before)
        home.goto(f"/e/{slug}")
        board.goto(event.board_path)
        if label == "Marketplace":  # a topic, pushed to every screen
            before = _versions(opened)
            open_propose_form(home)
            home.get_by_label("Title", exact=True).fill("Rent guarantees")
            home.get_by_role("button", name="Propose", exact=True).click()
            _pushed(opened, before)
    _set_phase(panel, "Sessions")

    # A few more pushes from the phones (a note, a check-in), at the other size of each page.
    notes = opened[2 + phone_paths.index(f"/e/{slug}/sessions/{session_id}/notes")]
    door = opened[2 + phone_paths.index(f"/e/{slug}/sessions/{session_id}")]
    for page in opened:
        small = page.viewport_size == PHONE_SIZE
        page.set_viewport_size(PROJECTOR_SIZE if small else PHONE_SIZE)
    before = _versions(opened)
    notes.get_by_label("Outcome in one line").fill("A rent-guarantee pilot")
    expect(notes.locator("#notes-autosave")).to_have_text("Saved.", timeout=LIVE_MS)
    _pushed(opened, before)
    before = _versions(opened)
    door.get_by_role("button", name="I'm here").click()
    _pushed([page for page in opened if page is not door], before)
    for page in opened:
        page.close()
