"""The mapping workshop over HTTP: phones post and +1 cards, facilitators set maps up, cluster,
merge, hide and freeze; roles, CSRF-carrying forms, event scoping, and bad input that changes
nothing."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import Engine
from sqlmodel import Session, select

from app.config import Settings
from app.models.events import Event
from app.models.maps import Map, MapCard, MapCluster
from app.models.people import Participant, User
from app.services.access import EventAccess
from app.services.events import events
from app.services.maps import clustering, lookups, setup
from app.web import LANG_COOKIE
from tests.factories import csrf, field_error, login, make_event, make_user, post
from tests.maps_helpers import (
    card_rows,
    category_ids,
    category_names,
    new_map,
    place_ids,
    plus_ones,
)
from tests.marketplace_helpers import as_staff
from tests.routes.helpers import join, snapshot, sync

PAYLOAD = "<script>alert(1)</script>"
ESCAPED = "&lt;script&gt;alert(1)&lt;/script&gt;"


@pytest.fixture
def changes(app: FastAPI, monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """The events the live screens were told about."""
    calls: list[int] = []
    monkeypatch.setattr(app.state.hub, "changed", calls.append)
    return calls


@pytest.fixture
def staff(session: Session, event: Event, owner: User) -> EventAccess:
    return as_staff(session, event, owner)


@pytest.fixture
def the_map(session: Session, staff: EventAccess) -> Map:
    the_map = new_map(session, staff, places=("Sofia", "Varna"))
    session.commit()
    return the_map


@pytest.fixture
def phone(new_client: Callable[[], TestClient], settings: Settings, event: Event) -> TestClient:
    """Mira's phone, joined to the event."""
    browser = new_client()
    join(browser, settings, event, name="Mira")
    return browser


@pytest.fixture
def other_phone(
    new_client: Callable[[], TestClient], settings: Settings, event: Event
) -> TestClient:
    """Ivo's phone."""
    browser = new_client()
    join(browser, settings, event, name="Ivo")
    return browser


def _url(event: Event, the_map: Map, rest: str = "") -> str:
    return f"/e/{event.slug}/maps/{the_map.id}{rest}"


def _staff_url(event: Event, the_map: Map, rest: str = "") -> str:
    return f"/o/{event.slug}/maps/{the_map.id}{rest}"


def _post_card(
    phone: TestClient,
    settings: Settings,
    event: Event,
    the_map: Map,
    session: Session,
    text: str,
    category: int = 0,
) -> int:
    response = post(
        phone,
        settings,
        _url(event, the_map, "/cards"),
        {"text": text, "category": str(category_ids(session, the_map)[category])},
    )
    assert response.status_code == 303, response.text
    sync(session)
    card = session.exec(select(MapCard).where(MapCard.text == text)).one()
    return card.id or 0


def _participant(session: Session, name: str) -> Participant:
    sync(session)
    return session.exec(select(Participant).where(Participant.name == name)).one()


def _htmx(client: TestClient, settings: Settings) -> dict[str, str]:
    return {"HX-Request": "true", "X-CSRF-Token": csrf(client, settings)}


# --- phones ------------------------------------------------------------------------------


def test_phone_posts_a_card_and_the_live_screens_are_told(
    session: Session,
    settings: Settings,
    event: Event,
    the_map: Map,
    phone: TestClient,
    changes: list[int],
) -> None:
    varna = place_ids(session, the_map)[1]
    needs = category_ids(session, the_map)[2]
    response = post(
        phone,
        settings,
        _url(event, the_map, "/cards"),
        {"text": "  Evening classes ", "category": str(needs), "place": str(varna)},
    )
    assert (response.status_code, response.headers["location"]) == (
        303,
        _url(event, the_map, "#my-cards"),
    )
    assert card_rows(session, map_id=the_map.id or 0) == [
        ("Evening classes", needs, "active", None)
    ]
    assert changes == [event.id]
    card = session.exec(select(MapCard)).one()
    assert (card.place_id, card.participant_id) == (varna, _participant(session, "Mira").id)
    page = phone.get(_url(event, the_map)).text
    assert f'<div class="my-card" id="my-card-{card.id}">' in page
    assert re.search(
        rf'<article class="map-card" id="map-card-{card.id}" data-card="{card.id}">\s*'
        r'<p class="map-card-text" dir="auto">Evening classes</p>',
        page,
    )
    assert f'data-mine="{card.id}"' in page


