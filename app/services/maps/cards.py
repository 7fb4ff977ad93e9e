"""Cards from phones: posting, editing and deleting one's own cards, and +1 on other people's."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, delete, select, update

from app.errors import Conflict, Invalid, PermissionDenied
from app.i18n import _
from app.models.base import id_of, utcnow
from app.models.events import Role
from app.models.maps import (
    CARD_TEXT_MAX,
    CardStatus,
    Map,
    MapCard,
    MapCardCreate,
    MapCardUpdate,
    MapCategory,
    MapPlace,
    MapPlusOne,
)
from app.services.access import EventAccess
from app.services.maps.lookups import (
    card_category,
    card_place,
    checked,
    count_rows,
    get_card,
    get_map,
)
from app.services.text import check_length

MAX_CARDS_PER_MAP = 2000


MAX_CARDS_PER_PARTICIPANT = 50  # per map: a room of phones, not a bulk import


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
    results = checked(
        {
            "text": lambda: _text(text),
            "category": lambda: card_category(session, map_=map_, category_id=category_id),
            "place": lambda: card_place(session, map_=map_, place_id=place_id),
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
    map_ = get_map(session, access=access, map_id=map_id)
    if not access.is_staff:
        _open(map_)
    text, category, place = _card_values(
        session, map_=map_, text=text, category_id=category_id, place_id=place_id
    )
    if count_rows(session, MapCard, MapCard.map_id == map_.id) >= MAX_CARDS_PER_MAP:
        raise Invalid({"text": _("This map has reached its limit of cards.")})
    participant_id = None
    if not access.is_staff:
        assert access.participant is not None
        participant_id = access.participant.id
        mine = count_rows(
            session, MapCard, MapCard.map_id == map_.id, MapCard.participant_id == participant_id
        )
        if mine >= MAX_CARDS_PER_PARTICIPANT:
            raise Invalid({"text": _("You have posted the most cards allowed on this map.")})
    data = MapCardCreate(
        text=text,
        category_id=category.id,  # type: ignore[arg-type]
        place_id=place.id if place else None,
    )
    card = MapCard.model_validate(
        data,
        update={
            "event_id": access.event_id,
            "map_id": map_.id,
            "participant_id": participant_id,
            "entered_by_user": access.user.id if access.is_staff and access.user else None,
        },
    )
    session.add(card)
    session.commit()
    session.refresh(card)
    return card


def _own_card(session: Session, *, access: EventAccess, card_id: int) -> tuple[MapCard, Map]:
    access.require(Role.PARTICIPANT)
    assert access.participant is not None
    card = get_card(session, access=access, card_id=card_id)
    if card.participant_id != access.participant.id:
        raise PermissionDenied(_("Only the card's author can change it."))
    map_ = get_map(session, access=access, map_id=card.map_id)
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
    data = MapCardUpdate(text=text, category_id=category.id)
    # A map without places leaves the card's place as it was (it may use places again).
    if map_.uses_places:
        data.place_id = place.id if place else None
    if category.id != card.category_id:
        card.cluster_id = None  # clusters live within a category
    card.sqlmodel_update(data.model_dump(exclude_unset=True))
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
            moving = moving.where(
                (col(MapPlusOne.participant_id) != heir.participant_id)
                | col(MapPlusOne.participant_id).is_(None)
            )
        session.execute(moving.values(card_id=heir.id))
        heir_id = id_of(heir)
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
        card_id=id_of(card),
        map_id=card.map_id,
        plus_ones=count_rows(session, MapPlusOne, MapPlusOne.card_id == card.id),
        mine=frozenset(my_plus_ones(session, access=access, map_id=card.map_id)),
    )


def _plus_card(session: Session, *, access: EventAccess, card_id: int) -> MapCard:
    access.require(Role.PARTICIPANT)
    card = get_card(session, access=access, card_id=card_id)
    _open(get_map(session, access=access, map_id=card.map_id))
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


def map_cards(
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
    return map_cards(session, access, map_id, MapCard.participant_id == access.participant.id)


def own_card(session: Session, *, access: EventAccess, card_id: int) -> MapCard:
    """One of the participant's own active cards, for its edit form."""
    return _own_active_card(session, access=access, card_id=card_id)[0]
