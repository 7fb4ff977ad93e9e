"""The facilitator's grid through HTTP: the page, moves with compare-and-set, htmx answers,
scheduling, publishing, and refusals that change nothing."""

from __future__ import annotations

import datetime as dt
import re
from html import unescape

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine
from sqlmodel import Session

from app.config import Settings
from app.services.schedule import agenda, grid
from tests.factories import csrf, login, post
from tests.grid_helpers import Grid, make_grid, vote
from tests.routes.helpers import join, snapshot, sync

HTMX = {"HX-Request": "true"}


@pytest.fixture
def g(session: Session, settings: Settings) -> Grid:
    # In the future: slots that have started are never re-scheduled.
    made = make_grid(
        session, settings, topic_count=3, first_day=dt.date.today() + dt.timedelta(days=30)
    )
    session.commit()
    return made


@pytest.fixture
def facilitator(client: TestClient, settings: Settings, g: Grid) -> TestClient:
    assert g.staff.user is not None
    login(client, settings, g.staff.user)
    return client


def move_form(
    g: Grid,
    topic: int,
    *,
    to: tuple[int, int] | None,
    holds: int | None = None,
    expected: tuple[int, int] | None = None,
) -> dict[str, str]:
    return {
        "topic": str(g.topic(topic)),
        "from_block": str(expected[0]) if expected else "",
        "from_room": str(expected[1]) if expected else "",
        "to_block": str(to[0]) if to else "",
        "to_room": str(to[1]) if to else "",
        "holds": str(holds) if holds else "",
    }


def htmx_post(client: TestClient, settings: Settings, url: str, data: dict[str, str]):  # type: ignore[no-untyped-def]
    return client.post(url, data=data, headers={**HTMX, "X-CSRF-Token": csrf(client, settings)})


def cell_text(html: str, block: int, room: int) -> str:
    match = re.search(
        rf'data-block="{block}" data-room="{room}" data-holds="[^"]*">(.*?)</td>', html, re.S
    )
    assert match, f"no cell {block}/{room}"
    return unescape(re.sub(r"<[^>]+>", " ", match.group(1)))


def test_grid_page_shows_rooms_slots_plenary_and_waiting_topics(
    facilitator: TestClient, g: Grid
) -> None:
    page = facilitator.get(f"/o/{g.event.slug}/grid")

    assert page.status_code == 200
    assert "Opening circle" in page.text
    assert "><bdi>Hall</bdi> <" in page.text and "><bdi>Lab</bdi> <" in page.text
    waiting = page.text.split('class="grid-waiting"')[1].split("</aside>")[0]
    assert [
        unescape(t)
        for t in re.findall(r'class="grid-pick grid-topic-title"[^>]*>([^<]+)<', waiting)
    ] == [
        "Topic 0",
        "Topic 1",
        "Topic 2",
    ]
    assert "Not published yet" in page.text


def test_move_without_script_redirects_and_places_the_topic(
    facilitator: TestClient, settings: Settings, session: Session, g: Grid
) -> None:
    response = post(
        facilitator, settings, f"/o/{g.event.slug}/grid/move", move_form(g, 0, to=g.cell(0, 0))
    )

    assert response.status_code == 303
    sync(session)
    assert grid.spots(session, event_id=g.event.id or 0) == {g.topic(0): (*g.cell(0, 0), False)}


def test_move_with_htmx_answers_with_the_grid(
    facilitator: TestClient, settings: Settings, g: Grid
) -> None:
    response = htmx_post(
        facilitator, settings, f"/o/{g.event.slug}/grid/move", move_form(g, 1, to=g.cell(1, 0))
    )

    assert response.status_code == 200
    assert response.text.lstrip().startswith('<div id="grid"')
    assert "Topic 1" in cell_text(response.text, *g.cell(1, 0))
    assert "Moved." in response.text


def test_stale_move_gets_a_message_and_the_current_grid(
    facilitator: TestClient, settings: Settings, session: Session, engine: Engine, g: Grid
) -> None:
    grid.move(session, access=g.staff, topic_id=g.topic(0), expected=None, target=g.cell(0, 0))
    session.commit()
    before = snapshot(engine)

    # This screen still shows topic 0 unscheduled and cell (0, 0) empty.
    response = htmx_post(
        facilitator, settings, f"/o/{g.event.slug}/grid/move", move_form(g, 0, to=g.cell(1, 1))
    )

    assert response.status_code == 409
    assert "Someone else moved this topic meanwhile" in response.text
    assert "Topic 0" in cell_text(response.text, *g.cell(0, 0))
    assert snapshot(engine) == before


