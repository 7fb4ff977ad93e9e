"""Plain helpers for the mapping workshop tests (services and routes)."""

from __future__ import annotations

from sqlmodel import Session, col, select

from app.models.maps import Map, MapCard, MapCategory, MapPlace, MapPlusOne
from app.services.access import EventAccess
from app.services.maps import lookups, setup


def new_map(
    session: Session,
    staff: EventAccess,
    *,
    question: str = "What do we have, and what do we need?",
    places: tuple[str, ...] = (),
    uses_org_type: bool = False,
) -> Map:
    """A map with the default categories and, when given, places (in that order)."""
    map_ = setup.create_map(
        session,
        access=staff,
        question=question,
        uses_places=bool(places),
        uses_org_type=uses_org_type,
    )
    for name in places:
        setup.add_place(session, access=staff, map_id=map_.id or 0, name=name)
    return map_


def category_ids(session: Session, map_: Map) -> list[int]:
    return [category.id or 0 for category in lookups.categories(session, map_id=map_.id or 0)]


def place_ids(session: Session, map_: Map) -> list[int]:
    return [place.id or 0 for place in lookups.places(session, map_id=map_.id or 0)]


def fresh(session: Session) -> None:
    """End the session's transaction and forget loaded rows, to read what was written since
    (by a request, or by a service that committed)."""
    session.commit()
    session.expire_all()


def card_rows(session: Session, *, map_id: int) -> list[tuple[str, int, str, int | None]]:
    """(text, category id, status, cluster id) of every card of a map, oldest first."""
    fresh(session)
    return [
        (card.text, card.category_id, card.status, card.cluster_id)
        for card in session.exec(
            select(MapCard).where(MapCard.map_id == map_id).order_by(col(MapCard.id))
        ).all()
    ]


def plus_ones(session: Session, *, card_id: int) -> list[int]:
    """The participants who +1'd a card, in id order."""
    fresh(session)
    return sorted(
        session.exec(select(MapPlusOne.participant_id).where(MapPlusOne.card_id == card_id)).all()
    )


def category_names(session: Session, *, map_id: int) -> list[tuple[str, str]]:
    fresh(session)
    return [
        (category.name, category.colour)
        for category in session.exec(
            select(MapCategory)
            .where(MapCategory.map_id == map_id)
            .order_by(col(MapCategory.position), col(MapCategory.id))
        ).all()
    ]


def place_names(session: Session, *, map_id: int) -> list[str]:
    fresh(session)
    return list(
        session.exec(
            select(MapPlace.name)
            .where(MapPlace.map_id == map_id)
            .order_by(col(MapPlace.position), col(MapPlace.id))
        ).all()
    )
