"""What an event's file must hold beyond the columns' types: the rules the services apply to
what people type, so that an imported event is one the app could have made. Without them a
bogus phase or role in a file became an event whose every page failed.

Each rule is taken from where it lives, never written again: the text columns that hold one
of a fixed set of values name their ``StrEnum`` (``CHOICES``; a test fails when a column
whose model default is one is missing); the bounds are the models' own ``Field(ge=…, le=…)``;
lengths are the columns' (checked with the types in ``schema.load_value``); the event's
address, time zone and languages are the events service's checks, a day's date the
programme's.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from functools import cache
from typing import Any

import annotated_types
import sqlalchemy as sa
from sqlmodel import SQLModel
from sqlmodel.main import default_registry

from app.errors import Invalid
from app.i18n import LOCALES
from app.models.events import BlockKind, Phase, Role
from app.models.maps import CardStatus, MapLayout
from app.models.people import OrgType
from app.models.topics import CohostRequestStatus, PitchStatus, TopicStatus
from app.services.events.events import valid_language, valid_slug, valid_time_zone
from app.services.events.programme import check_day

Check = Callable[[Any], str | None]  # a value → what is wrong with it, or None


def _quoted(value: object) -> str:
    return json.dumps(value, ensure_ascii=False)


@dataclass(frozen=True)
class Choice:
    """A text column that holds one of ``values`` (or nothing, when ``empty``)."""

    values: tuple[str, ...]
    noun: str  # "a phase": what the value is not
    empty: bool = False

    @classmethod
    def of(cls, enum: type[StrEnum], noun: str, *, empty: bool = False) -> Choice:
        return cls(tuple(member.value for member in enum), noun, empty)

    def __call__(self, value: Any) -> str | None:
        if value in self.values or (self.empty and value == ""):
            return None
        listed = ", ".join(self.values) + (", or empty" if self.empty else "")
        return f"{_quoted(value)} is not {self.noun} (one of {listed})"


CHOICES: dict[str, Choice] = {
    "event.phase": Choice.of(Phase, "a phase"),
    "event_member.role": Choice.of(Role, "a role"),
    "time_block.kind": Choice.of(BlockKind, "a kind of time block"),
    "participant.org_type": Choice.of(OrgType, "a type of organisation", empty=True),
    "participant.locale": Choice(LOCALES, "a language of the app"),
    "topic.status": Choice.of(TopicStatus, "a topic status"),
    "cohost_request.status": Choice.of(CohostRequestStatus, "a co-host request status"),
    "pitch_entry.status": Choice.of(PitchStatus, "a pitch status"),
    "map.layout": Choice.of(MapLayout, "a map layout"),
    "map_card.status": Choice.of(CardStatus, "a card status"),
}


def _slug(value: Any) -> str | None:
    if valid_slug(value):
        return None
    return (
        f"{_quoted(value)} is not an event address (lowercase letters, digits and dashes, "
        "such as lab-sofia-2026, and not a reserved word)"
    )


def _time_zone(value: Any) -> str | None:
    return None if valid_time_zone(value) else f"{_quoted(value)} is not a time zone"


def _language(value: Any) -> str | None:
    if isinstance(value, str) and valid_language(value):
        return None
    return f"{_quoted(value)} is not a language code (such as en, bg, uk, ar)"


def _languages(value: Any) -> str | None:
    """The event's languages (a JSON column): a list of at least one code."""
    if not isinstance(value, list) or not value:
        return 'expected a list of language codes, such as ["en", "bg"]'
    return next((message for code in value if (message := _language(code))), None)


def _topic_language(value: Any) -> str | None:
    # Any language, not only the event's: a topic keeps its language when the event drops one.
    return None if value == "" else _language(value)


def _day(value: Any) -> str | None:
    try:
        check_day(value, field="date")
    except Invalid as error:
        return error.errors["date"]
    return None


def _host_name(value: Any) -> str | None:
    return None if value.strip() else "an organisation needs a name"


CHECKS: dict[str, Check] = {
    **CHOICES,
    "event.slug": _slug,
    "event.timezone": _time_zone,
    "event.languages": _languages,
    "topic.language": _topic_language,
    "day.date": _day,
    "event_host.name": _host_name,
}


@cache
def _models() -> dict[str, type[SQLModel]]:
    """Each table's model, whose fields carry the bounds."""
    return {mapper.class_.__tablename__: mapper.class_ for mapper in default_registry.mappers}


@cache
def _bounds(table: str, column: str) -> tuple[Any, Any]:
    """The model's ``Field(ge=…, le=…)``, as (lowest, highest), None where there is none."""
    model = _models().get(table)
    info = model.model_fields.get(column) if model is not None else None
    low = high = None
    for item in info.metadata if info is not None else []:
        if isinstance(item, annotated_types.Ge):
            low = item.ge
        elif isinstance(item, annotated_types.Le):
            high = item.le
    return low, high


def _in_bounds(table: str, column: str, value: Any) -> str | None:
    low, high = _bounds(table, column)
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    if low is not None and high is not None and not low <= value <= high:
        return f"{value} is not between {low} and {high}"
    if low is not None and value < low:
        return f"{value} is less than {low}"
    if high is not None and value > high:
        return f"{value} is more than {high}"
    return None


def row_errors(table: sa.Table, values: dict[str, Any]) -> dict[str, str]:
    """What is wrong in one row whose values have their types already (``load_value``):
    column name → message."""
    errors: dict[str, str] = {}
    for column, value in values.items():
        if value is None:
            continue
        check = CHECKS.get(f"{table.name}.{column}")
        message = check(value) if check is not None else None
        message = message or _in_bounds(table.name, column, value)
        if message:
            errors[column] = message
    return errors
