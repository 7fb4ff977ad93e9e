"""Phones in the room (issue 13): the bottom bar, "now and next", the propose button, the pitch
queue, co-hosting from a card, messages that go away, dots that follow another device, and the
Programme phase. Every check runs at the two phone sizes people use, 390×844 and 360×740, by
resizing one page; the board's part at 1920×1080 and 1280×720.

One event serves the module: its day is today, in a time zone where it is about noon now, with
a plenary that is over, an open-space round running now (two sessions published) and a closing
plenary next; a map is on the board. Each test puts the event in the phase it needs first.
"""

from __future__ import annotations

import datetime as dt
import io
import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from PIL import Image
from playwright.sync_api import Browser, BrowserContext, Page, expect
from sqlmodel import col, select

from app.models.events import BlockKind, Event, Phase, RoomCreate, TimeBlockCreate
from app.models.maps import Map
from app.models.people import Participant
from app.models.topics import PitchEntry, Topic, TopicConvener
from app.services.access import resolve
from app.services.events import events, programme, team
from app.services.maps import setup
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
from tests.browser.seed import database
from tests.notes_helpers import publish_topics

pytestmark = pytest.mark.browser

LIVE_MS = 5_000
SIZES = [(390, 844), (360, 740)]
BOARD_SIZES = [(1920, 1080), (1280, 720)]
FLASH_GONE_MS = 8_000  # messages go after 4 s (and a 0.4 s fade); slack for a busy box
SCREENSHOT = Path(__file__).parents[2] / "docs" / "screenshots" / "phone-bottom-bar.png"


@dataclass(frozen=True)
class Room:
    event: LiveEvent
    mira: list[Any]  # cookies: Mira convenes "Housing first" and "Youth councils"
    ivo: list[Any]  # Ivo convenes "Open data"
    topics: dict[str, int]
    map_id: int


def _noon_zone() -> tuple[str, dt.datetime]:
    """A time zone where it is between 12:00 and 13:00 now, and the time there."""
    now = dt.datetime.now(dt.UTC)
    offset = 12 - now.hour  # -11 … +12; Etc/GMT names count the other way round
    name = "Etc/GMT" + (f"+{-offset}" if offset < 0 else f"-{offset}" if offset else "")
    return name, now.astimezone(ZoneInfo(name))


def _hhmm(moment: dt.datetime) -> dt.time:
    return dt.time(moment.hour, moment.minute)


def _seed(
    server: LiveServer, slug: str, zone: str, local: dt.datetime
) -> tuple[dict[str, int], int]:
    """The day's programme, two rooms, three topics (two published now), a map on the board."""
    with database(server) as session:
        event = session.exec(select(Event).where(Event.slug == slug)).one()
        event.timezone = zone
        session.add(event)
        session.commit()
        owner = team.members(session, event_id=event.id or 0)[0][0]
        staff = resolve(session, event=event, user=owner, session_id=None)
        day = events.days(session, event_id=event.id or 0)[0]
        for kind, starts, ends, title in [
            (BlockKind.PLENARY, dt.time(8), dt.time(9), "Opening plenary"),
            (BlockKind.SLOT, _hhmm(local - dt.timedelta(minutes=30)),
             _hhmm(local + dt.timedelta(minutes=30)), "Round 1"),
            (BlockKind.PLENARY, _hhmm(local + dt.timedelta(minutes=30)),
             _hhmm(local + dt.timedelta(minutes=90)), "Closing plenary"),
        ]:  # fmt: skip
            block = programme.add_block(
                session,
                access=staff,
                day_id=day.id or 0,
                data=TimeBlockCreate(kind=kind, starts_at=starts, ends_at=ends, title=title),
            )
            if title == "Round 1":
                slot = block
        rooms = [
            programme.add_room(session, access=staff, data=RoomCreate(name=name, capacity=20))
            for name in ("Hall", "Lab")
        ]
        people = {
            person.name: person
            for person in session.exec(
                select(Participant).where(Participant.event_id == event.id)
            ).all()
        }
        found: dict[str, int] = {}
        for title, convener in [
            ("Housing first", "Mira"), ("Open data", "Ivo"), ("Youth councils", "Mira")
        ]:  # fmt: skip
            topic = Topic(event_id=event.id or 0, title=title, proposed_by=people[convener].id)
            session.add(topic)
            session.flush()
            session.add(
                TopicConvener(topic_id=topic.id or 0, participant_id=people[convener].id or 0)
            )
            found[title] = topic.id or 0
        session.commit()
        publish_topics(
            session,
            event,
            [
                (found["Housing first"], slot.id or 0, rooms[0].id or 0),
                (found["Open data"], slot.id or 0, rooms[1].id or 0),
            ],
        )
        board_map = setup.create_map(
            session, access=staff, question="Where do newcomers find help?"
        )
        setup.show_on_board(session, access=staff, map_id=board_map.id or 0)
        return found, board_map.id or 0


