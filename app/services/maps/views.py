"""What pages and live frames show of a map: cards by category, clusters and places, the
board's collapsed clusters and the place × category matrix."""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlmodel import Session, col, func, select

from app.i18n import _
from app.models.base import id_of
from app.models.events import Role
from app.models.maps import (
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
from app.services.maps.colours import swatch_class
from app.services.maps.lookups import get_map, in_order

# Up to this many cards the board shows every card; above it clusters collapse to their
# name and count (the room reads the summary), and the cards in no cluster still show, most
# supported first. What does not fit on the screen is paged by board.js, never cut.
BOARD_FULL = 30


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
    # The same clusters with their cards here, most supported first (the board lists them
    # under the cluster's name unless the map is collapsed).
    grouped: list[tuple[str, list[CardView]]] = field(default_factory=list)
    cards: list[CardView] = field(default_factory=list)  # loose cards, most supported first


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

    def matrix_rows(self) -> list[MatrixRow]:
        """Places × categories; cards without a place form a last row when there are any."""
        rows: list[MatrixRow] = []
        keys: list[tuple[int | None, str]] = [(place.id, place.name) for place in self.places]
        keys.append((None, _("No place given")))
        for place_id, name in keys:
            cells = []
            for category in self.categories:
                cell = CellView()
                for cluster in category.clusters:
                    inside = [card for card in cluster.cards if card.place_id == place_id]
                    if inside:
                        cell.clusters.append((cluster.name, len(inside)))
                        cell.grouped.append((cluster.name, _ranked(inside)))
                        cell.count += len(inside)
                loose = [card for card in category.loose if card.place_id == place_id]
                cell.cards = _ranked(loose)
                cell.count += len(loose)
                cells.append(cell)
            row = MatrixRow(place=name, cells=cells)
            if place_id is not None or row.count:
                rows.append(row)
        return rows


def build_view(session: Session, *, map_: Map) -> MapView:
    """Load one map's view in a fixed number of queries, however many cards it has."""
    map_id = id_of(map_)
    categories = in_order(session, MapCategory, map_id=map_id)
    places = in_order(session, MapPlace, map_id=map_id)
    clusters = in_order(session, MapCluster, map_id=map_id)
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
        category.id: CategoryView(id=id_of(category), name=category.name, colour=category.colour)
        for category in categories
    }
    cluster_views: dict[int | None, ClusterView] = {}
    for cluster in clusters:
        group = ClusterView(id=id_of(cluster), name=cluster.name, category_id=cluster.category_id)
        cluster_views[cluster.id] = group
        category_views[cluster.category_id].clusters.append(group)
    for card, org_type in rows:
        view = CardView(
            id=id_of(card),
            text=card.text,
            category_id=card.category_id,
            place_id=card.place_id,
            place=place_names.get(card.place_id, "") if map_.uses_places else "",
            cluster_id=card.cluster_id,
            org_type=(org_type or "") if map_.uses_org_type else "",
            plus_ones=int(plus_counts.get(id_of(card), 0)),
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
        places=[PlaceView(id=id_of(place), name=place.name) for place in places],
    )


def board_state(session: Session, *, event_id: int) -> MapView | None:
    """The map on the board of ``event_id``, if any (for the live frame)."""
    map_ = session.exec(
        select(Map)
        .where(Map.event_id == event_id, col(Map.on_board).is_(True))
        .order_by(col(Map.id))
    ).first()
    return build_view(session, map_=map_) if map_ is not None else None


def map_view(session: Session, *, access: EventAccess, map_id: int) -> MapView:
    """A map as participants and staff see it (anyone in the event may look)."""
    access.require(Role.ORGANISER, Role.FACILITATOR, Role.PARTICIPANT)
    return build_view(session, map_=get_map(session, access=access, map_id=map_id))