@pytest.mark.parametrize(
    ("form", "field", "message"),
    [
        ({"text": "", "category": "FIRST"}, "text", "Write something on your card."),
        ({"text": "x" * 281, "category": "FIRST"}, "text", "Use at most 280 characters."),
        ({"text": "Jobs"}, "category", "Choose one of this map's categories."),
        ({"text": "Jobs", "category": "abc"}, "category", "Choose one of this map's categories."),
        ({"text": "Jobs", "category": "OTHER"}, "category", "Choose one of this map's categories."),
        ({"text": "Jobs", "category": "-4"}, "category", "Choose one of this map's categories."),
        (
            {"text": "Jobs", "category": "FIRST", "place": "OTHER_PLACE"},
            "place",
            "Choose one of this map's places.",
        ),
    ],
)
def test_bad_card_gets_a_message_next_to_the_field_and_changes_nothing(
    session: Session,
    engine: Engine,
    settings: Settings,
    event: Event,
    staff: EventAccess,
    the_map: Map,
    phone: TestClient,
    changes: list[int],
    form: dict[str, str],
    field: str,
    message: str,
) -> None:
    other = new_map(session, staff, places=("Ruse",))
    session.commit()
    values = {
        "FIRST": str(category_ids(session, the_map)[0]),
        "OTHER": str(category_ids(session, other)[0]),
        "OTHER_PLACE": str(place_ids(session, other)[0]),
    }
    data = {key: values.get(value, value) for key, value in form.items()}
    before = snapshot(engine)

    response = post(phone, settings, _url(event, the_map, "/cards"), data)

    assert response.status_code == 422
    assert field_error(response.text, field) == message
    assert snapshot(engine) == before
    assert changes == []
    if data["text"]:
        assert f">{data['text']}</textarea>" in response.text  # what was typed is kept


def test_frozen_map_refuses_new_cards_and_plus_ones_with_a_clear_message(
    session: Session,
    engine: Engine,
    settings: Settings,
    event: Event,
    staff: EventAccess,
    the_map: Map,
    phone: TestClient,
    other_phone: TestClient,
) -> None:
    card_id = _post_card(phone, settings, event, the_map, session, "Volunteers")
    setup.set_frozen(session, access=staff, map_id=the_map.id or 0, frozen=True)
    session.commit()
    before = snapshot(engine)
    closed = "This map is closed: cards can no longer be added or changed."
    attempts = [
        (phone, _url(event, the_map, "/cards"), {"text": "Late", "category": "1"}),
        (phone, f"/e/{event.slug}/cards/{card_id}/edit", {"text": "New", "category": "1"}),
        (phone, f"/e/{event.slug}/cards/{card_id}/delete", {}),
        (other_phone, f"/e/{event.slug}/cards/{card_id}/plus", {}),
    ]
    for client, url, data in attempts:
        response = post(client, settings, url, data)
        assert (response.status_code, closed in response.text) == (409, True), url
    assert snapshot(engine) == before
    page = phone.get(_url(event, the_map)).text
    assert 'id="map-closed"' in page
    assert 'id="post-card"' not in page
    assert f"/cards/{card_id}/plus" not in page


