"""The mapping workshop: maps of opportunities, initiatives and needs, live on the projector.

Facilitators make maps (a question, categories, an optional list of places), put one on the
board, cluster, merge and hide cards, and freeze a map when the activity ends. Participants post
cards from their phones, change or delete their own, and +1 other people's cards once each.
Everything is scoped to the event of the ``EventAccess`` passed in.
"""

from __future__ import annotations

import csv
import io
from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, delete, func, select, update

from app.errors import Conflict, Invalid, NotFound, PermissionDenied
from app.i18n import N_, _, use_locale
from app.models.base import MAX_ID, utcnow
from app.models.events import Role
from app.models.maps import (
    CARD_TEXT_MAX,
    CATEGORY_NAME_MAX,
    CLUSTER_NAME_MAX,
    PLACE_NAME_MAX,
    QUESTION_MAX,
    REASON_MAX,
    CardStatus,
    Map,
    MapCard,
    MapCategory,
    MapCluster,
    MapLayout,
    MapPlace,
    MapPlusOne,
)
from app.models.people import ORG_TYPE_LABELS, Participant
from app.services.access import EventAccess
from app.services.text import check_length

MAX_MAPS_PER_EVENT = 20
MAX_CATEGORIES = 12
MAX_PLACES = 60
MAX_CLUSTERS = 200
MAX_CARDS_PER_MAP = 2000
MAX_CARDS_PER_PARTICIPANT = 50  # per map: a room of phones, not a bulk import
# Up to this many cards the board shows every card; above it clusters collapse to their
# name and count, and each column shows its most supported loose cards.
BOARD_FULL = 30
BOARD_LOOSE_LIMIT = 6
MATRIX_CELL_LIMIT = 2

# Category colours: a fixed palette, so that every colour has a CSS class (the CSP allows no
# inline styles) and a text colour that reads on it (see text_colour()).
PALETTE: dict[str, str] = {
    "#ffd166": N_("Yellow"),
    "#7bd389": N_("Green"),
    "#8ecae6": N_("Blue"),
    "#f4a261": N_("Orange"),
    "#f4acb7": N_("Pink"),
    "#c3aed6": N_("Lilac"),
    "#d9d9d9": N_("Grey"),
    "#1d3557": N_("Navy"),
    "#9d0208": N_("Red"),
    "#2a6f4e": N_("Forest"),
}
DEFAULT_CATEGORIES: tuple[tuple[str, str], ...] = (
    (N_("Opportunities"), "#7bd389"),
    (N_("Initiatives"), "#8ecae6"),
    (N_("Needs"), "#f4a261"),
)
DARK_TEXT = "#111111"
LIGHT_TEXT = "#ffffff"
CSV_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")


# --- colours -----------------------------------------------------------------------------


def _luminance(colour: str) -> float:
    channels = [int(colour[i : i + 2], 16) / 255 for i in (1, 3, 5)]
    linear = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def contrast(first: str, second: str) -> float:
    """The WCAG contrast ratio of two "#rrggbb" colours."""
    lighter, darker = sorted((_luminance(first), _luminance(second)), reverse=True)
    return (lighter + 0.05) / (darker + 0.05)


def text_colour(background: str) -> str:
    """Near-black or white, whichever reads better on ``background`` (always ≥ 4.5:1)."""
    dark, light = contrast(background, DARK_TEXT), contrast(background, LIGHT_TEXT)
    return DARK_TEXT if dark >= light else LIGHT_TEXT


def swatch_class(colour: str) -> str:
    """The CSS class that paints a category in ``colour`` (app.css has one per palette entry)."""
    return "swatch-" + colour.lstrip("#") if colour in PALETTE else "swatch-d9d9d9"


# --- views: what pages and live frames show ----------------------------------------------


@dataclass
class CardView:
    id: int
    text: str
    category_id: int
    place_id: int | None
    place: str
    cluster_id: int | None
    org_type: str
    plus_ones: int = 0
    merged: int = 0  # duplicates merged into this card

    @property
    def org_type_label(self) -> str:
        return _(ORG_TYPE_LABELS[self.org_type]) if self.org_type in ORG_TYPE_LABELS else ""


def _ranked(cards: list[CardView]) -> list[CardView]:
    return sorted(cards, key=lambda card: (-card.plus_ones, card.id))


@dataclass
class ClusterView:
    id: int
    name: str
    category_id: int
    cards: list[CardView] = field(default_factory=list)

    @property
    def count(self) -> int:
        return len(self.cards)

    @property
    def ranked(self) -> list[CardView]:
        return _ranked(self.cards)


@dataclass
class CategoryView:
    id: int
    name: str
    colour: str
    clusters: list[ClusterView] = field(default_factory=list)
    loose: list[CardView] = field(default_factory=list)  # cards in no cluster

    @property
    def swatch(self) -> str:
        return swatch_class(self.colour)

    @property
    def count(self) -> int:
        return len(self.loose) + sum(cluster.count for cluster in self.clusters)

    @property
    def cards(self) -> list[CardView]:
        """Every card of the category in the order they were posted (phones keep it)."""
        return sorted(
            [*self.loose, *(card for cluster in self.clusters for card in cluster.cards)],
            key=lambda card: card.id,
        )

    @property
    def ranked_loose(self) -> list[CardView]:
        return _ranked(self.loose)


@dataclass
class PlaceView:
    id: int
    name: str


@dataclass
class CellView:
    count: int = 0
    clusters: list[tuple[str, int]] = field(default_factory=list)
    cards: list[CardView] = field(default_factory=list)  # loose cards, most supported first
    limit: int = MATRIX_CELL_LIMIT  # how many of them the board shows

    @property
    def shown(self) -> list[CardView]:
        return self.cards[: self.limit]

    @property
    def more(self) -> int:
        return max(len(self.cards) - self.limit, 0)


@dataclass
class MatrixRow:
    place: str
    cells: list[CellView]

    @property
    def count(self) -> int:
        return sum(cell.count for cell in self.cells)


