"""An event's file is held to the rules the services apply to what people type: a bad value is
refused with its entry named, and nothing is written (on SQLite and PostgreSQL)."""

from __future__ import annotations

import copy
import importlib
import pkgutil
from enum import StrEnum
from typing import Any

import pytest
from sqlalchemy import Engine
from sqlmodel import Session, SQLModel

from app import models
from app.config import Settings
from app.errors import Invalid
from app.i18n import LOCALES
from app.models.maps import Map, MapCard, MapCategory
from app.models.topics import CohostRequest
from app.security import normalise_join_code
from app.services.proceedings.archive import dump, restore
from app.services.proceedings.archive.rules import CHOICES
from tests.factories import make_event, make_user
from tests.report_helpers import World, make_world
from tests.routes.helpers import snapshot

AN_ADDRESS = (
    "an event address (lowercase letters, digits and dashes, such as lab-sofia-2026, and not a "
    "reserved word)"
)
PHASES = (
    "setup, programme, marketplace, voting, agenda, sessions, closing, convergence, actions, "
    "finished"
)


@pytest.fixture
def world(session: Session, settings: Settings) -> World:
    """The report's world, with a map, a card and a pending co-host request, so that every
    table with a fixed set of values has a row in the file."""
    owner = make_user(session, email="olga@example.org", name="Olga")
    event = make_event(session, owner=owner, name="Lab Sofia")
    world = make_world(session, settings, event=event, owner=owner)
    event_id = world.event.id or 0
    map_ = Map(event_id=event_id, question="What do we need?")
    session.add(map_)
    session.flush()
    category = MapCategory(event_id=event_id, map_id=map_.id or 0, name="Needs", colour="#fde68a")
    session.add(category)
    session.flush()
    session.add(
        MapCard(event_id=event_id, map_id=map_.id or 0, category_id=category.id or 0, text="Flats")
    )
    participant = world.dan.participant
    assert participant is not None
    session.add(
        CohostRequest(
            event_id=event_id, topic_id=world.tricky.id or 0, participant_id=participant.id or 0
        )
    )
    session.commit()
    return world


# (table, row, column, value, message)
BAD_VALUES: list[tuple[str, int, str, Any, str]] = [
    ("event", 0, "slug", "Lab Sofia", f'"Lab Sofia" is not {AN_ADDRESS}'),
    ("event", 0, "slug", "admin", f'"admin" is not {AN_ADDRESS}'),
    ("event", 0, "phase", "bogus", f'"bogus" is not a phase (one of {PHASES})'),
    ("event", 0, "timezone", "Mars/Olympus", '"Mars/Olympus" is not a time zone'),
    ("event", 0, "dots_per_participant", 0, "0 is not between 1 and 50"),
    ("event", 0, "max_dots_per_topic", 51, "51 is not between 1 and 50"),
    ("event", 0, "pitch_seconds", 5, "5 is not between 10 and 600"),
    ("event", 0, "freeze_minutes", -1, "-1 is not between 0 and 240"),
    ("event", 0, "name", "L" * 161, "longer than 160 characters"),
    (
        "event",
        0,
        "languages",
        ["en", "english"],
        '"english" is not a language code (such as en, bg, uk, ar)',
    ),
    ("event", 0, "languages", [], 'expected a list of language codes, such as ["en", "bg"]'),
    ("event", 0, "languages", "en", 'expected a list of language codes, such as ["en", "bg"]'),
    (
        "event_member",
        0,
        "role",
        "owner",
        '"owner" is not a role (one of organiser, facilitator, participant, board)',
    ),
    ("day", 0, "date", "1999-12-31", "Choose a date between 2000-01-01 and 2100-12-31."),
    ("room", 0, "capacity", 0, "0 is not between 1 and 10000"),
    (
        "time_block",
        1,
        "kind",
        "lunch",
        '"lunch" is not a kind of time block (one of slot, plenary, break)',
    ),
    (
        "participant",
        2,
        "org_type",
        "company",
        '"company" is not a type of organisation (one of ngo, municipality, state, '
        "international, community, other, or empty)",
    ),
    (
        "participant",
        0,
        "locale",
        "fr",
        f'"fr" is not a language of the app (one of {", ".join(LOCALES)})',
    ),
    (
        "topic",
        3,
        "status",
        "deleted",
        '"deleted" is not a topic status (one of active, hidden, merged, withdrawn)',
    ),
    (
        "topic",
        1,
        "language",
        "klingon",
        '"klingon" is not a language code (such as en, bg, uk, ar)',
    ),
    (
        "cohost_request",
        0,
        "status",
        "accepted",
        '"accepted" is not a co-host request status (one of pending, declined)',
    ),
    (
        "pitch_entry",
        0,
        "status",
        "paused",
        '"paused" is not a pitch status (one of waiting, current, done)',
    ),
    ("map", 0, "layout", "grid", '"grid" is not a map layout (one of columns, matrix)'),
    (
        "map_card",
        0,
        "status",
        "gone",
        '"gone" is not a card status (one of active, hidden, merged)',
    ),
]


