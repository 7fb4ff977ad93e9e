"""The facilitator sets a map up: the map itself (question, layout, frozen, on the board), its
categories and its places."""

from __future__ import annotations

from sqlmodel import Session, col, func, select, update

from app.errors import Conflict, Invalid
from app.i18n import N_, _, use_locale
from app.models.events import Role
from app.models.maps import (
    CATEGORY_NAME_MAX,
    PLACE_NAME_MAX,
    QUESTION_MAX,
    CardStatus,
    Map,
    MapCard,
    MapCategory,
    MapCategoryCreate,
    MapCategoryUpdate,
    MapCluster,
    MapCreate,
    MapLayout,
    MapPlace,
    MapPlaceCreate,
    MapPlaceUpdate,
    MapUpdate,
)
from app.services.access import EventAccess
from app.services.maps.colours import PALETTE
from app.services.maps.lookups import (
    Ordered,
    checked,
    clean_name,
    count_rows,
    get_category,
    get_cluster,
    get_map,
    get_place,
    in_order,
)

MAX_MAPS_PER_EVENT = 20


MAX_CATEGORIES = 12


MAX_PLACES = 60


DEFAULT_CATEGORIES: tuple[tuple[str, str], ...] = (
    (N_("Opportunities"), "#7bd389"),
    (N_("Initiatives"), "#8ecae6"),
    (N_("Needs"), "#f4a261"),
)