@dataclass
class MapView:
    """A map with its active cards grouped by category and cluster: the board, the phones'
    map page and the facilitator's clustering page all show this."""

    id: int
    question: str
    uses_places: bool
    uses_org_type: bool
    layout: str
    frozen: bool
    on_board: bool
    categories: list[CategoryView]
    places: list[PlaceView]

    @property
    def total(self) -> int:
        return sum(category.count for category in self.categories)

    @property
    def collapsed(self) -> bool:
        """Too many cards for the board to show each: clusters show their name and count."""
        return self.total > BOARD_FULL

    @property
    def matrix(self) -> bool:
        return self.layout == MapLayout.MATRIX and self.uses_places

    @property
    def clusters(self) -> list[ClusterView]:
        return [cluster for category in self.categories for cluster in category.clusters]

    def board_loose(self, category: CategoryView) -> list[CardView]:
        """The category's loose cards the board shows: all, or the most supported few."""
        loose = category.ranked_loose
        return loose[:BOARD_LOOSE_LIMIT] if self.collapsed else loose

    def matrix_rows(self) -> list[MatrixRow]:
        """Places × categories; cards without a place form a last row when there are any."""
        rows: list[MatrixRow] = []
        keys: list[tuple[int | None, str]] = [(place.id, place.name) for place in self.places]
        keys.append((None, _("No place given")))
        for place_id, name in keys:
            cells = []
            for category in self.categories:
                cell = CellView(limit=1 if self.collapsed else MATRIX_CELL_LIMIT)
                for cluster in category.clusters:
                    inside = [card for card in cluster.cards if card.place_id == place_id]
                    if inside:
                        cell.clusters.append((cluster.name, len(inside)))
                        cell.count += len(inside)
                loose = [card for card in category.loose if card.place_id == place_id]
                cell.cards = _ranked(loose)
                cell.count += len(loose)
                cells.append(cell)
            row = MatrixRow(place=name, cells=cells)
            if place_id is not None or row.count:
                rows.append(row)
        return rows


def _map_view(session: Session, *, map_: Map) -> MapView:
    """Load one map's view in a fixed number of queries, however many cards it has."""
    map_id = map_.id or 0
    categories = _in_order(session, MapCategory, map_id=map_id)
    places = _in_order(session, MapPlace, map_id=map_id)
    clusters = _in_order(session, MapCluster, map_id=map_id)
    rows = session.exec(
        select(MapCard, Participant.org_type)
        .join(Participant, Participant.id == MapCard.participant_id, isouter=True)  # type: ignore[arg-type]
        .where(MapCard.map_id == map_id, MapCard.status == CardStatus.ACTIVE)
        .order_by(col(MapCard.id))
    ).all()
    plus_counts = dict(
        session.exec(
            select(MapPlusOne.card_id, func.count(col(MapPlusOne.id)))
            .join(MapCard, MapCard.id == MapPlusOne.card_id)  # type: ignore[arg-type]
            .where(MapCard.map_id == map_id)
            .group_by(col(MapPlusOne.card_id))
        ).all()
    )
    merged_counts = dict(
        session.exec(
            select(MapCard.merged_into_id, func.count(col(MapCard.id)))
            .where(MapCard.map_id == map_id, MapCard.status == CardStatus.MERGED)
            .group_by(col(MapCard.merged_into_id))
        ).all()
    )
    place_names = {place.id: place.name for place in places}
    category_views = {
        category.id: CategoryView(id=category.id or 0, name=category.name, colour=category.colour)
        for category in categories
    }
    cluster_views: dict[int | None, ClusterView] = {}
    for cluster in clusters:
        group = ClusterView(id=cluster.id or 0, name=cluster.name, category_id=cluster.category_id)
        cluster_views[cluster.id] = group
        category_views[cluster.category_id].clusters.append(group)
    for card, org_type in rows:
        view = CardView(
            id=card.id or 0,
            text=card.text,
            category_id=card.category_id,
            place_id=card.place_id,
            place=place_names.get(card.place_id, "") if map_.uses_places else "",
            cluster_id=card.cluster_id,
            org_type=(org_type or "") if map_.uses_org_type else "",
            plus_ones=int(plus_counts.get(card.id or 0, 0)),
            merged=int(merged_counts.get(card.id, 0)),
        )
        home = cluster_views.get(card.cluster_id)
        # A card's cluster always has its category (moving a card keeps them together).
        if home is not None and home.category_id == card.category_id:
            home.cards.append(view)
        else:
            category_views[card.category_id].loose.append(view)
    return MapView(
        id=map_id,
        question=map_.question,
        uses_places=map_.uses_places,
        uses_org_type=map_.uses_org_type,
        layout=map_.layout,
        frozen=map_.frozen,
        on_board=map_.on_board,
        categories=list(category_views.values()),
        places=[PlaceView(id=place.id or 0, name=place.name) for place in places],
    )


def board_state(session: Session, *, event_id: int) -> MapView | None:
    """The map on the board of ``event_id``, if any (for the live frame)."""
    map_ = session.exec(
        select(Map)
        .where(Map.event_id == event_id, col(Map.on_board).is_(True))
        .order_by(col(Map.id))
    ).first()
    return _map_view(session, map_=map_) if map_ is not None else None


def map_view(session: Session, *, access: EventAccess, map_id: int) -> MapView:
    """A map as participants and staff see it (anyone in the event may look)."""
    access.require(Role.ORGANISER, Role.FACILITATOR, Role.PARTICIPANT)
    return _map_view(session, map_=_map(session, access=access, map_id=map_id))


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


def _map_row(
    session: Session, model: type[_MapRow], row_id: int | None, *, map_id: int | None
) -> _MapRow | None:
    """The row of ``model`` with ``row_id`` if it is of the map ``map_id``, else None: what a
    form chose, checked before the service words its message for the field."""
    row = session.get(model, row_id) if _in_range(row_id) else None
    return row if row is not None and row.map_id == map_id else None


def _map(session: Session, *, access: EventAccess, map_id: int) -> Map:
    return _event_row(session, Map, map_id, access=access, missing=_("There is no such map."))


def _card(session: Session, *, access: EventAccess, card_id: int) -> MapCard:
    return _event_row(session, MapCard, card_id, access=access, missing=_("There is no such card."))


def _category(session: Session, *, access: EventAccess, category_id: int) -> MapCategory:
    missing = _("There is no such category.")
    return _event_row(session, MapCategory, category_id, access=access, missing=missing)


def _place(session: Session, *, access: EventAccess, place_id: int) -> MapPlace:
    missing = _("There is no such place.")
    return _event_row(session, MapPlace, place_id, access=access, missing=missing)


def _cluster(session: Session, *, access: EventAccess, cluster_id: int) -> MapCluster:
    missing = _("There is no such cluster.")
    return _event_row(session, MapCluster, cluster_id, access=access, missing=missing)


