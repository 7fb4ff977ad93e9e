"""Proposals and next steps: added by editors, deleted softly by whoever added them or by staff,
listed in the notes' history and restored from it."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import TypeVar

from sqlmodel import Session, col, func, select

from app.errors import Conflict, Invalid, NotFound, PermissionDenied
from app.i18n import _
from app.models.base import id_of, utcnow
from app.models.notes import (
    ACTION_MAX,
    PROPOSAL_MAX,
    WHEN_MAX,
    WHO_MAX,
    NextStep,
    NextStepCreate,
    Proposal,
    ProposalCreate,
    ProposalVote,
)
from app.services.access import EventAccess
from app.services.notes.shared import author_of, require_editor, require_session
from app.services.text import check_length, too_long

# --- proposals and next steps ----------------------------------------------------------------


def _one_line(text: str) -> str:
    return " ".join(text.split())


Item = TypeVar("Item", Proposal, NextStep)


def _adder(access: EventAccess) -> tuple[int | None, int | None]:
    """(participant id, user id) of whoever adds a row: one of them."""
    if access.participant is not None:
        return access.participant.id, None
    assert access.user is not None
    return None, access.user.id


def _origin(access: EventAccess, *, topic_id: int) -> dict[str, object]:
    """The server's part of a new item: where it belongs and who added it."""
    participant_id, user_id = _adder(access)
    return {
        "event_id": access.event_id,
        "topic_id": topic_id,
        "author": author_of(access)[1],
        "added_by_participant": participant_id,
        "added_by_user": user_id,
    }


def _stored(session: Session, item: Item) -> Item:
    session.add(item)
    session.commit()
    session.refresh(item)
    return item


def _added_by(access: EventAccess, row: Proposal | NextStep) -> bool:
    if access.participant is not None:
        return row.added_by_participant is not None and (
            row.added_by_participant == access.participant.id
        )
    if access.user is not None and access.user.id is not None:
        return row.added_by_user == access.user.id
    return False


def may_delete(access: EventAccess, row: Proposal | NextStep) -> bool:
    """Whoever added a proposal or next step, or staff (rows from before adders were recorded:
    staff only)."""
    return access.is_staff or _added_by(access, row)


def may_restore(access: EventAccess, row: Proposal | NextStep) -> bool:
    """Staff; or whoever added it, unless staff deleted it: moderation is not undone by the
    person moderated."""
    return access.is_staff or (_added_by(access, row) and not row.deleted_by_staff)


def _mark_deleted(row: Proposal | NextStep, access: EventAccess) -> None:
    row.deleted_at, row.deleted_by = utcnow(), author_of(access)[1]
    row.deleted_by_staff = access.is_staff


def _mark_restored(row: Proposal | NextStep) -> None:
    row.deleted_at, row.deleted_by, row.deleted_by_staff = None, "", False


def _proposal(session: Session, *, access: EventAccess, proposal_id: int) -> Proposal:
    # Locked (PostgreSQL; SQLite's BEGIN IMMEDIATE serialises writers anyway) so that a dot
    # cast at the same moment (convergence.cast locks the row too) and this delete cannot both
    # see the other not yet done.
    proposal = session.get(Proposal, proposal_id, with_for_update=True, populate_existing=True)
    if proposal is None or proposal.event_id != access.event_id:
        raise NotFound(_("There is no such proposal."))
    return proposal


def _step(session: Session, *, access: EventAccess, step_id: int) -> NextStep:
    step = session.get(NextStep, step_id, with_for_update=True, populate_existing=True)
    if step is None or step.event_id != access.event_id:
        raise NotFound(_("There is no such next step."))
    return step


def add_proposal(session: Session, *, access: EventAccess, topic_id: int, text: str) -> Proposal:
    require_editor(access)
    require_session(session, access=access, topic_id=topic_id)
    text = _one_line(text)
    if not text:
        raise Invalid({"proposal": _("Write the proposal first.")})
    check_length(text, PROPOSAL_MAX, field="proposal")
    proposal = Proposal.model_validate(
        ProposalCreate(text=text), update=_origin(access, topic_id=topic_id)
    )
    return _stored(session, proposal)


def delete_proposal(session: Session, *, access: EventAccess, proposal_id: int) -> Proposal:
    """Delete a proposal softly (its adder or staff): it leaves the notes, the proceedings and
    the convergence vote, and stays in the notes' history to restore. A proposal with dots
    stays: deleting it would take people's dots away. Commits."""
    require_editor(access)
    proposal = _proposal(session, access=access, proposal_id=proposal_id)
    if not may_delete(access, proposal):
        raise PermissionDenied(
            _("Only the person who added this proposal, or the organisers, can delete it.")
        )
    if proposal.deleted_at is not None:  # a second click
        return proposal
    dots = session.exec(
        select(func.count())
        .select_from(ProposalVote)
        .where(ProposalVote.proposal_id == proposal_id)
    ).one()
    if dots:
        raise Conflict(_("People have put dots on this proposal, so it stays."))
    _mark_deleted(proposal, access)
    session.add(proposal)
    session.commit()
    return proposal


