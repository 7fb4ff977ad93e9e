"""Every page of the app passes the same checks a screen-reader user depends on.

An HTML parser from the standard library reads each page (in its fullest state, and again
with form errors shown) and reports: the page language, exactly one <h1>, a label for every
control, unique ids, ids that references point to, a name for every button and image, and a
CSRF token in every form that changes something.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from html.parser import HTMLParser

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session, select

from app.config import Settings
from app.models.events import Event, Phase, RoomCreate, TimeBlockCreate
from app.models.maps import Map, MapCard, MapCluster
from app.models.people import Participant, User
from app.models.topics import Topic
from app.services.events import events, programme, team
from app.services.maps import cards, clustering, lookups, setup
from app.services.people import participants
from app.services.schedule import agenda, grid, publishing
from app.services.topics import news, pitches, topics, votes
from app.web import LANG_COOKIE
from tests.factories import PASSWORD, csrf, post
from tests.marketplace_helpers import (
    as_participant,
    as_staff,
    cohost,
    make_facilitator,
    set_phase,
)
from tests.routes.helpers import join

CONTROLS = {"input", "select", "textarea"}
UNLABELLED_INPUT_TYPES = {"hidden", "submit", "button", "reset", "image"}
REFERENCE_ATTRIBUTES = ("aria-describedby", "aria-labelledby", "aria-controls", "list")
UNSAFE_HX = ("hx-post", "hx-put", "hx-patch", "hx-delete")


@dataclass
class Audit(HTMLParser):
    """Reads one page and lists what is wrong with it."""

    csrf_token: str
    html_lang: str | None = None
    h1_count: int = 0
    ids: list[str] = field(default_factory=list)
    label_targets: list[str] = field(default_factory=list)
    references: list[tuple[str, str]] = field(default_factory=list)
    controls: list[tuple[str, dict[str, str], bool]] = field(default_factory=list)
    buttons: list[tuple[dict[str, str], str]] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    body_headers: str | None = None
    htmx_writers: list[str] = field(default_factory=list)
    _label_depth: int = 0
    _button: tuple[dict[str, str], list[str]] | None = None
    _form: tuple[dict[str, str], list[str]] | None = None

    def __post_init__(self) -> None:
        HTMLParser.__init__(self, convert_charrefs=True)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:  # noqa: C901
        values = {name: value or "" for name, value in attrs}
        if "id" in values:
            self.ids.append(values["id"])
        for name in REFERENCE_ATTRIBUTES:
            for target in values.get(name, "").split():
                self.references.append((name, target))
        if values.get("role") == "img" and not (
            values.get("aria-label", "").strip() or values.get("aria-labelledby")
        ):
            self.problems.append(f'role="img" without a name: {values}')
        if any(name in values for name in UNSAFE_HX):
            self.htmx_writers.append(tag)
        if tag == "html":
            self.html_lang = values.get("lang", "")
        elif tag == "body":
            self.body_headers = values.get("hx-headers")
        elif tag == "h1":
            self.h1_count += 1
        elif tag == "label":
            self._label_depth += 1
            if values.get("for"):
                self.label_targets.append(values["for"])
        elif tag == "button":
            self._button = (values, [])
        elif tag == "form":
            self._form = (values, [])
        elif tag in CONTROLS:
            kind = values.get("type", "text").lower()
            if tag == "input" and kind == "hidden":
                if self._form is not None and values.get("name") == "csrf_token":
                    self._form[1].append(values.get("value", ""))
            elif not (tag == "input" and kind in UNLABELLED_INPUT_TYPES):
                self.controls.append((tag, values, self._label_depth > 0))

    def handle_endtag(self, tag: str) -> None:
        if tag == "label":
            self._label_depth = max(self._label_depth - 1, 0)
        elif tag == "button" and self._button is not None:
            values, text = self._button
            self.buttons.append((values, "".join(text).strip()))
            self._button = None
        elif tag == "form" and self._form is not None:
            values, tokens = self._form
            if values.get("method", "get").lower() == "post" and tokens != [self.csrf_token]:
                self.problems.append(f"POST form without this browser's CSRF token: {values}")
            self._form = None

    def handle_data(self, data: str) -> None:
        if self._button is not None:
            self._button[1].append(data)

    def report(self, *, whole_page: bool) -> list[str]:  # noqa: C901
        problems = list(self.problems)
        if whole_page:
            if not self.html_lang:
                problems.append("<html> has no lang")
            if self.h1_count != 1:
                problems.append(f"{self.h1_count} <h1> elements, not one")
        seen: set[str] = set()
        for element_id in self.ids:
            if element_id in seen:
                problems.append(f'id "{element_id}" is used more than once')
            seen.add(element_id)
        for name, target in self.references:
            if target not in seen:
                problems.append(f'{name}="{target}" points to no element')
        for target in self.label_targets:
            if target not in seen:
                problems.append(f'<label for="{target}"> points to no element')
        labelled = set(self.label_targets)
        for tag, values, wrapped in self.controls:
            named = (
                wrapped
                or values.get("id") in labelled
                or values.get("aria-label", "").strip()
                or values.get("aria-labelledby")
            )
            if not named:
                problems.append(f"<{tag}> without a label: {values}")
        for values, text in self.buttons:
            if not (text or values.get("aria-label", "").strip()):
                problems.append(f"<button> without text or aria-label: {values}")
        if self.htmx_writers:
            # htmx sends the token from <body hx-headers> with every request it makes.
            headers = json.loads(self.body_headers) if self.body_headers else {}
            if whole_page and headers.get("X-CSRF-Token") != self.csrf_token:
                problems.append(f"hx-post without the CSRF header on <body>: {self.body_headers}")
        return problems


def audit(html: str, token: str, *, whole_page: bool = True) -> list[str]:
    parser = Audit(csrf_token=token)
    parser.feed(html)
    parser.close()
    return parser.report(whole_page=whole_page)


# --- the checker itself ------------------------------------------------------------------

GOOD = """<!doctype html><html lang="en"><body hx-headers='{"X-CSRF-Token": "t"}'>
<h1>Title</h1>
<form method="post"><input type="hidden" name="csrf_token" value="t">
<label for="a">A</label><input id="a" name="a" aria-describedby="a-hint"><p id="a-hint">h</p>
<label>B <select name="b"></select></label>
<textarea aria-label="C"></textarea>
<button type="submit">Go</button><button aria-label="Up">↑</button></form>
<div role="img" aria-label="QR"></div><button hx-post="/x">Vote</button>
</body></html>"""


@pytest.mark.parametrize(
    ("change", "problem"),
    [
        (('lang="en"', 'lang=""'), "<html> has no lang"),
        (("<h1>Title</h1>", ""), "0 <h1> elements, not one"),
        (("<h1>Title</h1>", "<h1>A</h1><h1>B</h1>"), "2 <h1> elements, not one"),
        (('<label for="a">A</label>', ""), "<input> without a label"),
        (("<label>B ", ""), "<select> without a label"),
        (('aria-label="C"', ""), "<textarea> without a label"),
        (('<p id="a-hint">h</p>', '<p id="a-hint">h</p><p id="a"></p>'), 'id "a" is used'),
        (('id="a-hint"', ""), 'aria-describedby="a-hint" points to no element'),
        ((">Go<", "><"), "<button> without text or aria-label"),
        (('aria-label="QR"', ""), 'role="img" without a name'),
        (('value="t"', 'value="u"'), "POST form without this browser's CSRF token"),
        (('{"X-CSRF-Token": "t"}', "{}"), "hx-post without the CSRF header on <body>"),
    ],
)
def test_audit_finds_each_problem(change: tuple[str, str], problem: str) -> None:
    assert audit(GOOD, "t") == []
    old, new = change
    assert GOOD.count(old) == 1
    problems = audit(GOOD.replace(old, new), "t")
    assert len(problems) == 1, problems
    assert problems[0].startswith(problem), problems


# --- a world with one of everything ------------------------------------------------------


@dataclass
class World:
    settings: Settings
    event: Event
    organiser: TestClient
    phone: TestClient  # Mira, who convenes "Schools" together with Ivo
    stranger: TestClient
    invitation_token: str
    personal_token: str
    my_topic_id: int
    hidden_topic_id: int
    active_topic_id: int
    room_id: int
    day_id: int


@pytest.fixture
def world(
    session: Session,
    settings: Settings,
    event: Event,
    owner: User,
    organiser: TestClient,
    new_client: Callable[[], TestClient],
) -> World:
    staff = as_staff(session, event, owner)
    room = programme.add_room(session, access=staff, data=RoomCreate(name="Hall", notes="stairs"))
    programme.add_room(session, access=staff, data=RoomCreate(name="Garden", capacity=8))
    day = events.days(session, event_id=event.id)[0]  # type: ignore[arg-type]
    programme.add_day(session, access=staff, date=dt.date(2026, 6, 10), title="Day two")
    for day_ in events.days(session, event_id=event.id):  # type: ignore[arg-type]
        for hour, kind, title in ((9, "plenary", "Opening"), (10, "slot", ""), (12, "break", "")):
            programme.add_block(
                session,
                access=staff,
                day_id=day_.id,  # type: ignore[arg-type]
                data=TimeBlockCreate(
                    kind=kind, starts_at=dt.time(hour), ends_at=dt.time(hour, 45), title=title
                ),
            )
    invitation_token = team.invite_facilitator(session, access=staff, note="for Fedya")
    team.invite_facilitator(session, access=staff, note="")
    make_facilitator(session, event, owner)
    set_phase(session, event, Phase.MARKETPLACE)
    news.announce(session, access=staff, text="Lunch at one")
    session.commit()

    phone = new_client()
    join(phone, settings, event)
    mira = session.exec(select(Participant).where(Participant.name == "Mira")).one()
    ivo = as_participant(session, settings, event, name="Ivo")
    housing = topics.propose(session, access=ivo, title="Housing", description="Rents rise")
    jobs = topics.propose(session, access=ivo, title="Jobs", language="bg")
    spam = topics.propose(session, access=ivo, title="Buy now")
    topics.hide(session, access=staff, topic_id=spam.id, reason="spam")  # type: ignore[arg-type]
    session.commit()
    assert post(phone, settings, f"/e/{event.slug}/topics", {"title": "Schools"}).status_code == 303
    schools = session.exec(select(Topic).where(Topic.title == "Schools")).one()
    cohost(session, topic_id=schools.id or 0, asker=ivo, answer=staff)
    for topic in (housing, jobs, schools):
        pitches.line_up(session, access=staff, topic_id=topic.id)  # type: ignore[arg-type]
    pitches.advance(session, access=staff)
    set_phase(session, event, Phase.VOTING)
    votes.cast(session, access=ivo, topic_id=housing.id, key=None)  # type: ignore[arg-type]
    set_phase(session, event, Phase.MARKETPLACE)
    session.commit()

    stranger = new_client()
    stranger.get("/")
    return World(
        settings=settings,
        event=event,
        organiser=organiser,
        phone=phone,
        stranger=stranger,
        invitation_token=invitation_token,
        personal_token=participants.personal_token(mira, settings.secret),
        my_topic_id=schools.id,  # type: ignore[arg-type]
        hidden_topic_id=spam.id,  # type: ignore[arg-type]
        active_topic_id=housing.id,  # type: ignore[arg-type]
        room_id=room.id,  # type: ignore[arg-type]
        day_id=day.id,  # type: ignore[arg-type]
    )


def check(
    client: TestClient,
    settings: Settings,
    method: str,
    url: str,
    *,
    data: dict[str, str] | None = None,
    status: int = 200,
    whole_page: bool = True,
) -> str:
    """Request a page and return what is wrong with it ("" when nothing)."""
    if method == "POST":
        response = post(client, settings, url, data)
    else:
        response = client.get(url, follow_redirects=False)
    if response.status_code != status:
        return f"{method} {url}: status {response.status_code}, expected {status}"
    problems = audit(response.text, csrf(client, settings), whole_page=whole_page)
    return "\n".join(f"{method} {url}: {problem}" for problem in problems)


def report(found: list[str]) -> None:
    problems = [line for line in found if line]
    assert problems == [], "\n" + "\n".join(problems)


# --- the pages ---------------------------------------------------------------------------


def test_public_pages(world: World) -> None:
    settings, event = world.settings, world.event
    anonymous = world.stranger
    report(
        [
            check(anonymous, settings, "GET", "/"),
            check(anonymous, settings, "GET", "/login"),
            check(anonymous, settings, "GET", "/join"),
            check(anonymous, settings, "GET", f"/j/{event.join_code}"),
            check(anonymous, settings, "GET", f"/invite/{world.invitation_token}"),
            check(world.organiser, settings, "GET", f"/invite/{world.invitation_token}"),
            check(anonymous, settings, "GET", f"/e/{event.slug}"),  # not joined: the code form
            check(anonymous, settings, "GET", events.board_path(event, settings.secret)),
        ]
    )


@pytest.mark.parametrize("phase", list(Phase))
def test_live_pages_in_every_phase(session: Session, world: World, phase: Phase) -> None:
    settings, event = world.settings, world.event
    set_phase(session, event, phase, blind_voting=phase == Phase.VOTING)
    report(
        [
            check(world.phone, settings, "GET", f"/e/{event.slug}"),
            check(world.organiser, settings, "GET", f"/o/{event.slug}/live"),
            check(world.stranger, settings, "GET", events.board_path(event, settings.secret)),
        ]
    )


def test_participant_pages(world: World) -> None:
    settings, slug, phone = world.settings, world.event.slug, world.phone
    report(
        [
            check(phone, settings, "GET", f"/e/{slug}/me"),
            check(phone, settings, "GET", f"/e/{slug}/p/{world.personal_token}"),
            check(phone, settings, "GET", f"/e/{slug}/topics/{world.my_topic_id}/edit"),
            check(
                phone, settings, "GET", f"/e/{slug}/topics/similar?title=Housing", whole_page=False
            ),
            check(phone, settings, "GET", f"/e/{slug}/dots", whole_page=False),
        ]
    )


def test_organiser_pages(world: World) -> None:
    settings, event, organiser = world.settings, world.event, world.organiser
    slug = event.slug
    pages = [
        "/o",
        "/o/new",
        f"/o/{slug}",
        f"/o/{slug}/edit",
        f"/o/{slug}/rooms",
        f"/o/{slug}/programme",
        f"/o/{slug}/team",
        f"/o/{slug}/participants",
        f"/o/{slug}/poster",
        f"/o/{slug}/live",
        f"/o/{slug}/report",
        f"/o/{slug}/topics/{world.active_topic_id}",
        f"/o/{slug}/topics/{world.hidden_topic_id}",
    ]
    report([check(organiser, settings, "GET", page) for page in pages])


def test_facilitator_pages(
    session: Session,
    settings: Settings,
    world: World,
    owner: User,
    new_client: Callable[[], TestClient],
) -> None:
    # A facilitator sees the same pages without the organiser's controls (delete, invite).
    facilitator = make_facilitator(session, world.event, owner, name="Dora")
    session.commit()
    browser = new_client()
    response = post(browser, settings, "/login", {"email": facilitator.email, "password": PASSWORD})
    assert response.status_code == 303
    slug = world.event.slug
    report(
        [
            check(browser, settings, "GET", page)
            for page in ("/o", f"/o/{slug}", f"/o/{slug}/edit", f"/o/{slug}/team")
        ]
    )


# --- pages with their form errors shown --------------------------------------------------

LONG = "x" * 2000


def test_forms_with_errors(session: Session, world: World) -> None:
    settings, event = world.settings, world.event
    slug, organiser, phone = event.slug, world.organiser, world.phone
    fresh = world.stranger
    found = [
        check(
            fresh, settings, "POST", "/login", data={"email": "a@b.c", "password": "no"}, status=422
        ),
        check(fresh, settings, "POST", "/join", data={"code": "ZZZZZZ"}, status=422),
        check(fresh, settings, "POST", f"/j/{event.join_code}", data={"name": ""}, status=422),
        check(
            fresh,
            settings,
            "POST",
            f"/invite/{world.invitation_token}/register",
            data={"name": "", "email": "nope", "password": "short"},
            status=422,
        ),
        check(
            phone, settings, "POST", f"/e/{slug}/me", data={"name": "", "org_type": "x"}, status=422
        ),
        check(phone, settings, "POST", f"/e/{slug}/topics", data={"title": ""}, status=422),
        check(
            phone,
            settings,
            "POST",
            f"/e/{slug}/topics/{world.my_topic_id}/edit",
            data={"title": "", "language": "xx"},
            status=422,
        ),
        check(organiser, settings, "POST", "/o/new", data={"first_day": "nope"}, status=422),
        check(
            organiser,
            settings,
            "POST",
            f"/o/{slug}/edit",
            data={"name": "", "slug": "Not A Slug", "timezone": "Mars/Base", "languages": "zz"},
            status=422,
        ),
        check(organiser, settings, "POST", f"/o/{slug}/delete", data={"confirm": "no"}, status=422),
        check(
            organiser,
            settings,
            "POST",
            f"/o/{slug}/rooms",
            data={"name": "", "capacity": "0", "notes": LONG},
            status=422,
        ),
        check(
            organiser,
            settings,
            "POST",
            f"/o/{slug}/rooms/{world.room_id}",
            data={"name": "", "capacity": "x", "notes": LONG},
            status=422,
        ),
        check(organiser, settings, "POST", f"/o/{slug}/days", data={"date": "x"}, status=422),
        check(
            organiser,
            settings,
            "POST",
            f"/o/{slug}/days/{world.day_id}/blocks",
            data={"kind": "x", "starts_at": "x", "ends_at": "y", "title": LONG},
            status=422,
        ),
        check(
            organiser,
            settings,
            "POST",
            f"/o/{slug}/days/{world.day_id}/blocks",
            data={"kind": "plenary", "starts_at": "11:00", "ends_at": "10:00"},
            status=422,
        ),
        check(
            organiser, settings, "POST", f"/o/{slug}/team/invite", data={"note": LONG}, status=422
        ),
        check(organiser, settings, "POST", f"/o/{slug}/team/invite", data={"note": "Ana"}),
        check(
            organiser,
            settings,
            "POST",
            f"/o/{slug}/rules",
            data={"dots_per_participant": "0", "max_dots_per_topic": "x", "pitch_seconds": "1"},
            status=422,
        ),
        check(organiser, settings, "POST", f"/o/{slug}/news", data={"text": ""}, status=422),
        check(
            organiser,
            settings,
            "POST",
            f"/o/{slug}/topics",
            data={"title": "", "language": "xx", "convener": "x"},
            status=422,
        ),
        check(
            organiser,
            settings,
            "POST",
            f"/o/{slug}/topics/{world.active_topic_id}/edit",
            data={"title": "", "language": "xx"},
            status=422,
        ),
        check(
            organiser,
            settings,
            "POST",
            f"/o/{slug}/topics/{world.active_topic_id}/hide",
            data={"reason": LONG},
            status=422,
        ),
        check(
            organiser,
            settings,
            "POST",
            f"/o/{slug}/topics/{world.active_topic_id}/merge",
            data={"target": "x"},
            status=422,
        ),
    ]
    report(found)


# --- error pages -------------------------------------------------------------------------


def test_error_pages(session: Session, world: World, settings: Settings) -> None:
    slug = world.event.slug
    found = [
        check(world.stranger, settings, "GET", "/no-such-page", status=404),
        check(world.stranger, settings, "GET", f"/board/{slug}/forged", status=404),
        check(world.phone, settings, "GET", f"/o/{slug}/rooms", status=403),
        check(world.organiser, settings, "GET", f"/o/{slug}/rooms/1", status=405),
        check(world.organiser, settings, "GET", f"/o/{slug}/topics/nope", status=422),
        check(world.stranger, settings, "POST", f"/o/{slug}/rooms", status=401),
    ]
    expired = world.organiser.post(f"/o/{slug}/rooms", data={"csrf_token": "x"})
    assert expired.status_code == 403
    found.append("\n".join(audit(expired.text, csrf(world.organiser, settings))))
    report(found)


def test_pages_in_bulgarian_say_so(world: World) -> None:
    world.phone.cookies.set(LANG_COOKIE, "bg")
    html = world.phone.get(f"/e/{world.event.slug}").text
    assert html.startswith('<!doctype html>\n<html lang="bg" dir="ltr">')
    assert audit(html, csrf(world.phone, world.settings)) == []
    # Each language button names itself in its own language.
    assert '<button type="submit" name="locale" value="en" lang="en"' in html


def test_everyone_who_may_vote_sees_labelled_vote_buttons(session: Session, world: World) -> None:
    set_phase(session, world.event, Phase.VOTING)
    html = world.phone.get(f"/e/{world.event.slug}").text
    assert audit(html, csrf(world.phone, world.settings)) == []
    assert html.count('aria-label="Add a dot"') == 3  # Housing, Jobs, Schools
    assert html.count('aria-label="Take a dot back"') == 3


def test_agenda_pages(session: Session, world: World, owner: User) -> None:
    """The grid (plain, with a topic selected, with problems), the published agenda on phones,
    a session page, the printable agenda and the door signs."""
    settings, event, slug = world.settings, world.event, world.event.slug
    staff = as_staff(session, event, owner)
    draft = agenda.load_draft(session, event=event)
    block = draft.slots[0].id or 0
    rooms = [room.id or 0 for room in draft.rooms]
    grid.move(
        session,
        access=staff,
        topic_id=world.active_topic_id,
        expected=None,
        target=(block, rooms[0]),
    )
    grid.move(
        session, access=staff, topic_id=world.my_topic_id, expected=None, target=(block, rooms[1])
    )
    grid.set_locked(session, access=staff, topic_id=world.my_topic_id, locked=True)
    publishing.publish(session, access=staff)
    set_phase(session, event, Phase.SESSIONS)
    session.commit()
    report(
        [
            check(world.organiser, settings, "GET", f"/o/{slug}/grid"),
            check(
                world.organiser, settings, "GET", f"/o/{slug}/grid?topic={world.active_topic_id}"
            ),
            check(world.organiser, settings, "GET", f"/o/{slug}/grid/fragment", whole_page=False),
            check(world.organiser, settings, "GET", f"/o/{slug}/agenda/print"),
            check(world.organiser, settings, "GET", f"/o/{slug}/signs"),
            check(world.phone, settings, "GET", f"/e/{slug}"),
            check(world.phone, settings, "GET", f"/e/{slug}/agenda"),
            check(world.phone, settings, "GET", f"/e/{slug}/sessions/{world.my_topic_id}"),
        ]
    )


# --- the mapping workshop ----------------------------------------------------------------


@dataclass
class MapWorld:
    map_id: int
    category_id: int
    place_id: int
    my_card_id: int  # the phone's own card
    other_card_id: int  # in a cluster, +1'd by the phone
    hidden_card_id: int
    cluster_id: int


@pytest.fixture
def map_world(session: Session, settings: Settings, world: World, owner: User) -> MapWorld:
    """A map on the board with places, organisation types, a cluster, a merge and a hidden card."""
    staff = as_staff(session, world.event, owner)
    the_map = setup.create_map(
        session, access=staff, question="What do we need?", uses_places=True, uses_org_type=True
    )
    map_id = the_map.id or 0
    place = setup.add_place(session, access=staff, map_id=map_id, name="Sofia")
    setup.add_place(session, access=staff, map_id=map_id, name="Varna")
    category = lookups.categories(session, map_id=map_id)[0]
    ivo = as_participant(session, settings, world.event, name="Ivo B")
    other = cards.post_card(
        session, access=ivo, map_id=map_id, text="Jobs", category_id=category.id, place_id=place.id
    )
    duplicate = cards.post_card(
        session, access=ivo, map_id=map_id, text="Work", category_id=category.id
    )
    hidden = cards.post_card(
        session, access=ivo, map_id=map_id, text="Spam", category_id=category.id
    )
    clustering.merge_cards(
        session, access=staff, source_id=duplicate.id or 0, target_id=other.id or 0
    )
    clustering.hide_card(session, access=staff, card_id=hidden.id or 0, reason="spam")
    clustering.move_card(session, access=staff, card_id=other.id or 0, target=f"new:{category.id}")
    setup.show_on_board(session, access=staff, map_id=map_id)
    session.commit()
    form = {"text": "Schools", "category": str(category.id), "place": str(place.id)}
    assert (
        post(world.phone, settings, f"/e/{world.event.slug}/maps/{map_id}/cards", form).status_code
        == 303
    )
    assert (
        post(world.phone, settings, f"/e/{world.event.slug}/cards/{other.id}/plus").status_code
        == 303
    )
    session.commit()
    session.expire_all()
    mine = session.exec(select(MapCard).where(MapCard.text == "Schools")).one()
    cluster = session.exec(select(MapCluster)).one()
    return MapWorld(
        map_id=map_id,
        category_id=category.id or 0,
        place_id=place.id or 0,
        my_card_id=mine.id or 0,
        other_card_id=other.id or 0,
        hidden_card_id=hidden.id or 0,
        cluster_id=cluster.id or 0,
    )


@pytest.mark.parametrize("layout", ["columns", "matrix"])
def test_map_pages(session: Session, world: World, map_world: MapWorld, layout: str) -> None:
    settings, slug = world.settings, world.event.slug
    the_map = session.get(Map, map_world.map_id)
    assert the_map is not None
    the_map.layout = layout
    session.add(the_map)
    session.commit()
    phone, organiser = world.phone, world.organiser
    base = f"/o/{slug}/maps/{map_world.map_id}"
    report(
        [
            check(phone, settings, "GET", f"/e/{slug}"),
            check(phone, settings, "GET", f"/e/{slug}/maps"),
            check(phone, settings, "GET", f"/e/{slug}/maps/{map_world.map_id}"),
            check(phone, settings, "GET", f"/e/{slug}/cards/{map_world.my_card_id}/edit"),
            check(
                phone, settings, "GET", f"/e/{slug}/maps/{map_world.map_id}/mine", whole_page=False
            ),
            check(organiser, settings, "GET", f"/o/{slug}/maps"),
            check(organiser, settings, "GET", base),
            check(organiser, settings, "GET", f"{base}/summary"),
            check(organiser, settings, "GET", f"/o/{slug}/cards/{map_world.other_card_id}"),
            check(organiser, settings, "GET", f"/o/{slug}/cards/{map_world.hidden_card_id}"),
            check(world.stranger, settings, "GET", events.board_path(world.event, settings.secret)),
        ]
    )


def test_frozen_map_pages(session: Session, world: World, map_world: MapWorld, owner: User) -> None:
    setup.set_frozen(
        session, access=as_staff(session, world.event, owner), map_id=map_world.map_id, frozen=True
    )
    session.commit()
    settings, slug = world.settings, world.event.slug
    report(
        [
            check(world.phone, settings, "GET", f"/e/{slug}/maps/{map_world.map_id}"),
            check(world.organiser, settings, "GET", f"/o/{slug}/maps/{map_world.map_id}"),
        ]
    )


def test_map_forms_with_errors(world: World, map_world: MapWorld) -> None:
    settings, slug = world.settings, world.event.slug
    phone, organiser = world.phone, world.organiser
    base = f"/o/{slug}/maps/{map_world.map_id}"
    htmx = {"HX-Request": "true", "X-CSRF-Token": csrf(organiser, settings)}
    moved = organiser.post(f"{base}/move", data={"card": "x"}, headers=htmx)
    assert moved.status_code == 422
    report(
        [
            check(
                phone,
                settings,
                "POST",
                f"/e/{slug}/maps/{map_world.map_id}/cards",
                data={"text": LONG, "category": "x", "place": "x"},
                status=422,
            ),
            check(
                phone,
                settings,
                "POST",
                f"/e/{slug}/cards/{map_world.my_card_id}/edit",
                data={"text": "", "category": "x"},
                status=422,
            ),
            check(
                organiser, settings, "POST", f"/o/{slug}/maps", data={"question": ""}, status=422
            ),
            check(
                organiser,
                settings,
                "POST",
                f"{base}/settings",
                data={"question": "", "layout": "matrix"},
                status=422,
            ),
            check(
                organiser,
                settings,
                "POST",
                f"{base}/categories",
                data={"name": "", "colour": "x"},
                status=422,
            ),
            check(
                organiser,
                settings,
                "POST",
                f"/o/{slug}/map-categories/{map_world.category_id}",
                data={"name": LONG, "colour": "x"},
                status=422,
            ),
            check(organiser, settings, "POST", f"{base}/places", data={"name": ""}, status=422),
            check(
                organiser,
                settings,
                "POST",
                f"/o/{slug}/map-places/{map_world.place_id}",
                data={"name": LONG},
                status=422,
            ),
            check(organiser, settings, "POST", f"{base}/move", data={"card": ""}, status=422),
            check(
                organiser,
                settings,
                "POST",
                f"/o/{slug}/map-clusters/{map_world.cluster_id}",
                data={"name": ""},
                status=422,
            ),
            check(
                organiser,
                settings,
                "POST",
                f"{base}/clusters",
                data={"category": "x", "name": "n"},
                status=422,
            ),
            check(organiser, settings, "POST", f"{base}/cards", data={"text": ""}, status=422),
            check(
                organiser,
                settings,
                "POST",
                f"/o/{slug}/cards/{map_world.other_card_id}/merge",
                data={"target": "x"},
                status=422,
            ),
            check(
                organiser,
                settings,
                "POST",
                f"/o/{slug}/cards/{map_world.other_card_id}/hide",
                data={"reason": ""},
                status=422,
            ),
            "\n".join(audit(moved.text, csrf(organiser, settings), whole_page=False)),
        ]
    )