def _card_category(session: Session, *, map_: Map, category_id: int | None) -> MapCategory:
    """The category a card goes in: one of *this* map's, or a message next to the field."""
    category = _map_row(session, MapCategory, category_id, map_id=map_.id)
    if category is None:
        raise Invalid({"category": _("Choose one of this map's categories.")})
    return category


def _card_place(session: Session, *, map_: Map, place_id: int | None) -> MapPlace | None:
    if not map_.uses_places or place_id is None:
        return None  # a form from before places were turned off: nothing to keep
    place = _map_row(session, MapPlace, place_id, map_id=map_.id)
    if place is None:
        raise Invalid({"place": _("Choose one of this map's places.")})
    return place


def _count(session: Session, model: Any, *conditions: Any) -> int:
    return int(session.exec(select(func.count()).select_from(model).where(*conditions)).one())


def _checked(checks: dict[str, Callable[[], Any]]) -> dict[str, Any]:
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


def _name(value: str, *, field_name: str, limit: int, empty: str) -> str:
    value = " ".join(value.split())
    if not value:
        raise Invalid({field_name: empty})
    check_length(value, limit, field=field_name)
    return value


def _question(question: str) -> str:
    return _name(
        question, field_name="question", limit=QUESTION_MAX, empty=_("Ask the map's question.")
    )


def _layout(layout: str, *, uses_places: bool) -> str:
    if layout not in set(MapLayout):
        raise Invalid({"layout": _("Choose one of the listed layouts.")})
    if layout == MapLayout.MATRIX and not uses_places:
        raise Invalid({"layout": _("The matrix needs places: let cards carry a place first.")})
    return layout


def _colour(value: str) -> str:
    value = value.strip().lower()
    if value not in PALETTE:
        raise Invalid({"colour": _("Choose one of the listed colours.")})
    return value


# --- maps --------------------------------------------------------------------------------


def event_maps(session: Session, *, access: EventAccess) -> list[Map]:
    """The event's maps in their order; participants see them all (frozen ones read-only)."""
    access.require(Role.ORGANISER, Role.FACILITATOR, Role.PARTICIPANT)
    return list(
        session.exec(
            select(Map)
            .where(Map.event_id == access.event_id)
            .order_by(col(Map.position), col(Map.id))
        ).all()
    )


def card_counts(session: Session, *, access: EventAccess) -> dict[int, int]:
    """Active cards per map of the event."""
    rows = session.exec(
        select(MapCard.map_id, func.count(col(MapCard.id)))
        .where(MapCard.event_id == access.event_id, MapCard.status == CardStatus.ACTIVE)
        .group_by(col(MapCard.map_id))
    ).all()
    return {map_id: int(count) for map_id, count in rows}


def create_map(
    session: Session,
    *,
    access: EventAccess,
    question: str,
    uses_places: bool = False,
    uses_org_type: bool = False,
) -> Map:
    """A new map with the default categories, named in the event's main language."""
    access.require_staff()
    question = _question(question)
    existing = _count(session, Map, Map.event_id == access.event_id)
    if existing >= MAX_MAPS_PER_EVENT:
        raise Invalid({"question": _("This event has reached its limit of maps.")})
    map_ = Map(
        event_id=access.event_id,
        question=question,
        uses_places=uses_places,
        uses_org_type=uses_org_type,
        position=existing,
    )
    session.add(map_)
    session.flush()
    # The map is the event's, not the facilitator's: its categories speak the event's language.
    with use_locale(access.event.languages[0] if access.event.languages else "en"):
        names = [(_(name), colour) for name, colour in DEFAULT_CATEGORIES]
    for position, (name, colour) in enumerate(names):
        session.add(
            MapCategory(
                event_id=access.event_id,
                map_id=map_.id,  # type: ignore[arg-type]
                name=name,
                colour=colour,
                position=position,
            )
        )
    session.commit()
    session.refresh(map_)
    return map_


def update_map(
    session: Session,
    *,
    access: EventAccess,
    map_id: int,
    question: str,
    uses_places: bool,
    uses_org_type: bool,
    layout: str,
) -> Map:
    access.require_staff()
    map_ = _map(session, access=access, map_id=map_id)
    values = _checked(
        {
            "question": lambda: _question(question),
            "layout": lambda: _layout(layout, uses_places=uses_places),
        }
    )
    map_.question = values["question"]
    map_.uses_places = uses_places
    map_.uses_org_type = uses_org_type
    map_.layout = values["layout"]
    session.add(map_)
    session.commit()
    return map_


def delete_map(session: Session, *, access: EventAccess, map_id: int) -> None:
    """Delete a map that has no cards (a map with cards is frozen instead: nothing is lost)."""
    access.require_staff()
    map_ = _map(session, access=access, map_id=map_id)
    if _count(session, MapCard, MapCard.map_id == map_.id):
        raise Conflict(_("This map has cards and cannot be deleted. Freeze it instead."))
    session.delete(map_)
    session.commit()


def set_frozen(session: Session, *, access: EventAccess, map_id: int, frozen: bool) -> Map:
    """Freeze a map when the activity ends (or open it again)."""
    access.require_staff()
    map_ = _map(session, access=access, map_id=map_id)
    map_.frozen = frozen
    session.add(map_)
    session.commit()
    return map_


def show_on_board(session: Session, *, access: EventAccess, map_id: int) -> Map:
    """Put a map on the board instead of the topics; any other map leaves it."""
    access.require_staff()
    map_ = _map(session, access=access, map_id=map_id)
    # One statement: two facilitators clicking at once still leave exactly one map shown.
    session.execute(
        update(Map)
        .where(col(Map.event_id) == access.event_id)
        .values(on_board=col(Map.id) == map_id)
    )
    session.commit()
    session.refresh(map_)
    return map_


def take_off_board(session: Session, *, access: EventAccess) -> None:
    access.require_staff()
    session.execute(update(Map).where(col(Map.event_id) == access.event_id).values(on_board=False))
    session.commit()


def staff_map(session: Session, *, access: EventAccess, map_id: int) -> Map:
    access.require_staff()
    return _map(session, access=access, map_id=map_id)


def staff_category(session: Session, *, access: EventAccess, category_id: int) -> MapCategory:
    access.require_staff()
    return _category(session, access=access, category_id=category_id)


def staff_place(session: Session, *, access: EventAccess, place_id: int) -> MapPlace:
    access.require_staff()
    return _place(session, access=access, place_id=place_id)


