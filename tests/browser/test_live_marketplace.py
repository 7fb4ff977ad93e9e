"""The live marketplace in three browsers: phones propose and vote, the board and panel follow.

Nothing here reloads the board or a phone after the step under test: every change must arrive
over the WebSocket. A page marks its window once it is loaded; the mark survives only if the page
was never navigated again, which each test checks at the end.
"""

from __future__ import annotations

import itertools
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, Route, expect

from tests.browser.helpers import (
    ARTIFACTS,
    PHONE,
    LiveEvent,
    LiveServer,
    create_event,
    join_event,
    offline_venue,
    open_propose_form,
    scroll_width,
)

pytestmark = pytest.mark.browser

LIVE_MS = 5_000  # a frame is due within a fraction of a second; this is slack for a busy CI box
PHONE_WIDTH = 390
BOARD_WIDTH = 1920
BOARD_HEIGHT = 1080
DOTS = 5  # the default budget

_slugs = itertools.count(1)


def _new_event(laptop: BrowserContext, name: str) -> tuple[LiveEvent, Page]:
    """A fresh event (phases are per event) and its control panel, open on the laptop."""
    panel = laptop.new_page()
    event = create_event(panel, name=name, slug=f"live-{next(_slugs)}")
    panel.goto(f"/o/{event.slug}/live")
    return event, panel


def _set_phase(panel: Page, label: str) -> None:
    panel.locator("#phases").get_by_role("button", name=label, exact=True).click()
    expect(panel.locator("#phase-badge")).to_have_text(label)


def _open_board(projector: BrowserContext, event: LiveEvent) -> Page:
    board = projector.new_page()
    board.goto(event.board_path)
    _mark_loaded(board)
    return board


def _mark_loaded(page: Page) -> None:
    page.evaluate("window.__sameDocument = true")


def _not_reloaded(page: Page) -> bool:
    return bool(page.evaluate("window.__sameDocument === true"))


def _propose(page: Page, title: str) -> int:
    """Propose from the phone's form; return the new topic's id from "My topics"."""
    open_propose_form(page)
    page.get_by_label("Title", exact=True).fill(title)
    page.get_by_role("button", name="Propose", exact=True).click()
    mine = page.locator("#my-topics .my-topic", has_text=title)
    expect(mine).to_have_count(1)
    element_id = mine.get_attribute("id")
    assert element_id is not None
    return int(element_id.removeprefix("my-topic-"))


@pytest.mark.console_errors(
    r"status of 502 \(Bad Gateway\)", reason="the test answers the first vote with a 502"
)
def test_a_dot_whose_answer_a_balancer_lost_is_sent_again_and_counted_once(
    organiser_laptop: BrowserContext, phone: BrowserContext
) -> None:
    event, panel = _new_event(organiser_laptop, "Lost answers")
    _set_phase(panel, "Marketplace")
    mobile = phone.new_page()
    join_event(mobile, code=event.join_code, name="Ana")
    topic_id = _propose(mobile, "Bike repair café")
    _set_phase(panel, "Dot voting")
    expect(mobile.locator("#phase-banner .phase-name")).to_have_text("Dot voting", timeout=LIVE_MS)
    keys: list[str | None] = []

    def node_died_after_counting(route: Route) -> None:
        keys.append(route.request.headers.get("idempotency-key"))
        answer = route.fetch()  # the server counts the dot …
        if len(keys) == 1:
            route.fulfill(status=502, body="Bad gateway")  # … and the balancer loses its answer
        else:
            route.fulfill(response=answer)

    vote = f"/e/{event.slug}/topics/{topic_id}/vote"
    mobile.route(f"**{vote}", node_died_after_counting)
    card = mobile.locator(f"#topic-{topic_id}")
    with mobile.expect_response(lambda r: r.url.endswith(vote) and r.status == 200):
        card.get_by_role("button", name="Add a dot").click()

    # Sent again with the same key: answered as counted (a second dot on this topic would be
    # refused: one per topic), and counted once.
    assert len(keys) == 2 and keys[0] and keys[0] == keys[1]
    expect(card.locator(".my-dots")).to_have_text("1", timeout=LIVE_MS)
    expect(mobile.locator("#my-state .dots-left")).to_have_text(str(DOTS - 1), timeout=LIVE_MS)
    expect(card.locator(".tally-count")).to_have_text("1", timeout=LIVE_MS)


