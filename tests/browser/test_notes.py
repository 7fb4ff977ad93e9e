"""Session notes in real browsers: what a phone types appears on a laptop viewing the same
session, a photo uploads from the phone, the closing circle's presentation advances.

The agenda grid has no screen yet on this branch, so a session is published straight into the
live server's database (as the grid will), with the services the app itself uses.
"""

from __future__ import annotations

import io
import itertools

import pytest
from PIL import Image, ImageDraw
from playwright.sync_api import BrowserContext, Page, Route, expect

from app.models.events import Phase
from tests.browser.helpers import LiveEvent, LiveServer, create_event, join_event
from tests.browser.seed import publish_sessions, set_phase

pytestmark = pytest.mark.browser

LIVE_MS = 5_000
_slugs = itertools.count(1)


def _new_event(laptop: BrowserContext, name: str) -> LiveEvent:
    page = laptop.new_page()
    event = create_event(page, name=name, slug=f"notes-{next(_slugs)}")
    page.close()
    return event


def _mark_loaded(page: Page) -> None:
    page.evaluate("window.__sameDocument = true")


def _not_reloaded(page: Page) -> bool:
    return bool(page.evaluate("window.__sameDocument === true"))


def test_notes_typed_on_a_phone_appear_on_a_laptop(
    live_server: LiveServer, organiser_laptop: BrowserContext, phone: BrowserContext
) -> None:
    event = _new_event(organiser_laptop, "Notes live")
    mobile = phone.new_page()
    join_event(mobile, code=event.join_code, name="Mira")
    (topic_id,) = publish_sessions(live_server, event.slug, ["Housing for families"], "Mira")
    url = f"/e/{event.slug}/sessions/{topic_id}/notes"

    laptop = organiser_laptop.new_page()
    laptop.goto(url)
    expect(laptop.get_by_role("heading", name="Housing for families")).to_be_visible()
    _mark_loaded(laptop)

    mobile.goto(url)
    field = mobile.get_by_label("Key discussion points")
    field.click()
    expect(laptop.locator("#notes-editors")).to_have_text("Editing now: Mira", timeout=LIVE_MS)
    field.press_sequentially("- rents **rise**\n- deposits", delay=15)
    expect(mobile.locator("#notes-autosave")).to_have_text("Saved.", timeout=LIVE_MS)

    expect(laptop.locator("#notes-discussion")).to_have_value(
        "- rents **rise**\n- deposits", timeout=LIVE_MS
    )
    expect(laptop.locator("#view-discussion strong")).to_have_text("rise")
    expect(laptop.locator("#notes-status")).to_contain_text("by Mira.")

    # The laptop types in another field meanwhile; the phone sees it too.
    laptop.get_by_label("Outcome in one line").fill("A rent-guarantee pilot")
    expect(laptop.locator("#notes-autosave")).to_have_text("Saved.", timeout=LIVE_MS)
    expect(mobile.locator("#notes-outcome")).to_have_value(
        "A rent-guarantee pilot", timeout=LIVE_MS
    )
    expect(field).to_have_value("- rents **rise**\n- deposits")
    assert _not_reloaded(laptop)


@pytest.mark.console_errors(
    r"^Failed to load resource: net::ERR_INTERNET_DISCONNECTED",
    reason="the phone goes offline while it saves and says it is present",
)
def test_a_draft_typed_offline_is_sent_when_back_online(
    live_server: LiveServer, organiser_laptop: BrowserContext, phone: BrowserContext
) -> None:
    event = _new_event(organiser_laptop, "Notes offline")
    mobile = phone.new_page()
    join_event(mobile, code=event.join_code, name="Ivo")
    (topic_id,) = publish_sessions(live_server, event.slug, ["Jobs"], "Ivo")
    url = f"/e/{event.slug}/sessions/{topic_id}/notes"
    mobile.goto(url)
    phone.set_offline(True)
    mobile.get_by_label("Open questions").fill("Who pays for the courses?")
    expect(mobile.locator("#notes-autosave")).to_contain_text("No connection", timeout=LIVE_MS)
    phone.set_offline(False)
    mobile.evaluate("window.dispatchEvent(new Event('online'))")
    expect(mobile.locator("#notes-autosave")).to_have_text("Saved.", timeout=LIVE_MS)
    laptop = organiser_laptop.new_page()
    laptop.goto(url)
    expect(laptop.locator("#notes-questions")).to_have_value("Who pays for the courses?")


