"""The board as the room reads it, at the projector sizes (1920×1080 and 1280×720): nothing is
cut off, what does not fit is paged; it speaks the event's language; topics rank by dots in the
agenda phase and those without a slot are listed; a map takes the whole content area; a closing
slide shows its photo whole and says its heading once.

Events are written straight into the live server's database with the app's services (60
proposals are not clicked in one by one); one board page per event is resized for each size.
"""

from __future__ import annotations

import datetime as dt
import io
import itertools
import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from PIL import Image, ImageDraw
from playwright.sync_api import BrowserContext, Page, expect
from sqlmodel import Session, select

from app.config import Settings
from app.db import make_engine, open_session
from app.models.events import BlockKind, Event, EventCreate, Phase, RoomCreate, TimeBlockCreate
from app.models.maps import MapLayout
from app.models.people import User
from app.models.topics import Vote
from app.services.access import EventAccess, resolve
from app.services.events import events, programme
from app.services.maps import cards as maps_cards
from app.services.maps import clustering
from app.services.maps import setup as maps_setup
from app.services.notes import photos
from app.services.topics import topics as topics_service
from tests.browser.conftest import SECRET
from tests.browser.helpers import LiveServer, Organiser
from tests.factories import make_participant
from tests.maps_helpers import category_ids, new_map, place_ids
from tests.notes_helpers import publish_topics

pytestmark = pytest.mark.browser

SIZES = [(1920, 1080), (1280, 720)]
LIVE_MS = 5_000
MIN_BODY_PX_AT_1080 = 28
_slugs = itertools.count(1)

# Real-looking proposals, short and long; every third one at the 120-character limit, and one
# with a word longer than a narrow column.
PHRASES = [
    "Housing for refugee families outside Sofia",
    "Youth councils that municipalities actually listen to",
    "Recognising diplomas",
    "Interpreters in health care: who pays?",
    "Mentoring newcomers into local jobs",
    "Language courses for working parents",
    "Trust between NGOs and the municipality",
    "Open budgets",
    "Schools, parents and the first year",
    "Volunteering as a way in",
]


ROOMS = [
    "Main hall",
    "Library",
    "Room 12",
    "Garden",
    "Studio",
    "Workshop room B",
    "Kitchen",
    "Balcony",
]


def title(number: int) -> str:
    text = f"{number + 1}. {PHRASES[number % len(PHRASES)]}"
    if number % 3 == 0:
        extra = iter(PHRASES[(number + 3) % len(PHRASES) :] + PHRASES)
        while len(text) < 120:
            text += " and " + next(extra).lower()
        text = text[:120].rsplit(" ", 1)[0]
    if number % 13 == 5:
        text = f"{number + 1}. Antidiskriminatsionnozakonodatelstvo in practice"
    return text


def _settings(server: LiveServer) -> Settings:
    return Settings(data_dir=server.data_dir, secret_key=SECRET, environment="test")


@contextmanager
def database(server: LiveServer) -> Iterator[Session]:
    engine = make_engine(_settings(server))
    try:
        with open_session(engine, write=True) as session:
            yield session
    finally:
        engine.dispose()


@dataclass(frozen=True)
class Seeded:
    slug: str
    board_path: str
    titles: list[str]
    unplaced: list[str]


def _event(
    session: Session, server: LiveServer, owner: Organiser, languages: list[str]
) -> tuple[Event, EventAccess]:
    user = session.exec(select(User).where(User.email == owner.email)).one()
    slug = f"board-{next(_slugs)}"
    event = events.create_event(
        session,
        owner=user,
        data=EventCreate(
            name=f"Coalition lab {slug}",
            slug=slug,
            languages=languages,
            timezone="Europe/Sofia",
            first_day=dt.date.today() + dt.timedelta(days=20),
        ),
    )
    return event, resolve(session, event=event, user=user, session_id=None)