def test_only_the_author_edits_or_deletes_a_card(
    session: Session,
    settings: Settings,
    event: Event,
    the_map: Map,
    phone: TestClient,
    other_phone: TestClient,
    organiser: TestClient,
) -> None:
    card_id = _post_card(phone, settings, event, the_map, session, "Volunteers")
    category = str(category_ids(session, the_map)[1])
    for client in (other_phone, organiser):
        assert client.get(f"/e/{event.slug}/cards/{card_id}/edit").status_code == 403
        edit = post(client, settings, f"/e/{event.slug}/cards/{card_id}/edit", {"text": "Mine"})
        assert edit.status_code == 403
        assert post(client, settings, f"/e/{event.slug}/cards/{card_id}/delete").status_code == 403
    form = phone.get(f"/e/{event.slug}/cards/{card_id}/edit")
    assert form.status_code == 200
    assert ">Volunteers</textarea>" in form.text

    edit = post(
        phone,
        settings,
        f"/e/{event.slug}/cards/{card_id}/edit",
        {"text": "Volunteer burnout", "category": category},
    )
    assert (edit.status_code, edit.headers["location"]) == (303, _url(event, the_map, "#my-cards"))
    assert card_rows(session, map_id=the_map.id or 0) == [
        ("Volunteer burnout", int(category), "active", None)
    ]
    bad = post(phone, settings, f"/e/{event.slug}/cards/{card_id}/edit", {"text": ""})
    assert (bad.status_code, field_error(bad.text, "text")) == (
        422,
        "Write something on your card.",
    )
    deleted = post(phone, settings, f"/e/{event.slug}/cards/{card_id}/delete")
    assert (deleted.status_code, deleted.headers["location"]) == (
        303,
        _url(event, the_map, "#my-cards"),
    )
    assert card_rows(session, map_id=the_map.id or 0) == []


def test_plus_one_once_by_htmx_or_form(
    session: Session,
    settings: Settings,
    event: Event,
    the_map: Map,
    phone: TestClient,
    other_phone: TestClient,
    changes: list[int],
) -> None:
    card_id = _post_card(phone, settings, event, the_map, session, "Volunteers")
    changes.clear()
    url = f"/e/{event.slug}/cards/{card_id}/plus"
    for _attempt in range(2):  # a double tap counts once
        response = other_phone.post(url, headers=_htmx(other_phone, settings))
        assert response.status_code == 200
        assert f'<div id="my-map-plus" hidden hx-swap-oob="true" data-plus="{card_id}">' in (
            response.text
        )
        assert "+1 given." in response.text
        assert response.headers["vary"] == "HX-Request, Cookie"
    ivo = _participant(session, "Ivo")
    assert plus_ones(session, card_id=card_id) == [ivo.id]
    page = other_phone.get(_url(event, the_map)).text
    assert f'data-plus="{card_id}"' in page
    assert '<span class="plus-count" aria-label="1 supporter">+1</span>' in page
    assert changes == [event.id, event.id]

    back = post(other_phone, settings, f"/e/{event.slug}/cards/{card_id}/unplus")
    assert (back.status_code, back.headers["location"]) == (
        303,
        _url(event, the_map, f"#map-card-{card_id}"),
    )
    sync(session)
    assert plus_ones(session, card_id=card_id) == []
    own = phone.post(url, headers=_htmx(phone, settings))
    assert own.status_code == 409
    assert "This is your own card: +1 other people&#39;s cards." in own.text
    assert own.text.startswith('<p id="flash"')


def test_phone_asks_for_its_own_plus_ones(
    session: Session,
    settings: Settings,
    event: Event,
    the_map: Map,
    phone: TestClient,
    other_phone: TestClient,
    organiser: TestClient,
) -> None:
    card_id = _post_card(phone, settings, event, the_map, session, "Volunteers")
    assert post(other_phone, settings, f"/e/{event.slug}/cards/{card_id}/plus").status_code == 303
    response = other_phone.get(_url(event, the_map, "/mine"))
    assert response.text.strip() == (
        f'<div id="my-map-plus" hidden hx-swap-oob="true" data-plus="{card_id}"></div>'
    )
    assert phone.get(_url(event, the_map, "/mine")).text.count('data-plus=""') == 1
    assert organiser.get(_url(event, the_map, "/mine")).status_code == 403


def test_map_links_lead_staff_and_strangers_to_their_pages(
    event: Event,
    the_map: Map,
    organiser: TestClient,
    new_client: Callable[[], TestClient],
) -> None:
    stranger = new_client()
    for url, staff_url in (
        (f"/e/{event.slug}/maps", f"/o/{event.slug}/maps"),
        (_url(event, the_map), _staff_url(event, the_map)),
    ):
        response = organiser.get(url, follow_redirects=False)
        assert (response.status_code, response.headers["location"]) == (303, staff_url)
        response = stranger.get(url, follow_redirects=False)
        assert (response.status_code, response.headers["location"]) == (303, "/join")


