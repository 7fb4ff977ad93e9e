"""Accessibility: axe-core over every HTML page, for every role, in English and in every
right-to-left language the app ships; live regions that speak politely; the main paths by
keyboard; the phone at 200 % text on a 360 px screen.

The walk is the demo event (``app/demo``: a programme, topics with votes, a published agenda,
notes, photos, a map), loaded into the live server's database. Each role has one browser
context for the whole walk; the pages are derived from the app's GET routes, and a route that
is neither walked nor listed as "not a page" fails ``test_every_page_is_walked``.

axe runs the WCAG 2.0/2.1 A and AA rules plus its best practices, all of them (landmarks,
regions, heading order, empty headings, ...): 0 violations.
"""

from __future__ import annotations

import re
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from axe_playwright_python.sync_playwright import Axe
from babel import Locale
from fastapi.routing import APIRoute, iter_route_contexts
from playwright.sync_api import Browser, BrowserContext, Page, expect
from sqlmodel import col, select

from app import i18n
from app.config import Settings
from app.demo import DEMO_EMAIL, DEMO_PASSWORD, FACILITATOR_EMAIL, load_demo
from app.main import create_app
from app.models.events import BlockKind, Invitation, Phase, Room, TimeBlock
from app.models.maps import MapCard
from app.models.notes import Photo
from app.models.people import Participant
from app.models.topics import Topic, TopicConvener
from app.services.access import resolve
from app.services.events import team
from app.services.events.events import board_path
from app.services.people.participants import personal_token
from app.services.schedule.checkins import door_key
from app.web import LANG_COOKIE
from tests.browser.conftest import SECRET, _context
from tests.browser.helpers import (
    LAPTOP,
    PHONE,
    LiveServer,
    Organiser,
    join_event,
    open_propose_form,
    sign_in,
)
from tests.browser.seed import database, set_phase

pytestmark = pytest.mark.browser

AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "best-practice"]
AXE_OPTIONS = {"runOnly": {"type": "tag", "values": AXE_TAGS}, "resultTypes": ["violations"]}

# English, and every shipped language written right to left.
LOCALES = ["en"] + [
    locale for locale in i18n.LOCALES if Locale.parse(locale).character_order == "right-to-left"
]

# Every GET route that renders a whole HTML page, and the roles that open it. "visitor" is a
# phone that has not joined; "board" the projector.
PAGES: dict[str, tuple[str, ...]] = {
    "/": ("visitor",),
    "/login": ("visitor",),
    "/invite/{token}": ("visitor",),
    "/join": ("visitor",),
    "/j/{code}": ("visitor",),
    "/e/{slug}/rooms/{room_id}/join": ("visitor",),
    "/e/{slug}/p/{token}": ("visitor",),
    "/e/{slug}": ("participant",),
    "/e/{slug}/me": ("participant",),
    "/e/{slug}/me/forget": ("participant",),
    "/e/{slug}/topics/{topic_id}/edit": ("participant",),
    "/e/{slug}/agenda": ("participant",),
    "/e/{slug}/sessions/{topic_id}": ("participant",),
    "/e/{slug}/rooms/{room_id}/here": ("participant",),
    "/e/{slug}/notes": ("participant",),
    "/e/{slug}/sessions/{topic_id}/notes": ("participant", "facilitator"),
    "/e/{slug}/plenaries/{block_id}/notes": ("participant", "organiser"),
    "/e/{slug}/priorities": ("participant",),
    "/e/{slug}/maps": ("participant",),
    "/e/{slug}/maps/{map_id}": ("participant",),
    "/e/{slug}/cards/{card_id}/edit": ("participant",),
    "/o": ("organiser", "facilitator"),
    "/o/new": ("organiser",),
    "/o/{slug}": ("organiser", "facilitator"),
    "/o/{slug}/edit": ("organiser",),
    "/o/{slug}/poster": ("organiser",),
    "/o/{slug}/team": ("organiser",),
    "/o/{slug}/live": ("organiser", "facilitator"),
    "/o/{slug}/rooms": ("organiser",),
    "/o/{slug}/programme": ("organiser",),
    "/o/{slug}/blocks/{block_id}/edit": ("organiser",),
    "/o/{slug}/participants": ("organiser",),
    "/o/{slug}/participants/{participant_id}/forget": ("organiser",),
    "/o/{slug}/topics/{topic_id}": ("organiser", "facilitator"),
    "/o/{slug}/topics/{topic_id}/merge": ("facilitator",),
    "/o/{slug}/grid": ("organiser", "facilitator"),
    "/o/{slug}/agenda/print": ("organiser",),
    "/o/{slug}/signs": ("organiser",),
    "/o/{slug}/priorities": ("facilitator",),
    "/o/{slug}/closing": ("facilitator",),
    "/o/{slug}/report": ("organiser",),
    "/o/{slug}/maps": ("organiser", "facilitator"),
    "/o/{slug}/maps/{map_id}": ("facilitator",),
    "/o/{slug}/cards/{card_id}": ("facilitator",),
    "/o/{slug}/maps/{map_id}/summary": ("organiser",),
    "/board/{slug}/{signature}": ("board",),
}