def staff_cluster(session: Session, *, access: EventAccess, cluster_id: int) -> MapCluster:
    access.require_staff()
    return _cluster(session, access=access, cluster_id=cluster_id)


# --- categories and places ---------------------------------------------------------------


# What a facilitator puts in an order of their own, within one map.
_Ordered = TypeVar("_Ordered", MapCategory, MapPlace, MapCluster)


def _in_order(session: Session, model: type[_Ordered], *, map_id: int) -> list[_Ordered]:
    return list(
        session.exec(
            select(model)
            .where(col(model.map_id) == map_id)
            .order_by(col(model.position), col(model.id))
        ).all()
    )


def categories(session: Session, *, map_id: int) -> list[MapCategory]:
    return _in_order(session, MapCategory, map_id=map_id)


def places(session: Session, *, map_id: int) -> list[MapPlace]:
    return _in_order(session, MapPlace, map_id=map_id)


def _reorder(session: Session, item: _Ordered, offset: int) -> None:
    """Move a category or place one step back (-1) or forward (+1) among its map's."""
    ordered = _in_order(session, type(item), map_id=item.map_id)
    index = next(i for i, other in enumerate(ordered) if other.id == item.id)
    target = min(max(index + max(-1, min(1, offset)), 0), len(ordered) - 1)
    ordered.insert(target, ordered.pop(index))
    for position, other in enumerate(ordered):
        other.position = position
        session.add(other)
    session.commit()


def _category_name(name: str) -> str:
    return _name(
        name, field_name="name", limit=CATEGORY_NAME_MAX, empty=_("Give the category a name.")
    )


def add_category(
    session: Session, *, access: EventAccess, map_id: int, name: str, colour: str
) -> MapCategory:
    access.require_staff()
    map_ = _map(session, access=access, map_id=map_id)
    values = _checked({"name": lambda: _category_name(name), "colour": lambda: _colour(colour)})
    existing = _count(session, MapCategory, MapCategory.map_id == map_.id)
    if existing >= MAX_CATEGORIES:
        message = _("A map has at most %(number)d categories.") % {"number": MAX_CATEGORIES}
        raise Invalid({"name": message})
    category = MapCategory(
        event_id=access.event_id,
        map_id=map_.id,  # type: ignore[arg-type]
        name=values["name"],
        colour=values["colour"],
        position=existing,
    )
    session.add(category)
    session.commit()
    session.refresh(category)
    return category


def update_category(
    session: Session, *, access: EventAccess, category_id: int, name: str, colour: str
) -> MapCategory:
    access.require_staff()
    category = _category(session, access=access, category_id=category_id)
    values = _checked({"name": lambda: _category_name(name), "colour": lambda: _colour(colour)})
    category.name, category.colour = values["name"], values["colour"]
    session.add(category)
    session.commit()
    return category


def move_category(session: Session, *, access: EventAccess, category_id: int, offset: int) -> None:
    """Move a category one place left (-1) or right (+1)."""
    access.require_staff()
    _reorder(session, _category(session, access=access, category_id=category_id), offset)


def delete_category(session: Session, *, access: EventAccess, category_id: int) -> None:
    """Delete a category without cards (its empty clusters go with it)."""
    access.require_staff()
    category = _category(session, access=access, category_id=category_id)
    if _count(session, MapCard, MapCard.category_id == category.id):
        raise Conflict(_("This category has cards. Move them to another category first."))
    if _count(session, MapCategory, MapCategory.map_id == category.map_id) <= 1:
        raise Conflict(_("A map needs at least one category."))
    session.delete(category)
    session.commit()


def _place_name(name: str) -> str:
    return _name(name, field_name="name", limit=PLACE_NAME_MAX, empty=_("Give the place a name."))


def add_place(session: Session, *, access: EventAccess, map_id: int, name: str) -> MapPlace:
    access.require_staff()
    map_ = _map(session, access=access, map_id=map_id)
    name = _place_name(name)
    existing = _count(session, MapPlace, MapPlace.map_id == map_.id)
    if existing >= MAX_PLACES:
        raise Invalid({"name": _("A map has at most %(number)d places.") % {"number": MAX_PLACES}})
    place = MapPlace(
        event_id=access.event_id,
        map_id=map_.id,  # type: ignore[arg-type]
        name=name,
        position=existing,
    )
    session.add(place)
    session.commit()
    session.refresh(place)
    return place


def rename_place(session: Session, *, access: EventAccess, place_id: int, name: str) -> MapPlace:
    access.require_staff()
    place = _place(session, access=access, place_id=place_id)
    place.name = _place_name(name)
    session.add(place)
    session.commit()
    return place


def move_place(session: Session, *, access: EventAccess, place_id: int, offset: int) -> None:
    access.require_staff()
    _reorder(session, _place(session, access=access, place_id=place_id), offset)


def delete_place(session: Session, *, access: EventAccess, place_id: int) -> None:
    """Delete a place no card names (a card never loses its place silently)."""
    access.require_staff()
    place = _place(session, access=access, place_id=place_id)
    if _count(session, MapCard, MapCard.place_id == place.id):
        raise Conflict(_("Cards name this place, so it cannot be deleted. Rename it instead."))
    session.delete(place)
    session.commit()


# --- cards from phones -------------------------------------------------------------------


def _text(text: str) -> str:
    text = " ".join(text.split())
    if not text:
        raise Invalid({"text": _("Write something on your card.")})
    check_length(text, CARD_TEXT_MAX, field="text")
    return text


def _open(map_: Map) -> None:
    if map_.frozen:
        raise Conflict(_("This map is closed: cards can no longer be added or changed."))


def _card_values(
    session: Session, *, map_: Map, text: str, category_id: int | None, place_id: int | None
) -> tuple[str, MapCategory, MapPlace | None]:
    """Every field checked at once, so the phone shows each message next to its field."""
    results = _checked(
        {
            "text": lambda: _text(text),
            "category": lambda: _card_category(session, map_=map_, category_id=category_id),
            "place": lambda: _card_place(session, map_=map_, place_id=place_id),
        }
    )
    return results["text"], results["category"], results["place"]


