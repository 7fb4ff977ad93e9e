"""The mapping workshop without HTTP: maps, categories, places, cards, +1s, clusters, merges,
hiding, freezing, the board's view, report tables and exports."""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
import threading
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine
from sqlalchemy import event as sa_event
from sqlmodel import Session, select

from app.config import Settings
from app.db import open_session
from app.errors import Conflict, Invalid, NotFound, PermissionDenied
from app.i18n import use_locale
from app.models.events import Event, EventCreate
from app.models.maps import CardStatus, Map, MapCard, MapCategory, MapCluster
from app.models.people import User
from app.services import live
from app.services.access import EventAccess
from app.services.events import events
from app.services.maps import cards as maps_cards
from app.services.maps import clustering, colours, export, setup, views
from tests.factories import access_as, make_event, make_participant
from tests.maps_helpers import (
    card_rows,
    category_ids,
    category_names,
    new_map,
    place_ids,
    place_names,
    plus_ones,
)
from tests.marketplace_helpers import as_participant, as_staff, make_facilitator

CLOSED = re.escape("This map is closed: cards can no longer be added or changed.")
NO_ACCESS = "You do not have access to this page."
DEFAULTS_EN = [("Opportunities", "#7bd389"), ("Initiatives", "#8ecae6"), ("Needs", "#f4a261")]


@pytest.fixture
def the_map(session: Session, staff: EventAccess) -> Map:
    return new_map(session, staff, places=("Sofia", "Varna"))


def _pid(access: EventAccess) -> int:
    assert access.participant is not None and access.participant.id is not None
    return access.participant.id


def _post(
    session: Session,
    access: EventAccess,
    the_map: Map,
    text: str,
    *,
    category: int = 0,
    place: int | None = None,
) -> MapCard:
    return maps_cards.post_card(
        session,
        access=access,
        map_id=the_map.id or 0,
        text=text,
        category_id=category_ids(session, the_map)[category],
        place_id=place,
    )


def _invalid(error: pytest.ExceptionInfo[Invalid]) -> dict[str, str]:
    return error.value.errors


# --- maps --------------------------------------------------------------------------------


def test_create_map_has_default_categories_in_the_events_main_language(
    session: Session, owner: User, staff: EventAccess
) -> None:
    english = new_map(session, staff, question="  Where   are we? ")
    bulgarian_event = events.create_event(
        session,
        owner=owner,
        data=EventCreate(
            name="Лаборатория",
            slug="lab-bg",
            languages=["bg", "en"],
            timezone="Europe/Sofia",
            first_day=dt.date(2026, 6, 9),
        ),
    )
    # The facilitator's own interface language does not matter: the event's does.
    with use_locale("en"):
        bulgarian = new_map(session, as_staff(session, bulgarian_event, owner))

    assert (english.question, english.uses_places, english.frozen, english.on_board) == (
        "Where are we?",
        False,
        False,
        False,
    )
    assert category_names(session, map_id=english.id or 0) == DEFAULTS_EN
    assert category_names(session, map_id=bulgarian.id or 0) == [
        ("Възможности", "#7bd389"),
        ("Инициативи", "#8ecae6"),
        ("Нужди", "#f4a261"),
    ]


@pytest.mark.parametrize(
    ("question", "message"),
    [("  ", "Ask the map's question."), ("x" * 201, "Use at most 200 characters.")],
)
def test_create_map_with_bad_question_changes_nothing(
    session: Session, staff: EventAccess, question: str, message: str
) -> None:
    with pytest.raises(Invalid) as error:
        setup.create_map(session, access=staff, question=question)
    assert _invalid(error) == {"question": message}
    session.rollback()
    assert session.exec(select(Map)).all() == []


def test_create_map_is_staff_only_and_limited(
    session: Session, staff: EventAccess, mira: EventAccess, monkeypatch: pytest.MonkeyPatch
) -> None:
    with pytest.raises(PermissionDenied, match=NO_ACCESS):
        setup.create_map(session, access=mira, question="Mine?")
    monkeypatch.setattr(setup, "MAX_MAPS_PER_EVENT", 2)
    new_map(session, staff)
    new_map(session, staff)
    with pytest.raises(Invalid) as error:
        new_map(session, staff)
    assert _invalid(error) == {"question": "This event has reached its limit of maps."}


def test_facilitator_can_run_maps(
    session: Session, event: Event, owner: User, staff: EventAccess
) -> None:
    facilitator = as_staff(session, event, make_facilitator(session, event, owner))
    the_map = new_map(session, facilitator)
    assert setup.staff_map(session, access=facilitator, map_id=the_map.id or 0).id == the_map.id


def test_update_map_matrix_needs_places(session: Session, staff: EventAccess, the_map: Map) -> None:
    with pytest.raises(Invalid) as error:
        setup.update_map(
            session,
            access=staff,
            map_id=the_map.id or 0,
            question="",
            uses_places=False,
            uses_org_type=True,
            layout="matrix",
        )
    assert _invalid(error) == {
        "question": "Ask the map's question.",
        "layout": "The matrix needs places: let cards carry a place first.",
    }
    with pytest.raises(Invalid) as error:
        setup.update_map(
            session,
            access=staff,
            map_id=the_map.id or 0,
            question="Q",
            uses_places=True,
            uses_org_type=False,
            layout="spiral",
        )
    assert _invalid(error) == {"layout": "Choose one of the listed layouts."}
    session.rollback()
    updated = setup.update_map(
        session,
        access=staff,
        map_id=the_map.id or 0,
        question="Where?",
        uses_places=True,
        uses_org_type=True,
        layout="matrix",
    )
    assert (updated.question, updated.uses_places, updated.uses_org_type, updated.layout) == (
        "Where?",
        True,
        True,
        "matrix",
    )


def test_map_of_another_event_is_not_found(
    session: Session, staff: EventAccess, the_map: Map, owner: User
) -> None:
    other = as_staff(session, make_event(session, owner=owner), owner)
    with pytest.raises(NotFound, match=re.escape("There is no such map.")):
        setup.staff_map(session, access=other, map_id=the_map.id or 0)
    with pytest.raises(NotFound):
        setup.set_frozen(session, access=other, map_id=the_map.id or 0, frozen=True)
    for junk in (0, -1, 2**31, 10**20):
        with pytest.raises(NotFound):
            setup.staff_map(session, access=staff, map_id=junk)