# GET routes that are not pages, and what they are instead.
NOT_PAGES: dict[str, str] = {
    "/healthz": "JSON for the load balancer",
    "/e/{slug}/me/data": "a JSON download",
    "/e/{slug}/qr.svg": "an image",
    "/e/{slug}/topics/similar": "an htmx fragment of the propose form",
    "/e/{slug}/dots": "an htmx fragment of the phone's home",
    "/e/{slug}/own": "an htmx fragment of the phone's home",
    "/o/{slug}/grid/fragment": "an htmx fragment of the grid",
    "/e/{slug}/calendar.ics": "a calendar feed",
    "/e/{slug}/calendar/{participant_id}.ics": "a calendar feed",
    "/e/{slug}/sessions/{topic_id}/notes/fresh": "an htmx fragment of the notes page",
    "/e/{slug}/plenaries/{block_id}/notes/fresh": "an htmx fragment of the notes page",
    "/e/{slug}/photos/{photo_id}/full": "an image",
    "/e/{slug}/photos/{photo_id}/thumb": "an image",
    "/o/{slug}/hosts/{host_id}/logo": "an image",
    "/o/{slug}/report.{fmt}": "the proceedings' downloads (their HTML is the report page's)",
    "/o/{slug}/maps/{map_id}/cards.csv": "a CSV download",
    "/e/{slug}/maps/{map_id}/mine": "an htmx fragment of the map page",
}

# What a printed link adds to the path.
QUERIES = {
    "/e/{slug}/rooms/{room_id}/join": "?k={door_key}",
    "/o/{slug}/topics/{topic_id}/merge": "?target={other_topic_id}",
}

# The board and the phone's home differ by phase: walked in each of these.
PHASED = {"/board/{slug}/{signature}", "/e/{slug}"}
PHASES = (Phase.MARKETPLACE, Phase.VOTING, Phase.AGENDA, Phase.SESSIONS, Phase.CLOSING)


def _page_routes() -> set[str]:
    settings = Settings(data_dir=tempfile.mkdtemp(), secret_key=SECRET, environment="test")
    app = create_app(settings)
    return {
        str(context.path)
        for context in iter_route_contexts(app.routes)
        if isinstance(context.original_route, APIRoute) and "GET" in (context.methods or set())
    }


def test_every_page_is_walked() -> None:
    routes = _page_routes()
    assert len(routes) >= 50  # the comparison below must not pass by finding nothing
    assert routes - set(PAGES) - set(NOT_PAGES) == set(), "a GET route neither walked nor listed"
    assert (set(PAGES) | set(NOT_PAGES)) - routes == set(), "a listed route no longer exists"


@dataclass(frozen=True)
class Demo:
    slug: str
    board_path: str
    params: dict[str, str]


