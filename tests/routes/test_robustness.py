"""Hostile input never breaks a route: every state-changing route, called by someone allowed to
call it and with a valid CSRF token, answers junk form data and junk path parameters with a
4xx (or a normal answer), never a 500 nor a traceback. And htmx gets a partial, not a page.

The WebSocket is fuzzed in tests/realtime/test_live_socket.py.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

import pytest
from fastapi import FastAPI
from fastapi.routing import APIRoute, iter_route_contexts
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import Phase as Stage
from hypothesis import strategies as st
from sqlalchemy import Engine
from sqlmodel import Session, col, select

from app.config import Settings
from app.db import UNSAFE_METHODS
from app.main import create_app
from app.models.events import (
    Day,
    Event,
    EventHost,
    EventMember,
    Invitation,
    Phase,
    Role,
    Room,
    RoomCreate,
    TimeBlock,
    TimeBlockCreate,
)
from app.models.maps import Map, MapCard, MapCategory, MapCluster, MapPlace
from app.models.notes import Commitment, NextStep, NotesConflict, Photo, Proposal
from app.models.people import Participant, ParticipantDevice, User
from app.models.topics import Announcement, CohostRequest, Topic
from app.services.events import events, programme, team
from app.services.maps import cards, clustering, lookups, setup
from app.services.people import participants
from app.services.topics import news, topics
from tests.factories import access_as, csrf, field_error, login, make_user, post
from tests.marketplace_helpers import as_participant, set_phase
from tests.notes_helpers import publish_topics
from tests.routes.helpers import join, sync

# --- what the fuzz sends -----------------------------------------------------------------

TEN_KB = 10 * 1024

# Values that tend to break parsers and columns: out-of-range numbers, odd digits, NUL,
# direction marks, impossible dates and times, and words some field might accept.
AWKWARD = [
    "",
    " ",
    "\x00",
    "a\x00b",
    "\u202e\u200fevil\u202c",
    "\ufeff\u200b",
    "-1",
    "0",
    "2147483648",
    "-2147483649",
    "9" * 40,
    "1e309",
    "nan",
    "-inf",
    "١٢",  # Arabic-Indic digits: int() takes them
    "²",  # isdigit(), but int() refuses it
    "0x10",
    "9999-12-31",
    "0001-01-01",
    "2026-02-30",
    "24:00",
    "23:59:60",
    "25:61",
    "true",
    "on",
    "null",
    "en",
    "bg",
    "xx",
    "slot",
    "plenary",
    "break",
    *(phase.value for phase in Phase),
    "<script>alert(1)</script>",
    "'; DROP TABLE event; --",
    "%00",
    "../../etc/passwd",
]

# Characters chosen for trouble: control characters, bidi overrides, zero-width, combining.
TRICKY_ALPHABET = "\x00\x01\x1f\x7f\u200b\u200e\u200f\u202a\u202e\u2066\ufeff\u0301 <>&\"'a1-:"

# st.text() leaves surrogates out: a browser cannot send them in UTF-8 either.
ten_kb = st.builds(
    lambda chunk: (chunk * (TEN_KB // len(chunk) + 1))[:TEN_KB], st.text(min_size=1, max_size=8)
)
values = st.one_of(
    st.sampled_from(AWKWARD),
    st.text(max_size=40),
    st.text(alphabet=TRICKY_ALPHABET, max_size=40),
    st.integers(min_value=-(2**80), max_value=2**80).map(str),
    ten_kb,
)
# A field is missing, sent once, or sent two or three times.
field_values = st.one_of(st.none(), values, st.lists(values, min_size=2, max_size=3))


def form_data(fields: list[str]) -> st.SearchStrategy[dict[str, Any]]:
    extra = st.dictionaries(st.text(min_size=1, max_size=12), values, max_size=2)
    return st.builds(
        lambda known, more: {
            **more,
            **{name: value for name, value in known.items() if value is not None},
        },
        st.fixed_dictionaries({name: field_values for name in fields}),
        extra,
    )


def segment(real: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    """A path segment: usually the value that works (to reach deep into the route), else junk."""
    junk = st.one_of(
        st.sampled_from(AWKWARD),
        st.text(min_size=1, max_size=30),
        st.integers(min_value=-(2**70), max_value=2**70).map(str),
        st.just("x" * 2000),
    )
    return st.one_of(real, real, junk)


# --- routes and who calls them -----------------------------------------------------------


@dataclass(frozen=True)
class Target:
    method: str
    path: str
    fields: tuple[str, ...]
    headers: tuple[str, ...]


def unsafe_routes(app: FastAPI) -> list[Target]:
    found = []
    for context in iter_route_contexts(app.routes):
        route = context.original_route
        if not isinstance(route, APIRoute):
            continue
        for method in sorted(set(context.methods or ()) & UNSAFE_METHODS):
            found.append(
                Target(
                    method,
                    str(context.path),
                    tuple(field.alias for field in route.dependant.body_params),
                    tuple(header.alias for header in route.dependant.header_params),
                )
            )
    assert len(found) >= 40  # the fuzz below must not pass by finding nothing
    return found


ANONYMOUS_PREFIXES = ("/join", "/j/", "/login", "/lang", "/invite/")


@dataclass
class World:
    """The event and its people; ids and tokens are read afresh, as the fuzz changes them."""

    session: Session
    settings: Settings
    event_id: int
    organiser: TestClient
    phone: TestClient
    anonymous: TestClient
    leaver: TestClient  # signs in before each /logout, so that it has something to end
    owner: User
    invitation_token: str

    def event(self) -> Event:
        sync(self.session)
        event = self.session.get(Event, self.event_id)
        assert event is not None, "the fuzz deleted the event"
        return event

    def ids(self, model: Any) -> list[str]:
        column = col(model.id)
        rows = self.session.exec(select(column).where(model.event_id == self.event_id)).all()
        return [str(row) for row in rows] or ["1"]

    def real_values(self, name: str) -> st.SearchStrategy[str]:
        event = self.event()
        if name == "slug":
            return st.just(event.slug)
        if name == "code":
            return st.just(event.join_code)
        if name == "token":
            participant = self.session.exec(
                select(Participant).where(Participant.event_id == self.event_id)
            ).first()
            assert participant is not None
            token = participants.personal_token(participant, self.settings.secret)
            return st.sampled_from([token, self.invitation_token])
        if name == "user_id":
            members = self.session.exec(
                select(EventMember.user_id).where(EventMember.event_id == self.event_id)
            ).all()
            return st.sampled_from([str(member) for member in members])
        models: dict[str, Any] = {
            "room_id": Room,
            "day_id": Day,
            "block_id": TimeBlock,
            "topic_id": Topic,
            "announcement_id": Announcement,
            "invitation_id": Invitation,
            "map_id": Map,
            "card_id": MapCard,
            "category_id": MapCategory,
            "place_id": MapPlace,
            "cluster_id": MapCluster,
            "proposal_id": Proposal,
            "step_id": NextStep,
            "photo_id": Photo,
            "host_id": EventHost,
            "commitment_id": Commitment,
            "conflict_id": NotesConflict,
            "request_id": CohostRequest,
            "device_id": ParticipantDevice,
            "participant_id": Participant,
        }
        return st.sampled_from(self.ids(models[name]))

    def caller(self, path: str) -> TestClient:
        if path == "/logout":
            self.leaver.cookies.clear()
            login(self.leaver, self.settings, self.owner)
            return self.leaver
        if path.startswith("/o/"):
            return self.organiser
        if path.startswith("/e/"):
            return self.phone
        assert path.startswith(ANONYMOUS_PREFIXES), path
        return self.anonymous


def build_world(
    session: Session,
    settings: Settings,
    event: Event,
    owner: User,
    organiser: TestClient,
    new_client: Callable[[], TestClient],
) -> World:
    access = access_as(session, event, user=owner)
    programme.add_room(session, access=access, data=RoomCreate(name="Hall"))
    programme.add_room(session, access=access, data=RoomCreate(name="Garden"))
    day = events.days(session, event_id=access.event_id)[0]
    programme.add_block(
        session,
        access=access,
        day_id=day.id,  # type: ignore[arg-type]
        data=TimeBlockCreate(starts_at=dt.time(9), ends_at=dt.time(10)),
    )
    invitation_token = team.invite_facilitator(session, access=access, note="for Fedya")
    facilitator = make_user(session, organiser=False)
    session.add(EventMember(event_id=event.id, user_id=facilitator.id, role=Role.FACILITATOR))  # type: ignore[arg-type]
    set_phase(session, event, Phase.MARKETPLACE)
    news.announce(session, access=access, text="Lunch at one")
    session.commit()
    phone = new_client()
    join(phone, settings, event)
    other = as_participant(session, settings, event, name="Ivo")
    for title in ("Housing", "Jobs"):
        topics.propose(session, access=other, title=title, description="", language="")
    session.commit()
    assert post(phone, settings, f"/e/{event.slug}/topics", {"title": "Schools"}).status_code == 303
    # A map with places, a cluster and cards from both people (the phone's own among them).
    the_map = setup.create_map(session, access=access, question="Needs?", uses_places=True)
    setup.add_place(session, access=access, map_id=the_map.id or 0, name="Sofia")
    category = lookups.categories(session, map_id=the_map.id or 0)[0]
    card = cards.post_card(
        session, access=other, map_id=the_map.id or 0, text="Jobs", category_id=category.id
    )
    clustering.move_card(session, access=access, card_id=card.id or 0, target=f"new:{category.id}")
    session.commit()
    form = {"text": "Schools", "category": str(category.id)}
    assert (
        post(phone, settings, f"/e/{event.slug}/maps/{the_map.id}/cards", form).status_code == 303
    )
    # Two topics are sessions of a published agenda, so the notes routes do their real work.
    rooms = session.exec(select(Room).where(Room.event_id == event.id).order_by(col(Room.id))).all()
    block = session.exec(select(TimeBlock).where(TimeBlock.event_id == event.id)).one()
    placed = session.exec(select(Topic).where(Topic.event_id == event.id).order_by(col(Topic.id)))
    publish_topics(
        session,
        event,
        [
            (topic.id or 0, block.id or 0, room.id or 0)
            for topic, room in zip(placed, rooms, strict=False)
        ],
    )
    anonymous = new_client()
    anonymous.get("/")
    return World(
        session=session,
        settings=settings,
        event_id=event.id or 0,
        organiser=organiser,
        phone=phone,
        anonymous=anonymous,
        leaver=new_client(),
        owner=owner,
        invitation_token=invitation_token,
    )


# --- the fuzz ----------------------------------------------------------------------------

EXAMPLES = {"sqlite": 15, "postgresql": 5}


def fuzz_route(world: World, target: Target, examples: int) -> list[int]:
    """Send ``examples`` hostile requests to one route; return the statuses seen."""
    names = re.findall(r"{(\w+)}", target.path)
    event = world.event()
    # Votes need the voting phase, everything else is most alive in the marketplace.
    phase = Phase.VOTING if target.path.endswith("vote") else Phase.MARKETPLACE
    set_phase(world.session, event, phase)
    path_values = st.fixed_dictionaries({name: segment(world.real_values(name)) for name in names})
    statuses: list[int] = []

    @settings(
        max_examples=examples,
        deadline=None,
        database=None,
        derandomize=True,
        # No shrinking: the fuzz changes the world, so a shrunk example may not fail again.
        phases=[Stage.explicit, Stage.generate],
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    )
    @given(
        params=path_values,
        data=form_data(list(target.fields)),
        token_in_form=st.booleans(),
        htmx=st.booleans(),
        key=st.one_of(
            st.none(),
            st.text(alphabet="abcdefghij-_0123456789 !~", max_size=80),
            st.just("k" * 5000),
        ),
    )
    def attempt(
        params: dict[str, str],
        data: dict[str, Any],
        token_in_form: bool,
        htmx: bool,
        key: str | None,
    ) -> None:
        client = world.caller(target.path)
        url = target.path
        for name, value in params.items():
            url = url.replace("{" + name + "}", quote(value, safe=""))
        token = csrf(client, world.settings)
        headers = {"HX-Request": "true"} if htmx else {}
        if token_in_form:
            data = {**data, "csrf_token": token}
        else:
            headers["X-CSRF-Token"] = token
        if key is not None and "idempotency_key" in target.headers:
            headers["Idempotency-Key"] = key
        response = client.request(
            target.method, url, data=data, headers=headers, follow_redirects=False
        )
        context = (target.method, url, response.status_code, response.text[:300])
        assert response.status_code < 500, context
        assert "Traceback" not in response.text, context
        assert response.status_code != 403 or "expired" not in response.text, context
        if htmx:
            # The error handlers' answer; forms re-rendered with their messages are pages.
            assert "error-page" not in response.text, context
        statuses.append(response.status_code)

    attempt()
    return statuses


# Ten-kilobyte values make long reprs; Hypothesis warns when it prints one.
@pytest.mark.filterwarnings("ignore:Generating overly large repr")
def test_unsafe_routes_survive_hostile_input(
    app: FastAPI,
    engine: Engine,
    session: Session,
    settings: Settings,
    event: Event,
    owner: User,
    organiser: TestClient,
    new_client: Callable[[], TestClient],
) -> None:
    world = build_world(session, settings, event, owner, organiser, new_client)
    examples = EXAMPLES[engine.dialect.name]
    # The route that deletes the event goes last, should the fuzz ever type its address, and
    # forgetting people just before it (the phone is nobody after its own).
    targets = sorted(
        unsafe_routes(app),
        key=lambda target: (target.path.endswith("/delete"), target.path.endswith("/forget")),
    )
    statuses: set[int] = set()
    for target in targets:
        statuses.update(fuzz_route(world, target, examples))
    # The fuzz reached both the refusals and the routes' real work.
    assert {303, 404, 422} <= statuses, statuses


# --- hand-picked cases the fuzz may not hit ----------------------------------------------


def test_outsiders_sending_junk_to_staff_routes_see_only_an_error(
    app: FastAPI,
    session: Session,
    settings: Settings,
    event: Event,
    owner: User,
    client: TestClient,
    new_client: Callable[[], TestClient],
) -> None:
    # A form that fails to parse used to re-render the staff page before any permission check.
    access = access_as(session, event, user=owner)
    room = programme.add_room(
        session, access=access, data=RoomCreate(name="Hall", notes="key under the mat")
    )
    day = events.days(session, event_id=access.event_id)[0]
    session.commit()
    phone = new_client()
    join(phone, settings, event)
    client.get("/")
    ids = {"slug": event.slug, "room_id": room.id, "day_id": day.id}
    targets = [target for target in unsafe_routes(app) if target.path.startswith("/o/{slug}")]
    for target in targets:
        url = re.sub(r"{(\w+)}", lambda match: str(ids.get(match.group(1), 1)), target.path)
        for junk in ("", "x", "-1"):
            for outsider in (client, phone):
                response = post(outsider, settings, url, dict.fromkeys(target.fields, junk))
                assert response.status_code in (401, 403, 422), (url, response.status_code)
                assert "error-page" in response.text, url
                assert "key under the mat" not in response.text, url


@pytest.mark.parametrize(
    "room_id",
    ["-1", "-99999999999999999999", "2147483648", "99999999999999999999", "²", "١", "1.5", "%00"],
)
def test_hostile_ids_in_paths_are_not_found(
    session: Session, settings: Settings, organiser: TestClient, event: Event, room_id: str
) -> None:
    access = access_as(session, event, user=event_owner(session, event))
    programme.add_room(session, access=access, data=RoomCreate(name="Hall"))
    session.commit()
    for path in (
        f"/o/{event.slug}/rooms/{room_id}",
        f"/o/{event.slug}/rooms/{room_id}/delete",
        f"/o/{event.slug}/rooms/{room_id}/move",
    ):
        response = post(organiser, settings, path, {"name": "Garden", "capacity": "3"})
        assert (response.status_code, "Traceback" in response.text) in {
            (404, False),
            (422, False),
        }, (path, response.status_code)
    sync(session)
    assert [room.name for room in session.exec(select(Room)).all()] == ["Hall"]


@pytest.mark.parametrize("number", ["-99999999999999999999", "99999999999999999999", "0", "-1"])
def test_hostile_ids_in_form_fields_are_refused_next_to_the_field(
    session: Session, settings: Settings, organiser: TestClient, event: Event, number: str
) -> None:
    owner = event_owner(session, event)
    topic = topics.propose_on_behalf(
        session, access=access_as(session, event, user=owner), title="Housing"
    )
    session.commit()
    on_behalf = post(
        organiser, settings, f"/o/{event.slug}/topics", {"title": "Jobs", "convener": number}
    )
    assert (on_behalf.status_code, field_error(on_behalf.text, "convener")) == (
        422,
        "Choose a participant of this event.",
    )
    merge = post(
        organiser, settings, f"/o/{event.slug}/topics/{topic.id}/merge", {"target": number}
    )
    assert merge.status_code in (404, 422), merge.status_code
    sync(session)
    assert session.exec(select(Topic.title)).all() == ["Housing"]


def event_owner(session: Session, event: Event) -> User:
    member = session.exec(
        select(EventMember).where(
            EventMember.event_id == event.id, EventMember.role == Role.ORGANISER
        )
    ).one()
    user = session.get(User, member.user_id)
    assert user is not None
    return user


@pytest.mark.parametrize(
    ("name", "value"), [("name", "Ha\x00ll"), ("notes", "\x00"), ("no\x00te", "x")]
)
def test_nul_byte_in_a_form_is_refused_on_every_database(
    session: Session,
    settings: Settings,
    organiser: TestClient,
    event: Event,
    name: str,
    value: str,
) -> None:
    # PostgreSQL cannot store it and SQLite could: both refuse it the same way.
    form = {"name": "Hall", "capacity": "3", name: value}
    response = post(organiser, settings, f"/o/{event.slug}/rooms", form)
    assert response.status_code == 422
    assert "Some of what was sent could not be understood." in response.text
    sync(session)
    assert session.exec(select(Room)).all() == []


def test_a_file_where_text_is_expected_is_refused(
    session: Session, settings: Settings, organiser: TestClient, event: Event
) -> None:
    response = organiser.post(
        f"/o/{event.slug}/rooms",
        data={"capacity": "3", "csrf_token": csrf(organiser, settings)},
        files={"name": ("name.txt", b"Hall", "text/plain")},
        follow_redirects=False,
    )
    assert response.status_code == 422
    assert "Some of what was sent could not be understood." in response.text
    sync(session)
    assert session.exec(select(Room)).all() == []


@pytest.mark.parametrize(
    "body",
    [b"name=%ff%fe&capacity=3", b"name=%zz&capacity=3", b"\xff\xfe=\xff", b"&&&==&=", b"a" * 5000],
)
def test_malformed_form_bodies_are_refused(
    session: Session, settings: Settings, organiser: TestClient, event: Event, body: bytes
) -> None:
    response = organiser.post(
        f"/o/{event.slug}/rooms",
        content=body,
        headers={
            "Content-Type": "application/x-www-form-urlencoded",
            "X-CSRF-Token": csrf(organiser, settings),
        },
        follow_redirects=False,
    )
    assert response.status_code < 500
    assert "Traceback" not in response.text


# --- htmx gets a partial -----------------------------------------------------------------

FLASH = re.compile(
    r'^<p id="flash" class="flash" role="status" aria-live="polite" hx-swap-oob="innerHTML">'
)


def _htmx(client: TestClient, settings: Settings) -> dict[str, str]:
    return {"HX-Request": "true", "X-CSRF-Token": csrf(client, settings)}


def test_htmx_errors_are_a_flash_partial(
    settings: Settings,
    session: Session,
    organiser: TestClient,
    new_client: Callable[[], TestClient],
    event: Event,
) -> None:
    phone = new_client()
    join(phone, settings, event)
    stranger = new_client()
    stranger.get("/")
    cases = [
        # A domain error: voting has not started (the vote buttons are htmx).
        (phone, "POST", f"/e/{event.slug}/topics/999/vote", {}, 409),
        # A permission error: a participant is not staff.
        (phone, "POST", f"/o/{event.slug}/pitch/1/add", {}, 403),
        # Not signed in.
        (stranger, "POST", f"/o/{event.slug}/pitch/1/add", {}, 401),
        # No such address at all.
        (organiser, "GET", "/no-such-page", {}, 404),
        # The wrong method.
        (organiser, "GET", f"/o/{event.slug}/pitch/next", {}, 405),
        # A value that is not a number where the route needs one.
        (organiser, "POST", f"/o/{event.slug}/rooms/1/move", {"offset": "up"}, 422),
        # An expired form.
        (organiser, "POST", f"/o/{event.slug}/pitch/next", {"csrf_token": "x"}, 403),
    ]
    for client, method, url, data, status in cases:
        headers = _htmx(client, settings)
        if "csrf_token" in data:
            headers.pop("X-CSRF-Token")
        response = client.request(method, url, data=data, headers=headers)
        assert response.status_code == status, (url, response.status_code)
        assert FLASH.match(response.text), (url, response.text[:200])
        assert "<html" not in response.text
        assert len(response.text) < 500, url
        # Without htmx, the same error is a whole page.
        headers.pop("HX-Request")
        page = client.request(method, url, data=data, headers=headers)
        assert page.status_code == status
        assert page.text.startswith("<!doctype html>"), url


def test_htmx_unexpected_error_is_a_flash_partial(settings: Settings, engine: Engine) -> None:
    app = create_app(settings)

    @app.post("/boom")
    def boom() -> None:
        raise RuntimeError("kaput")

    with TestClient(app, raise_server_exceptions=False) as client:
        client.get("/")
        headers = _htmx(client, settings)
        response = client.post("/boom", headers=headers)
        assert response.status_code == 500
        assert FLASH.match(response.text), response.text[:200]
        assert "kaput" not in response.text
        assert "Something went wrong on our side. Please try again." in response.text
        page = client.post("/boom", headers={"X-CSRF-Token": headers["X-CSRF-Token"]})
        assert (page.status_code, page.text.startswith("<!doctype html>")) == (500, True)
        assert "Traceback" not in page.text
