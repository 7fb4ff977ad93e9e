"""The priorities page, on the phone and on the staff screen: the sessions' proposals ranked by
dots, with commitments; the asker's own dots while convergence is open."""

from __future__ import annotations

from dataclasses import dataclass

from sqlmodel import Session

from app.models.events import PHASE_LABELS, Role
from app.services.access import STAFF, EventAccess
from app.services.convergence import convergence


@dataclass
class PrioritiesPage:
    priorities: list[convergence.Priority]  # most dots first
    top: int  # how many of them count as the event's priorities
    mine: dict[int, int]  # the asker's dots, by proposal id (none for staff)
    dots_left: int
    voting: bool  # dots on proposals (convergence)
    acting: bool  # commitments (action planning)
    phase_label: str


def page(session: Session, *, access: EventAccess) -> PrioritiesPage:
    """Everything the priorities page shows (anyone of the event)."""
    access.require(Role.PARTICIPANT, *STAFF)
    event = access.event
    mine = convergence.my_dots(session, access=access)
    return PrioritiesPage(
        priorities=convergence.priorities(session, event_id=access.event_id),
        top=convergence.TOP,
        mine=mine,
        dots_left=max(event.dots_per_participant - sum(mine.values()), 0),
        voting=convergence.convergence_open(event),
        acting=convergence.actions_open(event),
        phase_label=PHASE_LABELS.get(event.phase, event.phase),
    )