@pytest.fixture(scope="module")
def demo(live_server: LiveServer) -> Demo:
    """The demo event in the live server's database, and an id for every path parameter."""
    settings = Settings(data_dir=live_server.data_dir, secret_key=SECRET, environment="test")
    with database(live_server) as session:
        event, _created = load_demo(session, settings=settings)
        event_id = event.id or 0

        def first(model: Any, *where: Any, id_of: str = "id") -> int:
            row = session.exec(select(model).where(*where)).first()
            assert row is not None, model
            return int(getattr(row, id_of))

        organiser = team.members(session, event_id=event_id)[0][0]
        access = resolve(session, event=event, user=organiser, session_id=None)
        invitation = team.invite_facilitator(session, access=access)
        room_id = first(Room, Room.event_id == event_id)
        # The participant walks as someone who wrote a card and convenes a topic (they may edit
        # both): a card's author, and one of their topics.
        card, participant = session.exec(
            select(MapCard, Participant)
            .join(Participant, col(Participant.id) == MapCard.participant_id)
            .join(TopicConvener, col(TopicConvener.participant_id) == Participant.id)
            .where(MapCard.event_id == event_id, col(MapCard.merged_into_id).is_(None))
        ).first() or (None, None)
        assert card is not None and participant is not None
        topic_id = first(
            TopicConvener, TopicConvener.participant_id == participant.id, id_of="topic_id"
        )
        params = {
            "slug": event.slug,
            "code": event.join_code,
            "topic_id": str(topic_id),
            "other_topic_id": str(first(Topic, Topic.event_id == event_id, Topic.id != topic_id)),
            "room_id": str(room_id),
            # A plenary item: its notes page is walked, and its edit page like any block's.
            "block_id": str(
                first(
                    TimeBlock, TimeBlock.event_id == event_id, TimeBlock.kind == BlockKind.PLENARY
                )
            ),
            "participant_id": str(participant.id),
            "map_id": str(card.map_id),
            "card_id": str(card.id),
            "invite_token": invitation,
            "personal_token": personal_token(participant, settings.secret),
            "door_key": door_key(event, room_id=room_id, secret=settings.secret),
            "signature": board_path(event, settings.secret).rsplit("/", 1)[1],
        }
        _ = Invitation, Photo
        session.commit()
        return Demo(slug=event.slug, board_path=board_path(event, settings.secret), params=params)


def _fill(path: str, params: dict[str, str]) -> str:
    token = params["invite_token"] if path.startswith("/invite/") else params["personal_token"]
    return (path + QUERIES.get(path, "")).format(**{**params, "token": token})


@pytest.fixture(scope="module")
def contexts(browser: Browser, live_server: LiveServer, demo: Demo) -> Iterator[dict[str, Page]]:
    """One page per role, signed in or joined once."""
    made: list[BrowserContext] = []

    def page(**options: Any) -> Page:
        context = _context(browser, live_server, **options)
        made.append(context)
        return context.new_page()

    pages = {
        "visitor": page(**PHONE),
        "participant": page(**PHONE),
        "organiser": page(**LAPTOP),
        "facilitator": page(**LAPTOP),
        "board": page(viewport={"width": 1920, "height": 1080}),
    }
    sign_in(pages["organiser"], Organiser(email=DEMO_EMAIL, name="", password=DEMO_PASSWORD))
    sign_in(
        pages["facilitator"], Organiser(email=FACILITATOR_EMAIL, name="", password=DEMO_PASSWORD)
    )
    claim = pages["participant"]
    claim.goto(_fill("/e/{slug}/p/{token}", demo.params))
    claim.get_by_role("button", name="Continue").click()
    expect(claim).to_have_url(re.compile(f"/e/{demo.slug}$"))
    yield pages
    for context in made:
        context.close()


def _violations(page: Page) -> str:
    results = Axe().run(page, options=AXE_OPTIONS)
    lines = []
    for rule in results.response["violations"]:
        targets = ", ".join(" ".join(node["target"]) for node in rule["nodes"])
        lines.append(f"{rule['id']} ({rule['impact']}): {rule['help']} — {targets}")
    return "\n".join(lines)


def _walk(
    pages: dict[str, Page], demo: Demo, server: LiveServer, locale: str, phase: Phase | None
) -> list[str]:
    failures = []
    for path, roles in PAGES.items():
        if (phase is None) == (path in PHASED):
            continue
        for role in roles:
            page = pages[role]
            page.context.add_cookies([{"name": LANG_COOKIE, "value": locale, "url": server.url}])
            response = page.goto(_fill(path, demo.params))
            assert response is not None and response.ok, (
                f"{role} {path}: {response and response.status}"
            )
            page.wait_for_load_state("load")
            found = _violations(page)
            if found:
                failures.append(
                    f"{role} {path} [{locale}{(phase and ' ' + phase) or ''}]:\n{found}"
                )
    return failures


@pytest.mark.parametrize("locale", LOCALES)
def test_every_page_has_no_axe_violations(
    contexts: dict[str, Page], demo: Demo, live_server: LiveServer, locale: str
) -> None:
    try:
        failures = _walk(contexts, demo, live_server, locale, None)
        for phase in PHASES:
            set_phase(live_server, demo.slug, phase)
            failures += _walk(contexts, demo, live_server, locale, phase)
    finally:
        # The module's other tests read English: leave every context as it was.
        for page in contexts.values():
            page.context.add_cookies([{"name": LANG_COOKIE, "value": "en", "url": live_server.url}])
    assert failures == [], "\n\n".join(failures)


