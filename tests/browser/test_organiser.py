"""The organiser sets up an event on a laptop: details, rooms, the programme."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import BrowserContext, Locator, expect

from tests.browser.helpers import Organiser, sign_in

pytestmark = pytest.mark.browser

JOIN_CODE = re.compile(r"^[A-HJ-NP-Z2-9]{6}$")  # no look-alikes: O/0, I/1


def _field_of(control: Locator) -> Locator:
    """The ``.field`` wrapper around a form control: its label, hint and error live there."""
    return control.locator("xpath=ancestor::div[contains(@class, 'field')][1]")


@pytest.mark.console_errors(
    r"status of 422 \(Unprocessable Entity\)",
    reason="submits an event without a name and a slot ending before it starts",
)
def test_organiser_sets_up_event_with_rooms_and_slots(  # noqa: PLR0915
    laptop: BrowserContext, organiser: Organiser
) -> None:
    page = laptop.new_page()
    page.goto("/o")
    expect(page).to_have_url(re.compile(r"/login\?next=/o$"))
    sign_in(page, organiser)

    page.get_by_role("link", name="New event").click()
    # A missing name is refused next to the field; what was typed stays.
    page.get_by_label("Venue").fill("Hotel Rila, Sofia")
    page.get_by_label("First day").fill("2025-05-14")
    page.get_by_role("button", name="Create event").click()
    name_field = _field_of(page.get_by_label("Name", exact=True))
    expect(name_field.locator(".field-error")).to_be_visible()
    expect(page.get_by_label("Name", exact=True)).to_have_attribute("aria-invalid", "true")
    expect(page.get_by_label("Venue")).to_have_value("Hotel Rila, Sofia")

    page.get_by_label("Name", exact=True).fill("Laboratory for Cooperation")
    page.get_by_label("Address", exact=True).fill("lab-coop")
    page.get_by_label("Number of days").fill("2")
    page.get_by_role("button", name="Create event").click()
    expect(page).to_have_url(re.compile(r"/o/lab-coop$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Laboratory for Cooperation")

    page.get_by_role("navigation", name="Event").get_by_role("link", name="Rooms").click()
    add_room = page.locator("#add-room")
    for name, seats, notes in (
        ("Plenary hall", "80", "step-free, projector"),
        ("Room B", "20", ""),
    ):
        add_room.get_by_label("Name", exact=True).fill(name)
        add_room.get_by_label("Seats").fill(seats)
        add_room.get_by_label("Notes").fill(notes)
        add_room.get_by_role("button", name="Add room").click()
        expect(page.locator("table.list tbody tr")).to_have_count(
            1 if name == "Plenary hall" else 2
        )

    page.get_by_role("navigation", name="Event").get_by_role("link", name="Programme").click()
    expect(page).to_have_url(re.compile(r"/o/lab-coop/programme$"))
    first_day = page.locator("section.day").first
    expect(first_day.get_by_role("heading", level=2)).to_have_text("Wednesday, 14 May 2025")
    expect(page.locator("section.day")).to_have_count(2)

    # An end before the start: the message sits next to "Ends", the typed values stay, nothing
    # is added.
    first_day.get_by_label("Kind").select_option(label="Open space slot")
    first_day.get_by_label("Starts").fill("11:30")
    first_day.get_by_label("Ends").fill("10:00")
    first_day.get_by_role("button", name="Add to this day").click()
    first_day = page.locator("section.day").first
    ends = first_day.get_by_label("Ends")
    expect(_field_of(ends).locator(".field-error")).to_have_text("The end must be after the start.")
    expect(ends).to_have_attribute("aria-invalid", "true")
    expect(first_day.get_by_label("Starts")).to_have_value("11:30")
    expect(first_day.locator("tr[id^=block-]")).to_have_count(0)

    first_day.get_by_label("Ends").fill("12:30")
    first_day.get_by_role("button", name="Add to this day").click()
    first_day = page.locator("section.day").first
    expect(first_day.locator(".field-error")).to_have_count(0)
    first_day.get_by_label("Kind").select_option(label="Plenary")
    first_day.get_by_label("Starts").fill("09:30")
    first_day.get_by_label("Ends").fill("11:00")
    first_day.get_by_label("Title", exact=True).fill("Good practices from European NGOs")
    first_day.get_by_label("Presenter").fill("ECRE")
    first_day.get_by_role("button", name="Add to this day").click()
    expect(page.locator("section.day").first.locator("tr[id^=block-]")).to_have_count(2)

    page.get_by_role("navigation", name="Event").get_by_role("link", name="Laboratory").click()
    expect(page).to_have_url(re.compile(r"/o/lab-coop$"))
    expect(page.locator("ol.programme li")).to_have_text(
        [
            "09:30–11:00 Plenary: Good practices from European NGOs (ECRE)",
            "11:30–12:30 Open space slot",
        ]
    )
    expect(page.locator(".inline-list").first.locator("li")).to_have_text(
        ["Plenary hall (80)", "Room B (20)"]
    )
    expect(page.locator("#join-code")).to_have_text(JOIN_CODE)