def test_proposal_phase_and_dot_reach_board_and_phone_live(
    organiser_laptop: BrowserContext, projector: BrowserContext, phone: BrowserContext
) -> None:
    event, panel = _new_event(organiser_laptop, "Live marketplace")
    _set_phase(panel, "Marketplace")
    board = _open_board(projector, event)
    expect(board.locator("#board-phase .phase-name")).to_have_text("Marketplace")
    expect(board.locator("#board-count")).to_have_text("0 participants")

    mobile = phone.new_page()
    join_event(mobile, code=event.join_code, name="Mira")
    expect(board.locator("#board-count")).to_have_text("1 participant", timeout=LIVE_MS)

    title = "Shared housing for newcomers"
    topic_id = _propose(mobile, title)
    entry = board.locator(f"#board-topic-{topic_id}")
    expect(entry.locator(".board-topic-title")).to_have_text(title, timeout=LIVE_MS)
    # Mira joined without agreeing to be named: the projector counts her, her phone names her.
    expect(entry.locator(".board-topic-conveners")).to_have_text("1 convener")
    expect(mobile.locator(f"#topic-{topic_id} .conveners")).to_contain_text("Mira")
    expect(board.locator("#board-topics li.board-topic")).to_have_count(1)

    _mark_loaded(mobile)  # proposing reloaded the phone's page; from here on it must not
    expect(mobile.locator("#my-dots")).to_be_hidden()
    _set_phase(panel, "Dot voting")
    expect(mobile.locator("#phase-banner .phase-name")).to_have_text("Dot voting", timeout=LIVE_MS)
    expect(board.locator("#board-phase .phase-name")).to_have_text("Dot voting", timeout=LIVE_MS)
    expect(mobile.locator("#my-dots")).to_be_visible()  # the page was rendered before voting

    card = mobile.locator(f"#topic-{topic_id}")
    card.get_by_role("button", name="Add a dot").click()
    expect(card.locator(".my-dots")).to_have_text("1", timeout=LIVE_MS)
    expect(mobile.locator("#my-state .dots-left")).to_have_text(str(DOTS - 1), timeout=LIVE_MS)
    expect(card.locator(".tally-count")).to_have_text("1", timeout=LIVE_MS)
    expect(entry.locator(".board-tally")).to_have_text("1", timeout=LIVE_MS)
    expect(panel.locator(f"#staff-topic-{topic_id} td.num")).to_have_text("1", timeout=LIVE_MS)

    assert _not_reloaded(board)
    assert _not_reloaded(mobile)


def test_merge_moves_conveners_and_dots_on_board_and_phones(
    organiser_laptop: BrowserContext,
    projector: BrowserContext,
    phone: BrowserContext,
    second_phone: BrowserContext,
) -> None:
    event, panel = _new_event(organiser_laptop, "Merge live")
    _set_phase(panel, "Marketplace")
    mira, ivan = phone.new_page(), second_phone.new_page()
    join_event(mira, code=event.join_code, name="Mira")
    join_event(ivan, code=event.join_code, name="Ivan")
    duplicate = _propose(mira, "Volunteers burning out")
    keeper = _propose(ivan, "Volunteer burnout")
    board = _open_board(projector, event)
    _set_phase(panel, "Dot voting")
    for page in (mira, ivan):
        expect(page.locator("#phase-banner .phase-name")).to_have_text(
            "Dot voting", timeout=LIVE_MS
        )
        _mark_loaded(page)
    mira.locator(f"#topic-{duplicate}").get_by_role("button", name="Add a dot").click()
    ivan.locator(f"#topic-{keeper}").get_by_role("button", name="Add a dot").click()
    for topic_id in (duplicate, keeper):
        expect(board.locator(f"#board-topic-{topic_id} .board-tally")).to_have_text(
            "1", timeout=LIVE_MS
        )

    panel.locator(f"#staff-topic-{duplicate}").get_by_role("link", name="Moderate").click()
    panel.locator("#target").select_option(label="Volunteer burnout")
    panel.get_by_role("button", name="Merge…").click()
    panel.locator("#merge-confirm").get_by_role("button", name="Merge", exact=True).click()
    expect(panel).to_have_url(re.compile(rf"/o/{event.slug}/topics/{keeper}#undo-merge$"))

    expect(board.locator(f"#board-topic-{duplicate}")).to_have_count(0, timeout=LIVE_MS)
    kept = board.locator(f"#board-topic-{keeper}")
    expect(kept.locator(".board-tally")).to_have_text("2", timeout=LIVE_MS)
    expect(kept.locator(".board-topic-conveners")).to_have_text("2 conveners")  # not named
    expect(board.locator("#board-topics li.board-topic")).to_have_count(1)
    for page in (mira, ivan):
        expect(page.locator(f"#topic-{duplicate}")).to_have_count(0, timeout=LIVE_MS)
        card = page.locator(f"#topic-{keeper}")
        expect(card.locator(".tally-count")).to_have_text("2", timeout=LIVE_MS)
        expect(card.locator(".conveners")).to_have_text("Ivan, Mira")
        # Mira's dot moved with her topic: her phone shows it where it now is.
        expect(card.locator(".my-dots")).to_have_text("1", timeout=LIVE_MS)
        expect(page.locator("#my-state .dots-left")).to_have_text(str(DOTS - 1))
    assert _not_reloaded(board)
    assert _not_reloaded(mira)
    assert _not_reloaded(ivan)


LONG_TITLES = [
    "Shared housing for newcomers",
    "Как да задържим доброволците, когато няма пари за заплати и всички са изморени до края",
    "Funding",
    "Intersectional approaches to community organising across rural municipalities and towns",
    "Законодателни промени за убежището",
    "Mental health support for frontline workers",
    "https://docs.example.org/shared/coalition-statement-on-reception-conditions-2025-draft",
    "Цифрови инструменти за координация между организациите",
]


