"""Organiser and facilitator screens: events, rooms, programme, team; who may open them."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine
from sqlmodel import Session, select

from app.config import Settings
from app.models.events import (
    Day,
    Event,
    EventMember,
    Invitation,
    Role,
    Room,
    RoomCreate,
    TimeBlock,
    TimeBlockCreate,
)
from app.models.people import User
from app.services.events import events, programme
from tests.factories import access_as, field_error, login, make_event, make_user, post
from tests.routes.helpers import input_value, join, snapshot, sync

NEW_EVENT = {
    "name": "Laboratory for Cooperation",
    "slug": "",
    "languages": "en, bg",
    "timezone": "Europe/Sofia",
    "venue": "Sofia",
    "description": "Two days of open space.",
    "first_day": "2026-06-09",
    "day_count": "2",
}


def _facilitator_client(
    session: Session, settings: Settings, event: Event, browser: TestClient
) -> User:
    user = make_user(session, organiser=False, name="Fatme")
    session.add(EventMember(event_id=event.id, user_id=user.id, role=Role.FACILITATOR))  # type: ignore[arg-type]
    session.commit()
    login(browser, settings, user)
    return user


def _room_names(session: Session, event: Event) -> list[str]:
    sync(session)
    return [room.name for room in programme.rooms(session, event_id=event.id)]  # type: ignore[arg-type]


def _add_room(session: Session, event: Event, owner: User, name: str = "Hall") -> Room:
    room = programme.add_room(
        session, access=access_as(session, event, user=owner), data=RoomCreate(name=name)
    )
    session.commit()
    return room


# --- events ------------------------------------------------------------------------------


def test_dashboard_lists_own_events_only(
    organiser: TestClient, session: Session, event: Event
) -> None:
    make_event(session, name="Someone else's lab")
    session.commit()
    html = organiser.get("/o").text
    assert f'<a href="/o/{event.slug}" dir="auto">Lab Sofia</a>' in html
    assert "Someone else" not in html
    assert '<a class="button primary" href="/o/new">' in html


def test_create_event(organiser: TestClient, settings: Settings, session: Session) -> None:
    response = post(organiser, settings, "/o/new", NEW_EVENT)
    assert (response.status_code, response.headers["location"]) == (
        303,
        "/o/laboratory-for-cooperation",
    )
    sync(session)
    event = session.exec(select(Event).where(Event.slug == "laboratory-for-cooperation")).one()
    assert (event.name, event.languages, event.timezone, event.venue) == (
        "Laboratory for Cooperation",
        ["en", "bg"],
        "Europe/Sofia",
        "Sofia",
    )
    assert [day.date for day in events.days(session, event_id=event.id)] == [  # type: ignore[arg-type]
        dt.date(2026, 6, 9),
        dt.date(2026, 6, 10),
    ]
    overview = organiser.get(response.headers["location"])
    assert f'<p class="figure join-code" id="join-code">{event.join_code}</p>' in overview.text


@pytest.mark.parametrize(
    ("changes", "errors"),
    [
        (
            {"name": "", "timezone": "Mars/Olympus"},
            {
                "name": "Enter the event's name.",
                "timezone": "Choose a time zone such as Europe/Sofia.",
            },
        ),
        ({"languages": "en, xx"}, {"languages": "List language codes such as en, bg, uk, ar."}),
        (
            {"slug": "Not a slug"},
            {"slug": "Use lowercase letters, digits and dashes (for example lab-sofia-2026)."},
        ),
        ({"first_day": "9 June"}, {"first_day": "Enter a date such as 2026-06-09."}),
        ({"first_day": ""}, {"first_day": "Choose the first day."}),
        ({"day_count": "two"}, {"day_count": "Enter a whole number."}),
        ({"day_count": "30"}, {"day_count": "An event has between 1 and 14 days."}),
    ],
)
def test_create_event_errors_next_to_fields(
    organiser: TestClient,
    settings: Settings,
    engine: Engine,
    changes: dict[str, str],
    errors: dict[str, str],
) -> None:
    before = snapshot(engine, skip=("rate_counter",))
    response = post(organiser, settings, "/o/new", {**NEW_EVENT, **changes})
    assert response.status_code == 422
    for field in ("name", "slug", "languages", "timezone", "first_day", "day_count"):
        assert field_error(response.text, field) == errors.get(field), field
    # What was typed stays in the form.
    assert input_value(response.text, "venue") == "Sofia"
    assert input_value(response.text, "languages") == {**NEW_EVENT, **changes}["languages"]
    assert snapshot(engine, skip=("rate_counter",)) == before


def test_create_event_slug_taken(organiser: TestClient, settings: Settings, event: Event) -> None:
    response = post(organiser, settings, "/o/new", {**NEW_EVENT, "slug": event.slug})
    assert response.status_code == 422
    assert field_error(response.text, "slug") == "Another event uses this address already."


def test_facilitator_account_cannot_create_events(
    client: TestClient, settings: Settings, session: Session, engine: Engine
) -> None:
    user = make_user(session, organiser=False)
    session.commit()
    login(client, settings, user)
    assert "/o/new" not in client.get("/o").text
    page = client.get("/o/new")
    assert page.status_code == 403
    assert "Only organisers can create events." in page.text
    before = snapshot(engine)
    assert post(client, settings, "/o/new", NEW_EVENT).status_code == 403
    assert snapshot(engine) == before


def test_edit_event(
    organiser: TestClient, settings: Settings, session: Session, event: Event
) -> None:
    form = input_value(organiser.get(f"/o/{event.slug}/edit").text, "languages")
    assert form == "en, bg"
    response = post(
        organiser,
        settings,
        f"/o/{event.slug}/edit",
        {
            "name": "Lab Plovdiv",
            "slug": "lab-plovdiv",
            "languages": "bg en",
            "timezone": "Europe/Sofia",
            "venue": "Plovdiv",
            "description": "",
        },
    )
    assert (response.status_code, response.headers["location"]) == (303, "/o/lab-plovdiv")
    sync(session)
    stored = session.get(Event, event.id)
    assert stored is not None
    assert (stored.name, stored.slug, stored.languages, stored.venue) == (
        "Lab Plovdiv",
        "lab-plovdiv",
        ["bg", "en"],
        "Plovdiv",
    )


def test_edit_event_errors_change_nothing(
    organiser: TestClient, settings: Settings, engine: Engine, event: Event
) -> None:
    before = snapshot(engine, skip=("rate_counter",))
    response = post(
        organiser,
        settings,
        f"/o/{event.slug}/edit",
        {"name": "Renamed", "slug": "Bad slug", "languages": "", "timezone": "Europe/Sofia"},
    )
    assert response.status_code == 422
    assert field_error(response.text, "slug") == (
        "Use lowercase letters, digits and dashes (for example lab-sofia-2026)."
    )
    assert field_error(response.text, "languages") == "List language codes such as en, bg, uk, ar."
    assert field_error(response.text, "name") is None
    assert input_value(response.text, "name") == "Renamed"
    assert snapshot(engine, skip=("rate_counter",)) == before


def test_delete_event_needs_confirmation(
    organiser: TestClient, settings: Settings, engine: Engine, session: Session, event: Event
) -> None:
    event_id = event.id
    before = snapshot(engine, skip=("rate_counter",))
    response = post(organiser, settings, f"/o/{event.slug}/delete", {"confirm": "lab"})
    assert response.status_code == 422
    assert field_error(response.text, "confirm") == "Type the event's address to confirm."
    assert snapshot(engine, skip=("rate_counter",)) == before

    response = post(organiser, settings, f"/o/{event.slug}/delete", {"confirm": event.slug})
    assert (response.status_code, response.headers["location"]) == (303, "/o")
    sync(session)
    assert session.get(Event, event_id) is None
    # Gone: its address now answers as any event one is not in does.
    assert organiser.get("/o/lab-sofia").status_code == 403


def test_rotate_board_link_and_join_code(
    organiser: TestClient, settings: Settings, session: Session, event: Event
) -> None:
    old_board = events.board_path(event, settings.secret)
    old_code = event.join_code
    assert f'href="{old_board}"' in organiser.get(f"/o/{event.slug}").text
    assert post(organiser, settings, f"/o/{event.slug}/board-link").status_code == 303
    assert post(organiser, settings, f"/o/{event.slug}/join-code").status_code == 303
    sync(session)
    stored = session.get(Event, event.id)
    assert stored is not None
    assert stored.join_code != old_code
    new_board = events.board_path(stored, settings.secret)
    assert new_board != old_board
    html = organiser.get(f"/o/{event.slug}").text
    assert f'href="{new_board}"' in html
    assert stored.join_code in html


# --- rooms -------------------------------------------------------------------------------


def test_add_room(
    organiser: TestClient, settings: Settings, session: Session, event: Event
) -> None:
    response = post(
        organiser,
        settings,
        f"/o/{event.slug}/rooms",
        {"name": " Big hall ", "capacity": "120", "notes": "step-free"},
    )
    assert (response.status_code, response.headers["location"]) == (303, f"/o/{event.slug}/rooms")
    sync(session)
    room = session.exec(select(Room)).one()
    assert (room.name, room.capacity, room.notes, room.event_id) == (
        "Big hall",
        120,
        "step-free",
        event.id,
    )
    assert input_value(organiser.get(f"/o/{event.slug}/rooms").text, f"room-{room.id}-name") == (
        "Big hall"
    )


@pytest.mark.parametrize(
    ("form", "field", "message"),
    [
        (
            {"name": "Hall", "capacity": "0"},
            "capacity",
            "Enter a number of seats between 1 and 10,000.",
        ),
        (
            {"name": "Hall", "capacity": "10001"},
            "capacity",
            "Enter a number of seats between 1 and 10,000.",
        ),
        ({"name": "Hall", "capacity": "many"}, "capacity", "Enter a whole number."),
        ({"name": "", "capacity": "5"}, "name", "Enter the room's name."),
        ({"name": "x" * 81, "capacity": "5"}, "name", "Use at most 80 characters."),
        ({"name": "HALL", "capacity": "5"}, "name", "Another room has this name."),
        (
            {"name": "Kitchen", "capacity": "5", "notes": "x" * 301},
            "notes",
            "Use at most 300 characters.",
        ),
    ],
)
def test_add_room_errors_next_to_fields(
    organiser: TestClient,
    settings: Settings,
    session: Session,
    engine: Engine,
    owner: User,
    event: Event,
    form: dict[str, str],
    field: str,
    message: str,
) -> None:
    _add_room(session, event, owner, "Hall")
    before = snapshot(engine, skip=("rate_counter",))
    response = post(organiser, settings, f"/o/{event.slug}/rooms", form)
    assert response.status_code == 422
    assert field_error(response.text, field) == message
    assert input_value(response.text, "name") == form["name"]
    assert snapshot(engine, skip=("rate_counter",)) == before


def test_update_room(
    organiser: TestClient, settings: Settings, session: Session, owner: User, event: Event
) -> None:
    room = _add_room(session, event, owner)
    response = post(
        organiser,
        settings,
        f"/o/{event.slug}/rooms/{room.id}",
        {"name": "Main hall", "capacity": "80", "notes": "projector"},
    )
    assert response.status_code == 303
    sync(session)
    stored = session.get(Room, room.id)
    assert stored is not None
    assert (stored.name, stored.capacity, stored.notes) == ("Main hall", 80, "projector")


def test_update_room_error_changes_nothing(
    organiser: TestClient,
    settings: Settings,
    session: Session,
    engine: Engine,
    owner: User,
    event: Event,
) -> None:
    _add_room(session, event, owner, "Garden")
    room = _add_room(session, event, owner, "Hall")
    before = snapshot(engine, skip=("rate_counter",))
    response = post(
        organiser,
        settings,
        f"/o/{event.slug}/rooms/{room.id}",
        {"name": "garden", "capacity": "20", "notes": ""},
    )
    assert response.status_code == 422
    assert field_error(response.text, "name") == "Another room has this name."
    assert snapshot(engine, skip=("rate_counter",)) == before


def test_move_and_delete_room(
    organiser: TestClient, settings: Settings, session: Session, owner: User, event: Event
) -> None:
    first = _add_room(session, event, owner, "A")
    second = _add_room(session, event, owner, "B")
    url = f"/o/{event.slug}/rooms/{second.id}/move"
    assert post(organiser, settings, url, {"offset": "-1"}).status_code == 303
    assert _room_names(session, event) == ["B", "A"]
    # A hand-made offset moves one step at most.
    assert post(organiser, settings, url, {"offset": "5"}).status_code == 303
    assert _room_names(session, event) == ["A", "B"]
    response = post(organiser, settings, f"/o/{event.slug}/rooms/{first.id}/delete")
    assert response.headers["location"] == f"/o/{event.slug}/rooms"
    assert _room_names(session, event) == ["B"]


def test_rooms_of_another_event_not_found(
    organiser: TestClient, settings: Settings, session: Session, event: Event
) -> None:
    other_owner = make_user(session)
    other = make_event(session, owner=other_owner)
    theirs = _add_room(session, other, other_owner, "Theirs")
    for url, data in [
        (f"/o/{event.slug}/rooms/{theirs.id}/delete", {}),
        (f"/o/{event.slug}/rooms/{theirs.id}", {"name": "Mine", "capacity": "5"}),
        (f"/o/{event.slug}/rooms/{theirs.id}/move", {"offset": "1"}),
    ]:
        response = post(organiser, settings, url, data)
        assert response.status_code == 404, url
    # And their own pages are closed to this organiser.
    assert organiser.get(f"/o/{other.slug}/rooms").status_code == 403
    assert post(organiser, settings, f"/o/{other.slug}/rooms/{theirs.id}/delete").status_code == 403
    assert _room_names(session, other) == ["Theirs"]


@pytest.mark.parametrize("room_id", ["99999999999999999999", "2147483648", "0"])
def test_room_id_out_of_range_not_found(
    organiser: TestClient, settings: Settings, event: Event, room_id: str
) -> None:
    response = post(organiser, settings, f"/o/{event.slug}/rooms/{room_id}/delete")
    assert response.status_code == 404


# --- programme ---------------------------------------------------------------------------


def test_add_day_and_blocks(
    organiser: TestClient, settings: Settings, session: Session, event: Event
) -> None:
    response = post(
        organiser, settings, f"/o/{event.slug}/days", {"date": "2026-06-10", "title": "Day two"}
    )
    assert (response.status_code, response.headers["location"]) == (
        303,
        f"/o/{event.slug}/programme",
    )
    sync(session)
    day = session.exec(select(Day).where(Day.date == dt.date(2026, 6, 10))).one()
    assert day.title == "Day two"
    url = f"/o/{event.slug}/days/{day.id}/blocks"
    plenary = {"kind": "plenary", "starts_at": "09:00", "ends_at": "10:00", "title": "Opening"}
    assert post(organiser, settings, url, plenary).status_code == 303
    slot = {"kind": "slot", "starts_at": "10:00", "ends_at": "11:30"}
    assert post(organiser, settings, url, slot).status_code == 303
    sync(session)
    blocks = session.exec(select(TimeBlock).order_by(TimeBlock.starts_at)).all()  # type: ignore[arg-type]
    assert [(b.kind, b.starts_at, b.ends_at, b.title, b.day_id) for b in blocks] == [
        ("plenary", dt.time(9), dt.time(10), "Opening", day.id),
        ("slot", dt.time(10), dt.time(11, 30), "", day.id),
    ]
    html = organiser.get(f"/o/{event.slug}/programme").text
    assert f'<tr id="block-{blocks[0].id}" class="block-plenary">' in html


@pytest.mark.parametrize(
    ("form", "field", "message"),
    [
        ({"starts_at": "11:00", "ends_at": "10:00"}, "ends_at", "The end must be after the start."),
        (
            {"starts_at": "09:30", "ends_at": "10:30"},
            "starts_at",
            "This overlaps Opening (09:00–10:00).",
        ),
        ({"starts_at": "25:00", "ends_at": "26:00"}, "starts_at", "Enter a time such as 09:30."),
        ({"starts_at": "12:00", "ends_at": ""}, "ends_at", "Enter a time such as 09:30."),
        (
            {"kind": "plenary", "starts_at": "12:00", "ends_at": "13:00"},
            "title",
            "A plenary item needs a title.",
        ),
        (
            {"kind": "party", "starts_at": "12:00", "ends_at": "13:00"},
            "kind",
            "Choose slot, plenary or break.",
        ),
        (
            {"starts_at": "12:00", "ends_at": "13:00", "title": "x" * 161},
            "title",
            "Use at most 160 characters.",
        ),
    ],
)
def test_add_block_errors_next_to_fields(
    organiser: TestClient,
    settings: Settings,
    session: Session,
    engine: Engine,
    owner: User,
    event: Event,
    form: dict[str, str],
    field: str,
    message: str,
) -> None:
    access = access_as(session, event, user=owner)
    day = events.days(session, event_id=access.event_id)[0]
    programme.add_block(
        session,
        access=access,
        day_id=day.id,  # type: ignore[arg-type]
        data=TimeBlockCreate(
            kind="plenary", starts_at=dt.time(9), ends_at=dt.time(10), title="Opening"
        ),
    )
    session.commit()
    before = snapshot(engine, skip=("rate_counter",))
    response = post(
        organiser, settings, f"/o/{event.slug}/days/{day.id}/blocks", {"kind": "slot", **form}
    )
    assert response.status_code == 422
    assert field_error(response.text, field) == message
    assert input_value(response.text, f"starts-{day.id}") == form["starts_at"]
    assert snapshot(engine, skip=("rate_counter",)) == before


def test_add_day_errors(
    organiser: TestClient, settings: Settings, engine: Engine, event: Event
) -> None:
    before = snapshot(engine, skip=("rate_counter",))
    response = post(organiser, settings, f"/o/{event.slug}/days", {"date": ""})
    assert response.status_code == 422
    assert field_error(response.text, "date") == "Choose a date."
    response = post(organiser, settings, f"/o/{event.slug}/days", {"date": "2026-06-09"})
    assert field_error(response.text, "date") == "This day is in the programme already."
    response = post(organiser, settings, f"/o/{event.slug}/days", {"date": "June"})
    assert field_error(response.text, "date") == "Enter a date such as 2026-06-09."
    assert snapshot(engine, skip=("rate_counter",)) == before


def test_delete_block_and_day(
    organiser: TestClient, settings: Settings, session: Session, owner: User, event: Event
) -> None:
    access = access_as(session, event, user=owner)
    day = events.days(session, event_id=access.event_id)[0]
    block = programme.add_block(
        session,
        access=access,
        day_id=day.id,  # type: ignore[arg-type]
        data=TimeBlockCreate(starts_at=dt.time(9), ends_at=dt.time(10)),
    )
    session.commit()
    assert post(organiser, settings, f"/o/{event.slug}/blocks/{block.id}/delete").status_code == 303
    sync(session)
    assert session.exec(select(TimeBlock)).all() == []
    assert post(organiser, settings, f"/o/{event.slug}/days/{day.id}/delete").status_code == 303
    sync(session)
    assert session.exec(select(Day).where(Day.event_id == event.id)).all() == []


def test_blocks_of_another_event_not_found(
    organiser: TestClient, settings: Settings, session: Session, engine: Engine, event: Event
) -> None:
    other_owner = make_user(session)
    other = make_event(session, owner=other_owner)
    access = access_as(session, other, user=other_owner)
    their_day = events.days(session, event_id=access.event_id)[0]
    block = programme.add_block(
        session,
        access=access,
        day_id=their_day.id,  # type: ignore[arg-type]
        data=TimeBlockCreate(starts_at=dt.time(9), ends_at=dt.time(10)),
    )
    session.commit()
    before = snapshot(engine, skip=("rate_counter",))
    slot = {"kind": "slot", "starts_at": "11:00", "ends_at": "12:00"}
    for url, data in [
        (f"/o/{event.slug}/days/{their_day.id}/blocks", slot),
        (f"/o/{event.slug}/days/{their_day.id}/delete", {}),
        (f"/o/{event.slug}/blocks/{block.id}/delete", {}),
        (f"/o/{event.slug}/blocks/{block.id}", slot),
        (f"/o/{event.slug}/days/{their_day.id}", {"day_title": "Mine"}),
    ]:
        assert post(organiser, settings, url, data).status_code == 404, url
    assert organiser.get(f"/o/{event.slug}/blocks/{block.id}/edit").status_code == 404
    assert snapshot(engine, skip=("rate_counter",)) == before


def test_a_programme_items_edit_page_is_for_the_events_staff_only(
    client: TestClient, settings: Settings, session: Session, owner: User, event: Event,
    new_client: Callable[[], TestClient],
) -> None:  # fmt: skip
    _day, slot = _opening_and_slot(session, owner, event)
    programme.update_block(
        session,
        access=access_as(session, event, user=owner),
        block_id=slot.id or 0,
        data=TimeBlockCreate(starts_at=slot.starts_at, ends_at=slot.ends_at, title="Backstage"),
    )
    session.commit()
    phone = new_client()
    join(phone, settings, event)
    client.get("/")
    url = f"/o/{event.slug}/blocks/{slot.id}/edit"

    answers = [
        (browser.get(url, follow_redirects=False), browser.get(url)) for browser in (client, phone)
    ]

    assert [first.status_code for first, _page in answers] == [303, 403]
    assert all("Backstage" not in page.text for _first, page in answers)


def _opening_and_slot(session: Session, owner: User, event: Event) -> tuple[Day, TimeBlock]:
    access = access_as(session, event, user=owner)
    day = events.days(session, event_id=access.event_id)[0]
    programme.add_block(
        session,
        access=access,
        day_id=day.id or 0,
        data=TimeBlockCreate(
            kind="plenary", starts_at=dt.time(9), ends_at=dt.time(10), title="Opening"
        ),
    )
    slot = programme.add_block(
        session,
        access=access,
        day_id=day.id or 0,
        data=TimeBlockCreate(starts_at=dt.time(11), ends_at=dt.time(12)),
    )
    session.commit()
    return day, slot


def test_edit_a_programme_item(
    organiser: TestClient, settings: Settings, session: Session, owner: User, event: Event
) -> None:
    _day, slot = _opening_and_slot(session, owner, event)
    programme_page = organiser.get(f"/o/{event.slug}/programme").text
    assert f'href="/o/{event.slug}/blocks/{slot.id}/edit"' in programme_page
    form = organiser.get(f"/o/{event.slug}/blocks/{slot.id}/edit")
    assert form.status_code == 200
    assert input_value(form.text, "starts_at") == "11:00"
    assert input_value(form.text, "ends_at") == "12:00"

    changed = {
        "kind": "plenary",
        "starts_at": "10:15",
        "ends_at": "12:30",
        "title": "Good practices",
        "presenter": "UNHCR",
    }
    response = post(organiser, settings, f"/o/{event.slug}/blocks/{slot.id}", changed)

    assert (response.status_code, response.headers["location"]) == (
        303,
        f"/o/{event.slug}/programme#block-{slot.id}",
    )
    sync(session)
    stored = session.get(TimeBlock, slot.id)
    assert stored is not None
    assert (stored.kind, stored.starts_at, stored.ends_at, stored.title, stored.presenter) == (
        "plenary",
        dt.time(10, 15),
        dt.time(12, 30),
        "Good practices",
        "UNHCR",
    )


@pytest.mark.parametrize(
    ("form", "field", "message"),
    [
        ({"starts_at": "11:00", "ends_at": "10:00"}, "ends_at", "The end must be after the start."),
        (
            {"starts_at": "09:30", "ends_at": "11:30"},
            "starts_at",
            "This overlaps Opening (09:00–10:00).",
        ),
        ({"starts_at": "noon", "ends_at": "13:00"}, "starts_at", "Enter a time such as 09:30."),
        (
            {"kind": "plenary", "starts_at": "11:00", "ends_at": "12:00"},
            "title",
            "A plenary item needs a title.",
        ),
    ],
)
def test_edit_a_programme_item_errors_next_to_fields(
    organiser: TestClient,
    settings: Settings,
    session: Session,
    engine: Engine,
    owner: User,
    event: Event,
    form: dict[str, str],
    field: str,
    message: str,
) -> None:
    _day, slot = _opening_and_slot(session, owner, event)
    before = snapshot(engine, skip=("rate_counter",))

    response = post(
        organiser, settings, f"/o/{event.slug}/blocks/{slot.id}", {"kind": "slot", **form}
    )

    assert response.status_code == 422
    assert field_error(response.text, field) == message
    assert input_value(response.text, "starts_at") == form["starts_at"]
    assert snapshot(engine, skip=("rate_counter",)) == before


def test_title_a_day_shown_on_the_programme_and_the_print_agenda(
    organiser: TestClient, settings: Settings, session: Session, engine: Engine, owner: User,
    event: Event,
) -> None:  # fmt: skip
    day, _slot = _opening_and_slot(session, owner, event)

    response = post(
        organiser, settings, f"/o/{event.slug}/days/{day.id}", {"day_title": "Day 1 — Mapping"}
    )

    assert (response.status_code, response.headers["location"]) == (
        303,
        f"/o/{event.slug}/programme#day-{day.id}",
    )
    sync(session)
    assert session.get(Day, day.id).title == "Day 1 — Mapping"  # type: ignore[union-attr]
    assert (
        "Tuesday, 9 June 2026 · <bdi>Day 1 — Mapping</bdi></h2>"
        in organiser.get(f"/o/{event.slug}/programme").text
    )
    assert (
        "· <bdi>Day 1 — Mapping</bdi></h2>" in organiser.get(f"/o/{event.slug}/agenda/print").text
    )
    assert "· <bdi>Day 1 — Mapping</bdi></h2>" in organiser.get(f"/o/{event.slug}/grid").text
    before = snapshot(engine, skip=("rate_counter",))
    refused = post(organiser, settings, f"/o/{event.slug}/days/{day.id}", {"day_title": "x" * 121})
    assert refused.status_code == 422
    assert field_error(refused.text, "day_title") == "Use at most 120 characters."
    assert input_value(refused.text, f"day-title-{day.id}") == "x" * 121
    assert snapshot(engine, skip=("rate_counter",)) == before


# --- team --------------------------------------------------------------------------------


def test_team_invite_and_remove(
    organiser: TestClient, settings: Settings, session: Session, event: Event
) -> None:
    response = post(organiser, settings, f"/o/{event.slug}/team/invite", {"note": "for Ivo"})
    assert response.status_code == 200
    assert input_value(response.text, "invite-link").startswith("http://testserver/invite/")
    sync(session)
    assert session.exec(select(Invitation.note)).all() == ["for Ivo"]
    helper = make_user(session, organiser=False, name="Fatme")
    session.add(EventMember(event_id=event.id, user_id=helper.id, role=Role.FACILITATOR))  # type: ignore[arg-type]
    session.commit()
    assert f'id="member-{helper.id}"' in organiser.get(f"/o/{event.slug}/team").text
    url = f"/o/{event.slug}/team/members/{helper.id}/remove"
    assert post(organiser, settings, url).headers["location"] == f"/o/{event.slug}/team"
    sync(session)
    assert access_as(session, event, user=helper).role is None


def test_team_invite_note_too_long(organiser: TestClient, settings: Settings, event: Event) -> None:
    response = post(organiser, settings, f"/o/{event.slug}/team/invite", {"note": "x" * 121})
    assert response.status_code == 422
    assert field_error(response.text, "note") == "Use at most 120 characters."


# --- who may open the organiser screens --------------------------------------------------

PAGES = ["", "/edit", "/rooms", "/programme", "/team", "/participants", "/poster"]


@pytest.mark.parametrize("page", PAGES)
def test_stranger_sent_to_login(client: TestClient, event: Event, page: str) -> None:
    response = client.get(f"/o/{event.slug}{page}", follow_redirects=False)
    assert (response.status_code, response.headers["location"]) == (
        303,
        f"/login?next=/o/{event.slug}{page}",
    )


def test_participant_gets_403_everywhere(
    client: TestClient, settings: Settings, engine: Engine, event: Event
) -> None:
    join(client, settings, event)
    for page in PAGES:
        response = client.get(f"/o/{event.slug}{page}", follow_redirects=False)
        assert response.status_code == 403, page
        assert "You do not have access to this page." in response.text
    before = snapshot(engine, skip=("rate_counter",))
    for url, data in [
        (f"/o/{event.slug}/rooms", {"name": "Mine", "capacity": "5"}),
        (f"/o/{event.slug}/days", {"date": "2026-06-11"}),
        (f"/o/{event.slug}/edit", {"name": "Mine"}),
        (f"/o/{event.slug}/board-link", {}),
        (f"/o/{event.slug}/team/invite", {}),
        (f"/o/{event.slug}/delete", {"confirm": event.slug}),
    ]:
        assert post(client, settings, url, data).status_code == 403, url
    assert snapshot(engine, skip=("rate_counter",)) == before


def test_signed_in_non_member_gets_403(
    client: TestClient, settings: Settings, session: Session, event: Event
) -> None:
    login(client, settings, make_user(session))
    assert client.get(f"/o/{event.slug}").status_code == 403


def test_facilitator_edits_rooms_but_cannot_delete_event(
    client: TestClient,
    settings: Settings,
    session: Session,
    engine: Engine,
    event: Event,
) -> None:
    _facilitator_client(session, settings, event, client)
    response = post(client, settings, f"/o/{event.slug}/rooms", {"name": "Hall", "capacity": "30"})
    assert response.status_code == 303
    assert _room_names(session, event) == ["Hall"]
    edit_page = client.get(f"/o/{event.slug}/edit")
    assert edit_page.status_code == 200
    assert f'action="/o/{event.slug}/delete"' not in edit_page.text
    team_page = client.get(f"/o/{event.slug}/team")
    assert f'action="/o/{event.slug}/team/invite"' not in team_page.text
    before = snapshot(engine, skip=("rate_counter",))
    response = post(client, settings, f"/o/{event.slug}/delete", {"confirm": event.slug})
    assert response.status_code == 403
    assert post(client, settings, f"/o/{event.slug}/team/invite").status_code == 403
    assert post(client, settings, f"/o/{event.slug}/join-code").status_code == 403
    assert snapshot(engine, skip=("rate_counter",)) == before


def test_participants_page_lists_people(
    organiser: TestClient,
    settings: Settings,
    new_client: Callable[[], TestClient],
    event: Event,
) -> None:
    phone = new_client()
    response = post(
        phone,
        settings,
        f"/j/{event.join_code}",
        {
            "name": "Mira",
            "organisation": "UNHCR",
            "org_type": "international",
            "consent_report": "true",
        },
    )
    assert response.status_code == 303
    html = organiser.get(f"/o/{event.slug}/participants").text
    assert '<td dir="auto">Mira</td><td dir="auto">UNHCR</td>' in html
    assert "International organisation" in html