def test_axe_reports_what_it_finds(contexts: dict[str, Page], demo: Demo) -> None:
    """The walk would pass by finding nothing if axe did not run: show it a faint paragraph and
    a button without a name. (Styles set through the CSSOM: the page's CSP refuses inline ones.)"""
    page = contexts["board"]
    page.goto(demo.board_path)
    page.evaluate(
        """() => {
          const faint = document.createElement("p");
          faint.textContent = "faint";
          Object.assign(faint.style, {position: "fixed", top: "0", zIndex: "9",
                                      color: "#999", background: "#fff"});
          document.querySelector("main").append(faint, document.createElement("button"));
        }"""
    )
    found = _violations(page)
    assert "color-contrast (serious)" in found
    assert "button-name (critical)" in found


SPOKEN = """() => {
  const announcer = document.getElementById("announcer");
  announcer.setAttribute("data-quiet-ms", "3600000");
  window.spoken = [];
  new MutationObserver(() => window.spoken.push(announcer.textContent))
    .observe(announcer, {childList: true, characterData: true, subtree: true});
}"""


# Where the focus is, and whether it shows: a focus ring at least 2 px wide, on an element no
# fixed or sticky bar covers (the browser scrolls it into view; a bar may still lie on top).
FOCUS = """() => {
  const element = document.activeElement || document.body;
  const name = element.tagName.toLowerCase() + (element.id ? "#" + element.id : "") +
               ` "${(element.textContent || element.value || "").trim().slice(0, 30)}"`;
  if (element === document.body) return {name, ring: true, covered: ""};
  const style = getComputedStyle(element);
  const ring = style.outlineStyle !== "none" && parseFloat(style.outlineWidth) >= 2;
  const box = element.getBoundingClientRect();
  const top = document.elementFromPoint(box.left + box.width / 2, box.top + box.height / 2);
  const covered = top && !element.contains(top) && !top.contains(element)
    ? top.tagName.toLowerCase() + (top.id ? "#" + top.id : "") + "." + [...top.classList].join(".")
    : "";
  return {name, ring, covered};
}"""


def _tab_to(page: Page, selector: str, presses: int = 60, key: str = "Tab") -> None:
    """Press Tab (or ``key``) until ``selector`` has the focus (the way a keyboard gets there),
    each element on the way showing that it has it."""
    page.wait_for_load_state()  # after a link or a form: the next page, whole
    unseen = []
    for _ in range(presses):
        page.keyboard.press(key)
        focus = page.evaluate(FOCUS)
        if not focus["ring"]:
            unseen.append(focus["name"])
        if focus["covered"]:
            unseen.append(f"{focus['name']} under {focus['covered']}")
        if page.evaluate("s => document.activeElement.matches(s)", selector):
            assert unseen == [], f"focus not visible on {unseen} ({page.url})"
            return
    pytest.fail(f"Tab never reached {selector} on {page.url}")


def test_live_region_speaks_a_phase_change_and_not_each_tally(
    contexts: dict[str, Page], demo: Demo, live_server: LiveServer
) -> None:
    set_phase(live_server, demo.slug, Phase.MARKETPLACE)
    board = contexts["board"]
    board.goto(demo.board_path)
    board.evaluate(SPOKEN)
    panel = contexts["facilitator"]
    panel.goto(f"/o/{demo.slug}/live")
    panel.locator("#phases").get_by_role("button", name="Dot voting", exact=True).click()
    expect(board.locator("#board-phase")).to_have_attribute("data-phase", "voting")
    phase_text = board.evaluate(
        "document.getElementById('board-phase').textContent.replace(/\\s+/g, ' ').trim()"
    )
    assert board.evaluate("window.spoken") == [phase_text]

    # A dot on the top topic changes the summary, within the quiet interval: not read out.
    top_id, votes = (board.locator("#board-topics").get_attribute("data-announce") or "").split(":")
    phone = contexts["visitor"]
    join_event(phone, code=demo.params["code"], name="Leyla")
    phone.locator(f"#vote-add-{top_id}").click()
    expect(board.locator("#board-topics")).to_have_attribute(
        "data-announce", f"{top_id}:{int(votes) + 1}"
    )
    assert board.evaluate("window.spoken") == [phase_text]