@pytest.mark.parametrize(
    "values",
    [
        {"topic": "abc"},
        {"topic": "0"},
        {"topic": "99999999999999999999"},
        {"to_block": "x", "to_room": "1"},
        {"holds": "-4"},
    ],
)
def test_malformed_moves_change_nothing(
    facilitator: TestClient, settings: Settings, engine: Engine, g: Grid, values: dict[str, str]
) -> None:
    before = snapshot(engine)
    data = {**move_form(g, 0, to=g.cell(0, 0)), **values}

    response = htmx_post(facilitator, settings, f"/o/{g.event.slug}/grid/move", data)

    assert response.status_code == 422
    assert 'id="grid-message"' in response.text
    assert snapshot(engine) == before


def test_participants_and_other_organisers_cannot_edit_the_grid(
    client: TestClient,
    new_client,  # type: ignore[no-untyped-def]
    settings: Settings,
    session: Session,
    engine: Engine,
    g: Grid,
) -> None:
    other = make_grid(session, settings)
    session.commit()
    before = snapshot(engine)
    phone = new_client()
    join(phone, settings, g.event)
    stranger = new_client()
    assert other.staff.user is not None
    login(stranger, settings, other.staff.user)
    url = f"/o/{g.event.slug}/grid/move"

    assert phone.get(f"/o/{g.event.slug}/grid").status_code == 403
    assert post(phone, settings, url, move_form(g, 0, to=g.cell(0, 0))).status_code == 403
    assert stranger.get(f"/o/{g.event.slug}/grid").status_code == 403
    assert post(stranger, settings, url, move_form(g, 0, to=g.cell(0, 0))).status_code == 403
    assert snapshot(
        engine, skip=("auth_session", "participant", "participant_device", "rate_counter", "user")
    ) == {
        k: v
        for k, v in before.items()
        if k not in ("auth_session", "participant", "participant_device", "rate_counter", "user")
    }


def test_fill_publish_and_the_phone_sees_the_agenda(
    facilitator: TestClient,
    new_client,  # type: ignore[no-untyped-def]
    settings: Settings,
    session: Session,
    g: Grid,
) -> None:
    vote(session, g, {0: [0, 1], 1: [1, 2], 2: [0, 2]})
    phone = new_client()
    join(phone, settings, g.event)
    assert "Topic 0" not in phone.get(f"/e/{g.event.slug}/agenda").text

    filled = htmx_post(facilitator, settings, f"/o/{g.event.slug}/grid/fill", {})
    assert filled.status_code == 200
    assert "3 sessions placed" in filled.text
    published = htmx_post(facilitator, settings, f"/o/{g.event.slug}/grid/publish", {})
    assert "Published as version 1." in published.text

    sync(session)
    seen = agenda.load_published(session, event=g.event)
    assert sorted(item.title for item in seen.sessions.values()) == [
        "Topic 0",
        "Topic 1",
        "Topic 2",
    ]
    page = phone.get(f"/e/{g.event.slug}/agenda")
    for title in ("Topic 0", "Topic 1", "Topic 2"):
        assert title in page.text


def test_undo_and_lock_and_block_through_forms(
    facilitator: TestClient, settings: Settings, session: Session, g: Grid
) -> None:
    slug = g.event.slug
    post(facilitator, settings, f"/o/{slug}/grid/move", move_form(g, 0, to=g.cell(0, 0)))
    post(
        facilitator, settings, f"/o/{slug}/grid/lock", {"topic": str(g.topic(0)), "locked": "true"}
    )
    sync(session)
    assert grid.spots(session, event_id=g.event.id or 0) == {g.topic(0): (*g.cell(0, 0), True)}

    post(facilitator, settings, f"/o/{slug}/grid/undo")
    post(facilitator, settings, f"/o/{slug}/grid/undo")
    sync(session)
    assert grid.spots(session, event_id=g.event.id or 0) == {}

    block, room = g.cell(1, 1)
    response = post(
        facilitator,
        settings,
        f"/o/{slug}/grid/block",
        {"block_id": str(block), "room_id": str(room), "blocked": "true"},
    )
    assert response.status_code == 303
    sync(session)
    assert agenda.blocked_cells(session, event_id=g.event.id or 0) == {(block, room)}