@pytest.fixture(scope="module")
def room(browser: Browser, live_server: LiveServer, organiser_state: Path) -> Room:
    zone, local = _noon_zone()
    laptop = browser.new_context(
        base_url=live_server.url, locale="en-GB", storage_state=organiser_state
    )
    offline_venue(laptop)
    cookies: dict[str, list[Any]] = {}
    try:
        event = create_event(
            laptop.new_page(),
            name="In the room",
            slug="phones-in-the-room",
            first_day=str(local.date()),
        )
        for name in ("Mira", "Ivo"):
            handset = browser.new_context(base_url=live_server.url, locale="en-GB", **PHONE)
            offline_venue(handset)
            join_event(handset.new_page(), code=event.join_code, name=name)
            cookies[name] = handset.cookies()
            handset.close()
    finally:
        laptop.close()
    found, map_id = _seed(live_server, event.slug, zone, local)
    return Room(event=event, mira=cookies["Mira"], ivo=cookies["Ivo"], topics=found, map_id=map_id)


def _phase(server: LiveServer, room: Room, phase: Phase) -> None:
    with database(server) as session:
        event = session.exec(select(Event).where(Event.slug == room.event.slug)).one()
        event.phase = phase
        session.add(event)
        session.commit()


def _home(context: BrowserContext, cookies: list[Any], room: Room) -> Page:
    context.add_cookies(cookies)
    page = context.new_page()
    page.goto(f"/e/{room.event.slug}")
    return page


def _resize(page: Page, width: int, height: int) -> None:
    page.set_viewport_size({"width": width, "height": height})
    assert scroll_width(page) <= width


def _box(page: Page, selector: str) -> dict[str, float]:
    box = page.locator(selector).bounding_box()
    assert box is not None, selector
    return {"x": box["x"], "y": box["y"], "width": box["width"], "height": box["height"]}


def _bar_leaves_the_end_free(page: Page) -> None:
    """Scrolled to the end, the page's last element sits above the bar, not under it."""
    page.evaluate("window.scrollTo(0, document.documentElement.scrollHeight)")
    last = page.evaluate(
        """() => {
          const all = [...document.querySelectorAll('main#main *')]
            .filter((el) => el.getClientRects().length && el.children.length === 0);
          return Math.max(...all.map((el) => el.getBoundingClientRect().bottom));
        }"""
    )
    bar_top = _box(page, "#phone-nav")["y"]
    assert last <= bar_top, (last, bar_top)


def _screenshot(page: Page) -> None:
    """The phone at 390×844 with its bar, as a small PNG (a palette of 64 colours): in the
    test artifacts, and with UPDATE_DOCS_SCREENSHOTS=1 in docs/screenshots for the README
    (not on every run: the times it shows change)."""
    page.evaluate("window.scrollTo(0, 0)")
    image = Image.open(io.BytesIO(page.screenshot())).convert("RGB")
    small = image.quantize(colors=64, method=Image.Quantize.MEDIANCUT, dither=Image.Dither.NONE)
    targets = [ARTIFACTS / SCREENSHOT.name]
    if os.environ.get("UPDATE_DOCS_SCREENSHOTS") == "1":
        targets.append(SCREENSHOT)
    for target in targets:
        target.parent.mkdir(parents=True, exist_ok=True)
        small.save(target, optimize=True)
        assert target.stat().st_size < 200_000