def test_phone_and_phase_controls_work_by_keyboard(
    contexts: dict[str, Page], demo: Demo, live_server: LiveServer
) -> None:
    set_phase(live_server, demo.slug, Phase.VOTING)
    phone = contexts["participant"]
    phone.goto(f"/e/{demo.slug}")
    _tab_to(phone, ".vote-add")
    phone.keyboard.press("Enter")
    expect(phone.locator("#flash")).to_have_text("Dot placed.")
    _tab_to(phone, "a[href$='/agenda']")
    phone.keyboard.press("Enter")
    expect(phone).to_have_url(re.compile(f"/e/{demo.slug}/agenda$"))

    panel = contexts["facilitator"]
    panel.goto(f"/o/{demo.slug}/live")
    _tab_to(panel, "#phases button[value='sessions']")
    panel.keyboard.press("Enter")
    expect(panel.locator("#phase-badge")).to_have_text("Sessions")


# The phone at 200 % text on a small screen (issue 15): the pages a phone opens, before and
# after joining, with the root font size doubled (from a script: the page's CSP refuses a style
# tag), must not scroll sideways. What sticks out is named: the innermost elements past the edge.
NARROW_PHONE: dict[str, Any] = {**PHONE, "viewport": {"width": 360, "height": 800}}
DOUBLED = """(width) => {
  document.documentElement.style.fontSize = "200%";
  const past = (box) => box.width > 0 && (box.right > width + 0.5 || box.left < -0.5);
  // A fixed bar spans the page as wide as it grew: it shows the overflow, it is not its cause.
  const fixed = [...document.body.querySelectorAll("*")].filter(
    (element) => getComputedStyle(element).position === "fixed");
  const out = [...document.body.querySelectorAll("*")].filter((element) =>
    past(element.getBoundingClientRect()) && !fixed.some((bar) => bar.contains(element)));
  // A word too long for its box sticks out of it while the box itself fits: name its parent.
  const texts = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  while (texts.nextNode()) {
    const range = document.createRange();
    range.selectNodeContents(texts.currentNode);
    const parent = texts.currentNode.parentElement;
    if (past(range.getBoundingClientRect()) && !out.includes(parent) &&
        !fixed.some((bar) => bar.contains(parent))) out.push(parent);
  }
  const innermost = out.filter((element) => !out.some((o) => o !== element && element.contains(o)));
  const name = (element) => {
    const box = element.getBoundingClientRect();
    return element.tagName.toLowerCase() + (element.id ? "#" + element.id : "") +
      [...element.classList].map((c) => "." + c).join("") +
      ` "${element.textContent.replace(/\\s+/g, " ").trim().slice(0, 30)}"` +
      ` ${Math.round(box.left)}–${Math.round(box.right)} px`;
  };
  return {scroll: document.documentElement.scrollWidth, out: innermost.map(name),
          root: getComputedStyle(document.documentElement).fontSize};
}"""
# Pages of people who do not open them on a phone.
NOT_PHONE = {"/login", "/invite/{token}"}


def _phone_pages(*roles: str) -> list[str]:
    return [
        path
        for path, walked_by in PAGES.items()
        if set(roles) & set(walked_by) and path not in NOT_PHONE | PHASED
    ]


def _too_wide(page: Page, path: str) -> str:
    width = NARROW_PHONE["viewport"]["width"]
    found: dict[str, Any] = page.evaluate(DOUBLED, width)
    assert found["root"] == "32px", f"{path}: the text was not doubled"
    if found["scroll"] <= width:
        return ""
    return f"{path}: {found['scroll']} px wide at {width} px; sticking out: {found['out']}"


def test_phone_pages_at_double_text_size_do_not_scroll_sideways(
    browser: Browser, live_server: LiveServer, demo: Demo
) -> None:
    context = _context(browser, live_server, **NARROW_PHONE)
    page = context.new_page()
    failures: list[str] = []
    set_phase(live_server, demo.slug, Phase.SESSIONS)
    for path in _phone_pages("visitor"):
        page.goto(_fill(path, demo.params))
        failures.append(_too_wide(page, path))
    page.goto(_fill("/e/{slug}/p/{token}", demo.params))
    page.get_by_role("button", name="Continue").click()
    expect(page).to_have_url(re.compile(f"/e/{demo.slug}$"))
    for path in _phone_pages("participant"):
        page.goto(_fill(path, demo.params))
        failures.append(_too_wide(page, path))
    for phase in PHASES:
        set_phase(live_server, demo.slug, phase)
        page.goto(f"/e/{demo.slug}")
        failures.append(_too_wide(page, f"/e/{{slug}} [{phase}]"))
        if phase == Phase.MARKETPLACE:
            open_propose_form(page)
            failures.append(_too_wide(page, f"/e/{{slug}} [{phase}, propose]"))
    context.close()
    failures = [failure for failure in failures if failure]
    assert failures == [], "\n".join(failures)