def post_card(
    session: Session,
    *,
    access: EventAccess,
    map_id: int,
    text: str,
    category_id: int | None,
    place_id: int | None = None,
) -> MapCard:
    """A participant posts a card (or a facilitator types in one written on paper)."""
    access.require(Role.PARTICIPANT, Role.ORGANISER, Role.FACILITATOR)
    map_ = _map(session, access=access, map_id=map_id)
    if not access.is_staff:
        _open(map_)
    text, category, place = _card_values(
        session, map_=map_, text=text, category_id=category_id, place_id=place_id
    )
    if _count(session, MapCard, MapCard.map_id == map_.id) >= MAX_CARDS_PER_MAP:
        raise Invalid({"text": _("This map has reached its limit of cards.")})
    participant_id = None
    if not access.is_staff:
        assert access.participant is not None
        participant_id = access.participant.id
        mine = _count(
            session, MapCard, MapCard.map_id == map_.id, MapCard.participant_id == participant_id
        )
        if mine >= MAX_CARDS_PER_PARTICIPANT:
            raise Invalid({"text": _("You have posted the most cards allowed on this map.")})
    card = MapCard(
        event_id=access.event_id,
        map_id=map_.id,  # type: ignore[arg-type]
        category_id=category.id,  # type: ignore[arg-type]
        place_id=place.id if place else None,
        text=text,
        participant_id=participant_id,
        entered_by_user=access.user.id if access.is_staff and access.user else None,
    )
    session.add(card)
    session.commit()
    session.refresh(card)
    return card


def _own_card(session: Session, *, access: EventAccess, card_id: int) -> tuple[MapCard, Map]:
    access.require(Role.PARTICIPANT)
    assert access.participant is not None
    card = _card(session, access=access, card_id=card_id)
    if card.participant_id != access.participant.id:
        raise PermissionDenied(_("Only the card's author can change it."))
    map_ = _map(session, access=access, map_id=card.map_id)
    _open(map_)
    return card, map_


def _own_active_card(session: Session, *, access: EventAccess, card_id: int) -> tuple[MapCard, Map]:
    """The participant's own card, still on the map, and its map: what they may change."""
    card, map_ = _own_card(session, access=access, card_id=card_id)
    if card.status != CardStatus.ACTIVE:
        raise Conflict(_("This card is no longer on the map, so it cannot be changed."))
    return card, map_


def edit_card(
    session: Session,
    *,
    access: EventAccess,
    card_id: int,
    text: str,
    category_id: int | None,
    place_id: int | None = None,
) -> MapCard:
    """The author changes the card's text, category or place while the map is open."""
    card, map_ = _own_active_card(session, access=access, card_id=card_id)
    text, category, place = _card_values(
        session, map_=map_, text=text, category_id=category_id, place_id=place_id
    )
    if category.id != card.category_id:
        card.cluster_id = None  # clusters live within a category
    card.text = text
    card.category_id = category.id  # type: ignore[assignment]
    if map_.uses_places:
        card.place_id = place.id if place else None
    card.updated_at = utcnow()
    session.add(card)
    session.commit()
    return card


def _hand_over_duplicates(session: Session, *, card: MapCard) -> None:
    """Before ``card`` is deleted, hand what others gave it to the duplicates merged into it.

    Merging moved each duplicate's +1s, and its author's support, onto ``card``; which +1 came
    from which duplicate is not recorded. So the first duplicate takes the card's place: its
    category, cluster and status (a hidden card's duplicate stays hidden, with the reason,
    until a facilitator looks), and every +1 but its own author's. The other duplicates are
    merged into it instead. A card that was itself merged into another passes its duplicates
    on to that card, which already carries their +1s.
    """
    duplicates = list(
        session.exec(
            select(MapCard)
            .where(MapCard.merged_into_id == card.id, MapCard.status == CardStatus.MERGED)
            .order_by(col(MapCard.id))
        ).all()
    )
    if not duplicates:
        return
    now = utcnow()
    if card.status == CardStatus.MERGED and card.merged_into_id is not None:
        heir_id, others = card.merged_into_id, duplicates
    else:
        heir, *others = duplicates
        heir.status = CardStatus.HIDDEN if card.status == CardStatus.HIDDEN else CardStatus.ACTIVE
        heir.hidden_reason = card.hidden_reason
        heir.merged_into_id = None
        heir.category_id, heir.cluster_id = card.category_id, card.cluster_id
        heir.updated_at = now
        session.add(heir)
        moving = update(MapPlusOne).where(col(MapPlusOne.card_id) == card.id)
        if heir.participant_id is not None:  # nobody +1s their own card
            moving = moving.where(col(MapPlusOne.participant_id) != heir.participant_id)
        session.execute(moving.values(card_id=heir.id))
        heir_id = heir.id or 0
    for duplicate in others:
        duplicate.merged_into_id = heir_id
        duplicate.updated_at = now
        session.add(duplicate)


def delete_card(session: Session, *, access: EventAccess, card_id: int) -> int:
    """The author deletes a card while the map is open. Nothing others wrote or gave is lost
    with it: duplicates merged into it keep their text and its +1s (see
    ``_hand_over_duplicates``). Returns the card's map id."""
    card = _own_card(session, access=access, card_id=card_id)[0]
    _hand_over_duplicates(session, card=card)
    map_id = card.map_id
    session.delete(card)
    session.commit()
    return map_id


@dataclass(frozen=True)
class PlusResult:
    card_id: int
    map_id: int
    plus_ones: int
    mine: frozenset[int]  # the cards of this map the participant +1'd, after the request


def _plus_result(session: Session, *, access: EventAccess, card: MapCard) -> PlusResult:
    return PlusResult(
        card_id=card.id or 0,
        map_id=card.map_id,
        plus_ones=_count(session, MapPlusOne, MapPlusOne.card_id == card.id),
        mine=frozenset(my_plus_ones(session, access=access, map_id=card.map_id)),
    )


def _plus_card(session: Session, *, access: EventAccess, card_id: int) -> MapCard:
    access.require(Role.PARTICIPANT)
    card = _card(session, access=access, card_id=card_id)
    _open(_map(session, access=access, map_id=card.map_id))
    if card.status != CardStatus.ACTIVE:
        raise Conflict(_("This card is no longer on the map."))
    return card


def plus_one(session: Session, *, access: EventAccess, card_id: int) -> PlusResult:
    """+1 someone else's card, once. A repeat (a double tap, a retry) changes nothing."""
    card = _plus_card(session, access=access, card_id=card_id)
    assert access.participant is not None
    if card.participant_id == access.participant.id:
        raise Conflict(_("This is your own card: +1 other people's cards."))
    session.add(
        MapPlusOne(event_id=access.event_id, card_id=card.id, participant_id=access.participant.id)  # type: ignore[arg-type]
    )
    try:
        session.commit()
    except IntegrityError:  # already there, perhaps from a second tap racing this one: fine
        session.rollback()
    return _plus_result(session, access=access, card=card)