def test_phone_list_and_home_link(
    session: Session,
    settings: Settings,
    event: Event,
    staff: EventAccess,
    the_map: Map,
    phone: TestClient,
) -> None:
    listing = phone.get(f"/e/{event.slug}/maps").text
    assert f'href="/e/{event.slug}/maps/{the_map.id}" id="phone-map-link-{the_map.id}"' in listing
    home = phone.get(f"/e/{event.slug}").text
    assert re.search(r'<section id="phone-map-link" [^>]*>\s*</section>', home)
    setup.show_on_board(session, access=staff, map_id=the_map.id or 0)
    session.commit()
    home = phone.get(f"/e/{event.slug}").text
    assert f'<a class="card map-callout" href="/e/{event.slug}/maps/{the_map.id}">' in home
    assert "Add your cards" in home
    # The home page links to the map; only the map's own page lists its cards.
    assert f'id="phone-map-{the_map.id}"' not in home


# --- the facilitator ---------------------------------------------------------------------


def test_facilitator_creates_and_sets_up_a_map(
    session: Session,
    settings: Settings,
    event: Event,
    organiser: TestClient,
    changes: list[int],
) -> None:
    slug = event.slug
    bad = post(organiser, settings, f"/o/{slug}/maps", {"question": " "})
    assert (bad.status_code, field_error(bad.text, "question")) == (422, "Ask the map's question.")
    response = post(
        organiser, settings, f"/o/{slug}/maps", {"question": "Where next?", "uses_places": "true"}
    )
    sync(session)
    the_map = session.exec(select(Map)).one()
    assert (response.status_code, response.headers["location"]) == (
        303,
        f"/o/{slug}/maps/{the_map.id}",
    )
    assert (the_map.question, the_map.uses_places, the_map.uses_org_type) == (
        "Where next?",
        True,
        False,
    )
    base = _staff_url(event, the_map)
    assert post(organiser, settings, f"{base}/places", {"name": "Plovdiv"}).status_code == 303
    bad_category = post(organiser, settings, f"{base}/categories", {"name": "", "colour": "red"})
    assert bad_category.status_code == 422
    assert field_error(bad_category.text, "name") == "Give the category a name."
    assert field_error(bad_category.text, "colour") == "Choose one of the listed colours."
    added = post(organiser, settings, f"{base}/categories", {"name": "Risks", "colour": "#9d0208"})
    assert added.status_code == 303
    bad_settings = post(
        organiser,
        settings,
        f"{base}/settings",
        {"question": "Where next?", "layout": "matrix"},
    )
    assert field_error(bad_settings.text, "layout") == (
        "The matrix needs places: let cards carry a place first."
    )
    good = post(
        organiser,
        settings,
        f"{base}/settings",
        {"question": "Where now?", "layout": "matrix", "uses_places": "true"},
    )
    assert good.status_code == 303
    sync(session)
    stored = session.get(Map, the_map.id)
    assert stored is not None and (stored.question, stored.layout) == ("Where now?", "matrix")
    assert [name for name, _colour in category_names(session, map_id=the_map.id or 0)] == [
        "Opportunities",
        "Initiatives",
        "Needs",
        "Risks",
    ]
    assert changes == [event.id] * 4  # the map, the place, the category and the settings


def test_categories_and_places_are_edited_from_the_map_page(
    session: Session, settings: Settings, event: Event, the_map: Map, organiser: TestClient
) -> None:
    first, second, third = category_ids(session, the_map)
    sofia, varna = place_ids(session, the_map)
    slug = event.slug
    calls = [
        (f"/o/{slug}/map-categories/{first}", {"name": "Chances", "colour": "#ffd166"}),
        (f"/o/{slug}/map-categories/{third}/move", {"offset": "-1"}),
        (f"/o/{slug}/map-categories/{second}/delete", {}),
        (f"/o/{slug}/map-places/{varna}", {"name": "Varna region"}),
        (f"/o/{slug}/map-places/{varna}/move", {"offset": "-1"}),
        (f"/o/{slug}/map-places/{sofia}/delete", {}),
    ]
    for url, data in calls:
        response = post(organiser, settings, url, data)
        assert response.status_code == 303, (url, response.text[:300])
        assert response.headers["location"].startswith(_staff_url(event, the_map, "#"))
    assert category_names(session, map_id=the_map.id or 0) == [
        ("Chances", "#ffd166"),
        ("Needs", "#f4a261"),
    ]
    assert [place.name for place in lookups.places(session, map_id=the_map.id or 0)] == [
        "Varna region"
    ]
    bad = post(organiser, settings, f"/o/{slug}/map-places/{varna}", {"name": ""})
    assert (bad.status_code, field_error(bad.text, "name")) == (422, "Give the place a name.")


