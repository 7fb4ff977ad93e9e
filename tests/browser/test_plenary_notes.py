"""A plenary item's notes in real browsers: a phone (390×844) opens them from "Now and next"
and saves a field; the organiser's laptop, showing the same notes, sees it over the live
socket without reloading."""

from __future__ import annotations

import pytest
from playwright.sync_api import BrowserContext, expect

from tests.browser.helpers import LiveServer, create_event, join_event
from tests.browser.seed import plenary_running_now

pytestmark = pytest.mark.browser

LIVE_MS = 5_000


def test_phone_opens_the_plenary_notes_from_now_and_next_and_saves(
    live_server: LiveServer, organiser_laptop: BrowserContext, phone: BrowserContext
) -> None:
    setup = organiser_laptop.new_page()
    event = create_event(setup, name="Plenary notes", slug="plenary-notes")
    setup.close()
    block_id = plenary_running_now(
        live_server, event.slug, "Good practices from European NGOs", "Ingrid Halvorsen"
    )
    url = f"/e/{event.slug}/plenaries/{block_id}/notes"
    laptop = organiser_laptop.new_page()
    laptop.goto(url)
    expect(laptop.get_by_role("heading", name="Good practices from European NGOs")).to_be_visible()
    laptop.evaluate("window.__sameDocument = true")

    mobile = phone.new_page()
    assert mobile.viewport_size == {"width": 390, "height": 844}
    join_event(mobile, code=event.join_code, name="Mira")
    now = mobile.locator("#now-live .now-block.now")
    expect(now).to_contain_text("Good practices from European NGOs")
    expect(now).to_contain_text("Ingrid Halvorsen")
    now.get_by_role("link", name="Notes: Good practices from European NGOs").click()
    expect(mobile).to_have_url(f"{live_server.url}{url}")
    expect(mobile.get_by_role("heading", name="Good practices from European NGOs")).to_be_visible()
    expect(mobile.get_by_label("Title")).to_have_count(0)

    outcome = mobile.get_by_label("Outcome in one line")
    outcome.press_sequentially("Mentors make the first year work", delay=15)
    expect(mobile.locator("#notes-autosave")).to_have_text("Saved.", timeout=LIVE_MS)

    expect(laptop.locator("#notes-outcome")).to_have_value(
        "Mentors make the first year work", timeout=LIVE_MS
    )
    expect(laptop.locator("#notes-status")).to_contain_text("by Mira.")
    assert laptop.evaluate("window.__sameDocument === true")
    mobile.reload()
    expect(mobile.get_by_label("Outcome in one line")).to_have_value(
        "Mentors make the first year work"
    )
