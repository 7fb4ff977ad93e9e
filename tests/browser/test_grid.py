"""The agenda grid in real browsers: the facilitator fills it from the votes, drags a topic to
another room, does the same with the keyboard, publishes; the participant's phone follows live
(no reload) with the new agenda and a notice for the session they voted for."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from playwright.sync_api import BrowserContext, Page, expect

from tests.browser.helpers import (
    PHONE,
    add_room,
    add_slot,
    create_event,
    join_event,
    open_propose_form,
    scroll_width,
)

pytestmark = pytest.mark.browser

LIVE_MS = 5_000
FIRST_DAY = (dt.date.today() + dt.timedelta(days=30)).isoformat()


def _set_phase(page: Page, slug: str, label: str) -> None:
    page.goto(f"/o/{slug}/live")
    page.locator("#phases").get_by_role("button", name=label, exact=True).click()
    expect(page.locator("#phase-badge")).to_have_text(label)


def _propose(page: Page, title: str) -> int:
    open_propose_form(page)
    page.get_by_label("Title", exact=True).fill(title)
    page.get_by_role("button", name="Propose", exact=True).click()
    mine = page.locator("#my-topics .my-topic", has_text=title)
    expect(mine).to_have_count(1)
    element_id = mine.get_attribute("id")
    assert element_id is not None
    return int(element_id.removeprefix("my-topic-"))


def _cell(grid: Page, room_index: int, slot_index: int) -> str:
    """The selector of a grid cell by position (first day)."""
    return (
        f"#grid .grid-day >> nth=0 >> tbody tr:not(.grid-fixed) >> nth={slot_index}"
        f" >> td.grid-cell >> nth={room_index}"
    )


def test_facilitator_fills_drags_keys_and_publishes_and_the_phone_follows(  # noqa: PLR0915
    organiser_laptop: BrowserContext, phone: BrowserContext, second_phone: BrowserContext
) -> None:
    page = organiser_laptop.new_page()
    event = create_event(page, name="Grid day", slug="grid-day", first_day=FIRST_DAY)
    add_room(page, event.slug, "Hall", "40")
    add_room(page, event.slug, "Lab", "12")
    add_slot(page, event.slug, "10:00", "11:00")
    add_slot(page, event.slug, "11:30", "12:30")
    add_slot(page, event.slug, "14:00", "15:00")  # one convener, three topics: three slots
    _set_phase(page, event.slug, "Marketplace")

    mobile = phone.new_page()
    join_event(mobile, code=event.join_code, name="Pia")
    titles = ["Open data", "Housing first", "Youth councils"]
    ids = [_propose(mobile, title) for title in titles]
    # Vera convenes nothing; she votes for "Open data" only.
    voter = second_phone.new_page()
    join_event(voter, code=event.join_code, name="Vera")
    _set_phase(page, event.slug, "Dot voting")
    expect(voter.locator("#my-dots")).to_be_visible(timeout=LIVE_MS)
    voter.locator(f"#vote-add-{ids[0]}").click()
    expect(voter.locator(f"#topic-{ids[0]} .my-dots")).to_have_text("1")
    _set_phase(page, event.slug, "Agenda")

    page.goto(f"/o/{event.slug}/grid")
    expect(page.locator(".grid-waiting .grid-topic")).to_have_count(3)
    page.get_by_role("button", name="Fill from votes").click()
    expect(page.locator("#grid-message")).to_contain_text("3 sessions placed")
    expect(page.locator(".grid-waiting .grid-topic")).to_have_count(0)
    page.get_by_role("button", name="Publish").click()
    expect(page.locator("#grid-message")).to_have_text("Published as version 1.")

    # The phones, never reloaded, show the agenda and their own: Pia hosts all three.
    expect(voter.locator("#agenda-live")).to_be_visible(timeout=LIVE_MS)
    expect(voter.locator("#agenda-live .agenda-session")).to_have_count(3)
    expect(voter.locator("#my-agenda .agenda-session")).to_have_count(1, timeout=LIVE_MS)
    expect(voter.locator("#my-agenda")).to_contain_text("Open data")
    expect(mobile.locator("#my-agenda .agenda-session")).to_have_count(3, timeout=LIVE_MS)
    assert scroll_width(voter) <= PHONE["viewport"]["width"]

    # Drag "Open data" into an empty cell of the other room.
    source = page.locator(f"#grid-topic-{ids[0]}")
    source_cell = source.locator("xpath=ancestor::td[1]")
    room_before = source_cell.get_attribute("data-room")
    empty = page.locator(
        f'#grid td.grid-cell[data-holds=""]:not([data-room="{room_before}"])'
    ).first
    target_room = empty.get_attribute("data-room")
    target_block = empty.get_attribute("data-block")
    source.drag_to(empty)
    expect(page.locator("#grid-message")).to_have_text("Moved.")
    moved_cell = page.locator(f"#grid-topic-{ids[0]}").locator("xpath=ancestor::td[1]")
    expect(moved_cell).to_have_attribute("data-room", target_room or "")
    expect(moved_cell).to_have_attribute("data-block", target_block or "")

    # The keyboard path: Enter on a topic selects it, then Enter on a cell's "Place here".
    other = ids[1]
    page.locator(f"#grid-topic-{other} .grid-pick").focus()
    page.keyboard.press("Enter")
    expect(page.locator(f"#grid-topic-{other} .grid-pick")).to_have_attribute(
        "aria-pressed", "true"
    )
    expect(page.locator("#grid")).to_have_attribute("data-selected", str(other))
    free = page.locator('#grid td.grid-cell[data-holds=""]').first
    free_block, free_room = free.get_attribute("data-block"), free.get_attribute("data-room")
    place = free.locator(".grid-place button")
    expect(place).to_be_visible()
    place.focus()
    expect(place).to_be_focused()
    page.keyboard.press("Enter")
    expect(page.locator("#grid-message")).to_have_text("Moved.")
    placed = page.locator(f"#grid-topic-{other}").locator("xpath=ancestor::td[1]")
    expect(placed).to_have_attribute("data-block", free_block or "")
    expect(placed).to_have_attribute("data-room", free_room or "")

    # A selection made between a grid's swap and htmx's settle step survives that step (the
    # settle step puts back the class attributes the server sent), so "Place here" shows.
    page.evaluate(
        """(topic) => {
          document.addEventListener("htmx:afterSwap", (event) => {
            if (event.target.id === "grid") {
              document.querySelector(`#grid-topic-${topic} .grid-pick`).click();
            }
          }, {once: true});
          const grid = document.getElementById("grid");
          htmx.ajax("GET", `/o/${grid.dataset.slug}/grid/fragment`,
                    {target: "#grid", swap: "outerHTML"});
        }""",
        ids[2],
    )
    expect(page.locator("#grid")).to_have_attribute("data-selected", str(ids[2]))
    expect(page.locator("#grid")).not_to_have_class(re.compile(r"\bhtmx-settling\b"))
    free_place = page.locator('#grid td.grid-cell[data-holds=""] .grid-place button').first
    expect(free_place).to_be_visible()
    page.keyboard.press("Escape")
    expect(page.locator("#grid")).to_have_attribute("data-selected", "")

    page.get_by_role("button", name="Publish").click()
    expect(page.locator("#grid-message")).to_have_text("Published as version 2.")
    # Vera gets a notice for the session she voted for only; Pia for both of hers that moved.
    notice = voter.locator("#agenda-notices .agenda-notice")
    expect(notice).to_have_count(1, timeout=LIVE_MS)
    expect(notice).to_contain_text(re.compile(r"“Open data” is now in (Hall|Lab) at"))
    expect(mobile.locator("#agenda-notices .agenda-notice")).to_have_count(2, timeout=LIVE_MS)
    voter.get_by_role("button", name="Got it").click()
    expect(notice).to_have_count(0)

    # An empty cell offers an action, and says what it does: "Block this cell".
    empty_cell = page.locator('#grid td.grid-cell[data-holds=""]').first
    block, room = empty_cell.get_attribute("data-block"), empty_cell.get_attribute("data-room")
    block_button = empty_cell.get_by_role("button", name=re.compile(r"^Block "))
    expect(block_button).to_have_text("Block this cell")
    block_button.click()
    blocked = (
        page.locator("#grid td.grid-cell.blocked")
        .filter(has=page.locator(f'input[name="block_id"][value="{block}"]'))
        .filter(has=page.locator(f'input[name="room_id"][value="{room}"]'))
    )
    expect(blocked).to_contain_text("Not available")
    blocked.get_by_role("button", name=re.compile(r"^Make .* available$")).click()
    cell = page.locator(f'#grid td.grid-cell[data-block="{block}"][data-room="{room}"]')
    expect(cell).to_have_count(1)  # an open cell again


def test_board_shows_the_agenda_with_attendance(
    organiser_laptop: BrowserContext, projector: BrowserContext, phone: BrowserContext
) -> None:
    page = organiser_laptop.new_page()
    event = create_event(page, name="Board agenda", slug="board-agenda", first_day=FIRST_DAY)
    for number in range(7):  # more rooms than the board shows at once
        add_room(page, event.slug, f"Room {number}", "30")
    add_slot(page, event.slug, "10:00", "11:00")
    _set_phase(page, event.slug, "Marketplace")
    mobile = phone.new_page()
    join_event(mobile, code=event.join_code, name="Pia")
    topic = _propose(mobile, "Commons")
    _set_phase(page, event.slug, "Agenda")
    board = projector.new_page()
    board.goto(event.board_path)

    page.goto(f"/o/{event.slug}/grid")
    page.get_by_role("button", name="Fill from votes").click()
    expect(page.locator("#grid-message")).to_contain_text("1 session placed")
    page.get_by_role("button", name="Publish").click()

    expect(board.locator("#board-agenda")).to_be_visible(timeout=LIVE_MS)
    expect(board.locator("#board-topics")).to_be_hidden()
    expect(board.locator(".board-session-title")).to_have_text("Commons")
    # Seven rooms do not fit legibly side by side: two pages of rooms, four and three.
    expect(board.locator("#board-agenda .board-pager")).to_have_text("1 / 2")
    visible_rooms = board.locator(".board-table thead th[data-col]:not(.paged-out)")
    expect(visible_rooms).to_have_count(4)
    mobile.goto(f"/e/{event.slug}/sessions/{topic}")
    mobile.get_by_role("button", name="I'm here").click()
    expect(mobile.locator(".notice")).to_have_text("You are checked in here.")
    expect(board.locator(".board-session-here")).to_have_text("1/30 here", timeout=LIVE_MS)
    assert board.evaluate("document.documentElement.scrollHeight") <= 1080