def test_clustering_by_the_keyboard_path_with_and_without_htmx(
    session: Session,
    settings: Settings,
    event: Event,
    the_map: Map,
    phone: TestClient,
    organiser: TestClient,
    changes: list[int],
) -> None:
    first = _post_card(phone, settings, event, the_map, session, "Volunteers")
    second = _post_card(phone, settings, event, the_map, session, "Students")
    category = category_ids(session, the_map)[0]
    changes.clear()
    move = _staff_url(event, the_map, "/move")

    plain = post(
        organiser,
        settings,
        move,
        {"card": str(first), "target": f"new:{category}", "name": "People"},
    )
    assert (plain.status_code, plain.headers["location"]) == (
        303,
        _staff_url(event, the_map, f"#work-card-{first}"),
    )
    sync(session)
    cluster = session.exec(select(MapCluster)).one()
    htmx = organiser.post(
        move,
        data={"card": str(second), "target": f"cluster:{cluster.id}"},
        headers=_htmx(organiser, settings),
    )
    assert htmx.status_code == 200
    assert htmx.text.startswith('<div id="map-work" class="map-work"')
    assert "Card moved." in htmx.text
    assert re.search(
        rf'id="work-cluster-{cluster.id}".*id="work-card-{first}".*id="work-card-{second}"',
        htmx.text,
        re.DOTALL,
    )
    assert card_rows(session, map_id=the_map.id or 0) == [
        ("Volunteers", category, "active", cluster.id),
        ("Students", category, "active", cluster.id),
    ]
    assert changes == [event.id, event.id]

    nothing = post(organiser, settings, move, {"target": f"category:{category}"})
    assert (nothing.status_code, field_error(nothing.text, "card")) == (
        422,
        "Select a card first, then where it goes.",
    )
    nowhere = organiser.post(
        move, data={"card": str(first), "target": "cluster:999"}, headers=_htmx(organiser, settings)
    )
    assert nowhere.status_code == 422
    assert "Choose a cluster or category of this map." in nowhere.text
    assert nowhere.text.startswith('<div id="map-work"')
    renamed = organiser.post(
        f"/o/{event.slug}/map-clusters/{cluster.id}",
        data={"name": "Young people"},
        headers=_htmx(organiser, settings),
    )
    assert (renamed.status_code, 'value="Young people"' in renamed.text) == (200, True)
    dissolved = post(organiser, settings, f"/o/{event.slug}/map-clusters/{cluster.id}/delete")
    assert dissolved.status_code == 303
    assert [row[3] for row in card_rows(session, map_id=the_map.id or 0)] == [None, None]
    assert changes == [event.id] * 4


