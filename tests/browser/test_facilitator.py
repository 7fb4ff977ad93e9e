"""The facilitator in the room (issue 13), in real browsers: the laptop fills the grid of an
event entered afterwards, sees a day of only plenaries named as such, merges topics after a
confirmation and undoes it, edits programme items and titles days; the closing-circle page
follows the board (1920×1080 and 1280×720) while the slides advance by themselves."""

from __future__ import annotations

import itertools

import pytest
from playwright.sync_api import BrowserContext, expect

from app.models.events import Phase
from tests.browser.helpers import LiveEvent, LiveServer, create_event, join_event
from tests.browser.test_notes import _sessions, _set_phase

pytestmark = pytest.mark.browser

LIVE_MS = 5_000
_slugs = itertools.count(1)


def _new_event(laptop: BrowserContext, name: str) -> LiveEvent:
    """An event whose day (14 May 2025) is long past, as for one entered afterwards."""
    page = laptop.new_page()
    event = create_event(page, name=name, slug=f"room-{next(_slugs)}")
    page.close()
    return event


def test_the_closing_page_follows_the_board_while_slides_advance_by_themselves(
    live_server: LiveServer,
    organiser_laptop: BrowserContext,
    projector: BrowserContext,
    phone: BrowserContext,
) -> None:
    event = _new_event(organiser_laptop, "Closing follows")
    join_event(phone.new_page(), code=event.join_code, name="Rania")
    titles = ["Housing", "Schools", "Jobs"]
    _sessions(live_server, event.slug, titles, "Rania")
    _set_phase(live_server, event.slug, Phase.CLOSING)
    # Both screens count the seconds with the clock the test moves on (no 15 s waits).
    projector.clock.install()
    organiser_laptop.clock.install()
    control = organiser_laptop.new_page()
    control.goto(f"/o/{event.slug}/closing")
    control.get_by_label("Advance by itself").select_option("15")
    control.get_by_role("button", name="Set", exact=True).click()
    expect(control.locator("#closing-current")).to_have_text("Showing 1 of 3: Housing")
    board = projector.new_page()
    board.goto(event.board_path)
    slide = board.locator("#board-closing .slide:visible .slide-title")
    expect(slide).to_have_text("Housing")
    control.evaluate("window.__sameDocument = true")

    for expected, size in ((1, (1920, 1080)), (2, (1280, 720))):
        board.set_viewport_size({"width": size[0], "height": size[1]})
        board.clock.fast_forward(15_000)
        control.clock.fast_forward(15_000)
        expect(slide).to_have_text(titles[expected])
        expect(control.locator("#closing-current")).to_have_text(
            f"Showing {expected + 1} of 3: {titles[expected]}"
        )
        expect(control.locator("li.current[aria-current=true]")).to_contain_text(titles[expected])
        assert slide.bounding_box() is not None
        box = slide.bounding_box()
        assert box is not None and box["x"] + box["width"] <= size[0]

    # Another facilitator moves on: the board and this page follow through the live frame.
    other = organiser_laptop.new_page()
    other.goto(f"/o/{event.slug}/closing")
    other.get_by_role("button", name="Next →").click()
    expect(slide).to_have_text("Housing", timeout=LIVE_MS)
    expect(control.locator("#closing-current")).to_have_text(
        "Showing 1 of 3: Housing", timeout=LIVE_MS
    )
    assert control.evaluate("window.__sameDocument === true")