def _mark_loaded(page: Page) -> None:
    page.evaluate("window.__sameDocument = true")


def _not_reloaded(page: Page) -> bool:
    return bool(page.evaluate("window.__sameDocument === true"))


# Buttons people tap on a phone are at least 44 px high (WCAG 2.5.5, Apple's and Android's
# guidance); returns the visible ones that are not, with their labels.
SMALL_TARGETS_JS = """() => Array.from(document.querySelectorAll('main button, main .button'))
  .filter((el) => el.offsetParent !== null)
  .map((el) => [el.textContent.trim() || el.getAttribute('aria-label'),
                Math.round(el.getBoundingClientRect().height)])
  .filter(([, height]) => height < 44)"""


def _small_targets(page: Page) -> list[list[object]]:
    small: list[list[object]] = page.evaluate(SMALL_TARGETS_JS)
    return small


# --- the bottom bar ------------------------------------------------------------------------


def test_bottom_bar_puts_every_part_one_tap_away(
    live_server: LiveServer, phone: BrowserContext, room: Room
) -> None:
    _phase(live_server, room, Phase.SESSIONS)
    page = _home(phone, room.mira, room)
    bar = page.get_by_role("navigation", name="Event")
    links = bar.get_by_role("link")
    expect(links).to_have_text(["Now", "Agenda", "Map", "Notes"])
    destinations = [
        ("Agenda", f"/e/{room.event.slug}/agenda", "Agenda"),
        ("Map", f"/e/{room.event.slug}/maps/{room.map_id}", "Where do newcomers find help?"),
        ("Notes", f"/e/{room.event.slug}/notes", "Session notes"),
        ("Now", f"/e/{room.event.slug}", "Welcome, Mira!"),
    ]
    for width, height in SIZES:
        _resize(page, width, height)
        expect(bar.get_by_role("link", name="Now")).to_have_attribute("aria-current", "page")
        for index in range(4):
            target = _box(page, f"#phone-nav li:nth-child({index + 1}) a")
            assert target["height"] >= 44 and target["width"] >= 44, target
        bar_box = _box(page, "#phone-nav")
        assert bar_box["y"] + bar_box["height"] == pytest.approx(height, abs=1)
        if (width, height) == SIZES[0]:
            _screenshot(page)
        for label, path, heading in destinations:
            bar.get_by_role("link", name=label).click()  # one tap
            expect(page).to_have_url(re.compile(re.escape(path) + "$"))
            expect(page.get_by_role("heading", level=1)).to_have_text(heading)
            expect(bar.get_by_role("link", name=label)).to_have_attribute("aria-current", "page")
            expect(bar.locator("[aria-current]")).to_have_count(1)
            _bar_leaves_the_end_free(page)


def test_bottom_bar_steps_aside_while_typing(
    live_server: LiveServer, phone: BrowserContext, room: Room
) -> None:
    _phase(live_server, room, Phase.MARKETPLACE)
    page = _home(phone, room.mira, room)
    bar = page.get_by_role("navigation", name="Event")
    expect(bar.get_by_role("link")).to_have_text(["Topics", "Agenda", "Map"])
    assert _small_targets(page) == []  # "Ask to co-host", "Line up to pitch"…
    open_propose_form(page)
    expect(page.get_by_label("Title", exact=True)).to_be_focused()
    expect(bar).to_be_hidden()  # the on-screen keyboard needs the room
    # On the form's own button too: else the bar would pop up under the finger tapping it.
    page.get_by_role("button", name="Propose", exact=True).focus()
    expect(bar).to_be_hidden()
    page.get_by_role("button", name="Propose a topic").focus()
    expect(bar).to_be_visible()