@pytest.mark.parametrize(
    ("table", "index", "column", "value", "message"),
    BAD_VALUES,
    ids=[f"{table}.{column}={value!r}"[:60] for table, _i, column, value, _m in BAD_VALUES],
)
def test_a_value_the_services_refuse_is_refused_and_nothing_is_written(
    session: Session,
    engine: Engine,
    world: World,
    table: str,
    index: int,
    column: str,
    value: Any,
    message: str,
) -> None:
    data = dump.export_event(session, event=world.event)
    data["tables"][table][index][column] = value
    before = snapshot(engine)
    with pytest.raises(Invalid) as caught:
        restore.import_event(session, data=data)
    assert caught.value.errors == {f"tables.{table}[{index}].{column}": message}
    session.rollback()
    assert snapshot(engine) == before


def test_every_bad_value_of_a_file_is_named(session: Session, world: World) -> None:
    data = dump.export_event(session, event=world.event)
    data["tables"]["event"][0].update(phase="bogus", dots_per_participant=0)
    data["tables"]["topic"][2]["status"] = "deleted"
    with pytest.raises(Invalid) as caught:
        restore.import_event(session, data=data)
    assert sorted(caught.value.errors) == [
        "tables.event[0].dots_per_participant",
        "tables.event[0].phase",
        "tables.topic[2].status",
    ]


def test_the_values_the_app_makes_are_imported(session: Session, world: World) -> None:
    """Empty organisation types and topic languages, any language code for a topic, a
    non-default phase and rules at their bounds all pass."""
    data = dump.export_event(session, event=world.event)
    data["tables"]["event"][0].update(
        phase="closing", dots_per_participant=50, max_dots_per_topic=1, freeze_minutes=0
    )
    data["tables"]["topic"][0]["language"] = "uk"
    data["tables"]["topic"][1]["language"] = ""
    data["tables"]["participant"][3]["org_type"] = ""
    imported = restore.import_event(session, data=copy.deepcopy(data))
    assert (imported.phase, imported.dots_per_participant, imported.freeze_minutes) == (
        "closing",
        50,
        0,
    )


@pytest.mark.parametrize("code", ["abc123", "AB-12", ""])
def test_a_join_code_nobody_can_type_is_replaced(session: Session, world: World, code: str) -> None:
    data = dump.export_event(session, event=world.event)
    data["tables"]["event"][0]["join_code"] = code
    imported = restore.import_event(session, data=data)
    assert imported.join_code != code
    assert normalise_join_code(imported.join_code) == imported.join_code != ""


def test_every_column_with_a_fixed_set_of_values_has_its_rule() -> None:
    """A model field whose default is a StrEnum member holds that enum's values, and every
    StrEnum of the models is some column's rule: a new one cannot be forgotten."""
    defaults = {
        f"{model.__tablename__}.{name}": tuple(type(info.default))
        for model in _models()
        for name, info in model.model_fields.items()
        if isinstance(info.default, StrEnum)
    }
    assert defaults
    assert {key: CHOICES[key].values for key in defaults} == defaults
    enums = {
        value
        for module in pkgutil.iter_modules(models.__path__, "app.models.")
        for value in vars(importlib.import_module(module.name)).values()
        if isinstance(value, type) and issubclass(value, StrEnum) and value is not StrEnum
    }
    assert len(enums) == 9
    used = {choice.values for choice in CHOICES.values()}
    assert {tuple(enum) for enum in enums} <= used


def _models() -> list[type[SQLModel]]:
    return [
        model
        for name in models.__all__
        if isinstance(model := getattr(models, name), type) and hasattr(model, "__table__")
    ]