def remove_plus_one(session: Session, *, access: EventAccess, card_id: int) -> PlusResult:
    """Take a +1 back; taking back one that is not there changes nothing."""
    card = _plus_card(session, access=access, card_id=card_id)
    assert access.participant is not None
    session.execute(
        delete(MapPlusOne).where(
            col(MapPlusOne.card_id) == card.id,
            col(MapPlusOne.participant_id) == access.participant.id,
        )
    )
    session.commit()
    return _plus_result(session, access=access, card=card)


def my_plus_ones(session: Session, *, access: EventAccess, map_id: int) -> set[int]:
    """The cards of a map that the participant asking has +1'd."""
    if access.participant is None:
        return set()
    return set(
        session.exec(
            select(MapPlusOne.card_id)
            .join(MapCard, MapCard.id == MapPlusOne.card_id)  # type: ignore[arg-type]
            .where(
                MapPlusOne.participant_id == access.participant.id,
                MapCard.map_id == map_id,
                MapCard.event_id == access.event_id,
            )
        ).all()
    )


def _map_cards(
    session: Session, access: EventAccess, map_id: int, *conditions: Any
) -> list[MapCard]:
    """The cards of a map of the caller's event that meet ``conditions``, oldest first."""
    return list(
        session.exec(
            select(MapCard)
            .where(MapCard.map_id == map_id, MapCard.event_id == access.event_id, *conditions)
            .order_by(col(MapCard.id))
        ).all()
    )


def my_cards(session: Session, *, access: EventAccess, map_id: int) -> list[MapCard]:
    """The participant's own cards on a map, whatever became of them (they should see it)."""
    if access.participant is None:
        return []
    return _map_cards(session, access, map_id, MapCard.participant_id == access.participant.id)


def own_card(session: Session, *, access: EventAccess, card_id: int) -> MapCard:
    """One of the participant's own active cards, for its edit form."""
    return _own_active_card(session, access=access, card_id=card_id)[0]


# --- the facilitator's work: clusters, merges, hiding ------------------------------------


def _cluster_name(name: str) -> str:
    return _name(
        name, field_name="name", limit=CLUSTER_NAME_MAX, empty=_("Give the cluster a name.")
    )


def _new_cluster(
    session: Session, *, access: EventAccess, category: MapCategory, name: str
) -> MapCluster:
    existing = _count(session, MapCluster, MapCluster.map_id == category.map_id)
    if existing >= MAX_CLUSTERS:
        raise Invalid({"name": _("This map has reached its limit of clusters.")})
    if not " ".join(name.split()):
        name = _("Cluster %(number)d") % {"number": existing + 1}
    cluster = MapCluster(
        event_id=access.event_id,
        map_id=category.map_id,
        category_id=category.id,  # type: ignore[arg-type]
        name=_cluster_name(name),
        position=existing,
    )
    session.add(cluster)
    session.flush()
    return cluster


def create_cluster(
    session: Session, *, access: EventAccess, map_id: int, category_id: int, name: str
) -> MapCluster:
    """An empty cluster in a category (an empty name gets a numbered one)."""
    access.require_staff()
    map_ = _map(session, access=access, map_id=map_id)
    category = _card_category(session, map_=map_, category_id=category_id)
    cluster = _new_cluster(session, access=access, category=category, name=name)
    session.commit()
    return cluster


def rename_cluster(
    session: Session, *, access: EventAccess, cluster_id: int, name: str
) -> MapCluster:
    access.require_staff()
    cluster = _cluster(session, access=access, cluster_id=cluster_id)
    cluster.name = _cluster_name(name)
    session.add(cluster)
    session.commit()
    return cluster


def dissolve_cluster(session: Session, *, access: EventAccess, cluster_id: int) -> None:
    """Delete a cluster; its cards stay in the category, in no cluster."""
    access.require_staff()
    cluster = _cluster(session, access=access, cluster_id=cluster_id)
    session.execute(
        update(MapCard).where(col(MapCard.cluster_id) == cluster.id).values(cluster_id=None)
    )
    session.delete(cluster)
    session.commit()


def move_card(
    session: Session, *, access: EventAccess, card_id: int, target: str, name: str = ""
) -> MapCard:
    """Move a card into a cluster (``cluster:ID``), out of any cluster into a category
    (``category:ID``), or into a new cluster of a category (``new:ID``, named ``name``).

    A card moved to another category's cluster changes category: the facilitator sorts the
    cards, and a "need" posted as an "opportunity" is common.
    """
    access.require_staff()
    card = _card(session, access=access, card_id=card_id)
    if card.status != CardStatus.ACTIVE:
        raise Conflict(_("This card is no longer on the map."))
    map_ = _map(session, access=access, map_id=card.map_id)
    kind, _sep, raw_id = target.partition(":")
    target_id = int(raw_id) if raw_id.isascii() and raw_id.isdigit() else None
    if kind == "cluster":
        cluster = _map_row(session, MapCluster, target_id, map_id=map_.id)
        if cluster is None:
            raise Invalid({"target": _("Choose a cluster or category of this map.")})
        card.category_id, card.cluster_id = cluster.category_id, cluster.id
    elif kind in ("category", "new"):
        try:
            category = _card_category(session, map_=map_, category_id=target_id)
        except Invalid:
            raise Invalid({"target": _("Choose a cluster or category of this map.")}) from None
        card.category_id = category.id  # type: ignore[assignment]
        card.cluster_id = None
        if kind == "new":
            card.cluster_id = _new_cluster(session, access=access, category=category, name=name).id
    else:
        raise Invalid({"target": _("Choose a cluster or category of this map.")})
    card.updated_at = utcnow()
    session.add(card)
    session.commit()
    return card