def seed(
    server: LiveServer,
    owner: Organiser,
    *,
    topics: int,
    phase: Phase,
    rooms: int = 0,
    slots: int = 0,
    unplaced: int = 0,
    languages: list[str] | None = None,
    votes: dict[int, int] | None = None,
) -> Seeded:
    """An event with ``topics`` proposals (three conveners); with rooms and slots, the first
    rooms × slots topics published in the grid (a plenary and a break between) and ``unplaced``
    more left out; ``votes`` gives topic index → dots."""
    settings = _settings(server)
    with database(server) as session:
        event, staff = _event(session, server, owner, languages or ["en", "bg"])
        people = [
            make_participant(session, settings, event=event, name=name)[0]
            for name in ("Mira Ivanova", "Ahmad", "Olena K.")
        ]
        made = [
            topics_service.propose_on_behalf(
                session, access=staff, title=title(i), convener_id=people[i % 3].id
            )
            for i in range(topics + unplaced)
        ]
        for index, count in (votes or {}).items():
            for person in range(count):
                voter = (
                    people[person % 3]
                    if person < 3
                    else make_participant(
                        session, settings, event=event, name=f"Voter {index}-{person}"
                    )[0]
                )
                session.add(
                    Vote(
                        event_id=event.id or 0,
                        participant_id=voter.id or 0,
                        topic_id=made[index].id or 0,
                    )
                )
        if rooms:
            day = events.days(session, event_id=event.id or 0)[0]
            made_rooms = [
                programme.add_room(
                    session, access=staff, data=RoomCreate(name=ROOMS[r], capacity=30)
                )
                for r in range(rooms)
            ]
            programme.add_block(
                session,
                access=staff,
                day_id=day.id or 0,
                data=TimeBlockCreate(
                    kind=BlockKind.PLENARY,
                    starts_at=dt.time(9),
                    ends_at=dt.time(9, 45),
                    title="Opening circle",
                ),
            )
            placements = []
            for s in range(slots):
                start = dt.datetime.combine(day.date, dt.time(10)) + dt.timedelta(minutes=75 * s)
                block = programme.add_block(
                    session,
                    access=staff,
                    day_id=day.id or 0,
                    data=TimeBlockCreate(
                        starts_at=start.time(), ends_at=(start + dt.timedelta(hours=1)).time()
                    ),
                )
                placements += [
                    (made[s * rooms + r].id or 0, block.id or 0, made_rooms[r].id or 0)
                    for r in range(rooms)
                ]
            publish_topics(session, event, placements)
        event.phase = phase
        session.add(event)
        session.commit()
        return Seeded(
            slug=event.slug,
            board_path=events.board_path(event, settings.secret),
            titles=[topic.title for topic in made[:topics]],
            unplaced=[topic.title for topic in made[topics:]],
        )


CHECK_PAGE = "\n".join(
    line
    for line in (Path(__file__).parent / "board_check.js").read_text().splitlines()
    if not line.startswith("//")  # the function itself, for page.evaluate
)


def read_every_page(page: Page, selector: str, region: str) -> tuple[set[str], int]:
    """Step through the region's pages; assert each is whole; return what showed, and pages."""
    pages = int(page.locator(f'[data-pager="{region}"]').get_attribute("data-pages") or 0)
    assert pages >= 1
    seen: set[str] = set()
    for number in range(1, pages + 1):
        pager = page.locator(f'[data-pager="{region}"]')
        assert pager.get_attribute("data-page") == str(number)
        indicator = page.locator(
            f'[data-pager="{region}"] ~ .board-pager, #board-{region} .board-pager'
        ).first
        if pages > 1:
            expect(indicator).to_have_text(f"{number} / {pages}")
        else:
            expect(indicator).to_be_hidden()
        result: dict[str, Any] = page.evaluate(CHECK_PAGE, selector)
        assert result["problems"] == [], (number, pages, result["problems"][:5])
        assert result["visible"], f"page {number} of {pages} shows no title"
        seen.update(result["visible"])
        page.evaluate("window.boardPager.next()")
    assert page.locator(f'[data-pager="{region}"]').get_attribute("data-page") == "1"
    return seen, pages


def resize(page: Page, size: tuple[int, int]) -> None:
    page.set_viewport_size({"width": size[0], "height": size[1]})
    page.evaluate("window.boardPager.layout()")


