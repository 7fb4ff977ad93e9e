"""A map's report tables (grouped counts for the summary page and the proceedings) and its
exports (data and CSV)."""

from __future__ import annotations

import csv
import io
from collections import Counter, defaultdict
from dataclasses import dataclass
from typing import Any

from sqlmodel import Session, col, func, select

from app.i18n import N_, _
from app.models.base import id_of
from app.models.maps import (
    CardStatus,
    Map,
    MapCard,
    MapCategory,
    MapCluster,
    MapPlace,
    MapPlusOne,
)
from app.models.people import ORG_TYPE_LABELS, Participant
from app.services.access import EventAccess
from app.services.maps.lookups import get_map
from app.services.maps.views import CategoryView, build_view

CSV_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")


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
    view = build_view(session, map_=map_)
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
    map_ = get_map(session, access=access, map_id=map_id)
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
                "plus_ones": int(plus_counts.get(id_of(card), 0)),
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
                    for c in grouped["categories"][id_of(map_)]
                ],
                "places": [
                    {"id": p.id, "name": p.name, "position": p.position}
                    for p in grouped["places"][id_of(map_)]
                ],
                "clusters": [
                    {
                        "id": c.id,
                        "category_id": c.category_id,
                        "name": c.name,
                        "position": c.position,
                    }
                    for c in grouped["clusters"][id_of(map_)]
                ],
                "cards": cards[id_of(map_)],
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
    map_ = get_map(session, access=access, map_id=map_id)
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