# --- now first -----------------------------------------------------------------------------


def test_sessions_phase_opens_on_now_and_next_with_im_here(
    live_server: LiveServer, phone: BrowserContext, room: Room
) -> None:
    _phase(live_server, room, Phase.SESSIONS)
    page = _home(phone, room.ivo, room)
    now = page.locator("#now-live")
    for width, height in SIZES:
        _resize(page, width, height)
        page.evaluate("window.scrollTo(0, 0)")
        expect(now).to_be_in_viewport()
        assert _box(page, "#now-live")["y"] < height / 2
        blocks = now.locator(".now-block:visible")
        expect(blocks).to_have_count(2)
        expect(blocks.nth(0).locator(".now-when")).to_contain_text("Now")
        expect(blocks.nth(0).locator(".now-session a")).to_have_text(["Housing first", "Open data"])
        expect(blocks.nth(1).locator(".now-when")).to_contain_text("Next")
        expect(blocks.nth(1).locator(".now-when")).to_contain_text("Closing plenary")
        expect(now.locator(".now-block", has_text="Opening plenary")).to_be_hidden()  # over
        expect(page.locator("#topic-list")).to_be_hidden()
        expect(page.locator("#agenda-live")).to_be_hidden()  # a tap away: the bar's Agenda
    _mark_loaded(page)
    housing = now.locator(f'.now-session[data-topic="{room.topics["Housing first"]}"]')
    housing.get_by_role("button", name="I'm here: Housing first").click()
    expect(page.locator("#flash")).to_have_text("You are checked in: Housing first")
    expect(housing.locator(".here-badge")).to_have_text("You are here")
    expect(housing.get_by_role("button")).to_be_hidden()
    expect(housing).to_have_class(re.compile(r"\bhere\b"))
    assert _not_reloaded(page)


# --- the propose form ----------------------------------------------------------------------


def test_propose_button_sits_at_the_top_of_the_topic_list(
    live_server: LiveServer, phone: BrowserContext, room: Room
) -> None:
    _phase(live_server, room, Phase.MARKETPLACE)
    page = _home(phone, room.ivo, room)
    toggle = page.get_by_role("button", name="Propose a topic")
    for width, height in SIZES:
        _resize(page, width, height)
        page.evaluate("window.scrollTo(0, 0)")
        expect(toggle).to_have_attribute("aria-expanded", "false")
        expect(page.get_by_label("Title", exact=True)).to_be_hidden()
        # Right above the list's heading, within a thumb's scroll (not 2,400 px down).
        toggle_box, list_box = _box(page, "#propose-toggle"), _box(page, "#topic-list")
        assert 0 <= list_box["y"] - (toggle_box["y"] + toggle_box["height"]) < 40
        assert toggle_box["y"] < 1.5 * height
        assert toggle_box["height"] >= 44
    open_propose_form(page)
    expect(toggle).to_have_attribute("aria-expanded", "true")
    page.get_by_label("Title", exact=True).fill("Language cafés")
    page.get_by_role("button", name="Propose", exact=True).click()
    expect(page.locator("#my-topics .my-topic", has_text="Language cafés")).to_have_count(1)
    expect(page.locator("#topic-list .topic-card", has_text="Language cafés")).to_have_count(1)


# --- the pitch queue -----------------------------------------------------------------------


