"""The board on the projector: the join code and a QR big enough to scan from the back."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import BrowserContext, expect

from tests.browser.helpers import ARTIFACTS, LiveEvent

pytestmark = pytest.mark.browser

MIN_QR_PX = 250


def test_board_link_opens_on_projector_with_code_and_qr(
    organiser_laptop: BrowserContext, projector: BrowserContext, event: LiveEvent
) -> None:
    overview = organiser_laptop.new_page()
    overview.goto(f"/o/{event.slug}")
    board_link = overview.locator("#board-link")
    board_path = board_link.get_attribute("href")
    assert board_path is not None
    assert re.fullmatch(rf"/board/{event.slug}/[\w-]+", board_path)
    with organiser_laptop.expect_page() as opened:
        board_link.click()
    assert opened.value.url.endswith(board_path)
    opened.value.close()

    # The projector PC is not signed in: the secret link is all it has.
    page = projector.new_page()
    response = page.goto(board_path)
    assert response is not None
    assert response.status == 200
    expect(page.get_by_role("heading", level=1)).to_have_text(event.name)
    expect(page.locator("#join-code")).to_have_text(event.join_code)
    qr = page.locator(".qr svg")
    expect(qr).to_be_visible()
    box = qr.bounding_box()
    assert box is not None
    assert box["width"] >= MIN_QR_PX
    assert box["height"] >= MIN_QR_PX
    # The drawing scales with the box rather than sitting small in its corner.
    drawing = qr.locator("path").first.bounding_box()
    assert drawing is not None
    assert drawing["width"] == pytest.approx(box["width"], abs=1)
    # Everything fits on the screen: nothing to scroll on a projector.
    size = page.evaluate(
        "[document.documentElement.scrollWidth, document.documentElement.scrollHeight]"
    )
    assert size[0] <= 1920
    assert size[1] <= 1080
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=ARTIFACTS / "projector-board.png")


@pytest.mark.console_errors(
    r"status of 404 \(Not Found\) \(http://[^)]*/board/",
    reason="opens a board link with a wrong signature: the 404 page",
)
def test_board_link_with_wrong_signature_is_refused(
    projector: BrowserContext, event: LiveEvent
) -> None:
    page = projector.new_page()
    response = page.goto(f"/board/{event.slug}/not-the-signature")
    assert response is not None
    assert response.status == 404
    expect(page.locator("body")).not_to_contain_text(event.join_code)