def merge_cards(
    session: Session, *, access: EventAccess, source_id: int, target_id: int
) -> MapCard:
    """Merge a duplicate card into another card of the same map.

    The +1s move to the kept card; someone who +1'd both counts once, and so does the
    duplicate's author (they said the same thing). The kept card's author never +1s their own.
    """
    access.require_staff()
    if source_id == target_id:
        raise Invalid({"target": _("Choose a different card to merge into.")})
    source = _card(session, access=access, card_id=source_id)
    target = _map_row(session, MapCard, target_id, map_id=source.map_id)
    if target is None or target.event_id != access.event_id:
        raise Invalid({"target": _("Choose a card of the same map.")})
    if source.status != CardStatus.ACTIVE or target.status != CardStatus.ACTIVE:
        raise Conflict(_("Only cards on the map can be merged."))
    supporters = set(
        session.exec(select(MapPlusOne.participant_id).where(MapPlusOne.card_id == target.id)).all()
    )
    moving = session.exec(select(MapPlusOne).where(MapPlusOne.card_id == source.id)).all()
    newcomers = {plus.participant_id for plus in moving}
    if source.participant_id is not None:
        newcomers.add(source.participant_id)
    session.execute(delete(MapPlusOne).where(col(MapPlusOne.card_id) == source.id))
    for participant_id in sorted(newcomers - supporters - {target.participant_id}):
        session.add(
            MapPlusOne(event_id=access.event_id, card_id=target.id, participant_id=participant_id)  # type: ignore[arg-type]
        )
    source.status = CardStatus.MERGED
    source.merged_into_id = target.id
    source.updated_at = target.updated_at = utcnow()
    session.add_all([source, target])
    session.commit()
    return target


def hide_card(session: Session, *, access: EventAccess, card_id: int, reason: str) -> MapCard:
    """Hide an inappropriate card, with a reason for the record. Reversible; +1s are kept."""
    access.require_staff()
    card = _card(session, access=access, card_id=card_id)
    if card.status != CardStatus.ACTIVE:
        raise Conflict(_("This card is not on the map."))
    reason = _name(
        reason, field_name="reason", limit=REASON_MAX, empty=_("Say why, for the record.")
    )
    card.status = CardStatus.HIDDEN
    card.hidden_reason = reason
    card.updated_at = utcnow()
    session.add(card)
    session.commit()
    return card


def unhide_card(session: Session, *, access: EventAccess, card_id: int) -> MapCard:
    access.require_staff()
    card = _card(session, access=access, card_id=card_id)
    if card.status != CardStatus.HIDDEN:
        raise Conflict(_("This card is not hidden."))
    card.status = CardStatus.ACTIVE
    card.hidden_reason = ""
    card.updated_at = utcnow()
    session.add(card)
    session.commit()
    return card


@dataclass
class CardDetail:
    """A card as the facilitator's moderation page shows it."""

    card: MapCard
    category: str
    place: str
    cluster: str
    author: str  # "Name (Organisation)", or "" for a card a facilitator typed in
    plus_ones: int
    merged_into: MapCard | None
    merged_here: list[MapCard]
    merge_targets: list[MapCard]


def card_detail(session: Session, *, access: EventAccess, card_id: int) -> CardDetail:
    access.require_staff()
    card = _card(session, access=access, card_id=card_id)
    category = session.get(MapCategory, card.category_id)
    place = session.get(MapPlace, card.place_id) if card.place_id else None
    cluster = session.get(MapCluster, card.cluster_id) if card.cluster_id else None
    author = ""
    if card.participant_id is not None:
        person = session.get(Participant, card.participant_id)
        if person is not None:
            author = (
                f"{person.name} ({person.organisation})" if person.organisation else person.name
            )
    same_map = _map_cards(session, access, card.map_id)
    return CardDetail(
        card=card,
        category=category.name if category else "",
        place=place.name if place else "",
        cluster=cluster.name if cluster else "",
        author=author,
        plus_ones=_count(session, MapPlusOne, MapPlusOne.card_id == card.id),
        merged_into=session.get(MapCard, card.merged_into_id) if card.merged_into_id else None,
        merged_here=[other for other in same_map if other.merged_into_id == card.id],
        merge_targets=[
            other for other in same_map if other.status == CardStatus.ACTIVE and other.id != card.id
        ],
    )


def hidden_cards(session: Session, *, access: EventAccess, map_id: int) -> list[MapCard]:
    access.require_staff()
    return _map_cards(session, access, map_id, MapCard.status == CardStatus.HIDDEN)


# --- reports and exports -----------------------------------------------------------------


@dataclass
class CountRow:
    label: str
    counts: list[int]  # per category, in the map's order

    @property
    def total(self) -> int:
        return sum(self.counts)


@dataclass
class ClusterRow:
    category: str
    name: str
    cards: int
    plus_ones: int


@dataclass
class MapReport:
    """Grouped counts of one map's cards (hidden and merged ones left out: duplicates count
    once, with their +1s), for the summary page and the proceedings."""

    map: Map
    categories: list[CategoryView]
    by_category: list[CountRow]  # one row per category: cards, +1s, clusters
    by_place: list[CountRow]  # places × categories (empty unless the map uses places)
    by_org_type: list[CountRow]  # organisation types × categories (empty unless used)
    clusters: list[ClusterRow]
    total_cards: int
    total_plus_ones: int
    hidden: int
    merged: int


def _org_type_label(code: str) -> str:
    return _(ORG_TYPE_LABELS[code]) if code in ORG_TYPE_LABELS else _("Not given")


def _report(session: Session, *, map_: Map) -> MapReport:
    view = _map_view(session, map_=map_)
    cards = [card for category in view.categories for card in category.cards]
    index = {category.id: position for position, category in enumerate(view.categories)}
    width = len(view.categories)

    def rows(keys: list[tuple[Any, str]], key_of: Any) -> list[CountRow]:
        table = {key: CountRow(label=label, counts=[0] * width) for key, label in keys}
        for card in cards:
            row = table.get(key_of(card))
            if row is not None:
                row.counts[index[card.category_id]] += 1
        return [row for key, row in table.items() if key is not None or row.total]

    by_place: list[CountRow] = []
    if map_.uses_places:
        keys = [(place.id, place.name) for place in view.places] + [(None, _("No place given"))]
        by_place = rows(keys, lambda card: card.place_id)
    by_org_type: list[CountRow] = []
    if map_.uses_org_type:
        present = Counter(card.org_type for card in cards)
        codes = [code for code in ORG_TYPE_LABELS if present[code]]
        org_keys: list[tuple[Any, str]] = [(code, _org_type_label(code)) for code in codes]
        org_keys.append(("", _org_type_label("")))
        by_org_type = [row for row in rows(org_keys, lambda card: card.org_type) if row.total]
    statuses = Counter(session.exec(select(MapCard.status).where(MapCard.map_id == map_.id)).all())
    return MapReport(
        map=map_,
        categories=view.categories,
        by_category=[
            CountRow(
                label=category.name,
                counts=[
                    category.count,
                    sum(card.plus_ones for card in category.cards),
                    len(category.clusters),
                ],
            )
            for category in view.categories
        ],
        by_place=by_place,
        by_org_type=by_org_type,
        clusters=[
            ClusterRow(
                category=category.name,
                name=cluster.name,
                cards=cluster.count,
                plus_ones=sum(card.plus_ones for card in cluster.cards),
            )
            for category in view.categories
            for cluster in category.clusters
        ],
        total_cards=len(cards),
        total_plus_ones=sum(card.plus_ones for card in cards),
        hidden=statuses[CardStatus.HIDDEN],
        merged=statuses[CardStatus.MERGED],
    )