def screenshot(page: Page, name: str) -> None:
    """Keep a small PNG of the board; with BOARD_SCREENSHOTS=<dir> (the README's, see
    docs/screenshots) it goes there, else to the test artifacts."""
    folder = Path(os.environ.get("BOARD_SCREENSHOTS", "") or Path(__file__).parent / "artifacts")
    folder.mkdir(parents=True, exist_ok=True)
    image = Image.open(io.BytesIO(page.screenshot(animations="disabled"))).convert("RGB")
    image.quantize(colors=64, method=Image.Quantize.MEDIANCUT).save(folder / name, optimize=True)


@pytest.mark.parametrize("count", [6, 12, 26, 60])
def test_board_topics_are_whole_on_some_page(
    live_server: LiveServer, organiser: Organiser, projector: BrowserContext, count: int
) -> None:
    seeded = seed(live_server, organiser, topics=count, phase=Phase.MARKETPLACE)
    page = projector.new_page()
    page.goto(seeded.board_path)
    expect(page.locator(".board-topic")).to_have_count(count)
    for size in SIZES:
        resize(page, size)
        seen, pages = read_every_page(page, ".board-topic-title", "topics")
        assert seen == set(seeded.titles)
        if count == 6:
            assert pages == 1
        if count == 60:
            assert pages >= 4
        if size == (1920, 1080) and count in (12, 60):
            screenshot(page, f"board-{count}-topics.png")
    expect(page.locator(".board-more")).to_have_count(0)


def test_board_topics_take_three_columns_and_fewer_pages_once_voting_starts(
    live_server: LiveServer, organiser: Organiser, projector: BrowserContext
) -> None:
    columns = "getComputedStyle(document.querySelector('.board-topic-list'))" + (
        ".gridTemplateColumns.split(' ').length"
    )
    counts: dict[tuple[Phase, tuple[int, int]], tuple[int, int]] = {}
    for phase in (Phase.MARKETPLACE, Phase.VOTING):
        seeded = seed(live_server, organiser, topics=60, phase=phase)
        page = projector.new_page()
        page.goto(seeded.board_path)
        expect(page.locator(".board-topic")).to_have_count(60)
        for size in SIZES:
            resize(page, size)
            seen, pages = read_every_page(page, ".board-topic-title", "topics")
            assert seen == set(seeded.titles)
            counts[phase, size] = (page.evaluate(columns), pages)
    # Measured on Debian's Chromium and fonts: 8 pages in the marketplace, 7 once voting starts
    # (every third title is 120 characters long, so each row of three holds one), both sizes.
    for size in SIZES:
        market, voting = counts[Phase.MARKETPLACE, size], counts[Phase.VOTING, size]
        assert (market[0], voting[0]) == (2, 3)
        assert voting[1] < market[1], counts


@pytest.mark.parametrize(("rooms", "slots"), [(3, 2), (4, 3), (6, 4), (8, 6)])
def test_board_agenda_is_whole_on_some_page_and_lists_topics_without_a_slot(
    live_server: LiveServer, organiser: Organiser, projector: BrowserContext, rooms: int, slots: int
) -> None:
    seeded = seed(
        live_server,
        organiser,
        topics=rooms * slots,
        rooms=rooms,
        slots=slots,
        unplaced=3,
        phase=Phase.AGENDA,
    )
    page = projector.new_page()
    page.goto(seeded.board_path)
    expect(page.locator("#board-agenda")).to_be_visible()
    expect(page.locator(".board-session-title")).to_have_count(rooms * slots)
    expect(page.locator(".board-unplaced-title")).to_have_text(seeded.unplaced)
    for size in SIZES:
        resize(page, size)
        seen, pages = read_every_page(page, ".board-session-title, .board-unplaced-title", "agenda")
        assert seen == set(seeded.titles) | set(seeded.unplaced)
        if (rooms, slots) == (3, 2):
            assert pages <= 2
        # Every room's name shows on some page too (the columns are paged, not squeezed).
        names = page.locator(".board-table thead th[data-col]").all_inner_texts()
        assert names == ROOMS[:rooms]