@pytest.mark.console_errors(
    r"status of 429 \(Too Many Requests\)",
    reason="the first save is answered 429 on purpose",
)
def test_a_save_refused_for_speed_is_kept_and_sent_again(
    live_server: LiveServer, organiser_laptop: BrowserContext, phone: BrowserContext
) -> None:
    event = _new_event(organiser_laptop, "Notes limited")
    mobile = phone.new_page()
    join_event(mobile, code=event.join_code, name="Ana")
    (topic_id,) = publish_sessions(live_server, event.slug, ["Health"], "Ana")
    url = f"/e/{event.slug}/sessions/{topic_id}/notes"
    mobile.goto(url)
    refused: list[str] = []

    def first_save_refused(route: Route) -> None:
        # What the server answers over the save limit (60 a minute is slow to reach here).
        if route.request.method == "POST" and not refused:
            refused.append(route.request.post_data or "")
            route.fulfill(
                status=429,
                headers={"Retry-After": "2"},
                json={"message": "That was a lot of saving at once.", "retry_after": 2},
            )
            return
        route.continue_()

    mobile.route(f"**{url}", first_save_refused)
    mobile.get_by_label("Open questions").fill("Who translates the forms?")
    expect(mobile.locator("#notes-autosave")).to_contain_text("Saving is paused", timeout=LIVE_MS)
    expect(mobile.locator("#notes-questions")).to_have_value("Who translates the forms?")
    expect(mobile.locator("#notes-autosave")).to_have_text("Saved.", timeout=LIVE_MS)
    assert len(refused) == 1 and "Who translates the forms?" in refused[0]
    laptop = organiser_laptop.new_page()
    laptop.goto(url)
    expect(laptop.locator("#notes-questions")).to_have_value("Who translates the forms?")


def _flipchart() -> bytes:
    image = Image.new("RGB", (1200, 900), (246, 244, 236))
    ImageDraw.Draw(image).line((100, 100, 1100, 800), fill=(20, 60, 160), width=12)
    out = io.BytesIO()
    image.save(out, "JPEG")
    return out.getvalue()


def test_a_photo_uploads_from_the_phone(
    live_server: LiveServer, organiser_laptop: BrowserContext, phone: BrowserContext
) -> None:
    event = _new_event(organiser_laptop, "Notes photo")
    mobile = phone.new_page()
    join_event(mobile, code=event.join_code, name="Lina")
    (topic_id,) = publish_sessions(live_server, event.slug, ["Schools"], "Lina")
    mobile.goto(f"/e/{event.slug}/sessions/{topic_id}/notes")
    mobile.get_by_label("Photo", exact=True).set_input_files(
        {"name": "flipchart.jpg", "mimeType": "image/jpeg", "buffer": _flipchart()}
    )
    mobile.get_by_label("Caption (optional)").fill("Our wall")
    mobile.get_by_role("button", name="Upload photo").click()
    image = mobile.locator("#notes-photos img")
    expect(image).to_have_count(1)
    expect(image).to_have_attribute("alt", "Our wall")
    expect(mobile.locator("#notes-photos .caption")).to_have_text("Our wall")
    # The thumbnail loads lazily, and a busy box may take a moment to serve it.
    image.scroll_into_view_if_needed()
    mobile.wait_for_function("img => img.complete", arg=image.element_handle())
    assert image.evaluate("img => img.naturalWidth") == 480  # 0 if it failed to load


def test_the_presentation_advances_on_the_board(
    live_server: LiveServer,
    organiser_laptop: BrowserContext,
    projector: BrowserContext,
    phone: BrowserContext,
) -> None:
    event = _new_event(organiser_laptop, "Closing circle")
    mobile = phone.new_page()
    join_event(mobile, code=event.join_code, name="Rania")
    publish_sessions(live_server, event.slug, ["First session", "Second session"], "Rania")
    set_phase(live_server, event.slug, Phase.CLOSING)
    board = projector.new_page()
    board.goto(event.board_path)
    _mark_loaded(board)
    expect(board.locator("#board-closing .slide:visible .slide-title")).to_have_text(
        "First session"
    )
    control = organiser_laptop.new_page()
    control.goto(f"/o/{event.slug}/closing")
    control.keyboard.press("PageDown")  # what a presentation clicker sends
    expect(control.locator("#closing-current")).to_have_text("Showing 2 of 2: Second session")
    expect(board.locator("#board-closing .slide:visible .slide-title")).to_have_text(
        "Second session", timeout=LIVE_MS
    )
    control.keyboard.press("ArrowLeft")
    expect(control.locator("#closing-current")).to_have_text("Showing 1 of 2: First session")
    expect(board.locator("#board-closing .slide:visible .slide-title")).to_have_text(
        "First session", timeout=LIVE_MS
    )
    control.get_by_role("button", name="Next →").click()  # the buttons work too
    expect(board.locator("#board-closing .slide:visible .slide-title")).to_have_text(
        "Second session", timeout=LIVE_MS
    )
    assert _not_reloaded(board)
