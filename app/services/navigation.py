"""The phone's bottom bar: which parts of the event are one tap away, as the phase allows.

Written once here for every phone page and for the live frame (which keeps the bar in step
when the phase changes): the home page is the first item, called "Now" in the phases that
open on what runs now and next, "Topics" in the others; the agenda once one is published; the
map while one is on the board (or, in the Programme phase, the list of maps); the notes once
sessions run; the priorities in the convergence phases.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlmodel import Session, col, select

from app.i18n import N_
from app.models.base import id_of
from app.models.events import Event, Phase
from app.models.maps import Map
from app.services.schedule import agenda

# The home page opens on "now and next" in these phases, and on the topics in the others.
NOW_PHASES = (Phase.PROGRAMME, Phase.SESSIONS)
NOTES_PHASES = (Phase.SESSIONS, Phase.CLOSING, Phase.CONVERGENCE, Phase.ACTIONS, Phase.FINISHED)
PRIORITIES_PHASES = (Phase.CONVERGENCE, Phase.ACTIONS)


@dataclass(frozen=True)
class NavItem:
    key: str  # "home", "agenda", "map", "notes", "priorities": what a page marks as current
    label: str  # untranslated (N_): the frame renders it in each channel's language
    href: str


def home_opens_on_now(event: Event) -> bool:
    return event.phase in NOW_PHASES


def items(*, event: Event, published: bool, board_map_id: int | None) -> list[NavItem]:
    """The bar's links for ``event`` in its phase, from two facts the caller has at hand."""
    base = f"/e/{event.slug}"
    found = [NavItem("home", N_("Now") if home_opens_on_now(event) else N_("Topics"), base)]
    if published:
        found.append(NavItem("agenda", N_("Agenda"), f"{base}/agenda"))
    if board_map_id is not None:
        found.append(NavItem("map", N_("Map"), f"{base}/maps/{board_map_id}"))
    elif event.phase == Phase.PROGRAMME:
        found.append(NavItem("map", N_("Map"), f"{base}/maps"))
    if published and event.phase in NOTES_PHASES:
        found.append(NavItem("notes", N_("Notes"), f"{base}/notes"))
    if event.phase in PRIORITIES_PHASES:
        found.append(NavItem("priorities", N_("Priorities"), f"{base}/priorities"))
    return found


def load(session: Session, *, event: Event) -> list[NavItem]:
    """The bar for a page that has no live state at hand (two small queries)."""
    event_id = id_of(event)
    board_map = session.exec(
        select(Map.id)
        .where(Map.event_id == event_id, col(Map.on_board).is_(True))
        .order_by(col(Map.id))
    ).first()
    published = agenda.latest_version(session, event_id=event_id) is not None
    return items(event=event, published=published, board_map_id=board_map)
