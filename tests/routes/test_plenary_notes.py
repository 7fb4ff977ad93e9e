"""A plenary item's notes page through HTTP: reading, saving, photos, who may, and the
programme page that asks before a plenary item's notes go."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from html import unescape

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine
from sqlmodel import Session, select

from app.config import Settings
from app.models.events import BlockKind, Event, TimeBlock
from app.models.notes import Photo, SessionNotes
from app.models.people import User
from tests.factories import csrf, field_error, login, make_event, make_user, post
from tests.notes_helpers import add_plenary, publish
from tests.report_helpers import flipchart_jpeg
from tests.routes.helpers import join, snapshot, sync


@dataclass
class World:
    event: Event
    plenary: TimeBlock
    phone: TestClient  # Mira, a participant
    laptop: TestClient  # Ivo, a participant
    organiser: TestClient
    stranger: TestClient
    other_organiser: TestClient  # of another event


@pytest.fixture
def world(
    session: Session,
    settings: Settings,
    event: Event,
    owner: User,
    new_client: Callable[[], TestClient],
) -> World:
    plenary = add_plenary(session, event, owner, title="Good practices", presenter="Ingrid")
    publish(session, settings, event, owner, ["Housing"])
    phone, laptop, organiser, stranger, other = (new_client() for _ in range(5))
    join(phone, settings, event, "Mira")
    join(laptop, settings, event, "Ivo")
    login(organiser, settings, owner)
    stranger.get("/")
    other_owner = make_user(session, email="other@example.org", name="Otto")
    make_event(session, owner=other_owner, name="Other Lab")
    session.commit()
    login(other, settings, other_owner)
    return World(event, plenary, phone, laptop, organiser, stranger, other)


def _url(world: World, tail: str = "/notes") -> str:
    return f"/e/{world.event.slug}/plenaries/{world.plenary.id}{tail}"


def test_plenary_notes_page_has_the_item_and_only_its_fields(world: World) -> None:
    html = world.phone.get(_url(world)).text
    assert '<h1 dir="auto">Good practices</h1>' in html
    assert "Ingrid" in html and "Plenary notes" in html
    fields = [f'data-notes-field="{name}"' in html for name in ("title", "conveners", "outcome")]
    assert fields == [False, False, True]
    assert 'data-notes-field="participant_count"' not in html
    assert 'id="proposals-heading"' not in html and 'id="steps-heading"' not in html
    assert f'data-subject="b{world.plenary.id}"' in html
    assert f'action="{_url(world, "/photos")}"' in html
    assert f'data-save="{_url(world)}"' in html


def test_plain_save_and_autosave_reach_every_device(
    session: Session, world: World, settings: Settings
) -> None:
    response = post(
        world.phone, settings, _url(world), {"base_revision": "0", "outcome": "Mentors work"}
    )
    assert (response.status_code, response.headers["location"]) == (
        303,
        _url(world, "/notes#notes-form"),
    )
    answer = world.laptop.post(
        _url(world),
        data={"base_revision": "1", "discussion": "- **Norway**"},
        headers={"X-CSRF-Token": csrf(world.laptop, settings), "Accept": "application/json"},
    )
    assert (answer.status_code, answer.json()) == (
        200,
        {
            "revision": 2,
            "values": {"discussion": "- **Norway**"},
            "applied": ["discussion"],
            "merged": [],
            "conflicts": [],
        },
    )
    html = world.organiser.get(_url(world)).text
    assert "<strong>Norway</strong>" in html and "by Ivo." in html
    fresh = world.phone.get(_url(world, "/notes/fresh")).text
    assert 'id="notes-proposals"' not in fresh and "Mentors work" in fresh
    sync(session)
    row = session.exec(select(SessionNotes)).one()
    assert (row.block_id, row.topic_id, row.outcome) == (world.plenary.id, None, "Mentors work")


def test_a_too_long_outcome_is_refused_next_to_the_field(
    engine: Engine, world: World, settings: Settings
) -> None:
    before = snapshot(engine, skip=("rate_counter",))
    response = post(
        world.phone, settings, _url(world), {"base_revision": "0", "outcome": "x" * 201}
    )
    assert response.status_code == 422
    assert field_error(response.text, "outcome") == "Use at most 200 characters."
    assert snapshot(engine, skip=("rate_counter",)) == before


def test_saving_without_the_csrf_token_changes_nothing(
    engine: Engine, world: World, settings: Settings
) -> None:
    before = snapshot(engine)
    response = world.phone.post(
        _url(world), data={"base_revision": "0", "outcome": "Sneaky"}, follow_redirects=False
    )
    assert response.status_code == 403
    assert snapshot(engine) == before


def test_outsiders_and_other_organisers_are_refused(
    engine: Engine, world: World, settings: Settings
) -> None:
    before = snapshot(engine, skip=("rate_counter", "auth_session"))
    response = world.stranger.get(_url(world), follow_redirects=False)
    assert (response.status_code, response.headers["location"]) == (303, "/join")
    for client in (world.stranger, world.other_organiser):
        for tail, data in (
            ("/notes", {"base_revision": "0", "outcome": "Mine"}),
            ("/notes/presence", {"field": "outcome"}),
            ("/photos", {"caption": "x"}),
        ):
            response = post(client, settings, _url(world, tail), data)
            assert response.status_code in (303, 403), (tail, response.status_code)
            if response.status_code == 303:
                assert response.headers["location"] == "/join"
    response = world.other_organiser.get(_url(world), follow_redirects=False)
    assert (response.status_code, response.headers["location"]) == (303, "/join")
    assert snapshot(engine, skip=("rate_counter", "auth_session")) == before


def test_participants_may_write_as_the_sessions_rule_says(
    session: Session, world: World, settings: Settings
) -> None:
    response = world.laptop.post(
        _url(world, "/notes/presence"),
        data={"field": "outcome"},
        headers={"X-CSRF-Token": csrf(world.laptop, settings)},
    )
    assert response.status_code == 204
    html = world.phone.get(_url(world)).text
    assert "Editing now: Ivo" in html


def test_a_block_of_another_event_or_not_a_plenary_is_not_found(
    session: Session, world: World, settings: Settings, owner: User
) -> None:
    lunch = add_plenary(
        session, world.event, owner, title="Lunch", kind=BlockKind.BREAK, starts=dt.time(12)
    )
    other = session.exec(select(Event).where(Event.name == "Other Lab")).one()
    other_owner = session.exec(select(User).where(User.email == "other@example.org")).one()
    theirs = add_plenary(session, other, other_owner, title="Their welcome")
    session.commit()
    for block in (lunch, theirs):
        url = f"/e/{world.event.slug}/plenaries/{block.id}/notes"
        response = world.phone.get(url)
        assert response.status_code == 404
        assert "There is no such plenary item in the programme." in unescape(response.text)
        saved = post(world.phone, settings, url, {"base_revision": "0", "outcome": "x"})
        assert saved.status_code == 404
    sync(session)
    assert session.exec(select(SessionNotes)).all() == []


def test_photo_upload_and_delete_come_back_to_the_plenary(
    session: Session, world: World, settings: Settings
) -> None:
    response = world.phone.post(
        _url(world, "/photos"),
        data={"caption": "Mentoring", "csrf_token": csrf(world.phone, settings)},
        files={"photo": ("wall.jpg", flipchart_jpeg(), "image/jpeg")},
        follow_redirects=False,
    )
    assert (response.status_code, response.headers["location"]) == (
        303,
        _url(world, "/notes#notes-photos"),
    )
    sync(session)
    photo = session.exec(select(Photo)).one()
    assert (photo.block_id, photo.topic_id, photo.caption) == (world.plenary.id, None, "Mentoring")
    assert f"/photos/{photo.id}/thumb" in world.laptop.get(_url(world)).text
    deleted = post(world.phone, settings, f"/e/{world.event.slug}/photos/{photo.id}/delete")
    assert (deleted.status_code, deleted.headers["location"]) == (
        303,
        _url(world, "/notes#notes-photos"),
    )
    sync(session)
    assert session.exec(select(Photo)).all() == []


def test_notes_index_lists_the_plenary_before_the_sessions(
    world: World, settings: Settings
) -> None:
    post(world.phone, settings, _url(world), {"base_revision": "0", "outcome": "Heard"})
    html = world.laptop.get(f"/e/{world.event.slug}/notes").text
    plenary = html.index(f'id="plenary-{world.plenary.id}"')
    assert plenary < html.index('id="session-')
    item = html[plenary : html.index("</li>", plenary)]
    assert f'href="{_url(world)}"' in item and "has notes" in item


def test_programme_links_plenaries_to_their_notes_and_asks_before_they_go(
    session: Session, world: World, settings: Settings
) -> None:
    slug, block_id = world.event.slug, world.plenary.id
    page = world.organiser.get(f"/o/{slug}/programme").text
    assert f'href="{_url(world)}" aria-label="Notes: Good practices"' in page
    post(world.phone, settings, _url(world), {"base_revision": "0", "outcome": "Kept"})
    url = f"/o/{slug}/blocks/{world.plenary.id}/delete"
    refused = post(world.organiser, settings, url)
    assert refused.status_code == 409
    assert field_error(refused.text, "delete_block") == (
        "This plenary item has notes or photos. Deleting it deletes them too."
    )
    assert 'name="with_notes" value="yes"' in refused.text
    sync(session)
    assert session.get(TimeBlock, world.plenary.id) is not None
    day = post(world.organiser, settings, f"/o/{slug}/days/{world.plenary.day_id}/delete")
    assert day.status_code == 409
    assert field_error(day.text, "delete_day") == (
        "A plenary item of this day has notes or photos. Delete that item first: "
        "you will be asked whether its notes may go."
    )
    done = post(world.organiser, settings, url, {"with_notes": "yes"})
    assert (done.status_code, done.headers["location"]) == (303, f"/o/{slug}/programme")
    sync(session)
    assert (session.get(TimeBlock, block_id), session.exec(select(SessionNotes)).all()) == (
        None,
        [],
    )
