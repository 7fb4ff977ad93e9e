"""The event's phases and the marketplace/voting rules that follow from them."""

from __future__ import annotations

from sqlmodel import Session

from app.errors import Invalid
from app.i18n import _
from app.models.events import Event, Phase
from app.services.access import EventAccess

ORDER = list(Phase)


def proposals_open(event: Event) -> bool:
    return event.phase == Phase.MARKETPLACE or (
        event.phase == Phase.VOTING and event.proposals_while_voting
    )


def voting_open(event: Event) -> bool:
    return event.phase == Phase.VOTING


def reached(event: Event, phase: Phase) -> bool:
    """The event is in ``phase`` or a later one (phases added later slot in by their order)."""
    return event.phase in ORDER and ORDER.index(Phase(event.phase)) >= ORDER.index(phase)


def tallies_visible(event: Event, *, audience: str) -> bool:
    """Blind voting hides tallies from phones until voting closes; the board may hide them too."""
    if event.phase != Phase.VOTING:
        return True
    if audience == "board":
        return not event.board_hides_tallies
    if audience == "phones":
        return not event.blind_voting
    return True


def set_phase(session: Session, *, access: EventAccess, phase: str) -> Event:
    """Move the event to ``phase`` (any phase: facilitators sometimes need to step back)."""
    access.require_staff()
    if phase not in set(Phase):
        raise Invalid({"phase": _("Choose one of the listed phases.")})
    access.event.phase = phase
    session.add(access.event)
    session.commit()
    return access.event


def next_phase(phase: str) -> str | None:
    index = ORDER.index(Phase(phase))
    return ORDER[index + 1] if index + 1 < len(ORDER) else None


def update_rules(
    session: Session,
    *,
    access: EventAccess,
    dots_per_participant: int,
    max_dots_per_topic: int,
    blind_voting: bool,
    board_hides_tallies: bool,
    proposals_while_voting: bool,
    pitch_seconds: int,
) -> Event:
    """Change the voting rules. Lowering the budget never deletes dots already placed."""
    access.require_staff()
    errors: dict[str, str] = {}
    if not 1 <= dots_per_participant <= 50:
        errors["dots_per_participant"] = _("Choose between 1 and 50 dots.")
    if not 1 <= max_dots_per_topic <= 50:
        errors["max_dots_per_topic"] = _("Choose between 1 and 50 dots.")
    elif "dots_per_participant" not in errors and max_dots_per_topic > dots_per_participant:
        errors["max_dots_per_topic"] = _("This cannot be more than the dots per participant.")
    if not 10 <= pitch_seconds <= 600:
        errors["pitch_seconds"] = _("Choose between 10 and 600 seconds.")
    if errors:
        raise Invalid(errors)
    event = access.event
    event.dots_per_participant = dots_per_participant
    event.max_dots_per_topic = max_dots_per_topic
    event.blind_voting = blind_voting
    event.board_hides_tallies = board_hides_tallies
    event.proposals_while_voting = proposals_while_voting
    event.pitch_seconds = pitch_seconds
    session.add(event)
    session.commit()
    return event
