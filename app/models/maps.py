"""The mapping workshop: maps with categories and places, cards posted from phones, +1s and the
facilitator's clusters.

Every table carries ``event_id`` so that each lookup can be scoped to the event in one
comparison, whatever the row's parent is.
"""

from __future__ import annotations

import datetime as dt
from enum import StrEnum

from sqlalchemy import UniqueConstraint
from sqlmodel import Field, SQLModel

from app.i18n import N_
from app.models.base import utcnow

QUESTION_MAX = 200
CARD_TEXT_MAX = 280
CATEGORY_NAME_MAX = 60
PLACE_NAME_MAX = 80
CLUSTER_NAME_MAX = 80
REASON_MAX = 200


class MapLayout(StrEnum):
    COLUMNS = "columns"
    MATRIX = "matrix"


MAP_LAYOUT_LABELS: dict[str, str] = {
    MapLayout.COLUMNS: N_("Columns, one per category"),
    MapLayout.MATRIX: N_("Matrix: category × place"),
}


class CardStatus(StrEnum):
    ACTIVE = "active"
    HIDDEN = "hidden"
    MERGED = "merged"


class MapBase(SQLModel):
    question: str = Field(max_length=QUESTION_MAX)
    # The optional dimensions a card carries: a place from the map's list, and the
    # organisation type from its author's profile.
    uses_places: bool = False
    uses_org_type: bool = False
    layout: str = Field(default=MapLayout.COLUMNS, max_length=10)


class Map(MapBase, table=True):
    id: int | None = Field(default=None, primary_key=True)
    event_id: int = Field(foreign_key="event.id", index=True, ondelete="CASCADE")
    position: int = 0
    # Frozen: the activity is over; participants can no longer post, change or +1 cards.
    frozen: bool = False
    # At most one map per event is on the board (the service keeps it so).
    on_board: bool = False
    created_at: dt.datetime = Field(default_factory=utcnow)


class MapCreate(MapBase):
    pass


# Freezing and showing on the board are flows of their own, not part of editing a map.
class MapUpdate(SQLModel):
    question: str | None = None
    uses_places: bool | None = None
    uses_org_type: bool | None = None
    layout: str | None = None


class MapCategoryBase(SQLModel):
    name: str = Field(max_length=CATEGORY_NAME_MAX)
    colour: str = Field(max_length=7)  # "#rrggbb" from the palette in services/maps/colours.py


class MapCategory(MapCategoryBase, table=True):
    __tablename__ = "map_category"

    id: int | None = Field(default=None, primary_key=True)
    event_id: int = Field(foreign_key="event.id", index=True, ondelete="CASCADE")
    map_id: int = Field(foreign_key="map.id", index=True, ondelete="CASCADE")
    position: int = 0


class MapCategoryCreate(MapCategoryBase):
    pass


class MapCategoryUpdate(SQLModel):
    name: str | None = None
    colour: str | None = None


class MapPlaceBase(SQLModel):
    name: str = Field(max_length=PLACE_NAME_MAX)


class MapPlace(MapPlaceBase, table=True):
    __tablename__ = "map_place"

    id: int | None = Field(default=None, primary_key=True)
    event_id: int = Field(foreign_key="event.id", index=True, ondelete="CASCADE")
    map_id: int = Field(foreign_key="map.id", index=True, ondelete="CASCADE")
    position: int = 0


class MapPlaceCreate(MapPlaceBase):
    pass


class MapPlaceUpdate(SQLModel):
    name: str | None = None


class MapCluster(SQLModel, table=True):
    """A group of cards the facilitator made within one category."""

    __tablename__ = "map_cluster"

    id: int | None = Field(default=None, primary_key=True)
    event_id: int = Field(foreign_key="event.id", index=True, ondelete="CASCADE")
    map_id: int = Field(foreign_key="map.id", index=True, ondelete="CASCADE")
    category_id: int = Field(foreign_key="map_category.id", index=True, ondelete="CASCADE")
    name: str = Field(max_length=CLUSTER_NAME_MAX)
    position: int = 0


class MapCardBase(SQLModel):
    text: str = Field(max_length=CARD_TEXT_MAX)
    # No cascade: a category with cards cannot be deleted (the service says so first).
    category_id: int = Field(foreign_key="map_category.id", index=True)
    place_id: int | None = Field(default=None, foreign_key="map_place.id", ondelete="SET NULL")


class MapCard(MapCardBase, table=True):
    __tablename__ = "map_card"

    id: int | None = Field(default=None, primary_key=True)
    event_id: int = Field(foreign_key="event.id", index=True, ondelete="CASCADE")
    map_id: int = Field(foreign_key="map.id", index=True, ondelete="CASCADE")
    cluster_id: int | None = Field(
        default=None, foreign_key="map_cluster.id", index=True, ondelete="SET NULL"
    )
    status: str = Field(default=CardStatus.ACTIVE, max_length=10)
    hidden_reason: str = Field(default="", max_length=REASON_MAX)
    merged_into_id: int | None = Field(default=None, foreign_key="map_card.id", ondelete="SET NULL")
    # Who typed it: a participant on a phone, or a facilitator (a card written on paper).
    participant_id: int | None = Field(
        default=None, foreign_key="participant.id", index=True, ondelete="SET NULL"
    )
    entered_by_user: int | None = Field(default=None, foreign_key="user.id", ondelete="SET NULL")
    created_at: dt.datetime = Field(default_factory=utcnow)
    updated_at: dt.datetime = Field(default_factory=utcnow)


class MapCardCreate(MapCardBase):
    pass


class MapCardUpdate(SQLModel):
    text: str | None = None
    category_id: int | None = None
    place_id: int | None = None


class MapPlusOne(SQLModel, table=True):
    """A participant's +1 on someone else's card: once per card, enforced by the database."""

    __tablename__ = "map_plus_one"
    __table_args__ = (UniqueConstraint("card_id", "participant_id"),)

    id: int | None = Field(default=None, primary_key=True)
    event_id: int = Field(foreign_key="event.id", index=True, ondelete="CASCADE")
    card_id: int = Field(foreign_key="map_card.id", index=True, ondelete="CASCADE")
    # None: anonymous, kept when its giver was forgotten after the map was frozen.
    participant_id: int | None = Field(
        default=None, foreign_key="participant.id", index=True, ondelete="CASCADE"
    )
    created_at: dt.datetime = Field(default_factory=utcnow)
