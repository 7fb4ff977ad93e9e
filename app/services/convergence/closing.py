"""The closing circle's presentation: one slide per session of the published agenda, moved on
by the facilitator or by itself every few seconds."""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass
from pathlib import Path

from sqlmodel import Session, select

from app.errors import Invalid, NotFound
from app.i18n import _
from app.models.base import utcnow
from app.models.notes import ClosingState
from app.services.access import EventAccess
from app.services.notes import report
from app.services.people import naming as people_naming
from app.services.people.naming import Naming

AUTO_CHOICES = (0, 15, 30, 45, 60, 90, 120)
SLIDE_STEPS = 3


@dataclass
class Slide:
    topic_id: int
    title: str
    conveners: str
    outcome: str
    steps: list[str]
    photo_id: int | None


def slides(session: Session, *, event_id: int, naming: Naming | None = None) -> list[Slide]:
    """One slide per session of the published agenda, in grid order (fixed number of queries).

    The slides are projected: people are named as ``naming`` allows (loaded when not given),
    in the conveners line and in the next steps' "who"."""
    if naming is None:
        naming = people_naming.load(session, event_id=event_id)
    found = []
    for item in report.report(session, event_id=event_id, upload_dir=Path(), naming=naming):
        found.append(
            Slide(
                topic_id=item.topic_id,
                title=item.title,
                conveners=item.conveners,
                outcome=item.outcome,
                steps=[
                    " · ".join(
                        part
                        for part in (step.action, naming.screen(step.who), step.by_when)
                        if part
                    )
                    for step in item.next_steps[:SLIDE_STEPS]
                ],
                photo_id=item.photos[0].id if item.photos else None,
            )
        )
    return found


def closing_state(session: Session, *, event_id: int) -> ClosingState:
    """The presentation's state (a fresh one, not stored, before the first change)."""
    state = session.exec(select(ClosingState).where(ClosingState.event_id == event_id)).first()
    return state or ClosingState(event_id=event_id)


def current_index(state: ClosingState, count: int, now: dt.datetime | None = None) -> int:
    """Which slide shows now: the position set last, moved on by the automatic advance.
    The board works this out by itself from the same numbers, so no frame is needed per slide."""
    if count <= 0:
        return 0
    position = state.position
    if state.auto_seconds > 0:
        elapsed = ((now or utcnow()) - state.changed_at).total_seconds()
        position += max(math.floor(elapsed / state.auto_seconds), 0)
    return position % count


def _stored_state(session: Session, *, event_id: int) -> ClosingState:
    state = session.exec(select(ClosingState).where(ClosingState.event_id == event_id)).first()
    if state is None:
        state = ClosingState(event_id=event_id)
    return state


def move(session: Session, *, access: EventAccess, step: int, count: int) -> ClosingState:
    """Go ``step`` slides on (or back) from the one showing now."""
    access.require_staff()
    state = _stored_state(session, event_id=access.event_id)
    now = utcnow()
    state.position = (current_index(state, count, now) + step) % count if count else 0
    state.changed_at = now
    session.add(state)
    session.commit()
    return state


def show(session: Session, *, access: EventAccess, index: int, count: int) -> ClosingState:
    access.require_staff()
    if not 0 <= index < max(count, 1):
        raise NotFound(_("There is no such session in the presentation."))
    state = _stored_state(session, event_id=access.event_id)
    state.position, state.changed_at = index, utcnow()
    session.add(state)
    session.commit()
    return state


def set_auto(session: Session, *, access: EventAccess, seconds: int, count: int) -> ClosingState:
    """Advance by itself every ``seconds`` (0: only by hand), from the slide showing now."""
    access.require_staff()
    if seconds not in AUTO_CHOICES:
        raise Invalid({"auto_seconds": _("Choose one of the listed intervals.")})
    state = _stored_state(session, event_id=access.event_id)
    now = utcnow()
    state.position = current_index(state, count, now)
    state.auto_seconds, state.changed_at = seconds, now
    session.add(state)
    session.commit()
    return state