def test_double_text_check_names_what_sticks_out(
    browser: Browser, live_server: LiveServer, demo: Demo
) -> None:
    """The check above would pass by measuring nothing: show it a box 20rem wide (640 px once
    doubled) and a word no line can hold."""
    context = _context(browser, live_server, **NARROW_PHONE)
    page = context.new_page()
    page.goto("/join")
    page.evaluate(
        """() => {
          const box = document.createElement("div");
          box.id = "wide";
          box.style.width = "20rem";
          const word = document.createElement("p");
          word.id = "word";
          word.style.overflowWrap = "normal";
          word.textContent = "Donaudampfschifffahrtsgesellschaft";
          document.querySelector("main").append(box, word);
        }"""
    )
    found = _too_wide(page, "/join")
    context.close()
    assert re.fullmatch(
        r"/join: \d+ px wide at 360 px; sticking out: "
        r"\['div#wide \"\" 32–672 px', 'p#word \"Donaudampfschifffahrtsgesellsc\" 32–328 px'\]",
        found,
    ), found


def test_phone_joins_proposes_checks_in_and_writes_notes_by_keyboard(
    browser: Browser, live_server: LiveServer, demo: Demo
) -> None:
    """A phone that has not joined yet, with a keyboard and no pointer: Tab, Shift+Tab, Enter,
    Space and typing only (pages are reached through links, or reloaded after a phase change
    made here behind the page's back)."""
    set_phase(live_server, demo.slug, Phase.MARKETPLACE)
    context = _context(browser, live_server, **PHONE)
    phone = context.new_page()
    keys = phone.keyboard
    phone.goto("/join")
    _tab_to(phone, "#code")
    keys.type(demo.params["code"])
    _tab_to(phone, "button[type=submit]")
    keys.press("Enter")
    expect(phone).to_have_url(re.compile(f"/j/{demo.params['code']}$"))
    _tab_to(phone, "#name")
    keys.type("Kim Tabakova")
    _tab_to(phone, "#consent_report")
    keys.press("Space")
    expect(phone.locator("#consent_report")).to_be_checked()
    _tab_to(phone, "#name", key="Shift+Tab")  # back, to check what was typed
    expect(phone.locator("#name")).to_have_value("Kim Tabakova")
    _tab_to(phone, "button[type=submit].primary")
    keys.press("Enter")
    expect(phone.get_by_role("heading", name="Welcome, Kim Tabakova!")).to_be_visible()

    _tab_to(phone, "#propose-toggle")
    keys.press("Enter")
    expect(phone.locator("#title")).to_be_focused()  # the form opens on its first field
    keys.type("Keyboards at the venue")
    _tab_to(phone, "#propose-form button[type=submit]")
    keys.press("Enter")
    expect(phone.locator(".my-topic").filter(has_text="Keyboards at the venue")).to_have_count(1)

    set_phase(live_server, demo.slug, Phase.SESSIONS)
    phone.reload()
    _tab_to(phone, "#phone-nav a[data-nav='agenda']")
    keys.press("Enter")
    expect(phone).to_have_url(re.compile(f"/e/{demo.slug}/agenda$"))
    session_link = f".agenda a[href$='/sessions/{demo.params['topic_id']}']"
    _tab_to(phone, session_link, presses=200)
    keys.press("Enter")
    expect(phone).to_have_url(re.compile(f"/sessions/{demo.params['topic_id']}$"))
    _tab_to(phone, "form[action$='/here'] button")
    keys.press("Space")
    expect(phone.locator(".notice")).to_have_text("You are checked in here.")

    _tab_to(phone, "a[href$='/notes'].button")
    keys.press("Enter")
    expect(phone).to_have_url(re.compile(f"/sessions/{demo.params['topic_id']}/notes$"))
    _tab_to(phone, "#notes-outcome")
    keys.press("Control+a")
    keys.type("Charge the laptops before the marketplace")
    expect(phone.locator("#notes-autosave")).to_have_text("Saved.")
    phone.reload()
    expect(phone.locator("#notes-outcome")).to_have_value(
        "Charge the laptops before the marketplace"
    )
    context.close()
