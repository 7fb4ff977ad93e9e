"""The facilitator's work on the cards: clusters, moves, merges, hiding, and a card's detail."""

from __future__ import annotations

from dataclasses import dataclass

from sqlmodel import Session, col, delete, select, update

from app.errors import Conflict, Invalid
from app.i18n import _
from app.models.base import utcnow
from app.models.maps import (
    CLUSTER_NAME_MAX,
    REASON_MAX,
    CardStatus,
    MapCard,
    MapCategory,
    MapCluster,
    MapPlace,
    MapPlusOne,
)
from app.models.people import Participant
from app.services.access import EventAccess
from app.services.maps.cards import map_cards
from app.services.maps.lookups import (
    card_category,
    clean_name,
    count_rows,
    get_card,
    get_cluster,
    get_map,
    map_row,
)

MAX_CLUSTERS = 200


# --- the facilitator's work: clusters, merges, hiding ------------------------------------


def _cluster_name(name: str) -> str:
    return clean_name(
        name, field_name="name", limit=CLUSTER_NAME_MAX, empty=_("Give the cluster a name.")
    )


def _new_cluster(
    session: Session, *, access: EventAccess, category: MapCategory, name: str
) -> MapCluster:
    existing = count_rows(session, MapCluster, MapCluster.map_id == category.map_id)
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
    map_ = get_map(session, access=access, map_id=map_id)
    category = card_category(session, map_=map_, category_id=category_id)
    cluster = _new_cluster(session, access=access, category=category, name=name)
    session.commit()
    return cluster


def rename_cluster(
    session: Session, *, access: EventAccess, cluster_id: int, name: str
) -> MapCluster:
    access.require_staff()
    cluster = get_cluster(session, access=access, cluster_id=cluster_id)
    cluster.name = _cluster_name(name)
    session.add(cluster)
    session.commit()
    return cluster


def dissolve_cluster(session: Session, *, access: EventAccess, cluster_id: int) -> None:
    """Delete a cluster; its cards stay in the category, in no cluster."""
    access.require_staff()
    cluster = get_cluster(session, access=access, cluster_id=cluster_id)
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
    card = get_card(session, access=access, card_id=card_id)
    if card.status != CardStatus.ACTIVE:
        raise Conflict(_("This card is no longer on the map."))
    map_ = get_map(session, access=access, map_id=card.map_id)
    kind, _sep, raw_id = target.partition(":")
    target_id = int(raw_id) if raw_id.isascii() and raw_id.isdigit() else None
    if kind == "cluster":
        cluster = map_row(session, MapCluster, target_id, map_id=map_.id)
        if cluster is None:
            raise Invalid({"target": _("Choose a cluster or category of this map.")})
        card.category_id, card.cluster_id = cluster.category_id, cluster.id
    elif kind in ("category", "new"):
        try:
            category = card_category(session, map_=map_, category_id=target_id)
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
    source = get_card(session, access=access, card_id=source_id)
    target = map_row(session, MapCard, target_id, map_id=source.map_id)
    if target is None or target.event_id != access.event_id:
        raise Invalid({"target": _("Choose a card of the same map.")})
    if source.status != CardStatus.ACTIVE or target.status != CardStatus.ACTIVE:
        raise Conflict(_("Only cards on the map can be merged."))
    supporters = set(
        session.exec(select(MapPlusOne.participant_id).where(MapPlusOne.card_id == target.id)).all()
    )
    moving = session.exec(select(MapPlusOne).where(MapPlusOne.card_id == source.id)).all()
    newcomers = {plus.participant_id for plus in moving if plus.participant_id is not None}
    if source.participant_id is not None:
        newcomers.add(source.participant_id)
    # Anonymous +1s (of forgotten people) move as they are: nobody's can be a double.
    session.execute(
        update(MapPlusOne)
        .where(col(MapPlusOne.card_id) == source.id, col(MapPlusOne.participant_id).is_(None))
        .values(card_id=target.id)
    )
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
    card = get_card(session, access=access, card_id=card_id)
    if card.status != CardStatus.ACTIVE:
        raise Conflict(_("This card is not on the map."))
    reason = clean_name(
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
    card = get_card(session, access=access, card_id=card_id)
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
    # "Name (Organisation)", "a participant" (forgotten), "" for a card a facilitator typed in
    author: str
    plus_ones: int
    merged_into: MapCard | None
    merged_here: list[MapCard]
    merge_targets: list[MapCard]


def card_detail(session: Session, *, access: EventAccess, card_id: int) -> CardDetail:
    access.require_staff()
    card = get_card(session, access=access, card_id=card_id)
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
    elif card.entered_by_user is None:  # its author was forgotten
        author = _("a participant")
    same_map = map_cards(session, access, card.map_id)
    return CardDetail(
        card=card,
        category=category.name if category else "",
        place=place.name if place else "",
        cluster=cluster.name if cluster else "",
        author=author,
        plus_ones=count_rows(session, MapPlusOne, MapPlusOne.card_id == card.id),
        merged_into=session.get(MapCard, card.merged_into_id) if card.merged_into_id else None,
        merged_here=[other for other in same_map if other.merged_into_id == card.id],
        merge_targets=[
            other for other in same_map if other.status == CardStatus.ACTIVE and other.id != card.id
        ],
    )


def hidden_cards(session: Session, *, access: EventAccess, map_id: int) -> list[MapCard]:
    access.require_staff()
    return map_cards(session, access, map_id, MapCard.status == CardStatus.HIDDEN)
