"""In the room: conflicts in the notes reach every open editor live, next to their field, and
leave everywhere when merged; the notes and the board count the same people.

One event serves the module (two sessions, two phones, a laptop): the phones are the sizes
people use, 390×844 and 360×740, the board the projector's 1920×1080 and 1280×720.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, BrowserContext, Locator, Page, Route, expect

from tests.browser.conftest import ACTION_TIMEOUT_MS
from tests.browser.helpers import (
    LAPTOP,
    PHONE,
    LiveEvent,
    LiveServer,
    create_event,
    join_event,
    offline_venue,
    scroll_width,
)
from tests.browser.seed import publish_sessions

pytestmark = pytest.mark.browser

LIVE_MS = 5_000
SMALL_PHONE = {**PHONE, "viewport": {"width": 360, "height": 740}}


@dataclass
class Room:
    event: LiveEvent
    housing: int  # the session whose notes get the conflict
    jobs: int  # the session people check into
    mira: BrowserContext  # 390×844
    ivo: BrowserContext  # 360×740
    laptop: BrowserContext  # an organiser, 1366×768

    def notes(self, topic_id: int) -> str:
        return f"/e/{self.event.slug}/sessions/{topic_id}/notes"


def _context(browser: Browser, server: LiveServer, **options: Any) -> BrowserContext:
    context = browser.new_context(base_url=server.url, locale="en-GB", **options)
    context.set_default_timeout(ACTION_TIMEOUT_MS)
    offline_venue(context)
    return context


@pytest.fixture(scope="module")
def room(browser: Browser, live_server: LiveServer, organiser_state: Path) -> Iterator[Room]:
    laptop = _context(browser, live_server, storage_state=organiser_state, **LAPTOP)
    mira, ivo = (
        _context(browser, live_server, **PHONE),
        _context(browser, live_server, **SMALL_PHONE),
    )
    try:
        setup = laptop.new_page()
        event = create_event(setup, name="In the room", slug="in-the-room")
        setup.close()
        for context, name in ((mira, "Mira"), (ivo, "Ivo")):
            page = context.new_page()
            join_event(page, code=event.join_code, name=name)
            page.close()
        housing, jobs = publish_sessions(live_server, event.slug, ["Housing", "Jobs"], "Mira")
        yield Room(event, housing, jobs, mira, ivo, laptop)
    finally:
        for context in (laptop, mira, ivo):
            context.close()


def _mark_loaded(page: Page) -> None:
    page.evaluate("window.__sameDocument = true")


def _not_reloaded(page: Page) -> bool:
    return bool(page.evaluate("window.__sameDocument === true"))


def _open(context: BrowserContext, url: str) -> Page:
    page = context.new_page()
    page.goto(url)
    _mark_loaded(page)
    return page


def _hold_saves(route: Route) -> None:
    """The server says "too many saves, wait a minute": the laptop's text stays typed but
    unsaved, as someone's is while they are still typing."""
    if route.request.method == "POST":
        route.fulfill(status=429, json={"message": "Wait.", "retry_after": 60})
        return
    route.continue_()


