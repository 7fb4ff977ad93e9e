"""The mapping workshop in real browsers: two phones post cards while the projector shows them
live; the facilitator clusters cards by drag and drop and by the keyboard, and the board follows.

Nothing here reloads the board or a phone after the step under test: every change must arrive
over the WebSocket (a page marks its window once loaded, and the mark must survive).
"""

from __future__ import annotations

import itertools
import re

import pytest
from playwright.sync_api import BrowserContext, Page, expect

from tests.browser.helpers import ARTIFACTS, LiveEvent, create_event, join_event, scroll_width

pytestmark = pytest.mark.browser

LIVE_MS = 5_000  # a frame is due within a second; this is slack for a busy CI box
PHONE_WIDTH = 390
BOARD_WIDTH = 1920
BOARD_HEIGHT = 1080

_slugs = itertools.count(1)


def _mark_loaded(page: Page) -> None:
    page.evaluate("window.__sameDocument = true")


def _not_reloaded(page: Page) -> bool:
    return bool(page.evaluate("window.__sameDocument === true"))


def _new_map(laptop: BrowserContext, question: str) -> tuple[LiveEvent, Page, int]:
    """A fresh event with a map on its board; the map's page open on the laptop."""
    panel = laptop.new_page()
    event = create_event(panel, name="Mapping lab", slug=f"map-{next(_slugs)}")
    panel.goto(f"/o/{event.slug}")
    panel.get_by_role("navigation", name="Event").get_by_role("link", name="Maps").click()
    panel.get_by_label("Question").fill(question)
    panel.get_by_label("Cards can carry a place (you list the places)").check()
    panel.get_by_role("button", name="Create map").click()
    expect(panel).to_have_url(re.compile(rf"/o/{event.slug}/maps/\d+$"))
    map_id = int(panel.url.rsplit("/", 1)[1])
    for place in ("Sofia", "Varna"):
        panel.get_by_label("New place").fill(place)
        panel.get_by_role("button", name="Add place").click()
        expect(panel.locator("#places .list-row")).to_have_count(1 if place == "Sofia" else 2)
    panel.get_by_role("button", name="Show on the board").click()
    expect(panel.locator(".map-status .on-board")).to_have_text("on the board")
    return event, panel, map_id


def _open_map_on_phone(page: Page, event: LiveEvent, name: str) -> None:
    join_event(page, code=event.join_code, name=name)
    page.locator("#phone-map-link").get_by_role("link").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("What does your town need?")


def _post_card(page: Page, text: str, category: str, place: str = "") -> int:
    """Post from the phone's form; return the card's id from "My cards"."""
    page.get_by_label("Your card").fill(text)
    page.get_by_label(category, exact=True).check()
    if place:
        page.get_by_label("Place (optional)").select_option(label=place)
    page.get_by_role("button", name="Post the card").click()
    mine = page.locator("#my-cards .my-card", has_text=text)
    expect(mine).to_have_count(1)
    element_id = mine.get_attribute("id")
    assert element_id is not None
    return int(element_id.removeprefix("my-card-"))


def test_two_phones_post_cards_and_the_board_shows_them_live(
    organiser_laptop: BrowserContext,
    projector: BrowserContext,
    phone: BrowserContext,
    second_phone: BrowserContext,
) -> None:
    event, _panel, map_id = _new_map(organiser_laptop, "What does your town need?")
    board = projector.new_page()
    board.goto(event.board_path)
    _mark_loaded(board)
    expect(board.locator("#board-map .board-map-question")).to_have_text(
        "What does your town need?"
    )
    expect(board.locator("#board-topics")).to_be_hidden()  # the map takes the topics' place
    expect(board.locator("#board-map .board-map-category")).to_have_text(
        [
            re.compile(r"^Opportunities\s+0$"),
            re.compile(r"^Initiatives\s+0$"),
            re.compile(r"^Needs\s+0$"),
        ]
    )

    mira, ivan = phone.new_page(), second_phone.new_page()
    _open_map_on_phone(mira, event, "Mira")
    _open_map_on_phone(ivan, event, "Ivan")
    night_bus = _post_card(mira, "A night bus to the industrial zone", "Needs", "Varna")
    expect(board.locator(f"#board-card-{night_bus}")).to_contain_text(
        "A night bus to the industrial zone", timeout=LIVE_MS
    )
    expect(board.locator(f"#board-card-{night_bus} .board-card-place")).to_have_text("Varna")
    _mark_loaded(ivan)
    # Ivan's page was open before Mira posted: her card arrives on his phone by itself.
    mira_on_ivan = ivan.locator(f"#map-card-{night_bus}")
    expect(mira_on_ivan.locator(".map-card-text")).to_have_text(
        "A night bus to the industrial zone", timeout=LIVE_MS
    )
    mira_on_ivan.get_by_role("button", name="Support this card (+1)").click()
    expect(mira_on_ivan.get_by_role("button", name="Take back your +1")).to_be_visible()
    expect(mira_on_ivan.locator(".plus-count")).to_have_text("+1", timeout=LIVE_MS)
    expect(board.locator(f"#board-card-{night_bus} .board-plus")).to_have_text(
        "+1", timeout=LIVE_MS
    )

    food_bank = _post_card(ivan, "Банка за храни към читалището", "Initiatives")
    _mark_loaded(ivan)  # posting reloads the poster's own page; from here on it must not
    _mark_loaded(mira)
    expect(board.locator(f"#board-card-{food_bank}")).to_contain_text(
        "Банка за храни към читалището", timeout=LIVE_MS
    )
    mine_on_mira = mira.locator(f"#map-card-{night_bus}")
    expect(mine_on_mira.locator(".mine-badge")).to_be_visible()  # her own card: no +1 button
    expect(mine_on_mira.get_by_role("button", name="Support this card (+1)")).to_be_hidden()
    expect(mira.locator(f"#map-card-{food_bank}")).to_be_visible(timeout=LIVE_MS)
    expect(board.locator("#board-map .board-map-total")).to_have_text("2 cards")

    assert scroll_width(mira) <= PHONE_WIDTH
    assert scroll_width(ivan) <= PHONE_WIDTH
    assert scroll_width(board) <= BOARD_WIDTH
    assert _not_reloaded(board)
    assert _not_reloaded(mira)
    assert _not_reloaded(ivan)
    assert map_id > 0