def test_board_ranks_topics_by_dots_in_the_agenda_phase(
    live_server: LiveServer, organiser: Organiser, projector: BrowserContext
) -> None:
    seeded = seed(live_server, organiser, topics=5, phase=Phase.AGENDA, votes={3: 4, 1: 2, 4: 1})
    page = projector.new_page()
    page.goto(seeded.board_path)
    ranked = [seeded.titles[i] for i in (3, 1, 4, 0, 2)]
    for size in SIZES:
        resize(page, size)
        expect(page.locator(".board-topic-title")).to_have_text(ranked)
        expect(page.locator(".board-topic .board-tally")).to_have_text(["4", "2", "1"])
        assert page.evaluate(CHECK_PAGE, ".board-topic-title")["problems"] == []


def test_board_keeps_its_page_when_a_frame_rerenders_the_topics(
    live_server: LiveServer,
    organiser: Organiser,
    projector: BrowserContext,
    organiser_laptop: BrowserContext,
) -> None:
    seeded = seed(live_server, organiser, topics=26, phase=Phase.MARKETPLACE)
    page = projector.new_page()
    page.goto(seeded.board_path)
    topics = page.locator('[data-pager="topics"]')
    pages = topics.get_attribute("data-pages")
    page.evaluate("window.boardPager.next()")
    expect(topics).to_have_attribute("data-page", "2")
    page.evaluate("document.querySelector('.board-topic').dataset.old = 'yes'")

    laptop = organiser_laptop.new_page()
    laptop.goto(f"/o/{seeded.slug}/live")
    laptop.get_by_label("New announcement").fill("Lunch is served in the garden until 14:00.")
    laptop.get_by_role("button", name="Announce").click()

    expect(page.locator("#board-news")).to_contain_text("Lunch is served", timeout=LIVE_MS)
    expect(page.locator(".board-topic[data-old]")).to_have_count(0)  # the list was replaced
    expect(topics).to_have_attribute("data-page", "2")  # and is still on the same page
    pages_now = int(topics.get_attribute("data-pages") or 0)
    assert pages_now >= int(pages or 0)  # the news bar took room: never fewer pages
    expect(page.locator("#board-topics .board-pager")).to_have_text(f"2 / {pages_now}")
    assert page.evaluate(CHECK_PAGE, ".board-topic-title")["problems"] == []


def test_board_and_poster_speak_the_events_language(
    live_server: LiveServer,
    organiser: Organiser,
    projector: BrowserContext,
    organiser_laptop: BrowserContext,
) -> None:
    seeded = seed(live_server, organiser, topics=3, phase=Phase.MARKETPLACE, languages=["bg", "en"])
    page = projector.new_page()  # a browser set to English (en-GB)
    page.goto(seeded.board_path)
    expect(page.locator("html")).to_have_attribute("lang", "bg")
    expect(page.locator("#board-phase .phase-name")).to_have_text("Пазар на теми")
    expect(page.locator("#board-phase .phase-also")).to_have_text("Marketplace")
    expect(page.locator(".board-join-label")).to_have_text(
        "Включете се от телефона си Join on your phone"
    )
    chosen = projector.new_page()
    chosen.goto(seeded.board_path + "?lang=en")
    expect(chosen.locator("html")).to_have_attribute("lang", "en")
    expect(chosen.locator("#board-phase .phase-name")).to_have_text("Marketplace")
    expect(chosen.locator("#board-phase .phase-also")).to_have_text("Пазар на теми")

    # A pushed frame speaks the board's language too, not the browser's.
    laptop = organiser_laptop.new_page()
    laptop.goto(f"/o/{seeded.slug}/live")
    laptop.locator("#phases").get_by_role("button", name="Dot voting", exact=True).click()
    expect(laptop.locator("#phase-badge")).to_have_text("Dot voting")
    expect(page.locator("#board-phase .phase-name")).to_have_text(
        "Гласуване с точки", timeout=LIVE_MS
    )
    expect(page.locator("#board-phase .phase-also")).to_have_text("Dot voting")
    expect(chosen.locator("#board-phase .phase-name")).to_have_text("Dot voting", timeout=LIVE_MS)
    for size in SIZES:
        resize(page, size)
        assert page.evaluate(CHECK_PAGE, ".phase-name, .board-topic-title")["problems"] == []

    laptop.goto(f"/o/{seeded.slug}")
    expect(laptop.locator("#board-languages a")).to_have_text(["Български", "English"])
    laptop.goto(f"/o/{seeded.slug}/poster")
    expect(laptop.locator(".poster-lead").first).to_have_text(
        "Включете се от телефона си: сканирайте кодаJoin on your phone: scan the code"
    )
    laptop.goto(f"/o/{seeded.slug}/poster?lang=en")
    expect(laptop.locator(".poster-lead").first).to_have_text(
        "Join on your phone: scan the codeВключете се от телефона си: сканирайте кода"
    )


