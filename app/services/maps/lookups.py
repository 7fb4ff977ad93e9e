"""Lookups by id, always within the caller's event, and the small checks every form shares."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from sqlmodel import Session, col, func, select

from app.errors import Invalid, NotFound
from app.i18n import _
from app.models.base import MAX_ID
from app.models.maps import (
    Map,
    MapCard,
    MapCategory,
    MapCluster,
    MapPlace,
)
from app.services.access import EventAccess
from app.services.text import check_length

# --- lookups, always within the caller's event -------------------------------------------


def _in_range(number: int | None) -> bool:
    return number is not None and 0 < number <= MAX_ID


# The tables a lookup by id may read: each row carries its event (and, but for a map, its map).
_EventRow = TypeVar("_EventRow", Map, MapCard, MapCategory, MapPlace, MapCluster)


_MapRow = TypeVar("_MapRow", MapCard, MapCategory, MapPlace, MapCluster)


def _event_row(
    session: Session, model: type[_EventRow], row_id: int, *, access: EventAccess, missing: str
) -> _EventRow:
    """The row of ``model`` with ``row_id`` if it is of the caller's event; else NotFound
    with the message ``missing``."""
    row = session.get(model, row_id) if _in_range(row_id) else None
    if row is None or row.event_id != access.event_id:
        raise NotFound(missing)
    return row


def map_row(
    session: Session, model: type[_MapRow], row_id: int | None, *, map_id: int | None
) -> _MapRow | None:
    """The row of ``model`` with ``row_id`` if it is of the map ``map_id``, else None: what a
    form chose, checked before the service words its message for the field."""
    row = session.get(model, row_id) if _in_range(row_id) else None
    return row if row is not None and row.map_id == map_id else None


def get_map(session: Session, *, access: EventAccess, map_id: int) -> Map:
    return _event_row(session, Map, map_id, access=access, missing=_("There is no such map."))


def get_card(session: Session, *, access: EventAccess, card_id: int) -> MapCard:
    return _event_row(session, MapCard, card_id, access=access, missing=_("There is no such card."))


def get_category(session: Session, *, access: EventAccess, category_id: int) -> MapCategory:
    missing = _("There is no such category.")
    return _event_row(session, MapCategory, category_id, access=access, missing=missing)


def get_place(session: Session, *, access: EventAccess, place_id: int) -> MapPlace:
    missing = _("There is no such place.")
    return _event_row(session, MapPlace, place_id, access=access, missing=missing)


def get_cluster(session: Session, *, access: EventAccess, cluster_id: int) -> MapCluster:
    missing = _("There is no such cluster.")
    return _event_row(session, MapCluster, cluster_id, access=access, missing=missing)


def card_category(session: Session, *, map_: Map, category_id: int | None) -> MapCategory:
    """The category a card goes in: one of *this* map's, or a message next to the field."""
    category = map_row(session, MapCategory, category_id, map_id=map_.id)
    if category is None:
        raise Invalid({"category": _("Choose one of this map's categories.")})
    return category


def card_place(session: Session, *, map_: Map, place_id: int | None) -> MapPlace | None:
    if not map_.uses_places or place_id is None:
        return None  # a form from before places were turned off: nothing to keep
    place = map_row(session, MapPlace, place_id, map_id=map_.id)
    if place is None:
        raise Invalid({"place": _("Choose one of this map's places.")})
    return place


def count_rows(session: Session, model: Any, *conditions: Any) -> int:
    return int(session.exec(select(func.count()).select_from(model).where(*conditions)).one())


def checked(checks: dict[str, Callable[[], Any]]) -> dict[str, Any]:
    """Run every check of a form at once, so that each message shows next to its field: the
    checked values by field, or Invalid with every message."""
    errors: dict[str, str] = {}
    values: dict[str, Any] = {}
    for key, check in checks.items():
        try:
            values[key] = check()
        except Invalid as error:
            errors.update(error.errors)
    if errors:
        raise Invalid(errors)
    return values


def clean_name(value: str, *, field_name: str, limit: int, empty: str) -> str:
    value = " ".join(value.split())
    if not value:
        raise Invalid({field_name: empty})
    check_length(value, limit, field=field_name)
    return value


# --- categories and places ---------------------------------------------------------------


# What a facilitator puts in an order of their own, within one map.
Ordered = TypeVar("Ordered", MapCategory, MapPlace, MapCluster)


def in_order(session: Session, model: type[Ordered], *, map_id: int) -> list[Ordered]:
    return list(
        session.exec(
            select(model)
            .where(col(model.map_id) == map_id)
            .order_by(col(model.position), col(model.id))
        ).all()
    )


def categories(session: Session, *, map_id: int) -> list[MapCategory]:
    return in_order(session, MapCategory, map_id=map_id)


def places(session: Session, *, map_id: int) -> list[MapPlace]:
    return in_order(session, MapPlace, map_id=map_id)