def restore_proposal(session: Session, *, access: EventAccess, proposal_id: int) -> Proposal:
    """Bring a deleted proposal back (its adder, unless staff deleted it; or staff). Commits."""
    require_editor(access)
    proposal = _proposal(session, access=access, proposal_id=proposal_id)
    if proposal.deleted_at is None:  # a second click
        return proposal
    if not may_restore(access, proposal):
        raise PermissionDenied(
            _("The organisers deleted this proposal: only they can restore it.")
            if proposal.deleted_by_staff
            else _("Only the person who added this proposal, or the organisers, can restore it.")
        )
    _mark_restored(proposal)
    session.add(proposal)
    session.commit()
    return proposal


def add_step(
    session: Session, *, access: EventAccess, topic_id: int, action: str, who: str, by_when: str
) -> NextStep:
    require_editor(access)
    require_session(session, access=access, topic_id=topic_id)
    action, who, by_when = _one_line(action), _one_line(who), _one_line(by_when)
    errors: dict[str, str] = {}
    if not action:
        errors["action"] = _("Write the next step first.")
    elif message := too_long(action, ACTION_MAX):
        errors["action"] = message
    if message := too_long(who, WHO_MAX):
        errors["who"] = message
    if message := too_long(by_when, WHEN_MAX):
        errors["by_when"] = message
    if errors:
        raise Invalid(errors)
    step = NextStep.model_validate(
        NextStepCreate(action=action, who=who, by_when=by_when),
        update=_origin(access, topic_id=topic_id),
    )
    return _stored(session, step)


def delete_step(session: Session, *, access: EventAccess, step_id: int) -> NextStep:
    """Delete a next step softly (its adder or staff); it stays in the notes' history to
    restore. Commits."""
    require_editor(access)
    step = _step(session, access=access, step_id=step_id)
    if not may_delete(access, step):
        raise PermissionDenied(
            _("Only the person who added this next step, or the organisers, can delete it.")
        )
    if step.deleted_at is None:
        _mark_deleted(step, access)
        session.add(step)
        session.commit()
    return step


def restore_step(session: Session, *, access: EventAccess, step_id: int) -> NextStep:
    """Bring a deleted next step back (its adder, unless staff deleted it; or staff). Commits."""
    require_editor(access)
    step = _step(session, access=access, step_id=step_id)
    if step.deleted_at is None:
        return step
    if not may_restore(access, step):
        raise PermissionDenied(
            _("The organisers deleted this next step: only they can restore it.")
            if step.deleted_by_staff
            else _("Only the person who added this next step, or the organisers, can restore it.")
        )
    _mark_restored(step)
    session.add(step)
    session.commit()
    return step


def topic_of_proposal(session: Session, *, access: EventAccess, proposal_id: int) -> int:
    return _proposal(session, access=access, proposal_id=proposal_id).topic_id


def topic_of_step(session: Session, *, access: EventAccess, step_id: int) -> int:
    return _step(session, access=access, step_id=step_id).topic_id


@dataclass(frozen=True)
class Deletion:
    """A deleted proposal or next step, as the notes' history lists it."""

    kind: str  # "proposal" or "step"
    id: int
    text: str
    by: str
    at: dt.datetime
    may_restore: bool


def deletions(session: Session, *, access: EventAccess, topic_id: int) -> list[Deletion]:
    """The session's deleted proposals and next steps, the latest deletion first."""
    rows: list[tuple[str, Proposal | NextStep, str]] = [
        ("proposal", row, row.text)
        for row in session.exec(
            select(Proposal).where(
                Proposal.event_id == access.event_id,
                Proposal.topic_id == topic_id,
                col(Proposal.deleted_at).is_not(None),
            )
        ).all()
    ]
    rows += [
        ("step", row, row.action)
        for row in session.exec(
            select(NextStep).where(
                NextStep.event_id == access.event_id,
                NextStep.topic_id == topic_id,
                col(NextStep.deleted_at).is_not(None),
            )
        ).all()
    ]
    found = [
        Deletion(kind, id_of(row), text, row.deleted_by, at, may_restore(access, row))
        for kind, row, text in rows
        if (at := row.deleted_at) is not None
    ]
    return sorted(found, key=lambda item: (item.at, item.kind, item.id), reverse=True)