@pytest.mark.console_errors(
    r"status of 429 \(Too Many Requests\)",
    reason="the laptop's saves are held back with a 429, so its typing stays unsaved",
)
def test_a_conflict_shows_live_next_to_its_field_everywhere_and_leaves_when_merged(
    room: Room,
) -> None:
    url = room.notes(room.housing)
    mira, ivo, laptop = _open(room.mira, url), _open(room.ivo, url), _open(room.laptop, url)
    pages = (mira, ivo, laptop)
    laptop.route(f"**{url}", _hold_saves)
    laptop.get_by_label("Open questions").fill("Who pays for the pilot?")
    expect(laptop.locator("#notes-autosave")).to_contain_text("Saving is paused")

    # Mira and Ivo change the outcome at the same moment: one save wins, the other is kept.
    mira.get_by_label("Outcome in one line").fill("A pilot in Burgas")
    ivo.get_by_label("Outcome in one line").fill("A pilot in Varna")
    for page in pages:
        expect(page.locator("[data-conflict-id]")).to_have_count(1, timeout=LIVE_MS)
    kept = mira.locator("#notes-conflicts-outcome .conflict-text").inner_text()
    assert kept in ("A pilot in Burgas", "A pilot in Varna")
    saved = "A pilot in Varna" if kept == "A pilot in Burgas" else "A pilot in Burgas"
    second = mira if kept == "A pilot in Burgas" else ivo
    expect(second.locator("#notes-autosave")).to_have_text(
        "Someone else changed the same lines: their text is in the field,"
        " yours is kept in a box under it to merge."
    )
    for page in pages:
        expect(page.locator("#notes-conflicts-outcome .conflict-text")).to_have_text(kept)
        expect(page.locator("#notes-outcome")).to_have_value(saved, timeout=LIVE_MS)
        # Next to its field: right under the outcome, as wide as the form, on any screen.
        field = page.locator("#notes-outcome").bounding_box()
        box = page.locator("#notes-conflicts-outcome .conflict").bounding_box()
        assert field is not None and box is not None
        assert 0 <= box["y"] - (field["y"] + field["height"]) <= 60
        assert abs(box["x"] - field["x"]) <= 2
        width = page.viewport_size["width"] if page.viewport_size else 0
        assert scroll_width(page) <= width
    # The laptop's typing was never overwritten by a push.
    expect(laptop.locator("#notes-questions")).to_have_value("Who pays for the pilot?")

    # On the small phone, Ivo merges it by hand: the box leaves every page, none reloads.
    ivo.get_by_role("button", name="Merged: remove this box").click()
    for page in pages:
        expect(page.locator("[data-conflict-id]")).to_have_count(0, timeout=LIVE_MS)
        expect(page.locator("#notes-outcome")).to_have_value(saved)
    expect(laptop.locator("#notes-questions")).to_have_value("Who pays for the pilot?")
    assert [_not_reloaded(page) for page in pages] == [True, True, True]
    for page in pages:
        page.close()


def _here(board: Page, title: str) -> Locator:
    """The board's headcount of one session ("2/20 here")."""
    cell = board.locator("td", has=board.locator(".board-session-title", has_text=title))
    return cell.locator(".board-session-here")


def test_the_notes_and_the_board_count_the_same_people_live(
    room: Room, projector: BrowserContext
) -> None:
    board = projector.new_page()
    board.goto(room.event.board_path)
    _mark_loaded(board)
    notes = _open(room.mira, room.notes(room.jobs))
    counted = notes.locator("#notes-attendance")
    expect(counted).to_contain_text("0 checked in during the session · 0 here now")

    for context in (room.mira, room.ivo):  # both come to "Jobs"
        door = context.new_page()
        door.goto(f"/e/{room.event.slug}/sessions/{room.jobs}")
        door.get_by_role("button", name="I'm here").click()
        expect(door.locator(".notice")).to_have_text("You are checked in here.")
        door.close()
    expect(counted).to_contain_text("2 checked in during the session · 2 here now", timeout=LIVE_MS)
    expect(_here(board, "Jobs")).to_have_text("2/20 here", timeout=LIVE_MS)

    # The law of two feet: Ivo moves to "Housing". He came, so he still counts for the session.
    door = room.ivo.new_page()
    door.goto(f"/e/{room.event.slug}/sessions/{room.housing}")
    door.get_by_role("button", name="I'm here").click()
    expect(door.locator(".notice")).to_have_text("You are checked in here.")
    door.close()
    expect(counted).to_contain_text("2 checked in during the session · 1 here now", timeout=LIVE_MS)
    for size in ({"width": 1920, "height": 1080}, {"width": 1280, "height": 720}):
        board.set_viewport_size(size)
        expect(_here(board, "Jobs")).to_have_text("1/20 here", timeout=LIVE_MS)
        assert scroll_width(board) <= size["width"]
    for size in ({"width": 390, "height": 844}, {"width": 360, "height": 740}):
        notes.set_viewport_size(size)
        expect(counted).to_be_visible()
        assert scroll_width(notes) <= size["width"]
    assert _not_reloaded(notes) and _not_reloaded(board)
    notes.close()
