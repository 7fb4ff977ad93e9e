"""Arabic, right to left, in a real browser: the phone's pages, the facilitator's grid and the
board say ``dir="rtl"`` and are really mirrored by the one stylesheet: measured by the boxes
the browser lays out (the bottom bar's first item at the right edge, the grid's time column at
the right, the board's join column at the right), not by pixels."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, BrowserContext, Locator, Page, expect

from app.web import LANG_COOKIE
from tests.browser.conftest import _context, set_up_event
from tests.browser.helpers import PHONE, LiveEvent, LiveServer, scroll_width
from tests.browser.seed import publish_sessions

pytestmark = pytest.mark.browser

PHONE_WIDTH = PHONE["viewport"]["width"]
NAME = "سلمى"
TITLES = ["سكن للاجئين مع Caritas Sofia", "Open data للبلديات"]


@pytest.fixture(scope="module")
def arabic_event(browser: Browser, live_server: LiveServer, organiser_state: Path) -> LiveEvent:
    """An event with an Arabic participant who convenes two published sessions."""
    event = set_up_event(browser, live_server, organiser_state, name="يوم التعاون", slug="rtl-day")
    phone = _context(browser, live_server, locale="ar", **PHONE)
    try:
        page = phone.new_page()
        page.goto(f"/j/{event.join_code}")
        expect(page.locator("select#locale")).to_have_value("ar")  # the browser's language
        page.locator("input#name").fill(NAME)
        page.locator("form[method=post] button.primary").click()
        expect(page.locator("h1.greeting")).to_contain_text(NAME)
        publish_sessions(live_server, event.slug, TITLES, NAME)
        return event
    finally:
        phone.close()


@pytest.fixture
def arabic_phone(browser: Browser, live_server: LiveServer) -> Iterator[BrowserContext]:
    context = _context(browser, live_server, locale="ar", **PHONE)
    yield context
    context.close()


def _in_arabic(context: BrowserContext, server: LiveServer) -> None:
    context.add_cookies([{"name": LANG_COOKIE, "value": "ar", "url": server.url}])


def _box(locator: Locator) -> dict[str, float]:
    box = locator.bounding_box()
    assert box is not None, "laid out"
    return box


def _right_to_left(page: Page) -> None:
    expect(page.locator("html")).to_have_attribute("lang", "ar")
    expect(page.locator("html")).to_have_attribute("dir", "rtl")


def test_the_phone_is_mirrored(
    arabic_phone: BrowserContext, live_server: LiveServer, arabic_event: LiveEvent
) -> None:
    _in_arabic(arabic_phone, live_server)
    page = arabic_phone.new_page()
    page.goto(f"/j/{arabic_event.join_code}")
    _right_to_left(page)
    label, field = _box(page.locator("label[for=name]")), _box(page.locator("input#name"))
    assert label["x"] + label["width"] == pytest.approx(field["x"] + field["width"], abs=2)

    page.locator("input#name").fill("Rami (UNHCR)")
    page.locator("form[method=post] button.primary").click()
    _right_to_left(page)
    items = page.locator("#phone-nav li")
    # The bar's items come with the page's live state: measure once there are two to compare.
    expect(items.nth(1)).to_be_visible()
    first, last = _box(items.first), _box(items.last)
    assert first["x"] + first["width"] == pytest.approx(PHONE_WIDTH, abs=1)  # at the right edge
    assert first["x"] > last["x"]
    assert scroll_width(page) <= PHONE_WIDTH


def test_the_grid_is_mirrored(
    organiser_laptop: BrowserContext, live_server: LiveServer, arabic_event: LiveEvent
) -> None:
    _in_arabic(organiser_laptop, live_server)
    page = organiser_laptop.new_page()
    page.goto(f"/o/{arabic_event.slug}/grid")
    _right_to_left(page)
    row = page.locator("#grid .grid-day").first.locator("tbody tr:not(.grid-fixed)").first
    time_column, first_room = _box(row.locator("th")), _box(row.locator("td.grid-cell").first)
    assert time_column["x"] > first_room["x"]  # the time column is at the right
    waiting, days = _box(page.locator(".grid-waiting")), _box(page.locator(".grid-days"))
    assert waiting["x"] > days["x"]  # the waiting topics too


def test_the_board_is_mirrored(projector: BrowserContext, arabic_event: LiveEvent) -> None:
    page = projector.new_page()
    page.goto(f"{arabic_event.board_path}?lang=ar")
    _right_to_left(page)
    side, main = _box(page.locator(".board-side")), _box(page.locator(".board-main"))
    assert side["x"] > main["x"]  # the join column (QR, code) at the right
    expect(page.locator(".board-agenda .board-session-title").first).to_have_text(TITLES[0])


def _direction(locator: Locator) -> str:
    """The direction the browser resolved for what a person typed (``dir="auto"``: from its
    first strong character), whatever the page's."""
    resolved: str = locator.evaluate("element => getComputedStyle(element).direction")
    return resolved


@pytest.mark.parametrize(
    ("language", "page_direction", "title", "title_direction"),
    [
        ("ar", "rtl", TITLES[1], "ltr"),  # "Open data للبلديات" on an Arabic board
        ("en", "ltr", TITLES[0], "rtl"),  # "سكن للاجئين مع Caritas Sofia" on an English one
    ],
)
def test_a_title_keeps_its_own_direction_on_a_page_of_the_other(
    projector: BrowserContext,
    arabic_event: LiveEvent,
    language: str,
    page_direction: str,
    title: str,
    title_direction: str,
) -> None:
    page = projector.new_page()
    page.goto(f"{arabic_event.board_path}?lang={language}")
    expect(page.locator("html")).to_have_attribute("dir", page_direction)
    shown = page.locator(".board-agenda .board-session-title", has_text=title)
    expect(shown).to_have_text(title)  # whole, the Latin and the Arabic words in their order
    assert _direction(shown) == title_direction
    assert _direction(page.locator(".board-agenda")) == page_direction