def test_delete_map_only_without_cards(
    session: Session, staff: EventAccess, mira: EventAccess, the_map: Map
) -> None:
    empty = new_map(session, staff)
    setup.delete_map(session, access=staff, map_id=empty.id or 0)
    _post(session, mira, the_map, "Volunteers")
    with pytest.raises(Conflict, match="Freeze it instead"):
        setup.delete_map(session, access=staff, map_id=the_map.id or 0)
    session.expire_all()
    assert [m.id for m in session.exec(select(Map)).all()] == [the_map.id]


def test_only_one_map_is_on_the_board(
    session: Session, staff: EventAccess, the_map: Map, event: Event
) -> None:
    second = new_map(session, staff, question="Second")
    assert views.board_state(session, event_id=event.id or 0) is None
    setup.show_on_board(session, access=staff, map_id=the_map.id or 0)
    setup.show_on_board(session, access=staff, map_id=second.id or 0)
    session.expire_all()
    assert [(m.id, m.on_board) for m in session.exec(select(Map).order_by(Map.id)).all()] == [  # type: ignore[arg-type]
        (the_map.id, False),
        (second.id, True),
    ]
    board = views.board_state(session, event_id=event.id or 0)
    assert board is not None and board.question == "Second"
    setup.take_off_board(session, access=staff)
    assert views.board_state(session, event_id=event.id or 0) is None


# --- categories and places ---------------------------------------------------------------


def test_categories_added_renamed_reordered_and_deleted(
    session: Session, staff: EventAccess, the_map: Map
) -> None:
    map_id = the_map.id or 0
    added = setup.add_category(
        session, access=staff, map_id=map_id, name=" Risks ", colour="#9D0208"
    )
    opportunities = category_ids(session, the_map)[0]
    setup.update_category(
        session, access=staff, category_id=opportunities, name="Chances", colour="#ffd166"
    )
    setup.move_category(session, access=staff, category_id=added.id or 0, offset=-1)
    setup.move_category(session, access=staff, category_id=opportunities, offset=5)  # = one step
    assert category_names(session, map_id=map_id) == [
        ("Initiatives", "#8ecae6"),
        ("Chances", "#ffd166"),
        ("Risks", "#9d0208"),
        ("Needs", "#f4a261"),
    ]
    setup.delete_category(session, access=staff, category_id=added.id or 0)
    assert [name for name, _colour in category_names(session, map_id=map_id)] == [
        "Initiatives",
        "Chances",
        "Needs",
    ]


@pytest.mark.parametrize(
    ("name", "colour", "errors"),
    [
        (
            "",
            "#123456",
            {"name": "Give the category a name.", "colour": "Choose one of the listed colours."},
        ),
        ("x" * 61, "#ffd166", {"name": "Use at most 60 characters."}),
        ("Risks", "red", {"colour": "Choose one of the listed colours."}),
        ("Risks", "#ffd16", {"colour": "Choose one of the listed colours."}),
        ("Risks", "#ffd166; background: url(x)", {"colour": "Choose one of the listed colours."}),
    ],
)
def test_bad_category_changes_nothing(
    session: Session,
    staff: EventAccess,
    the_map: Map,
    name: str,
    colour: str,
    errors: dict[str, str],
) -> None:
    map_id = the_map.id or 0
    with pytest.raises(Invalid) as error:
        setup.add_category(session, access=staff, map_id=map_id, name=name, colour=colour)
    assert _invalid(error) == errors
    first = category_ids(session, the_map)[0]
    with pytest.raises(Invalid) as error:
        setup.update_category(session, access=staff, category_id=first, name=name, colour=colour)
    assert _invalid(error) == errors
    session.rollback()
    assert category_names(session, map_id=map_id) == DEFAULTS_EN


def test_categories_are_limited(
    session: Session, staff: EventAccess, the_map: Map, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(setup, "MAX_CATEGORIES", 4)
    setup.add_category(
        session, access=staff, map_id=the_map.id or 0, name="Risks", colour="#d9d9d9"
    )
    with pytest.raises(Invalid) as error:
        setup.add_category(
            session, access=staff, map_id=the_map.id or 0, name="More", colour="#d9d9d9"
        )
    assert _invalid(error) == {"name": "A map has at most 4 categories."}


def test_category_with_cards_or_the_last_one_is_kept(
    session: Session, staff: EventAccess, mira: EventAccess, the_map: Map
) -> None:
    first, second, third = category_ids(session, the_map)
    _post(session, mira, the_map, "Volunteers", category=0)
    with pytest.raises(Conflict, match="This category has cards"):
        setup.delete_category(session, access=staff, category_id=first)
    setup.delete_category(session, access=staff, category_id=second)
    single = new_map(session, staff)
    ids = category_ids(session, single)
    setup.delete_category(session, access=staff, category_id=ids[0])
    setup.delete_category(session, access=staff, category_id=ids[1])
    with pytest.raises(Conflict, match=re.escape("A map needs at least one category.")):
        setup.delete_category(session, access=staff, category_id=ids[2])
    assert len(category_names(session, map_id=the_map.id or 0)) == 2
    assert third in category_ids(session, the_map)


def test_places_added_renamed_reordered_and_deleted(
    session: Session, staff: EventAccess, mira: EventAccess, the_map: Map
) -> None:
    map_id = the_map.id or 0
    sofia, varna = place_ids(session, the_map)
    burgas = setup.add_place(session, access=staff, map_id=map_id, name="  Burgas ")
    setup.rename_place(session, access=staff, place_id=sofia, name="Sofia city")
    setup.move_place(session, access=staff, place_id=burgas.id or 0, offset=-1)
    assert place_names(session, map_id=map_id) == ["Sofia city", "Burgas", "Varna"]
    _post(session, mira, the_map, "Housing", place=varna)
    with pytest.raises(Conflict, match="Rename it instead"):
        setup.delete_place(session, access=staff, place_id=varna)
    setup.delete_place(session, access=staff, place_id=burgas.id or 0)
    assert place_names(session, map_id=map_id) == ["Sofia city", "Varna"]
    with pytest.raises(Invalid) as error:
        setup.add_place(session, access=staff, map_id=map_id, name=" ")
    assert _invalid(error) == {"name": "Give the place a name."}


def test_places_are_limited(
    session: Session, staff: EventAccess, the_map: Map, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(setup, "MAX_PLACES", 2)
    with pytest.raises(Invalid) as error:
        setup.add_place(session, access=staff, map_id=the_map.id or 0, name="Ruse")
    assert _invalid(error) == {"name": "A map has at most 2 places."}


# --- cards -------------------------------------------------------------------------------


def test_participant_posts_a_card(session: Session, mira: EventAccess, the_map: Map) -> None:
    varna = place_ids(session, the_map)[1]
    card = _post(session, mira, the_map, "  Evening   language classes ", category=2, place=varna)
    assert (card.text, card.category_id, card.place_id, card.participant_id, card.status) == (
        "Evening language classes",
        category_ids(session, the_map)[2],
        varna,
        _pid(mira),
        CardStatus.ACTIVE,
    )


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "Write something on your card."),
        (" \n\t ", "Write something on your card."),
        ("x" * 281, "Use at most 280 characters."),
    ],
)
def test_bad_card_text_changes_nothing(
    session: Session, mira: EventAccess, the_map: Map, text: str, message: str
) -> None:
    with pytest.raises(Invalid) as error:
        _post(session, mira, the_map, text)
    assert _invalid(error) == {"text": message}
    assert card_rows(session, map_id=the_map.id or 0) == []