def test_freeze_minutes_are_checked(
    facilitator: TestClient, settings: Settings, session: Session, g: Grid
) -> None:
    bad = htmx_post(
        facilitator, settings, f"/o/{g.event.slug}/grid/freeze", {"freeze_minutes": "999"}
    )
    assert bad.status_code == 422
    assert "Choose between 0 and 240 minutes." in bad.text
    good = post(facilitator, settings, f"/o/{g.event.slug}/grid/freeze", {"freeze_minutes": "30"})
    assert good.status_code == 303
    sync(session)
    session.refresh(g.event)
    assert g.event.freeze_minutes == 30


def test_keyboard_path_without_script_selects_then_places(
    facilitator: TestClient, settings: Settings, session: Session, g: Grid
) -> None:
    page = facilitator.get(f"/o/{g.event.slug}/grid?topic={g.topic(2)}")

    assert 'aria-pressed="true"' in page.text
    forms = re.findall(
        r'<form method="post" action="/o/[^"]+/grid/move" class="grid-place">(.*?)</form>',
        page.text,
        re.S,
    )
    assert len(forms) == 4  # every free cell offers "Place here"
    assert all(f'name="topic" value="{g.topic(2)}"' in form for form in forms)


def test_a_past_event_is_filled_with_schedule_all_slots_anyway(
    client: TestClient, settings: Settings, session: Session
) -> None:
    g = make_grid(session, settings, topic_count=3, first_day=dt.date(2025, 3, 4))
    vote(session, g, {0: [0], 1: [1], 2: [2]})
    assert g.staff.user is not None
    login(client, settings, g.staff.user)
    slug = g.event.slug

    page = client.get(f"/o/{slug}/grid")
    assert 'id="grid-fill-all"' in page.text
    assert "Schedule all slots anyway — including slots that have started" in page.text
    refused = htmx_post(client, settings, f"/o/{slug}/grid/fill", {})
    assert refused.status_code == 422
    assert "nothing left to schedule" in refused.text
    sync(session)
    assert grid.spots(session, event_id=g.event.id or 0) == {}

    filled = htmx_post(client, settings, f"/o/{slug}/grid/fill-all", {})

    assert filled.status_code == 200
    assert "3 sessions placed: 3 attendable votes, 0 moved." in filled.text
    sync(session)
    assert set(grid.spots(session, event_id=g.event.id or 0)) == {
        g.topic(0),
        g.topic(1),
        g.topic(2),
    }


def test_schedule_all_slots_anyway_is_offered_only_when_every_slot_started(
    facilitator: TestClient, g: Grid
) -> None:
    page = facilitator.get(f"/o/{g.event.slug}/grid")

    assert page.status_code == 200
    assert "grid-fill-all" not in page.text
    assert "Schedule all slots anyway" not in page.text


def test_a_day_of_only_plenaries_says_so_with_a_link_to_the_programme(
    client: TestClient, settings: Settings, session: Session
) -> None:
    g = make_grid(session, settings, slots=(), first_day=dt.date.today() + dt.timedelta(days=9))
    assert g.staff.user is not None
    login(client, settings, g.staff.user)

    page = client.get(f"/o/{g.event.slug}/grid")

    assert page.status_code == 200
    assert (
        "This day has only plenary items and breaks: there are no open-space slots to "
        "schedule topics in." in unescape(page.text)
    )
    assert f'href="/o/{g.event.slug}/programme#day-{g.plenary.day_id}"' in page.text
    assert "Add rooms and open-space slots to the programme first." not in page.text
    assert "Opening circle" not in page.text.split('class="grid-days"')[1]  # no empty table
    refused = htmx_post(client, settings, f"/o/{g.event.slug}/grid/fill", {})
    assert refused.status_code == 422
    assert "The programme has only plenary items and breaks" in refused.text


def test_a_programme_without_rooms_keeps_its_message(
    client: TestClient, settings: Settings, session: Session
) -> None:
    g = make_grid(session, settings, rooms=(), first_day=dt.date.today() + dt.timedelta(days=9))
    assert g.staff.user is not None
    login(client, settings, g.staff.user)

    page = client.get(f"/o/{g.event.slug}/grid")

    assert "Add rooms and open-space slots to the programme first." in page.text
    assert "This day has only plenary items" not in page.text