def _photo(width: int, height: int) -> bytes:
    image = Image.new("RGB", (width, height), "#f4f1e8")
    draw = ImageDraw.Draw(image)
    draw.rectangle((8, 8, width - 9, height - 9), outline="#c0392b", width=16)  # edges show
    buffer = io.BytesIO()
    image.save(buffer, format="JPEG", quality=85)
    return buffer.getvalue()


def test_closing_slide_shows_its_photo_whole_and_a_map_gets_the_whole_content_area(
    live_server: LiveServer, organiser: Organiser, projector: BrowserContext
) -> None:
    seeded = seed(live_server, organiser, topics=2, rooms=2, slots=1, phase=Phase.CLOSING)
    settings = _settings(live_server)
    with database(live_server) as session:
        event = session.exec(select(Event).where(Event.slug == seeded.slug)).one()
        user = session.exec(select(User).where(User.email == organiser.email)).one()
        staff = resolve(session, event=event, user=user, session_id=None)
        for topic_id in publish_ids(session, event):
            photos.add(
                session,
                access=staff,
                topic_id=topic_id,
                data=_photo(900, 1400),  # a flipchart, upright: the tallest case
                caption="Our wall",
                upload_dir=settings.uploads_path,
            )
    page = projector.new_page()
    page.goto(seeded.board_path)
    photo = page.locator("#board-closing .slide:visible .slide-photo")
    expect(photo).to_be_visible()
    page.wait_for_function(
        "document.querySelector('.slide:not([hidden]) .slide-photo').naturalWidth > 0"
    )
    for size in SIZES:
        resize(page, size)
        whole = page.evaluate(
            """() => {
              const img = document.querySelector('.slide:not([hidden]) .slide-photo');
              const r = img.getBoundingClientRect();
              const c = document.getElementById('board-closing').getBoundingClientRect();
              return {
                inside: r.top >= c.top - 1 && r.bottom <= c.bottom + 1
                  && r.left >= c.left - 1 && r.right <= c.right + 1,
                ratio: (r.width / r.height) / (img.naturalWidth / img.naturalHeight),
                height: r.height / innerHeight,
              };
            }"""
        )
        assert whole["inside"]
        assert whole["ratio"] == pytest.approx(1, abs=0.02)  # scaled, not cropped or stretched
        assert whole["height"] > 0.5  # and big enough to read from the back
        assert page.evaluate(CHECK_PAGE, ".slide-title")["problems"] == []
        assert page.evaluate("document.body.innerText.split('Closing circle').length - 1") == 1

    # A map put on the board during the closing circle takes the whole content area.
    with database(live_server) as session:
        event = session.exec(select(Event).where(Event.slug == seeded.slug)).one()
        user = session.exec(select(User).where(User.email == organiser.email)).one()
        staff = resolve(session, event=event, user=user, session_id=None)
        map_ = maps_setup.create_map(
            session,
            access=staff,
            question="What do we have, and what do we need?",
            uses_places=False,
            uses_org_type=False,
        )
        maps_setup.show_on_board(session, access=staff, map_id=map_.id or 0)
    page.reload()
    expect(page.locator("#board-map")).to_be_visible()
    expect(page.locator("#board-closing")).to_be_hidden()
    expect(page.locator("#board-phase")).to_be_hidden()
    for size in SIZES:
        resize(page, size)
        boxes = page.evaluate(
            """() => ['#board-map', '.board-main'].map((selector) => {
              const r = document.querySelector(selector).getBoundingClientRect();
              return [r.left, r.top, r.right, r.bottom];
            })"""
        )
        assert boxes[0] == pytest.approx(boxes[1], abs=2)
        assert page.evaluate(CHECK_PAGE, ".board-map-question")["problems"] == []


PLACES = ("Sofia", "Varna", "Plovdiv", "Ruse")