def test_card_of_exactly_280_characters_is_kept(
    session: Session, mira: EventAccess, the_map: Map
) -> None:
    assert _post(session, mira, the_map, "ж" * 280).text == "ж" * 280


def test_category_and_place_must_be_of_the_same_map(
    session: Session, staff: EventAccess, mira: EventAccess, the_map: Map, owner: User
) -> None:
    other_map = new_map(session, staff, places=("Ruse",))
    foreign_event_map = new_map(
        session, as_staff(session, make_event(session, owner=owner), owner), places=("Pleven",)
    )
    for category_id, place_id in (
        (category_ids(session, other_map)[0], None),
        (category_ids(session, foreign_event_map)[0], None),
        (None, None),
        (0, None),
        (2**40, None),
    ):
        with pytest.raises(Invalid) as error:
            maps_cards.post_card(
                session,
                access=mira,
                map_id=the_map.id or 0,
                text="Housing",
                category_id=category_id,
                place_id=place_id,
            )
        assert _invalid(error) == {"category": "Choose one of this map's categories."}
    for place_id in (
        place_ids(session, other_map)[0],
        place_ids(session, foreign_event_map)[0],
        -3,
    ):
        with pytest.raises(Invalid) as error:
            maps_cards.post_card(
                session,
                access=mira,
                map_id=the_map.id or 0,
                text="",
                category_id=category_ids(session, other_map)[0],
                place_id=place_id,
            )
        assert _invalid(error) == {
            "text": "Write something on your card.",
            "category": "Choose one of this map's categories.",
            "place": "Choose one of this map's places.",
        }
    assert card_rows(session, map_id=the_map.id or 0) == []


def test_place_is_ignored_when_the_map_has_no_places(
    session: Session, staff: EventAccess, mira: EventAccess, the_map: Map
) -> None:
    plain = new_map(session, staff)
    card = maps_cards.post_card(
        session,
        access=mira,
        map_id=plain.id or 0,
        text="Jobs",
        category_id=category_ids(session, plain)[0],
        place_id=place_ids(session, the_map)[0],
    )
    assert card.place_id is None


def test_frozen_map_refuses_participants_but_not_staff(
    session: Session, staff: EventAccess, mira: EventAccess, ivo: EventAccess, the_map: Map
) -> None:
    card = _post(session, mira, the_map, "Volunteers")
    setup.set_frozen(session, access=staff, map_id=the_map.id or 0, frozen=True)
    card_id = card.id or 0
    for attempt in (
        lambda: _post(session, ivo, the_map, "Late card"),
        lambda: maps_cards.edit_card(
            session, access=mira, card_id=card_id, text="New", category_id=card.category_id
        ),
        lambda: maps_cards.delete_card(session, access=mira, card_id=card_id),
        lambda: maps_cards.plus_one(session, access=ivo, card_id=card_id),
        lambda: maps_cards.remove_plus_one(session, access=ivo, card_id=card_id),
    ):
        with pytest.raises(Conflict, match=CLOSED):
            attempt()
    # A card written on paper can still be typed in by a facilitator.
    paper = _post(session, staff, the_map, "From the wall")
    assert (paper.participant_id, paper.entered_by_user) == (None, staff.user.id)  # type: ignore[union-attr]
    assert [row[0] for row in card_rows(session, map_id=the_map.id or 0)] == [
        "Volunteers",
        "From the wall",
    ]
    setup.set_frozen(session, access=staff, map_id=the_map.id or 0, frozen=False)
    assert _post(session, ivo, the_map, "Open again").participant_id == _pid(ivo)