def test_pitch_queue_shows_the_place_and_leaving_moves_the_next_up(
    live_server: LiveServer, phone: BrowserContext, second_phone: BrowserContext, room: Room
) -> None:
    _phase(live_server, room, Phase.MARKETPLACE)
    mira, ivo = _home(phone, room.mira, room), _home(second_phone, room.ivo, room)
    housing = mira.locator(f'.pitch-mine[data-topic="{room.topics["Housing first"]}"]')
    data = ivo.locator(f'.pitch-mine[data-topic="{room.topics["Open data"]}"]')
    housing.get_by_role("button", name="Line up to pitch").click()
    expect(housing.locator(".pitch-place")).to_have_text("You are number 1 in the queue.")
    data.get_by_role("button", name="Line up to pitch").click()
    expect(data.locator(".pitch-place")).to_have_text("You are number 2 in the queue.")
    _mark_loaded(ivo)
    for width, height in SIZES:
        _resize(mira, width, height)
        expect(housing.locator(".pitch-place")).to_be_visible()
        expect(
            housing.get_by_role("button", name="Leave the pitch queue with Housing first")
        ).to_be_visible()
    housing.get_by_role("button", name="Leave the pitch queue with Housing first").click()
    expect(housing.get_by_role("button", name="Line up to pitch")).to_be_visible()
    expect(housing.locator(".pitch-place")).to_be_hidden()
    # Ivo's phone, never reloaded, moves up with the frame.
    for width, height in SIZES:
        _resize(ivo, width, height)
        expect(data.locator(".pitch-place")).to_have_text(
            "You are number 1 in the queue.", timeout=LIVE_MS
        )
    assert _not_reloaded(ivo)
    with database(live_server) as session:
        queued = session.exec(
            select(PitchEntry.topic_id).where(col(PitchEntry.topic_id).in_(room.topics.values()))
        ).all()
        assert queued == [room.topics["Open data"]]


# --- co-hosting ----------------------------------------------------------------------------


def test_ask_to_cohost_from_any_card_and_the_convener_accepts(
    live_server: LiveServer, phone: BrowserContext, second_phone: BrowserContext, room: Room
) -> None:
    _phase(live_server, room, Phase.MARKETPLACE)
    mira, ivo = _home(phone, room.mira, room), _home(second_phone, room.ivo, room)
    youth = ivo.locator(f"#topic-{room.topics['Youth councils']}")
    own = ivo.locator(f"#topic-{room.topics['Open data']}")
    for width, height in SIZES:
        _resize(ivo, width, height)
        expect(youth.get_by_role("button", name="Ask to co-host Youth councils")).to_be_visible()
        expect(own.locator(".cohost")).to_be_hidden()  # his own topic
    _mark_loaded(mira)
    _mark_loaded(ivo)
    youth.get_by_role("button", name="Ask to co-host Youth councils").click()
    expect(ivo.locator("#flash")).to_have_text("Request sent: the conveners decide.")
    expect(youth.locator(".cohost-pending")).to_have_text("Request sent")
    expect(youth.locator(".cohost-ask")).to_be_hidden()
    # A frame replaces the cards; the pending state stays.
    expect(ivo.locator(f"#topic-{room.topics['Youth councils']} .cohost-pending")).to_be_visible()
    # Mira's phone, never reloaded, shows the request to answer.
    requests = mira.locator(f"#cohost-requests-{room.topics['Youth councils']}")
    expect(requests).to_contain_text("Ivo", timeout=LIVE_MS)
    requests.get_by_role("button", name="Accept Ivo as co-host").click()
    expect(mira.locator(f"#topic-{room.topics['Youth councils']} .conveners")).to_contain_text(
        "Mira, Ivo", timeout=LIVE_MS
    )
    # Ivo hosts it now: no button on his phone (never reloaded), the topic is among his.
    expect(youth.locator(".cohost")).to_be_hidden(timeout=LIVE_MS)
    expect(ivo.locator("#my-topics .my-topic", has_text="Youth councils")).to_have_count(
        1, timeout=LIVE_MS
    )
    assert _not_reloaded(ivo)


# --- messages and dots ---------------------------------------------------------------------