def test_merge_hide_and_unhide_from_the_card_page(
    session: Session,
    settings: Settings,
    event: Event,
    the_map: Map,
    phone: TestClient,
    other_phone: TestClient,
    organiser: TestClient,
) -> None:
    kept = _post_card(phone, settings, event, the_map, session, "Housing")
    duplicate = _post_card(other_phone, settings, event, the_map, session, "Flats")
    spam = _post_card(other_phone, settings, event, the_map, session, "Buy watches")
    page = organiser.get(f"/o/{event.slug}/cards/{duplicate}").text
    assert "Ivo" in page  # the facilitator sees who wrote it
    assert f'<option value="{kept}">Housing</option>' in page

    bad = post(organiser, settings, f"/o/{event.slug}/cards/{duplicate}/merge", {"target": "x"})
    assert (bad.status_code, field_error(bad.text, "target")) == (
        422,
        "Choose a card of the same map.",
    )
    merged = post(
        organiser, settings, f"/o/{event.slug}/cards/{duplicate}/merge", {"target": str(kept)}
    )
    assert (merged.status_code, merged.headers["location"]) == (
        303,
        _staff_url(event, the_map, f"#work-card-{kept}"),
    )
    # Ivo wrote the duplicate: he now supports the kept card.
    sync(session)
    assert plus_ones(session, card_id=kept) == [_participant(session, "Ivo").id]

    no_reason = post(organiser, settings, f"/o/{event.slug}/cards/{spam}/hide", {"reason": ""})
    assert (no_reason.status_code, field_error(no_reason.text, "reason")) == (
        422,
        "Say why, for the record.",
    )
    hidden = post(organiser, settings, f"/o/{event.slug}/cards/{spam}/hide", {"reason": "spam"})
    assert hidden.status_code == 303
    staff_page = organiser.get(_staff_url(event, the_map)).text
    assert (
        f'<li id="hidden-card-{spam}"><bdi>Buy watches</bdi> <span class="muted">(spam)</span>'
        in (staff_page)
    )
    assert "Buy watches" not in phone.get(_url(event, the_map)).text.split('id="phone-map-')[1]
    assert "hidden by the facilitator" in other_phone.get(_url(event, the_map)).text
    assert post(organiser, settings, f"/o/{event.slug}/cards/{spam}/unhide").status_code == 303
    assert [row[:1] + row[2:3] for row in card_rows(session, map_id=the_map.id or 0)] == [
        ("Housing", "active"),
        ("Flats", "merged"),
        ("Buy watches", "active"),
    ]


def test_board_freeze_and_delete_controls(
    session: Session,
    settings: Settings,
    event: Event,
    staff: EventAccess,
    the_map: Map,
    phone: TestClient,
    organiser: TestClient,
    client: TestClient,
) -> None:
    board_url = events.board_path(event, settings.secret)
    assert 'class="board-map" aria-label="Map"' in organiser.get(board_url).text
    card_id = _post_card(phone, settings, event, the_map, session, "Volunteers")
    assert post(organiser, settings, _staff_url(event, the_map, "/board")).status_code == 303
    board = organiser.get(board_url).text
    assert 'class="board-map active"' in board
    assert f'id="board-card-{card_id}"' in board
    assert (
        '<h2 class="board-map-question" dir="auto">What do we have, and what do we need?</h2>'
        in board
    )
    assert 'id="board-topics"' in board  # still there, hidden by the stylesheet while a map shows

    assert post(organiser, settings, _staff_url(event, the_map, "/freeze")).status_code == 303
    assert "closed" in organiser.get(board_url).text.split('id="board-map"')[1]
    assert post(organiser, settings, _staff_url(event, the_map, "/unfreeze")).status_code == 303
    assert post(organiser, settings, _staff_url(event, the_map, "/unboard")).status_code == 303
    assert 'class="board-map active"' not in organiser.get(board_url).text
    sync(session)
    stored = session.get(Map, the_map.id)
    assert stored is not None and (stored.frozen, stored.on_board) == (False, False)

    refused = post(organiser, settings, _staff_url(event, the_map, "/delete"))
    assert refused.status_code == 409
    assert "This map has cards and cannot be deleted. Freeze it instead." in refused.text
    empty = new_map(session, staff, question="Empty")
    session.commit()
    deleted = post(organiser, settings, _staff_url(event, empty, "/delete"))
    assert (deleted.status_code, deleted.headers["location"]) == (303, f"/o/{event.slug}/maps")
    sync(session)
    assert [m.question for m in session.exec(select(Map)).all()] == [the_map.question]