@dataclass(frozen=True)
class VotingRoom:
    event: LiveEvent
    topic_ids: list[int]
    cookies: list[Any]


@pytest.fixture(scope="module")
def voting_room(browser: Browser, live_server: LiveServer, organiser_state: Path) -> VotingRoom:
    """An event in dot voting with eight topics from one phone, some long, some Cyrillic."""
    laptop = browser.new_context(
        base_url=live_server.url, locale="en-GB", storage_state=organiser_state
    )
    handset = browser.new_context(base_url=live_server.url, locale="en-GB", **PHONE)
    offline_venue(laptop)
    offline_venue(handset)
    try:
        event, panel = _new_event(laptop, "Коалиция за достоен прием")
        _set_phase(panel, "Marketplace")
        mobile = handset.new_page()
        join_event(mobile, code=event.join_code, name="Mira Petrova-Ivanova")
        topic_ids = [_propose(mobile, title) for title in LONG_TITLES]
        _set_phase(panel, "Dot voting")
        return VotingRoom(event=event, topic_ids=topic_ids, cookies=handset.cookies())
    finally:
        handset.close()
        laptop.close()


def _phone_of(phone: BrowserContext, room: VotingRoom) -> Page:
    """The phone of the room's participant, back on the event's page."""
    phone.add_cookies(room.cookies)
    page = phone.new_page()
    page.goto(f"/e/{room.event.slug}")
    return page


def test_vote_buttons_work_from_keyboard(phone: BrowserContext, voting_room: VotingRoom) -> None:
    page = _phone_of(phone, voting_room)
    first, second = (page.locator(f"#topic-{i}") for i in voting_room.topic_ids[:2])
    add, remove = first.locator(".vote-add"), first.locator(".vote-remove")
    expect(first.get_by_role("group")).to_have_accessible_name(f"Your dots on {LONG_TITLES[0]}")
    expect(add).to_have_accessible_name("Add a dot")
    expect(remove).to_have_accessible_name("Take a dot back")

    first.locator(".topic-title").click()  # where a keyboard user's Tab starts from
    page.keyboard.press("Tab")
    expect(add).to_be_focused()  # "−" is disabled with no dot to take back, so Tab skips it
    page.keyboard.press("Enter")
    expect(first.locator(".my-dots")).to_have_text("1")
    expect(page.locator("#my-state .dots-left")).to_have_text(str(DOTS - 1))
    # One dot per topic: "+" is spent and disabled, and focus stays in the card, on "−".
    expect(add).to_be_disabled()
    expect(remove).to_be_focused()
    page.keyboard.press("Space")
    expect(first.locator(".my-dots")).to_have_text("0")
    expect(page.locator("#my-state .dots-left")).to_have_text(str(DOTS))
    expect(add).to_be_focused()

    page.keyboard.press("Tab")
    expect(second.locator(".vote-add")).to_be_focused()
    page.keyboard.press("Space")
    expect(second.locator(".my-dots")).to_have_text("1")
    # The frame with the new tally replaces every card; focus must survive it.
    expect(second.locator(".tally-count")).to_have_text("1", timeout=LIVE_MS)
    expect(second.locator(".vote-remove")).to_be_focused()


def test_board_and_phone_fit_their_width_with_long_titles(
    phone: BrowserContext, projector: BrowserContext, voting_room: VotingRoom
) -> None:
    page = _phone_of(phone, voting_room)
    expect(page.locator("#topic-list article.topic-card")).to_have_count(len(LONG_TITLES))
    voted = voting_room.topic_ids[2:5]
    for topic_id in voted:
        card = page.locator(f"#topic-{topic_id}")
        card.get_by_role("button", name="Add a dot").click()
        expect(card.locator(".my-dots")).to_have_text("1")
    board = projector.new_page()
    board.goto(voting_room.event.board_path)
    expect(board.locator("#board-topics li.board-topic")).to_have_count(len(LONG_TITLES))
    for topic_id in voted:
        expect(board.locator(f"#board-topic-{topic_id} .board-tally")).to_have_text(
            "1", timeout=LIVE_MS
        )
        expect(page.locator(f"#topic-{topic_id} .tally-count")).to_have_text("1", timeout=LIVE_MS)

    # Phones keep proposal order while the board ranks: cards never move under a thumb.
    expect(page.locator("#topic-list .topic-title")).to_have_text(LONG_TITLES)
    assert scroll_width(page) <= PHONE_WIDTH
    assert scroll_width(board) <= BOARD_WIDTH
    # A projector cannot scroll either: every topic sits on the screen, none cut off below.
    bottoms = board.locator("#board-topics li.board-topic").evaluate_all(
        "items => items.map(item => item.getBoundingClientRect().bottom)"
    )
    assert max(bottoms) <= BOARD_HEIGHT
    ARTIFACTS.mkdir(exist_ok=True)
    board.screenshot(path=ARTIFACTS / "board-voting.png")
    # Mid-list: cards with and without my dots, and the sticky count of dots left.
    page.locator(f"#topic-{voted[-1]}").scroll_into_view_if_needed()
    page.screenshot(path=ARTIFACTS / "phone-voting.png")
