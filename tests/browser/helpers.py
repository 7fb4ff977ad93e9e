"""What people do in the browser, written once: sign in, create an event, join from a phone."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from playwright.sync_api import BrowserContext, Page, expect

ORGANISER_PASSWORD = "Marketplace-at-nine!"
ARTIFACTS = Path(__file__).parent / "artifacts"
# Browser context options of an organiser's or facilitator's laptop.
LAPTOP: dict[str, Any] = {"viewport": {"width": 1366, "height": 768}}
# Browser context options of a phone (an iPhone 12-sized screen).
PHONE: dict[str, Any] = {
    "viewport": {"width": 390, "height": 844},
    "is_mobile": True,
    "has_touch": True,
    "device_scale_factor": 2,
}


@dataclass(frozen=True)
class LiveServer:
    url: str
    env: dict[str, str]
    data_dir: Path


@dataclass(frozen=True)
class Organiser:
    email: str
    name: str
    password: str


@dataclass(frozen=True)
class LiveEvent:
    name: str
    slug: str
    join_code: str
    board_path: str


def sign_in(page: Page, organiser: Organiser) -> None:
    page.goto("/login")
    page.get_by_label("Email").fill(organiser.email)
    page.get_by_label("Password").fill(organiser.password)
    page.get_by_role("button", name="Sign in", exact=True).click()
    expect(page).to_have_url(re.compile(r"/o$"))


def create_event(page: Page, *, name: str, slug: str, first_day: str = "2025-05-14") -> LiveEvent:
    """Create an event through the form as a signed-in organiser; return what the overview shows."""
    page.goto("/o/new")
    page.get_by_label("Name", exact=True).fill(name)
    page.get_by_label("Address", exact=True).fill(slug)
    page.get_by_label("First day").fill(first_day)
    page.get_by_role("button", name="Create event").click()
    expect(page).to_have_url(re.compile(f"/o/{slug}$"))
    board_path = page.locator("#board-link").get_attribute("href")
    assert board_path is not None
    return LiveEvent(
        name=name,
        slug=slug,
        join_code=page.locator("#join-code").inner_text().strip(),
        board_path=board_path,
    )


def join_event(page: Page, *, code: str, name: str, organisation: str = "") -> None:
    """Type the code on /join, fill in the join form and land on the participant's home."""
    page.goto("/join")
    page.get_by_label("Event code").press_sequentially(code)
    page.get_by_role("button", name="Continue").click()
    page.get_by_label("Name", exact=True).fill(name)
    if organisation:
        page.get_by_label("Organisation (optional)", exact=True).fill(organisation)
    page.get_by_role("button", name="Join", exact=True).click()
    expect(page.get_by_role("heading", name=f"Welcome, {name}!")).to_be_visible()


def open_propose_form(page: Page) -> None:
    """The phone's propose form is folded behind a button at the top of the topic list."""
    toggle = page.get_by_role("button", name="Propose a topic")
    if toggle.get_attribute("aria-expanded") != "true":
        toggle.click()
    expect(page.get_by_label("Title", exact=True)).to_be_visible()


def scroll_width(page: Page) -> int:
    width: int = page.evaluate("document.documentElement.scrollWidth")
    return width


def offline_venue(context: BrowserContext) -> None:
    """No internet, as at most venues: the CDN fails at once (here the network has no route
    out, and a connection that hangs would stall each page until the browser gives up).
    The fallback tests route the CDN themselves; later routes take precedence."""
    context.route("https://cdn.jsdelivr.net/**", lambda route: route.abort())


def add_room(page: Page, slug: str, name: str, seats: str) -> None:
    """A room, added through the rooms page as an organiser would."""
    page.goto(f"/o/{slug}/rooms")
    form = page.locator("#add-room")
    form.get_by_label("Name", exact=True).fill(name)
    form.get_by_label("Seats", exact=True).fill(seats)
    form.get_by_role("button", name="Add room").click()
    expect(page.get_by_role("button", name=f"Delete {name}", exact=True)).to_be_visible()


def add_slot(page: Page, slug: str, starts: str, ends: str) -> None:
    """An open-space slot on the first day, added through the programme page."""
    page.goto(f"/o/{slug}/programme")
    form = page.locator("form.add-block").first
    form.get_by_label("Starts").fill(starts)
    form.get_by_label("Ends").fill(ends)
    form.get_by_role("button", name="Add to this day").click()
    expect(page.locator("table.list").first).to_contain_text(starts)
