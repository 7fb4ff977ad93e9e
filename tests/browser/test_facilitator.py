"""The facilitator in the room (issue 13), in real browsers: the laptop fills the grid of an
event entered afterwards, sees a day of only plenaries named as such, merges topics after a
confirmation and undoes it, edits programme items and titles days; the closing-circle page
follows the board (1920×1080 and 1280×720) while the slides advance by themselves."""

from __future__ import annotations

import itertools
import re

import pytest
from playwright.sync_api import BrowserContext, expect
from sqlmodel import select

from app.models.events import Event, Phase
from app.services.access import resolve
from app.services.events import team
from app.services.topics import topics
from tests.browser.helpers import (
    LiveEvent,
    LiveServer,
    add_room,
    add_slot,
    create_event,
    join_event,
)
from tests.browser.seed import database, publish_sessions, set_phase

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
    publish_sessions(live_server, event.slug, titles, "Rania")
    set_phase(live_server, event.slug, Phase.CLOSING)
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


def _topics_typed_in(server: LiveServer, slug: str, titles: list[str]) -> list[int]:
    """Topics typed in by the facilitator (as from paper at the wall), through the service."""
    with database(server) as session:
        event = session.exec(select(Event).where(Event.slug == slug)).one()
        owner = team.members(session, event_id=event.id or 0)[0][0]
        staff = resolve(session, event=event, user=owner, session_id=None)
        made = [topics.propose_on_behalf(session, access=staff, title=title) for title in titles]
        return [topic.id or 0 for topic in made]


@pytest.mark.console_errors(
    r"status of 422 \(Unprocessable Entity\)",
    reason="fills a day that has started without asking for all slots, saves an item ending early",
)
def test_the_laptop_names_merges_undoes_fills_a_past_event_and_edits_the_programme(  # noqa: PLR0915
    live_server: LiveServer, organiser_laptop: BrowserContext
) -> None:
    page = organiser_laptop.new_page()
    # A long name and no address: the address stops at a whole word, within 60 characters.
    page.goto("/o/new")
    page.get_by_label("Name", exact=True).fill(
        "Laboratory for Cooperation of Refugee Integration Programme Partners 2026"
    )
    page.get_by_label("First day").fill("2025-05-14")  # long past: entered afterwards
    page.get_by_role("button", name="Create event").click()
    slug = "laboratory-for-cooperation-of-refugee-integration-programme"
    expect(page).to_have_url(re.compile(f"/o/{slug}$"))
    add_room(page, slug, "Hall", "40")
    add_room(page, slug, "Lab", "12")
    add_slot(page, slug, "10:00", "11:00")
    add_slot(page, slug, "11:30", "12:30")
    housing, families, _schools = _topics_typed_in(
        live_server, slug, ["Housing", "Housing for families", "Schools"]
    )

    # Merging asks first, then can be undone.
    page.goto(f"/o/{slug}/topics/{families}")
    page.get_by_label("Merge into").select_option(str(housing))
    page.get_by_role("button", name="Merge…").click()
    expect(page.locator("#merge-confirm .lead")).to_have_text(
        "Merge “Housing for families” into “Housing”?"
    )
    page.locator("#merge-confirm").get_by_role("button", name="Merge", exact=True).click()
    expect(page).to_have_url(re.compile(f"/o/{slug}/topics/{housing}#undo-merge$"))
    expect(page.locator("#undo-merge")).to_contain_text(
        "“Housing for families” was merged into “Housing”."
    )
    page.get_by_role("button", name="Undo merge").click()
    expect(page).to_have_url(re.compile(f"/o/{slug}/topics/{families}$"))
    expect(page.locator("main")).to_contain_text("Status: on the list")
    expect(page.locator("#undo-merge")).to_have_count(0)

    # Every slot has started: "Fill from votes" has nothing to do, the clear action fills all.
    page.goto(f"/o/{slug}/grid")
    page.get_by_role("button", name="Fill from votes").click()
    expect(page.locator("#grid-message")).to_contain_text("nothing left to schedule")
    page.get_by_role(
        "button", name="Schedule all slots anyway — including slots that have started"
    ).click()
    expect(page.locator("#grid-message")).to_contain_text("3 sessions placed")
    expect(page.locator(".grid-waiting .grid-topic")).to_have_count(0)

    # A day with only a plenary says so, with the way to add a slot.
    page.goto(f"/o/{slug}/programme")
    page.locator("#new-day-date").fill("2025-05-15")
    page.get_by_role("button", name="Add day").click()
    second = page.locator("form.add-block").nth(1)
    second.get_by_label("Kind").select_option("plenary")
    second.get_by_label("Starts").fill("09:00")
    second.get_by_label("Ends").fill("10:00")
    second.get_by_label("Title", exact=True).fill("Good practices")
    second.get_by_role("button", name="Add to this day").click()
    page.goto(f"/o/{slug}/grid")
    day_two = page.locator(".grid-day").nth(1)
    expect(day_two.locator(".grid-no-slots")).to_contain_text(
        "This day has only plenary items and breaks"
    )
    day_two.get_by_role("link", name="Add an open-space slot to this day in the programme").click()
    expect(page).to_have_url(re.compile(f"/o/{slug}/programme#day-\\d+$"))

    # A programme item is edited, with the message next to the field; a day gets a title.
    page.get_by_role("link", name="Edit the item at 10:00").click()
    page.get_by_label("Ends").fill("09:30")
    page.get_by_role("button", name="Save", exact=True).click()
    expect(page.locator("#ends_at-error")).to_have_text("The end must be after the start.")
    page.get_by_label("Ends").fill("11:15")
    page.get_by_role("button", name="Save", exact=True).click()
    expect(page.locator("table.list").first).to_contain_text("10:00–11:15")
    page.locator("form.day-title").first.get_by_label("Title of the day (optional)").fill(
        "Day 1 — Mapping"
    )
    page.locator("form.day-title").first.get_by_role("button", name="Save title").click()
    expect(page.locator("section.day h2").first).to_have_text(
        "Wednesday, 14 May 2025 · Day 1 — Mapping"
    )
    page.goto(f"/o/{slug}/agenda/print")
    expect(page.locator("h2").first).to_contain_text("Day 1 — Mapping")
