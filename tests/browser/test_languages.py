"""Each person's language, in a real browser: the join page offers every language with the
browser's chosen, the choice sticks on the phone's pages and in its live frames, and the board
speaks the language of its link."""

from __future__ import annotations

import io
import os
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from PIL import Image
from playwright.sync_api import Browser, BrowserContext, Page, expect

from app import i18n
from app.models.events import Phase
from tests.browser.conftest import _context, set_up_event
from tests.browser.helpers import (
    ARTIFACTS,
    PHONE,
    LiveEvent,
    LiveServer,
    Organiser,
    scroll_width,
)
from tests.browser.seed import database, event_row
from tests.browser.test_board_layout import seed

pytestmark = pytest.mark.browser

LIVE_MS = 5_000
# The phase "Dot voting" and the join form's greeting, in Ukrainian (app/locale/uk).
VOTING_UK = "Голосування крапками"
JOIN_UK = "Розкажіть іншим, хто ви."


@pytest.fixture(scope="module")
def languages_event(browser: Browser, live_server: LiveServer, organiser_state: Path) -> LiveEvent:
    return set_up_event(
        browser, live_server, organiser_state, name="Мовний день", slug="languages-day"
    )


@pytest.fixture
def ukrainian_phone(browser: Browser, live_server: LiveServer) -> Iterator[BrowserContext]:
    """A phone whose browser is set to Ukrainian (its Accept-Language says so)."""
    context = _context(browser, live_server, locale="uk-UA", **PHONE)
    yield context
    context.close()


def _set_phase(page: Page, slug: str, label: str) -> None:
    page.goto(f"/o/{slug}/live")
    page.locator("#phases").get_by_role("button", name=label, exact=True).click()
    expect(page.locator("#phase-badge")).to_have_text(label)


def test_the_join_page_offers_every_language_and_the_choice_sticks(
    ukrainian_phone: BrowserContext, organiser_laptop: BrowserContext, languages_event: LiveEvent
) -> None:
    page = ukrainian_phone.new_page()
    page.goto(f"/j/{languages_event.join_code}")
    expect(page.locator("html")).to_have_attribute("lang", "uk")
    expect(page.get_by_text(JOIN_UK)).to_be_visible()
    language = page.locator("select#locale")
    names = language.locator("option").all_inner_texts()
    assert names == [i18n.language_name(code) for code in i18n.LOCALES]
    expect(language).to_have_value("uk")  # the browser's language, chosen for them

    page.locator("input#name").fill("Оксана")
    page.locator("form[method=post] button.primary").click()
    expect(page).to_have_url(re.compile(rf"/e/{languages_event.slug}$"))
    expect(page.locator("html")).to_have_attribute("lang", "uk")
    expect(page.locator("h1.greeting")).to_contain_text("Оксана")
    assert scroll_width(page) <= PHONE["viewport"]["width"]

    page.goto(f"/e/{languages_event.slug}/agenda")  # another of their pages
    expect(page.locator("html")).to_have_attribute("lang", "uk")
    page.goto(f"/e/{languages_event.slug}")

    # A live frame (the facilitator, in English, starts the voting) comes in Ukrainian.
    _set_phase(organiser_laptop.new_page(), languages_event.slug, "Dot voting")
    expect(page.locator(".phase-banner .phase-name")).to_have_text(VOTING_UK, timeout=LIVE_MS)


def test_the_board_speaks_the_language_of_its_link(
    projector: BrowserContext, languages_event: LiveEvent
) -> None:
    page = projector.new_page()
    page.goto(f"{languages_event.board_path}?lang=uk")
    expect(page.locator("html")).to_have_attribute("lang", "uk")
    expect(page.locator("html")).to_have_attribute("dir", "ltr")
    expect(page.locator(".board-join-label")).to_contain_text("Приєднуйтеся з телефона")


# --- screenshots for the README ----------------------------------------------------------

DOCS = Path(__file__).parents[2] / "docs" / "screenshots"
# The README shows the phone and the board in these languages, once each ships.
SCREENSHOT_LANGUAGES = [code for code in ("uk", "ar") if code in i18n.LOCALES]
SCREENSHOT_NAMES = {"uk": "Оксана", "ar": "سلمى"}


def _keep(page: Page, name: str) -> None:
    """A small PNG (64 colours) in the test artifacts, and with UPDATE_DOCS_SCREENSHOTS=1 in
    docs/screenshots for the README (not on every run: the times they show change)."""
    image = Image.open(io.BytesIO(page.screenshot(animations="disabled"))).convert("RGB")
    small = image.quantize(colors=64, method=Image.Quantize.MEDIANCUT, dither=Image.Dither.NONE)
    targets = [ARTIFACTS / name]
    if os.environ.get("UPDATE_DOCS_SCREENSHOTS") == "1":
        targets.append(DOCS / name)
    for target in targets:
        target.parent.mkdir(parents=True, exist_ok=True)
        small.save(target, optimize=True)
        assert target.stat().st_size < 250_000


@pytest.mark.parametrize("language", SCREENSHOT_LANGUAGES)
def test_screenshots_of_the_phone_and_the_board(
    browser: Browser,
    live_server: LiveServer,
    organiser: Organiser,
    projector: BrowserContext,
    language: str,
) -> None:
    seeded = seed(
        live_server,
        organiser,
        topics=9,
        phase=Phase.VOTING,
        languages=[language, "en"],
        votes={0: 6, 1: 4, 2: 4, 3: 2, 5: 1},
    )
    with database(live_server) as session:
        code = event_row(session, seeded.slug).join_code
    phone = _context(browser, live_server, locale=language, **PHONE)
    try:
        page = phone.new_page()
        page.goto(f"/j/{code}")
        expect(page.locator("html")).to_have_attribute("lang", language)
        expect(page.locator("html")).to_have_attribute("dir", i18n.direction(language))
        _keep(page, f"phone-join-{language}.png")
        page.locator("input#name").fill(SCREENSHOT_NAMES[language])
        page.locator("form[method=post] button.primary").click()
        expect(page.locator(".topic-card")).to_have_count(9)
        _keep(page, f"phone-home-{language}.png")
    finally:
        phone.close()
    board = projector.new_page()
    board.goto(f"{seeded.board_path}?lang={language}")
    expect(board.locator("html")).to_have_attribute("dir", i18n.direction(language))
    expect(board.locator(".board-topic")).to_have_count(9)
    _keep(board, f"board-voting-{language}.png")