def test_facilitator_types_in_a_paper_card_even_when_frozen(
    session: Session,
    settings: Settings,
    event: Event,
    staff: EventAccess,
    the_map: Map,
    organiser: TestClient,
) -> None:
    setup.set_frozen(session, access=staff, map_id=the_map.id or 0, frozen=True)
    session.commit()
    needs = category_ids(session, the_map)[2]
    bad = post(organiser, settings, _staff_url(event, the_map, "/cards"), {"text": "x" * 300})
    assert bad.status_code == 422
    assert field_error(bad.text, "text") == "Use at most 280 characters."
    assert field_error(bad.text, "category") == "Choose one of this map's categories."
    response = post(
        organiser,
        settings,
        _staff_url(event, the_map, "/cards"),
        {"text": "From the wall", "category": str(needs)},
    )
    assert response.status_code == 303
    sync(session)
    card = session.exec(select(MapCard)).one()
    assert (card.text, card.participant_id, card.entered_by_user) == (
        "From the wall",
        None,
        staff.user.id,  # type: ignore[union-attr]
    )


def test_summary_and_csv_download(
    session: Session,
    settings: Settings,
    event: Event,
    the_map: Map,
    phone: TestClient,
    organiser: TestClient,
) -> None:
    _post_card(phone, settings, event, the_map, session, "=1+1", category=2)
    _post_card(phone, settings, event, the_map, session, "Housing", category=2)
    summary = organiser.get(_staff_url(event, the_map, "/summary"))
    assert summary.status_code == 200
    assert re.search(
        r'<tr><th scope="row">Needs</th><td class="num">2</td><td class="num">0</td>'
        r'<td class="num">0</td></tr>',
        summary.text,
    )
    response = organiser.get(_staff_url(event, the_map, "/cards.csv"))
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/csv; charset=utf-8"
    assert response.headers["content-disposition"] == (
        f'attachment; filename="{event.slug}-map-{the_map.id}-cards.csv"'
    )
    assert response.text.startswith("\ufeffCard,Category,")
    rows = list(csv.reader(io.StringIO(response.text.lstrip("\ufeff"))))
    assert [row[5] for row in rows[1:]] == ["'=1+1", "Housing"]


# --- who may do what, and where ----------------------------------------------------------


def test_staff_pages_refuse_participants_strangers_and_other_organisers(
    session: Session,
    settings: Settings,
    event: Event,
    the_map: Map,
    phone: TestClient,
    new_client: Callable[[], TestClient],
    engine: Engine,
) -> None:
    card_id = _post_card(phone, settings, event, the_map, session, "Volunteers")
    stranger = new_client()
    stranger.get("/")
    outsider_user = make_user(session, email="elsewhere@example.org")
    session.commit()
    outsider = new_client()
    login(outsider, settings, outsider_user)
    pages = [
        f"/o/{event.slug}/maps",
        _staff_url(event, the_map),
        _staff_url(event, the_map, "/summary"),
        _staff_url(event, the_map, "/cards.csv"),
        f"/o/{event.slug}/cards/{card_id}",
    ]
    for url in pages:
        assert phone.get(url).status_code == 403, url
        assert outsider.get(url).status_code == 403, url
        redirect = stranger.get(url, follow_redirects=False)
        assert (redirect.status_code, redirect.headers["location"]) == (303, f"/login?next={url}")
    before = snapshot(engine)
    writes = [
        (_staff_url(event, the_map, "/board"), {}),
        (_staff_url(event, the_map, "/freeze"), {}),
        (_staff_url(event, the_map, "/move"), {"card": str(card_id), "target": "new:1"}),
        (f"/o/{event.slug}/cards/{card_id}/hide", {"reason": "mine"}),
        (f"/o/{event.slug}/maps", {"question": "Mine"}),
    ]
    for url, data in writes:
        assert post(phone, settings, url, data).status_code == 403, url
        assert post(outsider, settings, url, data).status_code == 403, url
        assert post(stranger, settings, url, data).status_code == 401, url
    assert snapshot(engine) == before