def _question(question: str) -> str:
    return clean_name(
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
    existing = count_rows(session, Map, Map.event_id == access.event_id)
    if existing >= MAX_MAPS_PER_EVENT:
        raise Invalid({"question": _("This event has reached its limit of maps.")})
    data = MapCreate(question=question, uses_places=uses_places, uses_org_type=uses_org_type)
    map_ = Map.model_validate(data, update={"event_id": access.event_id, "position": existing})
    session.add(map_)
    session.flush()
    # The map is the event's, not the facilitator's: its categories speak the event's language.
    with use_locale(access.event.languages[0] if access.event.languages else "en"):
        names = [(_(name), colour) for name, colour in DEFAULT_CATEGORIES]
    for position, (name, colour) in enumerate(names):
        session.add(
            MapCategory.model_validate(
                MapCategoryCreate(name=name, colour=colour),
                update={"event_id": access.event_id, "map_id": map_.id, "position": position},
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
    map_ = get_map(session, access=access, map_id=map_id)
    values = checked(
        {
            "question": lambda: _question(question),
            "layout": lambda: _layout(layout, uses_places=uses_places),
        }
    )
    data = MapUpdate(
        question=values["question"],
        uses_places=uses_places,
        uses_org_type=uses_org_type,
        layout=values["layout"],
    )
    map_.sqlmodel_update(data.model_dump(exclude_unset=True))
    session.add(map_)
    session.commit()
    return map_


def delete_map(session: Session, *, access: EventAccess, map_id: int) -> None:
    """Delete a map that has no cards (a map with cards is frozen instead: nothing is lost)."""
    access.require_staff()
    map_ = get_map(session, access=access, map_id=map_id)
    if count_rows(session, MapCard, MapCard.map_id == map_.id):
        raise Conflict(_("This map has cards and cannot be deleted. Freeze it instead."))
    session.delete(map_)
    session.commit()


def set_frozen(session: Session, *, access: EventAccess, map_id: int, frozen: bool) -> Map:
    """Freeze a map when the activity ends (or open it again)."""
    access.require_staff()
    map_ = get_map(session, access=access, map_id=map_id)
    map_.frozen = frozen
    session.add(map_)
    session.commit()
    return map_


def show_on_board(session: Session, *, access: EventAccess, map_id: int) -> Map:
    """Put a map on the board instead of the topics; any other map leaves it."""
    access.require_staff()
    map_ = get_map(session, access=access, map_id=map_id)
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
    return get_map(session, access=access, map_id=map_id)


def staff_category(session: Session, *, access: EventAccess, category_id: int) -> MapCategory:
    access.require_staff()
    return get_category(session, access=access, category_id=category_id)


def staff_place(session: Session, *, access: EventAccess, place_id: int) -> MapPlace:
    access.require_staff()
    return get_place(session, access=access, place_id=place_id)


def staff_cluster(session: Session, *, access: EventAccess, cluster_id: int) -> MapCluster:
    access.require_staff()
    return get_cluster(session, access=access, cluster_id=cluster_id)


def _reorder(session: Session, item: Ordered, offset: int) -> None:
    """Move a category or place one step back (-1) or forward (+1) among its map's."""
    ordered = in_order(session, type(item), map_id=item.map_id)
    index = next(i for i, other in enumerate(ordered) if other.id == item.id)
    target = min(max(index + max(-1, min(1, offset)), 0), len(ordered) - 1)
    ordered.insert(target, ordered.pop(index))
    for position, other in enumerate(ordered):
        other.position = position
        session.add(other)
    session.commit()


def _category_name(name: str) -> str:
    return clean_name(
        name, field_name="name", limit=CATEGORY_NAME_MAX, empty=_("Give the category a name.")
    )


def add_category(
    session: Session, *, access: EventAccess, map_id: int, name: str, colour: str
) -> MapCategory:
    access.require_staff()
    map_ = get_map(session, access=access, map_id=map_id)
    values = checked({"name": lambda: _category_name(name), "colour": lambda: _colour(colour)})
    existing = count_rows(session, MapCategory, MapCategory.map_id == map_.id)
    if existing >= MAX_CATEGORIES:
        message = _("A map has at most %(number)d categories.") % {"number": MAX_CATEGORIES}
        raise Invalid({"name": message})
    category = MapCategory.model_validate(
        MapCategoryCreate(**values),
        update={"event_id": access.event_id, "map_id": map_.id, "position": existing},
    )
    session.add(category)
    session.commit()
    session.refresh(category)
    return category


def update_category(
    session: Session, *, access: EventAccess, category_id: int, name: str, colour: str
) -> MapCategory:
    access.require_staff()
    category = get_category(session, access=access, category_id=category_id)
    values = checked({"name": lambda: _category_name(name), "colour": lambda: _colour(colour)})
    category.sqlmodel_update(MapCategoryUpdate(**values).model_dump(exclude_unset=True))
    session.add(category)
    session.commit()
    return category


def move_category(session: Session, *, access: EventAccess, category_id: int, offset: int) -> None:
    """Move a category one place left (-1) or right (+1)."""
    access.require_staff()
    _reorder(session, get_category(session, access=access, category_id=category_id), offset)


def delete_category(session: Session, *, access: EventAccess, category_id: int) -> None:
    """Delete a category without cards (its empty clusters go with it)."""
    access.require_staff()
    category = get_category(session, access=access, category_id=category_id)
    if count_rows(session, MapCard, MapCard.category_id == category.id):
        raise Conflict(_("This category has cards. Move them to another category first."))
    if count_rows(session, MapCategory, MapCategory.map_id == category.map_id) <= 1:
        raise Conflict(_("A map needs at least one category."))
    session.delete(category)
    session.commit()


def _place_name(name: str) -> str:
    return clean_name(
        name, field_name="name", limit=PLACE_NAME_MAX, empty=_("Give the place a name.")
    )


def add_place(session: Session, *, access: EventAccess, map_id: int, name: str) -> MapPlace:
    access.require_staff()
    map_ = get_map(session, access=access, map_id=map_id)
    name = _place_name(name)
    existing = count_rows(session, MapPlace, MapPlace.map_id == map_.id)
    if existing >= MAX_PLACES:
        raise Invalid({"name": _("A map has at most %(number)d places.") % {"number": MAX_PLACES}})
    place = MapPlace.model_validate(
        MapPlaceCreate(name=name),
        update={"event_id": access.event_id, "map_id": map_.id, "position": existing},
    )
    session.add(place)
    session.commit()
    session.refresh(place)
    return place


def rename_place(session: Session, *, access: EventAccess, place_id: int, name: str) -> MapPlace:
    access.require_staff()
    place = get_place(session, access=access, place_id=place_id)
    place.sqlmodel_update(MapPlaceUpdate(name=_place_name(name)).model_dump(exclude_unset=True))
    session.add(place)
    session.commit()
    return place


def move_place(session: Session, *, access: EventAccess, place_id: int, offset: int) -> None:
    access.require_staff()
    _reorder(session, get_place(session, access=access, place_id=place_id), offset)


def delete_place(session: Session, *, access: EventAccess, place_id: int) -> None:
    """Delete a place no card names (a card never loses its place silently)."""
    access.require_staff()
    place = get_place(session, access=access, place_id=place_id)
    if count_rows(session, MapCard, MapCard.place_id == place.id):
        raise Conflict(_("Cards name this place, so it cannot be deleted. Rename it instead."))
    session.delete(place)
    session.commit()
