"""A participant on a phone: joining by code, staying signed in, and staying out of staff pages."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from playwright.sync_api import Browser, BrowserContext, expect

from tests.browser.helpers import (
    ARTIFACTS,
    PHONE,
    LiveEvent,
    LiveServer,
    create_event,
    join_event,
    offline_venue,
    scroll_width,
)

pytestmark = pytest.mark.browser

PHONE_WIDTH = 390


def test_participant_joins_by_typing_code_on_phone(
    phone: BrowserContext, organiser_laptop: BrowserContext, event: LiveEvent
) -> None:
    overview = organiser_laptop.new_page()
    overview.goto(f"/o/{event.slug}")
    code = overview.locator("#join-code").inner_text().strip()
    assert code == event.join_code

    page = phone.new_page()
    page.goto("/join")
    assert scroll_width(page) <= PHONE_WIDTH
    # Typed the way people do: lower case, with a space in the middle.
    page.get_by_label("Event code").press_sequentially(f"{code[:3].lower()} {code[3:].lower()}")
    page.get_by_role("button", name="Continue").click()
    expect(page).to_have_url(re.compile(f"/j/{code}$"))
    expect(page.get_by_role("heading", level=1)).to_have_text(event.name)

    page.get_by_label("Name", exact=True).fill("Mira")
    page.get_by_label("Organisation (optional)", exact=True).fill("Multi Kulti Collective")
    page.get_by_label("Type of organisation (optional)").select_option(
        label="Community or refugee-led group"
    )
    consent = page.get_by_label("Show my name and organisation in the report")
    expect(consent).not_to_be_checked()
    consent.check()
    assert scroll_width(page) <= PHONE_WIDTH
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=ARTIFACTS / "phone-join.png", full_page=True)
    page.get_by_role("button", name="Join", exact=True).click()

    expect(page).to_have_url(re.compile(f"/e/{event.slug}$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Welcome, Mira!")
    assert scroll_width(page) <= PHONE_WIDTH
    page.screenshot(path=ARTIFACTS / "phone-home.png", full_page=True)

    page.reload()
    expect(page.get_by_role("heading", level=1)).to_have_text("Welcome, Mira!")
    # Coming back to the join link on the same phone goes home instead of joining twice.
    page.goto(f"/j/{code}")
    expect(page).to_have_url(re.compile(f"/e/{event.slug}$"))

    overview.goto(f"/o/{event.slug}/participants")
    row = overview.locator("tbody tr", has_text="Mira")
    expect(row.locator("td").nth(0)).to_have_text("Mira")
    expect(row.locator("td").nth(1)).to_have_text("Multi Kulti Collective")
    expect(row.locator("td").nth(2)).to_have_text("Community or refugee-led group")
    expect(row.locator("td").nth(3)).to_have_text("yes")
    expect(row.locator("td").nth(4)).to_have_text(re.compile(r"^\d+$"))  # the ID the CLI takes


def test_participant_deletes_their_data_from_the_phone(
    phone: BrowserContext, organiser_laptop: BrowserContext, event: LiveEvent
) -> None:
    page = phone.new_page()
    join_event(page, code=event.join_code, name="Dilnoza Leaves", organisation="Tashkent Link")
    page.goto(f"/e/{event.slug}/me")
    with page.expect_download() as download:
        page.get_by_role("link", name="Download my data").click()
    assert download.value.suggested_filename == f"{event.slug}-my-data.json"
    assert "Dilnoza Leaves" in Path(download.value.path()).read_text(encoding="utf-8")

    page.get_by_role("link", name="Delete my data").click()
    expect(page.get_by_role("heading", name="What is deleted")).to_be_visible()
    assert scroll_width(page) <= PHONE_WIDTH
    page.get_by_role("button", name="Delete my data").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("Your data was deleted")
    assert scroll_width(page) <= PHONE_WIDTH
    overview = organiser_laptop.new_page()
    overview.goto(f"/o/{event.slug}/participants")
    expect(overview.locator("tbody")).not_to_contain_text("Dilnoza Leaves")
    expect(overview.locator("tbody")).not_to_contain_text("Tashkent Link")
    # The phone is nobody in the event now: home is the code form again.
    page.goto(f"/e/{event.slug}")
    expect(page.get_by_label("Event code")).to_be_visible()


ORGANISER_PAGES = ("", "/edit", "/rooms", "/programme", "/team", "/participants", "/poster")


@pytest.mark.console_errors(
    r"status of 403 \(Forbidden\) \(http://[^)]*/o/coalition",
    reason="a participant opens organiser pages on purpose: each answers 403",
)
def test_participant_cannot_open_organiser_pages(phone: BrowserContext, event: LiveEvent) -> None:
    page = phone.new_page()
    join_event(page, code=event.join_code, name="Georgi")

    for suffix in ORGANISER_PAGES:
        response = page.goto(f"/o/{event.slug}{suffix}")
        assert response is not None
        if re.search(r"/login\?next=", page.url):
            expect(page.get_by_role("heading", name="Sign in")).to_be_visible()
        else:
            assert response.status == 403, suffix
            expect(page.locator(".error-page .message")).to_have_text(
                "You do not have access to this page."
            )
        expect(page.locator("body")).not_to_contain_text(event.join_code)
        expect(page.locator("body")).not_to_contain_text("Georgi")

    page.goto("/o")
    expect(page).to_have_url(re.compile(r"/login\?next=/o$"))


CYRILLIC = dict(zip("ACEHKMPTXY", "асенкмртху", strict=True))  # what a Cyrillic keyboard types


@pytest.mark.parametrize(
    "size", [{"width": 390, "height": 844}, {"width": 360, "height": 740}], ids=["390", "360"]
)
def test_a_code_typed_on_a_cyrillic_keyboard_joins(
    browser: Browser,
    live_server: LiveServer,
    organiser_laptop: BrowserContext,
    size: dict[str, int],
) -> None:
    overview = organiser_laptop.new_page()
    for attempt in range(5):  # a code has a letter with a Cyrillic look-alike 97 times in 100
        made = create_event(
            overview, name="Cyrillic keyboard", slug=f"cyrillic-{size['width']}-{attempt}"
        )
        if any(letter in CYRILLIC for letter in made.join_code):
            break
    typed = "".join(CYRILLIC.get(letter, letter) for letter in made.join_code)
    assert typed != made.join_code
    # A phone with a Cyrillic keyboard (its pages in English here, to find the labels by name).
    context = browser.new_context(
        base_url=live_server.url, locale="en-GB", **{**PHONE, "viewport": size}
    )
    offline_venue(context)
    try:
        page = context.new_page()
        page.goto("/join")
        page.get_by_label("Event code").press_sequentially(f"{typed[:3]}-{typed[3:]}")
        page.get_by_role("button", name="Continue").click()
        expect(page).to_have_url(re.compile(f"/j/{made.join_code}$"))
        expect(page.get_by_role("heading", level=1)).to_have_text("Cyrillic keyboard")
        assert scroll_width(page) <= size["width"]
    finally:
        context.close()