def test_dots_left_follow_another_device_and_messages_go(
    live_server: LiveServer, phone: BrowserContext, second_phone: BrowserContext, room: Room
) -> None:
    _phase(live_server, room, Phase.VOTING)
    first = _home(phone, room.mira, room)
    # Mira's second phone: her personal link, opened there.
    first.goto(f"/e/{room.event.slug}/me")
    link = first.locator("#personal-link").input_value()
    other = second_phone.new_page()
    other.goto(link)
    other.get_by_role("button", name="Continue").click()
    expect(other.get_by_role("heading", name="Welcome, Mira!")).to_be_visible()
    first.goto(f"/e/{room.event.slug}")
    _mark_loaded(other)
    left = other.locator("#my-state .dots-left")
    start = int(left.inner_text())
    for number, ((width, height), title) in enumerate(
        zip(SIZES, ["Open data", "Housing first"], strict=True)
    ):
        _resize(first, width, height)
        _resize(other, width, height)
        card = first.locator(f"#topic-{room.topics[title]}")
        card.get_by_role("button", name="Add a dot").click()
        flash = first.locator("#flash")
        expect(flash).to_have_text("Dot placed.")
        expect(flash).to_have_attribute("aria-live", "polite")
        # The other phone follows, never reloaded.
        expect(left).to_have_text(str(start - number - 1), timeout=LIVE_MS)
        assert _small_targets(first) == []
        expect(other.locator(f"#topic-{room.topics[title]} .my-dots")).to_have_text("1")
        # The message goes by itself; the live region stays for the next one.
        expect(flash).to_be_hidden(timeout=FLASH_GONE_MS)
        expect(flash).to_have_text("")
    assert _not_reloaded(other)


# --- the Programme phase -------------------------------------------------------------------


def test_programme_phase_on_phones_and_board(
    live_server: LiveServer,
    organiser_laptop: BrowserContext,
    phone: BrowserContext,
    projector: BrowserContext,
    room: Room,
) -> None:
    _phase(live_server, room, Phase.SETUP)
    page = _home(phone, room.mira, room)
    expect(page.locator("#phase-banner")).to_contain_text("The event has not started yet.")
    _mark_loaded(page)
    board = projector.new_page()
    board.goto(room.event.board_path)
    panel = organiser_laptop.new_page()
    panel.goto(f"/o/{room.event.slug}/live")
    panel.locator("#phases").get_by_role("button", name="Programme", exact=True).click()
    expect(panel.locator("#phase-badge")).to_have_text("Programme")

    banner = page.locator("#phase-banner")
    expect(banner.locator(".phase-name")).to_have_text("Programme", timeout=LIVE_MS)
    expect(banner).not_to_contain_text("not started")
    for width, height in SIZES:
        _resize(page, width, height)
        expect(page.locator("#now-live")).to_be_visible()
        expect(page.locator("#now-live .now-block.next")).to_contain_text("Closing plenary")
        map_link = page.locator("#phone-map-link").get_by_role("link")
        expect(map_link).to_contain_text("Where do newcomers find help?")
        expect(page.get_by_role("navigation", name="Event").get_by_role("link")).to_have_text(
            ["Now", "Agenda", "Map"]
        )
    assert _not_reloaded(page)

    # The map on the board takes the screen while it is there; without it, the programme.
    expect(board.locator("#board-programme")).to_be_hidden()
    _map_on_board(live_server, room, on_board=False)
    try:
        board.reload()
        programme_box = board.locator("#board-programme")
        for width, height in BOARD_SIZES:
            board.set_viewport_size({"width": width, "height": height})
            expect(board.locator("#board-phase .phase-name")).to_have_text("Programme")
            expect(programme_box).to_be_in_viewport()
            expect(programme_box.locator(".board-row.now")).to_contain_text("Round 1")
            expect(programme_box.locator(".board-row")).to_have_count(3)
            expect(programme_box.locator(".board-row.past")).to_contain_text("Opening plenary")
            assert scroll_width(board) <= width
    finally:
        _map_on_board(live_server, room, on_board=True)


def _map_on_board(server: LiveServer, room: Room, *, on_board: bool) -> None:
    with database(server) as session:
        board_map = session.get(Map, room.map_id)
        assert board_map is not None
        board_map.on_board = on_board
        session.add(board_map)
        session.commit()
