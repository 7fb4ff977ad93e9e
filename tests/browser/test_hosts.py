"""The organisations running the event on its edit page, in a real browser: added with a logo
that shows, reordered, an SVG refused next to its field; and the page fits a phone."""

from __future__ import annotations

import pytest
from playwright.sync_api import BrowserContext, expect

from tests.browser.helpers import create_event, scroll_width
from tests.report_helpers import logo_png

pytestmark = pytest.mark.browser


@pytest.mark.console_errors(
    r"status of 422 \(Unprocessable Entity\)", reason="uploads an SVG logo, which is refused"
)
def test_organiser_lists_the_organisations_with_logos_on_laptop_and_phone(
    organiser_laptop: BrowserContext,
) -> None:
    page = organiser_laptop.new_page()
    event = create_event(page, name="Hosts lab", slug="hosts-lab")
    page.goto(f"/o/{event.slug}/edit")
    add = page.locator("#add-host")

    add.get_by_label("Name").fill("Council for Refugees")
    add.get_by_label("Logo (optional)").set_input_files(
        {"name": "council.png", "mimeType": "image/png", "buffer": logo_png()}
    )
    add.get_by_role("button", name="Add organisation").click()
    page.locator("#add-host").get_by_label("Name").fill("UNHCR Bulgaria")
    page.locator("#add-host").get_by_role("button", name="Add organisation").click()

    names = page.locator(".host-list > li input[name=name]")
    expect(names).to_have_count(2)
    expect(names.first).to_have_value("Council for Refugees")
    expect(names.last).to_have_value("UNHCR Bulgaria")
    logo = page.get_by_role("img", name="Logo of Council for Refugees")
    expect(logo).to_be_visible()
    assert logo.evaluate("image => image.naturalWidth") == 200

    page.get_by_role("button", name="Move UNHCR Bulgaria up").click()
    expect(names.first).to_have_value("UNHCR Bulgaria")
    expect(names.last).to_have_value("Council for Refugees")

    unhcr = page.locator(".host-list > li").first
    unhcr.get_by_label("Logo").set_input_files(
        {"name": "unhcr.svg", "mimeType": "image/svg+xml", "buffer": b"<svg/>"}
    )
    unhcr.get_by_role("button", name="Add logo").click()
    error = page.locator(".host-list > li").first.locator(".field-error")
    expect(error).to_have_text("SVG logos cannot be used. Save it as PNG and upload that.")
    expect(page.get_by_role("img", name="Logo of UNHCR Bulgaria")).to_have_count(0)

    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(f"/o/{event.slug}/edit#hosts")
    expect(page.get_by_role("img", name="Logo of Council for Refugees")).to_be_visible()
    assert scroll_width(page) <= 390