def test_cards_are_limited_per_participant_and_map(
    session: Session,
    mira: EventAccess,
    ivo: EventAccess,
    the_map: Map,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(maps_cards, "MAX_CARDS_PER_PARTICIPANT", 2)
    monkeypatch.setattr(maps_cards, "MAX_CARDS_PER_MAP", 3)
    _post(session, mira, the_map, "One")
    _post(session, mira, the_map, "Two")
    with pytest.raises(Invalid) as error:
        _post(session, mira, the_map, "Three")
    assert _invalid(error) == {"text": "You have posted the most cards allowed on this map."}
    _post(session, ivo, the_map, "Three")
    with pytest.raises(Invalid) as error:
        _post(session, ivo, the_map, "Four")
    assert _invalid(error) == {"text": "This map has reached its limit of cards."}


def test_outsiders_cannot_post(
    session: Session, event: Event, the_map: Map, owner: User, settings: Settings
) -> None:
    nobody = access_as(session, event)
    with pytest.raises(Exception, match=r"sign in|access") as error:
        _post(session, nobody, the_map, "Hi")
    assert type(error.value).__name__ in ("NotSignedIn", "PermissionDenied")
    other_event = make_event(session, owner=owner)
    _participant, auth = make_participant(session, settings, event=other_event, name="Stranger")
    stranger = access_as(session, event, auth=auth)  # joined another event, not this one
    with pytest.raises(PermissionDenied):
        _post(session, stranger, the_map, "Hi")
    assert card_rows(session, map_id=the_map.id or 0) == []


def test_author_edits_own_card_and_category_change_leaves_the_cluster(
    session: Session, staff: EventAccess, mira: EventAccess, ivo: EventAccess, the_map: Map
) -> None:
    card = _post(session, mira, the_map, "Volunteers")
    clustering.move_card(
        session, access=staff, card_id=card.id or 0, target=f"new:{card.category_id}", name="People"
    )
    with pytest.raises(PermissionDenied, match=re.escape("Only the card's author can change it.")):
        maps_cards.edit_card(
            session, access=ivo, card_id=card.id or 0, text="Mine now", category_id=card.category_id
        )
    with pytest.raises(PermissionDenied):
        maps_cards.edit_card(
            session, access=staff, card_id=card.id or 0, text="Staff", category_id=card.category_id
        )
    varna = place_ids(session, the_map)[1]
    needs = category_ids(session, the_map)[2]
    maps_cards.edit_card(
        session,
        access=mira,
        card_id=card.id or 0,
        text="Volunteer burnout",
        category_id=needs,
        place_id=varna,
    )
    session.expire_all()
    stored = session.get(MapCard, card.id)
    assert stored is not None
    assert (stored.text, stored.category_id, stored.place_id, stored.cluster_id) == (
        "Volunteer burnout",
        needs,
        varna,
        None,
    )


def test_edit_with_bad_input_changes_nothing(
    session: Session, mira: EventAccess, the_map: Map, staff: EventAccess
) -> None:
    card = _post(session, mira, the_map, "Volunteers")
    other = new_map(session, staff)
    with pytest.raises(Invalid) as error:
        maps_cards.edit_card(
            session,
            access=mira,
            card_id=card.id or 0,
            text="x" * 300,
            category_id=category_ids(session, other)[0],
        )
    assert _invalid(error) == {
        "text": "Use at most 280 characters.",
        "category": "Choose one of this map's categories.",
    }
    session.rollback()
    assert card_rows(session, map_id=the_map.id or 0) == [
        ("Volunteers", card.category_id, "active", None)
    ]


def test_author_deletes_own_card_and_merged_duplicates_come_back(
    session: Session, staff: EventAccess, mira: EventAccess, ivo: EventAccess, the_map: Map
) -> None:
    kept = _post(session, mira, the_map, "Housing")
    duplicate = _post(session, ivo, the_map, "Flats to rent")
    clustering.merge_cards(
        session, access=staff, source_id=duplicate.id or 0, target_id=kept.id or 0
    )
    with pytest.raises(PermissionDenied):
        maps_cards.delete_card(session, access=ivo, card_id=kept.id or 0)
    maps_cards.delete_card(session, access=mira, card_id=kept.id or 0)
    assert card_rows(session, map_id=the_map.id or 0) == [
        ("Flats to rent", duplicate.category_id, "active", None)
    ]
    assert plus_ones(session, card_id=duplicate.id or 0) == []


@pytest.fixture
def ana_and_bob(
    session: Session, settings: Settings, event: Event
) -> tuple[EventAccess, EventAccess]:
    """Two more participants, to write duplicates and +1 them."""
    ana = as_participant(session, settings, event, "Ana")
    return ana, as_participant(session, settings, event, "Bob")


def _merged_into(session: Session, card: MapCard) -> tuple[str, int | None]:
    """(status, merged_into_id) of a card as stored now."""
    session.expire_all()
    stored = session.get(MapCard, card.id)
    assert stored is not None
    return stored.status, stored.merged_into_id


def test_deleting_a_card_with_merged_duplicates_keeps_their_plus_ones(
    session: Session,
    staff: EventAccess,
    mira: EventAccess,
    ivo: EventAccess,
    ana_and_bob: tuple[EventAccess, EventAccess],
    the_map: Map,
) -> None:
    ana, bob = ana_and_bob
    opportunities, initiatives, _needs = category_ids(session, the_map)
    kept = _post(session, mira, the_map, "Housing", category=0)
    first = _post(session, ivo, the_map, "Flats to rent", category=2)
    second = _post(session, ana, the_map, "Homes")
    maps_cards.plus_one(session, access=bob, card_id=first.id or 0)
    maps_cards.plus_one(session, access=ivo, card_id=second.id or 0)
    clustering.move_card(
        session, access=staff, card_id=kept.id or 0, target=f"new:{initiatives}", name="Living"
    )
    cluster = session.exec(select(MapCluster)).one()
    for duplicate in (first, second):
        clustering.merge_cards(
            session, access=staff, source_id=duplicate.id or 0, target_id=kept.id or 0
        )
    assert plus_ones(session, card_id=kept.id or 0) == sorted([_pid(ana), _pid(bob), _pid(ivo)])

    maps_cards.delete_card(session, access=mira, card_id=kept.id or 0)

    # The first duplicate stands where the deleted card stood, with its +1s but for its own
    # author's (who supports it as its author now); the second is merged into it instead.
    assert card_rows(session, map_id=the_map.id or 0) == [
        ("Flats to rent", initiatives, "active", cluster.id),
        ("Homes", opportunities, "merged", None),
    ]
    assert _merged_into(session, second) == ("merged", first.id)
    assert plus_ones(session, card_id=first.id or 0) == sorted([_pid(ana), _pid(bob)])
    board = views.map_view(session, access=staff, map_id=the_map.id or 0)
    assert [(c.text, c.plus_ones, c.merged) for c in board.clusters[0].cards] == [
        ("Flats to rent", 2, 1)
    ]
    assert maps_cards.my_plus_ones(session, access=bob, map_id=the_map.id or 0) == {first.id}


def test_deleting_a_merged_or_hidden_card_keeps_its_duplicates_where_they_were(
    session: Session,
    ana_and_bob: tuple[EventAccess, EventAccess],
    mira: EventAccess,
    ivo: EventAccess,
    staff: EventAccess,
    the_map: Map,
) -> None:
    ana, bob = ana_and_bob
    kept = _post(session, mira, the_map, "Housing")
    middle = _post(session, ivo, the_map, "Flats")
    early = _post(session, ana, the_map, "Homes")
    maps_cards.plus_one(session, access=bob, card_id=early.id or 0)
    clustering.merge_cards(session, access=staff, source_id=early.id or 0, target_id=middle.id or 0)
    clustering.merge_cards(session, access=staff, source_id=middle.id or 0, target_id=kept.id or 0)
    # The card its duplicate was merged into was merged in turn: deleting it passes the
    # duplicate on to the card that carries the +1s.
    maps_cards.delete_card(session, access=ivo, card_id=middle.id or 0)
    assert _merged_into(session, early) == ("merged", kept.id)
    assert plus_ones(session, card_id=kept.id or 0) == sorted([_pid(ana), _pid(bob), _pid(ivo)])

    # A hidden card's duplicate takes its place hidden, with the reason: the facilitator
    # decides whether it goes back on the board.
    clustering.hide_card(session, access=staff, card_id=kept.id or 0, reason="advertising")
    maps_cards.delete_card(session, access=mira, card_id=kept.id or 0)
    assert [
        (c.text, c.hidden_reason)
        for c in clustering.hidden_cards(session, access=staff, map_id=the_map.id or 0)
    ] == [("Homes", "advertising")]
    assert plus_ones(session, card_id=early.id or 0) == sorted([_pid(bob), _pid(ivo)])


# --- +1s ---------------------------------------------------------------------------------


def test_plus_one_counts_once_and_can_be_taken_back(
    session: Session, mira: EventAccess, ivo: EventAccess, the_map: Map
) -> None:
    card = _post(session, mira, the_map, "Volunteers")
    first = maps_cards.plus_one(session, access=ivo, card_id=card.id or 0)
    # A double tap: the unique constraint refuses the second row, and the answer is the same.
    second = maps_cards.plus_one(session, access=ivo, card_id=card.id or 0)
    assert (first.plus_ones, second.plus_ones, second.mine) == (1, 1, frozenset({card.id}))
    assert plus_ones(session, card_id=card.id or 0) == [_pid(ivo)]
    assert maps_cards.my_plus_ones(session, access=ivo, map_id=the_map.id or 0) == {card.id}
    back = maps_cards.remove_plus_one(session, access=ivo, card_id=card.id or 0)
    again = maps_cards.remove_plus_one(session, access=ivo, card_id=card.id or 0)
    assert (back.plus_ones, again.plus_ones, again.mine) == (0, 0, frozenset())


def test_own_card_hidden_card_and_staff_cannot_plus_one(
    session: Session, staff: EventAccess, mira: EventAccess, ivo: EventAccess, the_map: Map
) -> None:
    card = _post(session, mira, the_map, "Volunteers")
    with pytest.raises(Conflict, match="This is your own card"):
        maps_cards.plus_one(session, access=mira, card_id=card.id or 0)
    with pytest.raises(PermissionDenied):
        maps_cards.plus_one(session, access=staff, card_id=card.id or 0)
    clustering.hide_card(session, access=staff, card_id=card.id or 0, reason="spam")
    with pytest.raises(Conflict, match=re.escape("This card is no longer on the map.")):
        maps_cards.plus_one(session, access=ivo, card_id=card.id or 0)
    assert plus_ones(session, card_id=card.id or 0) == []


def test_cards_of_another_event_are_not_found(
    session: Session, settings: Settings, mira: EventAccess, the_map: Map, owner: User
) -> None:
    card = _post(session, mira, the_map, "Volunteers")
    other_event = make_event(session, owner=owner)
    outsider = as_participant(session, settings, other_event, "Outsider")
    other_staff = as_staff(session, other_event, owner)
    for attempt in (
        lambda: maps_cards.plus_one(session, access=outsider, card_id=card.id or 0),
        lambda: clustering.hide_card(session, access=other_staff, card_id=card.id or 0, reason="x"),
        lambda: clustering.card_detail(session, access=other_staff, card_id=card.id or 0),
        lambda: clustering.move_card(
            session, access=other_staff, card_id=card.id or 0, target=f"category:{card.category_id}"
        ),
    ):
        with pytest.raises(NotFound, match=re.escape("There is no such card.")):
            attempt()


# --- clusters, merges, hiding ------------------------------------------------------------


def test_cards_move_into_clusters_and_back(
    session: Session, staff: EventAccess, mira: EventAccess, the_map: Map
) -> None:
    opportunities, initiatives, _needs = category_ids(session, the_map)
    first = _post(session, mira, the_map, "Volunteers", category=0)
    second = _post(session, mira, the_map, "Students", category=0)
    third = _post(session, mira, the_map, "Food bank", category=1)
    clustering.move_card(
        session, access=staff, card_id=first.id or 0, target=f"new:{opportunities}", name=" People "
    )
    cluster = session.exec(select(MapCluster)).one()
    assert (cluster.name, cluster.category_id) == ("People", opportunities)
    clustering.move_card(
        session, access=staff, card_id=second.id or 0, target=f"cluster:{cluster.id}"
    )
    # Into a cluster of another category: the card changes category with it.
    clustering.move_card(
        session, access=staff, card_id=third.id or 0, target=f"cluster:{cluster.id}"
    )
    assert card_rows(session, map_id=the_map.id or 0) == [
        ("Volunteers", opportunities, "active", cluster.id),
        ("Students", opportunities, "active", cluster.id),
        ("Food bank", opportunities, "active", cluster.id),
    ]
    clustering.move_card(
        session, access=staff, card_id=third.id or 0, target=f"category:{initiatives}"
    )
    clustering.rename_cluster(
        session, access=staff, cluster_id=cluster.id or 0, name="Volunteers & students"
    )
    unnamed = clustering.create_cluster(
        session, access=staff, map_id=the_map.id or 0, category_id=initiatives, name=""
    )
    assert unnamed.name == "Cluster 2"
    clustering.dissolve_cluster(session, access=staff, cluster_id=cluster.id or 0)
    assert card_rows(session, map_id=the_map.id or 0) == [
        ("Volunteers", opportunities, "active", None),
        ("Students", opportunities, "active", None),
        ("Food bank", initiatives, "active", None),
    ]
    assert session.exec(select(MapCluster.name)).all() == ["Cluster 2"]


@pytest.mark.parametrize(
    "target",
    [
        "",
        "cluster",
        "cluster:",
        "cluster:x",
        "cluster:99999",
        "category:-1",
        "new:0",
        "elsewhere:1",
        "cluster:²",
        "category:" + "9" * 30,
    ],
)
def test_move_to_a_bad_target_changes_nothing(
    session: Session, staff: EventAccess, mira: EventAccess, the_map: Map, target: str
) -> None:
    card = _post(session, mira, the_map, "Volunteers")
    with pytest.raises(Invalid) as error:
        clustering.move_card(session, access=staff, card_id=card.id or 0, target=target)
    assert _invalid(error) == {"target": "Choose a cluster or category of this map."}
    session.rollback()
    assert card_rows(session, map_id=the_map.id or 0) == [
        ("Volunteers", card.category_id, "active", None)
    ]
    assert session.exec(select(MapCluster)).all() == []


def test_move_to_a_cluster_of_another_map_changes_nothing(
    session: Session, staff: EventAccess, mira: EventAccess, the_map: Map
) -> None:
    other = new_map(session, staff)
    cluster = clustering.create_cluster(
        session,
        access=staff,
        map_id=other.id or 0,
        category_id=category_ids(session, other)[0],
        name="Elsewhere",
    )
    card = _post(session, mira, the_map, "Volunteers")
    for target in (f"cluster:{cluster.id}", f"category:{cluster.category_id}"):
        with pytest.raises(Invalid):
            clustering.move_card(session, access=staff, card_id=card.id or 0, target=target)
    assert card_rows(session, map_id=the_map.id or 0)[0][1:] == (card.category_id, "active", None)


def test_cluster_names_are_checked_and_clusters_limited(
    session: Session, staff: EventAccess, the_map: Map, monkeypatch: pytest.MonkeyPatch
) -> None:
    category = category_ids(session, the_map)[0]
    cluster = clustering.create_cluster(
        session, access=staff, map_id=the_map.id or 0, category_id=category, name="A"
    )
    with pytest.raises(Invalid) as error:
        clustering.rename_cluster(session, access=staff, cluster_id=cluster.id or 0, name=" ")
    assert _invalid(error) == {"name": "Give the cluster a name."}
    with pytest.raises(Invalid) as error:
        clustering.rename_cluster(session, access=staff, cluster_id=cluster.id or 0, name="n" * 81)
    assert _invalid(error) == {"name": "Use at most 80 characters."}
    monkeypatch.setattr(clustering, "MAX_CLUSTERS", 1)
    with pytest.raises(Invalid) as error:
        clustering.create_cluster(
            session, access=staff, map_id=the_map.id or 0, category_id=category, name="B"
        )
    assert _invalid(error) == {"name": "This map has reached its limit of clusters."}


def test_merge_moves_plus_ones_and_counts_nobody_twice(
    session: Session,
    settings: Settings,
    event: Event,
    staff: EventAccess,
    mira: EventAccess,
    ivo: EventAccess,
    the_map: Map,
) -> None:
    ana = as_participant(session, settings, event, "Ana")
    bob = as_participant(session, settings, event, "Bob")
    kept = _post(session, mira, the_map, "Housing")
    duplicate = _post(session, ivo, the_map, "Flats")
    for person in (ana, bob):
        maps_cards.plus_one(session, access=person, card_id=duplicate.id or 0)
    maps_cards.plus_one(session, access=ana, card_id=kept.id or 0)  # Ana supported both
    maps_cards.plus_one(session, access=mira, card_id=duplicate.id or 0)  # the kept card's author

    merged = clustering.merge_cards(
        session, access=staff, source_id=duplicate.id or 0, target_id=kept.id or 0
    )

    assert merged.id == kept.id
    # Ana once, Bob moved over, Ivo (the duplicate's author) now supports it; Mira never
    # supports her own card.
    assert plus_ones(session, card_id=kept.id or 0) == sorted([_pid(ana), _pid(bob), _pid(ivo)])
    assert plus_ones(session, card_id=duplicate.id or 0) == []
    session.expire_all()
    source = session.get(MapCard, duplicate.id)
    assert source is not None
    assert (source.status, source.merged_into_id) == (CardStatus.MERGED, kept.id)
    board = views.map_view(session, access=staff, map_id=the_map.id or 0)
    assert [(c.text, c.plus_ones, c.merged) for c in board.categories[0].cards] == [
        ("Housing", 3, 1)
    ]


def test_merge_refuses_bad_targets(
    session: Session, staff: EventAccess, mira: EventAccess, the_map: Map
) -> None:
    card = _post(session, mira, the_map, "Housing")
    other = new_map(session, staff)
    elsewhere = _post(session, mira, other, "Jobs")
    with pytest.raises(Invalid) as error:
        clustering.merge_cards(
            session, access=staff, source_id=card.id or 0, target_id=card.id or 0
        )
    assert _invalid(error) == {"target": "Choose a different card to merge into."}
    for target in (elsewhere.id or 0, 0, 2**40):
        with pytest.raises(Invalid) as error:
            clustering.merge_cards(session, access=staff, source_id=card.id or 0, target_id=target)
        assert _invalid(error) == {"target": "Choose a card of the same map."}
    with pytest.raises(PermissionDenied):
        clustering.merge_cards(
            session, access=mira, source_id=card.id or 0, target_id=elsewhere.id or 0
        )
    assert card_rows(session, map_id=the_map.id or 0) == [
        ("Housing", card.category_id, "active", None)
    ]


def test_hide_needs_a_reason_and_is_reversible(
    session: Session, staff: EventAccess, mira: EventAccess, ivo: EventAccess, the_map: Map
) -> None:
    card = _post(session, mira, the_map, "Buy cheap watches")
    maps_cards.plus_one(session, access=ivo, card_id=card.id or 0)
    with pytest.raises(Invalid) as error:
        clustering.hide_card(session, access=staff, card_id=card.id or 0, reason="  ")
    assert _invalid(error) == {"reason": "Say why, for the record."}
    with pytest.raises(Invalid) as error:
        clustering.hide_card(session, access=staff, card_id=card.id or 0, reason="r" * 201)
    assert _invalid(error) == {"reason": "Use at most 200 characters."}
    with pytest.raises(PermissionDenied):
        clustering.hide_card(session, access=mira, card_id=card.id or 0, reason="mine")
    clustering.hide_card(session, access=staff, card_id=card.id or 0, reason="advertising")
    assert views.map_view(session, access=staff, map_id=the_map.id or 0).total == 0
    assert [
        c.text for c in clustering.hidden_cards(session, access=staff, map_id=the_map.id or 0)
    ] == ["Buy cheap watches"]
    assert [
        c.status for c in maps_cards.my_cards(session, access=mira, map_id=the_map.id or 0)
    ] == ["hidden"]
    with pytest.raises(Conflict, match=re.escape("This card is not on the map.")):
        clustering.hide_card(session, access=staff, card_id=card.id or 0, reason="again")
    clustering.unhide_card(session, access=staff, card_id=card.id or 0)
    with pytest.raises(Conflict, match=re.escape("This card is not hidden.")):
        clustering.unhide_card(session, access=staff, card_id=card.id or 0)
    view = views.map_view(session, access=staff, map_id=the_map.id or 0)
    assert [(c.text, c.plus_ones) for c in view.categories[0].cards] == [("Buy cheap watches", 1)]


def test_card_detail_for_the_facilitator(
    session: Session, settings: Settings, event: Event, staff: EventAccess, the_map: Map
) -> None:
    _participant, auth = make_participant(
        session, settings, event=event, name="Dilan", organisation="Women's Circle", org_type="ngo"
    )
    dilan = access_as(session, event, auth=auth)
    varna = place_ids(session, the_map)[1]
    card = _post(session, dilan, the_map, "Mothers' group", category=1, place=varna)
    other = _post(session, dilan, the_map, "Playgroup")
    clustering.move_card(
        session,
        access=staff,
        card_id=card.id or 0,
        target=f"new:{card.category_id}",
        name="Families",
    )
    detail = clustering.card_detail(session, access=staff, card_id=card.id or 0)
    assert (detail.category, detail.place, detail.cluster, detail.author, detail.plus_ones) == (
        "Initiatives",
        "Varna",
        "Families",
        "Dilan (Women's Circle)",
        0,
    )
    assert [target.id for target in detail.merge_targets] == [other.id]


# --- what the board shows ----------------------------------------------------------------


def _count_queries(session: Session) -> tuple[list[str], Any]:
    statements: list[str] = []

    def count(*args: Any) -> None:
        statements.append(str(args[2]))

    engine = session.get_bind()
    sa_event.listen(engine, "before_cursor_execute", count)
    return statements, lambda: sa_event.remove(engine, "before_cursor_execute", count)


def test_board_state_groups_cards_and_loads_in_fixed_queries(
    session: Session, settings: Settings, event: Event, staff: EventAccess, the_map: Map
) -> None:
    setup.show_on_board(session, access=staff, map_id=the_map.id or 0)
    _participant, auth = make_participant(
        session, settings, event=event, name="Ana", org_type="ngo"
    )
    ana = access_as(session, event, auth=auth)
    sofia, _varna = place_ids(session, the_map)
    first = _post(session, ana, the_map, "Volunteers", place=sofia)
    _post(session, ana, the_map, "Students")
    clustering.move_card(
        session,
        access=staff,
        card_id=first.id or 0,
        target=f"new:{first.category_id}",
        name="People",
    )
    session.commit()

    statements, stop = _count_queries(session)
    small = views.board_state(session, event_id=event.id or 0)
    few = len(statements)
    for number in range(25):
        _post(session, ana, the_map, f"Card {number}", category=number % 3)
    session.commit()
    statements.clear()
    large = views.board_state(session, event_id=event.id or 0)
    stop()

    # The same handful however many cards (SQLite counts its BEGIN as one more).
    assert len(statements) == few <= 8
    assert small is not None and large is not None
    opportunities = small.categories[0]
    assert [(c.name, [card.text for card in c.cards]) for c in opportunities.clusters] == [
        ("People", ["Volunteers"])
    ]
    assert [card.text for card in opportunities.loose] == ["Students"]
    assert opportunities.cards[0].place == "Sofia"
    assert opportunities.cards[0].org_type == ""  # the map does not show organisation types
    assert (small.total, small.collapsed, large.total, large.collapsed) == (2, False, 27, False)
    for number in range(4):
        _post(session, ana, the_map, f"More {number}")
    session.commit()
    fuller = views.board_state(session, event_id=event.id or 0)
    assert fuller is not None and (fuller.total, fuller.collapsed) == (31, True)


def test_live_state_carries_the_board_map(
    session: Session, staff: EventAccess, mira: EventAccess, the_map: Map, event: Event
) -> None:
    _post(session, mira, the_map, "Volunteers")
    state = live.load(session, event_id=event.id or 0)
    assert state is not None and state.map is None
    setup.show_on_board(session, access=staff, map_id=the_map.id or 0)
    state = live.load(session, event_id=event.id or 0)
    assert state is not None and state.map is not None
    assert [card.text for card in state.map.categories[0].cards] == ["Volunteers"]


def test_matrix_rows_count_cards_per_place_and_category(
    session: Session, staff: EventAccess, mira: EventAccess, the_map: Map
) -> None:
    sofia, varna = place_ids(session, the_map)
    housing = _post(session, mira, the_map, "Housing", category=2, place=sofia)
    _post(session, mira, the_map, "Jobs", category=2, place=sofia)
    _post(session, mira, the_map, "Port jobs", category=0, place=varna)
    _post(session, mira, the_map, "Anywhere", category=1)
    clustering.move_card(
        session,
        access=staff,
        card_id=housing.id or 0,
        target=f"new:{housing.category_id}",
        name="Basics",
    )
    view = views.map_view(session, access=staff, map_id=the_map.id or 0)
    rows = view.matrix_rows()
    assert [(row.place, [cell.count for cell in row.cells]) for row in rows] == [
        ("Sofia", [0, 0, 2]),
        ("Varna", [1, 0, 0]),
        ("No place given", [0, 1, 0]),
    ]
    assert rows[0].cells[2].clusters == [("Basics", 1)]
    assert [(name, [card.text for card in cards]) for name, cards in rows[0].cells[2].grouped] == [
        ("Basics", ["Housing"])
    ]
    assert [card.text for card in rows[0].cells[2].cards] == ["Jobs"]


# --- reports and exports -----------------------------------------------------------------


def _reporting_world(
    session: Session, settings: Settings, event: Event, staff: EventAccess
) -> tuple[Map, list[MapCard]]:
    the_map = new_map(session, staff, places=("Sofia", "Varna"), uses_org_type=True)
    sofia, varna = place_ids(session, the_map)
    people = []
    for name, org_type in (("Ana", "ngo"), ("Boris", "municipality"), ("Cvet", "")):
        _participant, auth = make_participant(
            session, settings, event=event, name=name, org_type=org_type
        )
        people.append(access_as(session, event, auth=auth))
    ana, boris, cvet = people
    cards = [
        _post(session, ana, the_map, '=HYPERLINK("http://evil")', category=0, place=sofia),
        _post(session, boris, the_map, "Interpreters", category=2, place=sofia),
        _post(session, boris, the_map, "+359 hotline", category=2, place=varna),
        _post(session, cvet, the_map, "-minus", category=1),
        _post(session, cvet, the_map, "@mention", category=2, place=varna),
        _post(session, ana, the_map, "Spam", category=2),
    ]
    maps_cards.plus_one(session, access=ana, card_id=cards[1].id or 0)
    maps_cards.plus_one(session, access=cvet, card_id=cards[1].id or 0)
    clustering.merge_cards(
        session, access=staff, source_id=cards[4].id or 0, target_id=cards[2].id or 0
    )
    clustering.hide_card(session, access=staff, card_id=cards[5].id or 0, reason="spam")
    clustering.move_card(
        session,
        access=staff,
        card_id=cards[1].id or 0,
        target=f"new:{cards[1].category_id}",
        name="Language",
    )
    return the_map, cards


def test_report_tables_group_counts(
    session: Session, settings: Settings, event: Event, staff: EventAccess
) -> None:
    the_map, _cards = _reporting_world(session, settings, event, staff)
    (report,) = export.report_tables(session, event_id=event.id or 0)
    assert [(row.label, row.counts) for row in report.by_category] == [
        ("Opportunities", [1, 0, 0]),
        ("Initiatives", [1, 0, 0]),
        ("Needs", [2, 3, 1]),  # cards, +1s (2 + the merged card's author), clusters
    ]
    assert [(row.label, row.counts, row.total) for row in report.by_place] == [
        ("Sofia", [1, 0, 1], 2),
        ("Varna", [0, 0, 1], 1),
        ("No place given", [0, 1, 0], 1),
    ]
    assert [(row.label, row.counts) for row in report.by_org_type] == [
        ("NGO", [1, 0, 0]),
        ("Municipality", [0, 0, 2]),
        ("Not given", [0, 1, 0]),
    ]
    assert [(row.category, row.name, row.cards, row.plus_ones) for row in report.clusters] == [
        ("Needs", "Language", 1, 2)
    ]
    assert (report.total_cards, report.total_plus_ones, report.hidden, report.merged) == (
        4,
        3,
        1,
        1,
    )
    with use_locale("bg"):
        (bulgarian,) = export.report_tables(session, event_id=event.id or 0, map_id=the_map.id)
    assert [row.label for row in bulgarian.by_org_type] == ["НПО", "Община", "Не е посочен"]


def test_summary_is_for_staff(
    session: Session, settings: Settings, event: Event, staff: EventAccess, mira: EventAccess
) -> None:
    the_map, _cards = _reporting_world(session, settings, event, staff)
    assert export.summary(session, access=staff, map_id=the_map.id or 0).total_cards == 4
    with pytest.raises(PermissionDenied):
        export.summary(session, access=mira, map_id=the_map.id or 0)


def test_export_data_has_every_map_and_card(
    session: Session, settings: Settings, event: Event, staff: EventAccess, owner: User
) -> None:
    the_map, cards = _reporting_world(session, settings, event, staff)
    empty = new_map(session, staff, question="Second")
    new_map(session, as_staff(session, make_event(session, owner=owner), owner), question="Other")
    data = export.export_data(session, event_id=event.id or 0)
    assert [entry["question"] for entry in data["maps"]] == [the_map.question, "Second"]
    first = data["maps"][0]
    assert [c["name"] for c in first["categories"]] == ["Opportunities", "Initiatives", "Needs"]
    assert [p["name"] for p in first["places"]] == ["Sofia", "Varna"]
    assert [c["name"] for c in first["clusters"]] == ["Language"]
    assert [
        (c["text"], c["status"], c["org_type"], c["plus_ones"], c["merged_into_id"])
        for c in first["cards"]
    ] == [
        ('=HYPERLINK("http://evil")', "active", "ngo", 0, None),
        ("Interpreters", "active", "municipality", 2, None),
        ("+359 hotline", "active", "municipality", 1, None),
        ("-minus", "active", "", 0, None),
        ("@mention", "merged", "", 0, cards[2].id),
        ("Spam", "hidden", "ngo", 0, None),
    ]
    assert first["cards"][1]["cluster_id"] == first["clusters"][0]["id"]
    assert data["maps"][1] == {
        "id": empty.id,
        "question": "Second",
        "position": 1,
        "uses_places": False,
        "uses_org_type": False,
        "layout": "columns",
        "frozen": False,
        "categories": data["maps"][1]["categories"],
        "places": [],
        "clusters": [],
        "cards": [],
    }
    import json

    assert json.loads(json.dumps(data)) == data  # JSON-ready as it is


def test_cards_csv_neutralises_formulas(
    session: Session, settings: Settings, event: Event, staff: EventAccess, mira: EventAccess
) -> None:
    the_map, _cards = _reporting_world(session, settings, event, staff)
    text = export.cards_csv(session, access=staff, map_id=the_map.id or 0)
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[0] == [
        "Card", "Category", "Place", "Organisation type", "Cluster", "Text", "Supporters (+1)",
        "Status", "Reason for hiding", "Merged into card", "Posted at (UTC)",
    ]  # fmt: skip
    assert [row[5] for row in rows[1:]] == [
        '\'=HYPERLINK("http://evil")',
        "Interpreters",
        "'+359 hotline",
        "'-minus",
        "'@mention",
        "Spam",
    ]
    assert [row[1:5] + row[6:9] for row in rows[1:3]] == [
        ["Opportunities", "Sofia", "NGO", "", "0", "on the map", ""],
        ["Needs", "Sofia", "Municipality", "Language", "2", "on the map", ""],
    ]
    assert rows[6][7:9] == ["hidden", "spam"]
    assert all(not cell.startswith(("=", "+", "-", "@")) for row in rows for cell in row)
    with pytest.raises(PermissionDenied):
        export.cards_csv(session, access=mira, map_id=the_map.id or 0)


# --- colours -----------------------------------------------------------------------------


def test_every_palette_colour_reads_well_and_has_its_css_class() -> None:
    css = (Path(colours.__file__).parents[2] / "static" / "css" / "app.css").read_text()
    for colour in colours.PALETTE:
        text = colours.text_colour(colour)
        assert colours.contrast(colour, text) >= 4.5, colour
        rule = re.search(rf"\.{colours.swatch_class(colour)} \{{([^}}]*)\}}", css)
        assert rule, f"no CSS class for {colour}"
        assert f"background: {colour};" in rule.group(1)
        assert f"color: {text};" in rule.group(1)
    assert colours.text_colour("#ffffff") == "#111111"
    assert colours.text_colour("#000000") == "#ffffff"
    assert round(colours.contrast("#ffffff", "#000000"), 1) == 21.0
    assert colours.swatch_class("#123456") == "swatch-d9d9d9"


def test_default_category_names_exist_in_bulgarian(session: Session) -> None:
    with use_locale("bg"):
        from app.i18n import _

        assert [_(name) for name, _colour in setup.DEFAULT_CATEGORIES] == [
            "Възможности",
            "Инициативи",
            "Нужди",
        ]
    assert session.exec(select(MapCategory)).all() == []


def test_simultaneous_plus_ones_from_one_phone_count_once(
    engine: Engine, session: Session, settings: Settings, event: Event, the_map: Map
) -> None:
    """Ten taps at the same moment, each a request of its own (as the app opens a POST's
    session): the unique constraint keeps one, and every tap gets the same answer."""
    author = as_participant(session, settings, event, "Author")
    card = _post(session, author, the_map, "Volunteers")
    _participant, auth = make_participant(session, settings, event=event, name="Tapper")
    session.commit()
    count = 10
    barrier = threading.Barrier(count)
    answers: list[int] = []
    crashes: list[BaseException] = []

    def tap() -> None:
        try:
            barrier.wait(timeout=30)
            with open_session(engine, write=True) as request:
                current = request.get(Event, event.id)
                assert current is not None
                access = access_as(request, current, auth=auth)
                answers.append(
                    maps_cards.plus_one(request, access=access, card_id=card.id or 0).plus_ones
                )
        except BaseException as error:  # reported below, not lost in the thread
            crashes.append(error)

    threads = [threading.Thread(target=tap) for _ in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert crashes == []
    assert answers == [1] * count
    assert plus_ones(session, card_id=card.id or 0) == [_participant.id]