def test_everything_is_scoped_to_its_event(
    session: Session,
    settings: Settings,
    event: Event,
    owner: User,
    the_map: Map,
    phone: TestClient,
    organiser: TestClient,
    new_client: Callable[[], TestClient],
    engine: Engine,
) -> None:
    card_id = _post_card(phone, settings, event, the_map, session, "Volunteers")
    other = make_event(session, owner=owner, name="Lab Varna")
    other_map = new_map(session, as_staff(session, other, owner))
    session.commit()
    their_phone = new_client()
    join(their_phone, settings, other, name="Vera")
    first = category_ids(session, the_map)[0]
    before = snapshot(engine)
    o, e = f"/o/{other.slug}", f"/e/{other.slug}"
    for url in (f"{o}/maps/{the_map.id}", f"{o}/cards/{card_id}", f"{o}/maps/{the_map.id}/summary"):
        assert organiser.get(url).status_code == 404, url
    assert their_phone.get(f"{e}/maps/{the_map.id}").status_code == 404
    attempts = [
        (organiser, f"{o}/cards/{card_id}/hide", {"reason": "x"}),
        (
            organiser,
            f"{o}/maps/{other_map.id}/move",
            {"card": str(card_id), "target": f"category:{first}"},
        ),
        (organiser, f"{o}/map-categories/{first}", {"name": "Mine", "colour": "#ffd166"}),
        (their_phone, f"{e}/cards/{card_id}/plus", {}),
        (their_phone, f"{e}/maps/{the_map.id}/cards", {"text": "Hi", "category": str(first)}),
    ]
    for client, url, data in attempts:
        assert post(client, settings, url, data).status_code == 404, url
    # A category of another event's map is refused next to the field, not stored.
    wrong = post(
        their_phone,
        settings,
        f"{e}/maps/{other_map.id}/cards",
        {"text": "Hi", "category": str(first)},
    )
    assert (wrong.status_code, field_error(wrong.text, "category")) == (
        422,
        "Choose one of this map's categories.",
    )
    # Mira has not joined the other event: its map's address asks her for its code.
    elsewhere = phone.get(f"{e}/maps/{other_map.id}", follow_redirects=False)
    assert (elsewhere.status_code, elsewhere.headers["location"]) == (303, "/join")
    assert (
        post(phone, settings, f"{e}/maps/{other_map.id}/cards", {"text": "Hi"}).status_code == 403
    )
    assert snapshot(engine) == before


def test_user_text_on_map_pages_is_escaped(
    session: Session,
    settings: Settings,
    event: Event,
    staff: EventAccess,
    phone: TestClient,
    organiser: TestClient,
) -> None:
    sync(session)  # the phone joined since this session last read
    the_map = new_map(session, staff, question=PAYLOAD, places=(PAYLOAD,))
    setup.add_category(
        session, access=staff, map_id=the_map.id or 0, name=PAYLOAD, colour="#ffd166"
    )
    setup.show_on_board(session, access=staff, map_id=the_map.id or 0)
    session.commit()
    category = category_ids(session, the_map)[3]
    response = post(
        phone,
        settings,
        _url(event, the_map, "/cards"),
        {"text": PAYLOAD, "category": str(category), "place": str(place_ids(session, the_map)[0])},
    )
    assert response.status_code == 303
    sync(session)
    card = session.exec(select(MapCard)).one()
    clustering.move_card(
        session, access=staff, card_id=card.id or 0, target=f"new:{category}", name=PAYLOAD
    )
    session.commit()
    pages = [
        (organiser, f"/o/{event.slug}/maps"),
        (organiser, _staff_url(event, the_map)),
        (organiser, _staff_url(event, the_map, "/summary")),
        (organiser, f"/o/{event.slug}/cards/{card.id}"),
        (organiser, events.board_path(event, settings.secret)),
        (phone, f"/e/{event.slug}"),
        (phone, f"/e/{event.slug}/maps"),
        (phone, _url(event, the_map)),
        (phone, f"/e/{event.slug}/cards/{card.id}/edit"),
    ]
    for client, url in pages:
        html = client.get(url).text
        assert PAYLOAD not in html, url
        assert ESCAPED in html, url


def test_map_pages_speak_bulgarian(
    session: Session, settings: Settings, event: Event, the_map: Map, phone: TestClient
) -> None:
    phone.cookies.set(LANG_COOKIE, "bg")
    page = phone.get(_url(event, the_map)).text
    assert "<h2>Добавете картичка</h2>" in page
    assert "Публикувай картичката" in page
    bad = post(phone, settings, _url(event, the_map, "/cards"), {"text": ""})
    assert field_error(bad.text, "text") == "Напишете нещо на картичката си."