def card_text(number: int) -> str:
    """A card's text: every fourth one about 200 characters long."""
    text = f"Card {number + 1}: {PHRASES[number % len(PHRASES)]}"
    if number % 4 == 1:
        extra = iter(PHRASES[(number + 2) % len(PHRASES) :] + PHRASES)
        while len(text) < 200:
            text += ", " + next(extra).lower()
        text = text[:200].rsplit(" ", 1)[0]
    return text


@dataclass(frozen=True)
class SeededMap:
    board_path: str
    shown: set[str]  # the card texts and cluster labels the board shows, over all its pages


def seed_map(server: LiveServer, owner: Organiser, *, cards: int, matrix: bool) -> SeededMap:
    """A map on the board with ``cards`` cards over three categories (places in turns, every
    seventh without one); cards 1 and 4 form the cluster "Transport", 2 and 5 "Housing"."""
    seeded = seed(server, owner, topics=0, phase=Phase.VOTING)
    with database(server) as session:
        event = session.exec(select(Event).where(Event.slug == seeded.slug)).one()
        user = session.exec(select(User).where(User.email == owner.email)).one()
        staff = resolve(session, event=event, user=user, session_id=None)
        map_ = new_map(session, staff, places=PLACES if matrix else ())
        if matrix:
            maps_setup.update_map(
                session,
                access=staff,
                map_id=map_.id or 0,
                question=map_.question,
                uses_places=True,
                uses_org_type=False,
                layout=MapLayout.MATRIX,
            )
        categories = category_ids(session, map_)
        places = place_ids(session, map_) if matrix else []
        made = [
            maps_cards.post_card(
                session,
                access=staff,
                map_id=map_.id or 0,
                text=card_text(i),
                category_id=categories[i % 3],
                place_id=places[(i // 3) % 4] if places and i % 7 != 6 else None,
            )
            for i in range(cards)
        ]
        for name, pair in (("Transport", (0, 3)), ("Housing", (1, 4))):
            first, second = (made[i].id or 0 for i in pair)
            moved = clustering.move_card(
                session,
                access=staff,
                card_id=first,
                target=f"new:{categories[pair[0] % 3]}",
                name=name,
            )
            clustering.move_card(
                session, access=staff, card_id=second, target=f"cluster:{moved.cluster_id}"
            )
        maps_setup.show_on_board(session, access=staff, map_id=map_.id or 0)
    collapsed = cards > 30  # the board's summary of a full map: clusters as name and count
    texts = {card_text(i) for i in range(cards) if not (collapsed and i in {0, 1, 3, 4})}
    # A cluster is named with its count: in its column, or per place in the matrix's cells.
    labels = {"Transport 1", "Housing 1"} if matrix else {"Transport 2", "Housing 2"}
    return SeededMap(board_path=seeded.board_path, shown=texts | labels)


@pytest.mark.parametrize("matrix", [False, True], ids=["columns", "matrix"])
@pytest.mark.parametrize("cards", [6, 30, 80])
def test_board_map_cards_are_whole_on_some_page(
    live_server: LiveServer,
    organiser: Organiser,
    projector: BrowserContext,
    cards: int,
    matrix: bool,
) -> None:
    seeded = seed_map(live_server, organiser, cards=cards, matrix=matrix)
    page = projector.new_page()
    page.goto(seeded.board_path)
    expect(page.locator("#board-map")).to_be_visible()
    labels = ".board-chip" if matrix else ".board-cluster-name"
    for size in SIZES:
        resize(page, size)
        seen, pages = read_every_page(page, f".board-card-text, {labels}", "map")
        assert seen == seeded.shown
        if cards == 6:
            assert pages == 1
        if cards == 80:
            assert pages > 1
        screenshot(page, f"board-map-{cards}-{'matrix' if matrix else 'columns'}-{size[1]}.png")
    assert page.evaluate(CHECK_PAGE, ".board-map-question")["problems"] == []


def publish_ids(session: Session, event: Event) -> list[int]:
    from app.models.schedule import PublishedPlacement

    rows = session.exec(
        select(PublishedPlacement).where(PublishedPlacement.event_id == event.id)
    ).all()
    return [row.topic_id for row in rows]
