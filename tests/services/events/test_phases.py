"""Phases and voting rules without HTTP."""

from __future__ import annotations

import pytest
from sqlmodel import Session

from app.config import Settings
from app.errors import Invalid, NotSignedIn, PermissionDenied
from app.models.events import Event, Phase, Role
from app.models.people import User
from app.services.access import EventAccess
from app.services.events import phases
from tests.factories import make_event, make_user
from tests.marketplace_helpers import as_participant, as_staff, make_facilitator, set_phase

RULES = {
    "dots_per_participant": 5,
    "max_dots_per_topic": 1,
    "blind_voting": False,
    "board_hides_tallies": False,
    "proposals_while_voting": True,
    "pitch_seconds": 45,
}


def _rules(event: Event) -> dict[str, object]:
    return {key: getattr(event, key) for key in RULES}


def _reloaded(session: Session, event: Event) -> Event:
    session.expire_all()
    found = session.get(Event, event.id)
    assert found is not None
    return found


def test_new_event_starts_in_setup_with_default_rules(event: Event) -> None:
    assert event.phase == Phase.SETUP
    assert _rules(event) == RULES


@pytest.mark.parametrize("phase", list(Phase))
def test_set_phase_any_phase(
    session: Session, event: Event, staff: EventAccess, phase: Phase
) -> None:
    set_phase(session, event, Phase.FINISHED)  # stepping back is allowed too
    phases.set_phase(session, access=staff, phase=phase.value)
    assert _reloaded(session, event).phase == phase


def test_set_phase_by_facilitator(session: Session, event: Event, owner: User) -> None:
    facilitator = as_staff(session, event, make_facilitator(session, event, owner))
    phases.set_phase(session, access=facilitator, phase="voting")
    assert _reloaded(session, event).phase == Phase.VOTING


@pytest.mark.parametrize("phase", ["", "lunch", "VOTING", " voting"])
def test_set_phase_unknown_refused(
    session: Session, event: Event, staff: EventAccess, phase: str
) -> None:
    with pytest.raises(Invalid) as caught:
        phases.set_phase(session, access=staff, phase=phase)
    assert caught.value.errors == {"phase": "Choose one of the listed phases."}
    assert _reloaded(session, event).phase == Phase.SETUP


def test_set_phase_refused_for_participant_board_and_strangers(
    session: Session, settings: Settings, event: Event
) -> None:
    with pytest.raises(PermissionDenied):
        phases.set_phase(session, access=as_participant(session, settings, event), phase="voting")
    with pytest.raises(PermissionDenied):
        phases.set_phase(session, access=EventAccess(event=event, role=Role.BOARD), phase="voting")
    with pytest.raises(NotSignedIn):
        phases.set_phase(session, access=EventAccess(event=event, role=None), phase="voting")
    assert _reloaded(session, event).phase == Phase.SETUP


def test_set_phase_refused_for_organiser_of_another_event(session: Session, event: Event) -> None:
    stranger = make_user(session, name="Stan")
    make_event(session, owner=stranger)
    with pytest.raises(PermissionDenied):
        phases.set_phase(session, access=as_staff(session, event, stranger), phase="voting")
    assert _reloaded(session, event).phase == Phase.SETUP


def test_next_phase_follows_the_day() -> None:
    assert [phases.next_phase(phase) for phase in Phase] == [
        "programme", "marketplace", "voting", "agenda", "sessions", "closing", "convergence",
        "actions", "finished", None,
    ]  # fmt: skip


@pytest.mark.parametrize(
    ("phase", "while_voting", "proposals", "voting"),
    [
        (Phase.SETUP, True, False, False),
        (Phase.PROGRAMME, True, False, False),
        (Phase.MARKETPLACE, True, True, False),
        (Phase.MARKETPLACE, False, True, False),
        (Phase.VOTING, True, True, True),
        (Phase.VOTING, False, False, True),
        (Phase.AGENDA, True, False, False),
        (Phase.FINISHED, True, False, False),
    ],
)
def test_what_is_open_follows_the_phase(
    session: Session, event: Event, phase: Phase, while_voting: bool, proposals: bool,
    voting: bool,
) -> None:  # fmt: skip
    set_phase(session, event, phase, proposals_while_voting=while_voting)
    assert (phases.proposals_open(event), phases.voting_open(event)) == (proposals, voting)