def test_facilitator_clusters_cards_by_drag_and_by_keyboard_and_the_board_follows(
    organiser_laptop: BrowserContext, projector: BrowserContext, phone: BrowserContext
) -> None:
    event, panel, map_id = _new_map(organiser_laptop, "What does your town need?")
    mira = phone.new_page()
    _open_map_on_phone(mira, event, "Mira")
    bus = _post_card(mira, "A night bus to the industrial zone", "Needs")
    bikes = _post_card(mira, "Safe bike lanes to school", "Needs")
    housing = _post_card(mira, "Flats that newcomers can rent", "Needs")
    board = projector.new_page()
    board.goto(event.board_path)
    _mark_loaded(board)
    expect(board.locator(f"#board-card-{housing}")).to_be_visible()

    panel.goto(f"/o/{event.slug}/maps/{map_id}")
    _mark_loaded(panel)
    # Drag and drop: the night bus into a new cluster of Needs, named in the field above.
    panel.get_by_label("Name for a new cluster").fill("Transport")
    needs = panel.locator(".work-category", has_text="Needs")
    new_zone = needs.locator(".work-new")
    # Both ends on screen first: a drag that has to scroll the page to reach its target picks
    # up whatever card has scrolled under the pointer by then.
    needs.evaluate("element => element.scrollIntoView({block: 'center'})")
    panel.locator(f"#work-card-{bus}").drag_to(new_zone)
    cluster = panel.locator(".work-cluster", has=panel.locator(f"#work-card-{bus}"))
    expect(cluster.get_by_label("Cluster name")).to_have_value("Transport")
    expect(panel.locator("#flash")).to_have_text("Card moved.")
    on_board = board.locator(".board-cluster", has_text="Transport")
    expect(on_board.locator(".board-cluster-name")).to_have_text(
        re.compile(r"^Transport\s+1$"), timeout=LIVE_MS
    )
    expect(on_board.locator(f"#board-card-{bus}")).to_be_visible()

    # The keyboard path: select the bike lanes card, then press "move here" on the cluster.
    panel.locator(f"#select-card-{bikes}").focus()
    panel.keyboard.press("Space")
    expect(panel.locator(f"#select-card-{bikes}")).to_be_checked()
    move_here = panel.get_by_role("button", name="Move the selected card into Transport")
    move_here.focus()
    panel.keyboard.press("Enter")
    expect(cluster.locator(f"#work-card-{bikes}")).to_be_visible()
    expect(on_board.locator(".board-cluster-name")).to_have_text(
        re.compile(r"^Transport\s+2$"), timeout=LIVE_MS
    )
    expect(on_board.locator(".board-card")).to_have_count(2)
    loose = board.locator(
        "#board-category-" + needs.get_attribute("id").removeprefix("work-category-")
    )  # type: ignore[union-attr]
    expect(loose.locator(f"#board-card-{housing}")).to_be_visible()

    # Renaming the cluster reaches the board too.
    cluster.get_by_label("Cluster name").fill("Getting around")
    cluster.get_by_role("button", name="Rename").click()
    expect(board.locator(".board-cluster-name").first).to_have_text(
        re.compile(r"^Getting around\s+2$"), timeout=LIVE_MS
    )
    assert _not_reloaded(board)
    assert _not_reloaded(panel)  # htmx swapped the work area; the page stayed
    bottoms = board.locator("#board-map .board-card").evaluate_all(
        "items => items.map(item => item.getBoundingClientRect().bottom)"
    )
    assert max(bottoms) <= BOARD_HEIGHT
    ARTIFACTS.mkdir(exist_ok=True)
    board.screenshot(path=ARTIFACTS / "board-map.png")
    panel.screenshot(path=ARTIFACTS / "facilitator-map.png", full_page=True)
    mira.screenshot(path=ARTIFACTS / "phone-map.png", full_page=True)
