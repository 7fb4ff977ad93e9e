"""The language switch in the top bar."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import BrowserContext, expect

pytestmark = pytest.mark.browser


def test_language_switch_to_bulgarian_sets_page_language(phone: BrowserContext) -> None:
    page = phone.new_page()
    page.goto("/join")
    expect(page.locator("html")).to_have_attribute("lang", "en")
    switch = page.locator("form.lang-switch")
    expect(switch).to_have_count(1)

    switch.get_by_role("button", name="Български").click()
    expect(page).to_have_url(re.compile(r"/join$"))
    expect(page.locator("html")).to_have_attribute("lang", "bg")
    expect(page.locator("form.lang-switch button[aria-current=true]")).to_have_attribute(
        "lang", "bg"
    )

    page.reload()
    expect(page.locator("html")).to_have_attribute("lang", "bg")