def report_tables(session: Session, *, event_id: int, map_id: int | None = None) -> list[MapReport]:
    """Grouped counts for every map of an event (or one), in the maps' order. Labels are in
    the current locale: the proceedings call this inside ``use_locale(event language)``."""
    query = select(Map).where(Map.event_id == event_id)
    if map_id is not None:
        query = query.where(Map.id == map_id)
    found = session.exec(query.order_by(col(Map.position), col(Map.id))).all()
    return [_report(session, map_=map_) for map_ in found]


def summary(session: Session, *, access: EventAccess, map_id: int) -> MapReport:
    """One map's report tables, for the facilitator's summary page."""
    access.require_staff()
    map_ = _map(session, access=access, map_id=map_id)
    return report_tables(session, event_id=access.event_id, map_id=map_.id)[0]


def export_data(session: Session, *, event_id: int) -> dict[str, Any]:
    """Every map of the event, JSON-ready, for the event export: categories, places,
    clusters, and every card (hidden and merged ones too, with their status) with its
    author's organisation type and its +1 count. Authors' names are left out."""
    found = session.exec(
        select(Map).where(Map.event_id == event_id).order_by(col(Map.position), col(Map.id))
    ).all()
    map_ids = [map_.id for map_ in found]
    grouped: dict[str, dict[int, list[Any]]] = {
        "categories": defaultdict(list),
        "places": defaultdict(list),
        "clusters": defaultdict(list),
    }
    models: tuple[tuple[str, Any], ...] = (
        ("categories", MapCategory),
        ("places", MapPlace),
        ("clusters", MapCluster),
    )
    for key, model in models:
        for item in session.exec(
            select(model)
            .where(col(model.map_id).in_(map_ids))
            .order_by(col(model.position), col(model.id))
        ).all():
            grouped[key][item.map_id].append(item)
    plus_counts = dict(
        session.exec(
            select(MapPlusOne.card_id, func.count(col(MapPlusOne.id)))
            .where(MapPlusOne.event_id == event_id)
            .group_by(col(MapPlusOne.card_id))
        ).all()
    )
    cards: dict[int, list[dict[str, Any]]] = defaultdict(list)
    for card, org_type in session.exec(
        select(MapCard, Participant.org_type)
        .join(Participant, Participant.id == MapCard.participant_id, isouter=True)  # type: ignore[arg-type]
        .where(MapCard.event_id == event_id)
        .order_by(col(MapCard.id))
    ).all():
        cards[card.map_id].append(
            {
                "id": card.id,
                "category_id": card.category_id,
                "place_id": card.place_id,
                "cluster_id": card.cluster_id,
                "text": card.text,
                "status": card.status,
                "hidden_reason": card.hidden_reason,
                "merged_into_id": card.merged_into_id,
                "org_type": org_type or "",
                "entered_by_facilitator": card.participant_id is None,
                "plus_ones": int(plus_counts.get(card.id or 0, 0)),
                "created_at": card.created_at.isoformat(),
            }
        )
    return {
        "maps": [
            {
                "id": map_.id,
                "question": map_.question,
                "position": map_.position,
                "uses_places": map_.uses_places,
                "uses_org_type": map_.uses_org_type,
                "layout": map_.layout,
                "frozen": map_.frozen,
                "categories": [
                    {"id": c.id, "name": c.name, "colour": c.colour, "position": c.position}
                    for c in grouped["categories"][map_.id or 0]
                ],
                "places": [
                    {"id": p.id, "name": p.name, "position": p.position}
                    for p in grouped["places"][map_.id or 0]
                ],
                "clusters": [
                    {
                        "id": c.id,
                        "category_id": c.category_id,
                        "name": c.name,
                        "position": c.position,
                    }
                    for c in grouped["clusters"][map_.id or 0]
                ],
                "cards": cards[map_.id or 0],
            }
            for map_ in found
        ]
    }


def _cell(value: object) -> str:
    """A CSV cell a spreadsheet shows as text: no formula from what someone typed."""
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(CSV_TRIGGERS) else text


CARD_STATUS_LABELS: dict[str, str] = {
    CardStatus.ACTIVE: N_("on the map"),
    CardStatus.HIDDEN: N_("hidden"),
    CardStatus.MERGED: N_("merged"),
}


def cards_csv(session: Session, *, access: EventAccess, map_id: int) -> str:
    """Every card of a map as CSV (headers in the current locale), for the facilitator."""
    access.require_staff()
    map_ = _map(session, access=access, map_id=map_id)
    data = export_data(session, event_id=access.event_id)
    entry = next(item for item in data["maps"] if item["id"] == map_.id)
    category_names = {c["id"]: c["name"] for c in entry["categories"]}
    place_names = {p["id"]: p["name"] for p in entry["places"]}
    cluster_names = {c["id"]: c["name"] for c in entry["clusters"]}
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(
        [
            _("Card"),
            _("Category"),
            _("Place"),
            _("Organisation type"),
            _("Cluster"),
            _("Text"),
            _("Supporters (+1)"),
            _("Status"),
            _("Reason for hiding"),
            _("Merged into card"),
            _("Posted at (UTC)"),
        ]
    )
    for card in entry["cards"]:
        writer.writerow(
            [
                _cell(value)
                for value in (
                    card["id"],
                    category_names.get(card["category_id"], ""),
                    place_names.get(card["place_id"], ""),
                    _org_type_label(card["org_type"]),
                    cluster_names.get(card["cluster_id"], ""),
                    card["text"],
                    card["plus_ones"],
                    _(CARD_STATUS_LABELS[card["status"]]),
                    card["hidden_reason"],
                    card["merged_into_id"] or "",
                    card["created_at"][:19].replace("T", " "),
                )
            ]
        )
    return buffer.getvalue()