@pytest.mark.parametrize(
    ("phase", "blind", "board_hides", "board", "phones", "staff"),
    [
        (Phase.VOTING, False, False, True, True, True),
        (Phase.VOTING, True, False, True, False, True),
        (Phase.VOTING, True, True, False, False, True),
        (Phase.VOTING, False, True, False, True, True),
        (Phase.AGENDA, True, True, True, True, True),
        (Phase.MARKETPLACE, True, True, True, True, True),
    ],
)
def test_tallies_visible_blind_voting(
    session: Session, event: Event, phase: Phase, blind: bool, board_hides: bool,
    board: bool, phones: bool, staff: bool,
) -> None:  # fmt: skip
    set_phase(session, event, phase, blind_voting=blind, board_hides_tallies=board_hides)
    assert [
        phases.tallies_visible(event, audience=audience)
        for audience in ("board", "phones", "staff")
    ] == [board, phones, staff]


def test_update_rules_stores_every_rule(session: Session, event: Event, staff: EventAccess) -> None:
    rules = {
        "dots_per_participant": 8,
        "max_dots_per_topic": 3,
        "blind_voting": True,
        "board_hides_tallies": True,
        "proposals_while_voting": False,
        "pitch_seconds": 60,
    }
    phases.update_rules(session, access=staff, **rules)  # type: ignore[arg-type]
    assert _rules(_reloaded(session, event)) == rules


def test_update_rules_accepts_bounds(session: Session, event: Event, staff: EventAccess) -> None:
    bounds = {**RULES, "dots_per_participant": 50, "max_dots_per_topic": 50, "pitch_seconds": 600}
    phases.update_rules(session, access=staff, **bounds)  # type: ignore[arg-type]
    assert _rules(_reloaded(session, event)) == bounds
    low = {**RULES, "dots_per_participant": 1, "max_dots_per_topic": 1, "pitch_seconds": 10}
    phases.update_rules(session, access=staff, **low)  # type: ignore[arg-type]
    assert _rules(_reloaded(session, event)) == low


@pytest.mark.parametrize(
    ("changes", "errors"),
    [
        ({"dots_per_participant": 0}, {"dots_per_participant": "Choose between 1 and 50 dots."}),
        ({"dots_per_participant": 51, "max_dots_per_topic": 1},
         {"dots_per_participant": "Choose between 1 and 50 dots."}),
        ({"max_dots_per_topic": 0}, {"max_dots_per_topic": "Choose between 1 and 50 dots."}),
        ({"max_dots_per_topic": 6},
         {"max_dots_per_topic": "This cannot be more than the dots per participant."}),
        ({"pitch_seconds": 9}, {"pitch_seconds": "Choose between 10 and 600 seconds."}),
        ({"pitch_seconds": 601}, {"pitch_seconds": "Choose between 10 and 600 seconds."}),
        ({"dots_per_participant": -1, "max_dots_per_topic": 99, "pitch_seconds": 0},
         {"dots_per_participant": "Choose between 1 and 50 dots.",
          "max_dots_per_topic": "Choose between 1 and 50 dots.",
          "pitch_seconds": "Choose between 10 and 600 seconds."}),
    ],
)  # fmt: skip
def test_update_rules_invalid_changes_nothing(
    session: Session, event: Event, staff: EventAccess, changes: dict[str, int],
    errors: dict[str, str],
) -> None:  # fmt: skip
    with pytest.raises(Invalid) as caught:
        phases.update_rules(
            session,
            access=staff,
            **{**RULES, "blind_voting": True, **changes},  # type: ignore[arg-type]
        )
    assert caught.value.errors == errors
    assert _rules(_reloaded(session, event)) == RULES


def test_update_rules_refused_for_participant(
    session: Session, settings: Settings, event: Event
) -> None:
    with pytest.raises(PermissionDenied):
        phases.update_rules(
            session,
            access=as_participant(session, settings, event),
            **{**RULES, "pitch_seconds": 30},  # type: ignore[arg-type]
        )
    assert _rules(_reloaded(session, event)) == RULES
