"""Convergence and action planning: dots on the sessions' proposals, ranked into priorities,
and commitments on the top priorities.

Dots on proposals follow the topic-voting rules of the event (dots per participant, the most
per proposal) with the same guarantees: the participant is locked first (``FOR UPDATE`` on
PostgreSQL, the request's ``BEGIN IMMEDIATE`` on SQLite), then dots are counted and one is
added, and a retried request with the same idempotency key is answered, not counted twice.
The proposal budget is separate from the topic budget.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlmodel import Session, col, delete, func, select

from app.errors import Conflict, Invalid, NotFound, PermissionDenied
from app.i18n import _
from app.models.base import id_of
from app.models.events import PHASE_LABELS, Event, Phase, Role
from app.models.notes import (
    ACTION_MAX,
    WHEN_MAX,
    WHO_MAX,
    Commitment,
    Proposal,
    ProposalVote,
)
from app.models.topics import Topic
from app.services.access import STAFF, EventAccess
from app.services.text import too_long
from app.services.topics import votes
from app.services.topics.votes import VoteResult

TOP = 10  # priorities on the board, and the ones people commit to


def convergence_open(event: Event) -> bool:
    return event.phase == Phase.CONVERGENCE


def actions_open(event: Event) -> bool:
    return event.phase == Phase.ACTIONS


# --- dots on proposals -------------------------------------------------------------------------


def _mine(session: Session, *, participant_id: int) -> dict[int, int]:
    rows = session.exec(
        select(ProposalVote.proposal_id, func.count(col(ProposalVote.id)))
        .where(ProposalVote.participant_id == participant_id)
        .group_by(col(ProposalVote.proposal_id))
    ).all()
    return {proposal_id: int(count) for proposal_id, count in rows}


def _result(
    proposal_id: int, mine: dict[int, int], budget: int, *, replayed: bool = False
) -> VoteResult:
    left = max(budget - sum(mine.values()), 0)
    return VoteResult(proposal_id, mine.get(proposal_id, 0), left, replayed=replayed, mine=mine)


def _proposal(session: Session, *, access: EventAccess, proposal_id: int) -> Proposal:
    # Locked, as notes.delete_proposal locks it: a dot and a delete at the same moment are
    # one after the other, so a deleted proposal never gets a dot nor a dotted one deleted.
    proposal = session.get(Proposal, proposal_id, with_for_update=True, populate_existing=True)
    if proposal is None or proposal.event_id != access.event_id or proposal.deleted_at is not None:
        raise NotFound(_("There is no such proposal."))
    return proposal


def _require_convergence(access: EventAccess) -> None:
    if not convergence_open(access.event):
        raise Conflict(_("Voting on proposals is closed right now."))


def cast(
    session: Session, *, access: EventAccess, proposal_id: int, key: str | None = None
) -> VoteResult:
    """Put one dot on a proposal, within the budget and the per-proposal maximum."""
    participant_id, already = votes.begin(session, access=access, key=key, mine=_mine)
    budget = access.event.dots_per_participant
    if already is not None:
        return _result(proposal_id, already, budget, replayed=True)
    _require_convergence(access)
    _proposal(session, access=access, proposal_id=proposal_id)
    mine = _mine(session, participant_id=participant_id)
    total, on_this = sum(mine.values()), mine.get(proposal_id, 0)
    if total >= budget:
        raise Conflict(_("You have used all your dots. Take one back to vote for this proposal."))
    if on_this >= access.event.max_dots_per_topic:
        raise Conflict(
            _("You have put the most dots allowed on this proposal already.")
            if access.event.max_dots_per_topic > 1
            else _("You have voted for this proposal already.")
        )
    session.add(
        ProposalVote(
            event_id=access.event_id, participant_id=participant_id, proposal_id=proposal_id
        )
    )
    votes._remember(session, participant_id=participant_id, key=key)
    votes._commit(session)
    mine[proposal_id] = on_this + 1
    return _result(proposal_id, mine, budget)


def retract(
    session: Session, *, access: EventAccess, proposal_id: int, key: str | None = None
) -> VoteResult:
    """Take one dot back from a proposal."""
    participant_id, already = votes.begin(session, access=access, key=key, mine=_mine)
    budget = access.event.dots_per_participant
    if already is not None:
        return _result(proposal_id, already, budget, replayed=True)
    _require_convergence(access)
    vote_id = session.exec(
        select(ProposalVote.id)
        .where(
            ProposalVote.participant_id == participant_id,
            ProposalVote.proposal_id == proposal_id,
        )
        .order_by(col(ProposalVote.id).desc())
    ).first()
    if vote_id is None:
        raise Conflict(_("You have no dot on this proposal."))
    session.execute(delete(ProposalVote).where(col(ProposalVote.id) == vote_id))
    votes._remember(session, participant_id=participant_id, key=key)
    mine = _mine(session, participant_id=participant_id)
    votes._commit(session)
    return _result(proposal_id, mine, budget)


def my_dots(session: Session, *, access: EventAccess) -> dict[int, int]:
    if access.participant is None or access.participant.id is None:
        return {}
    return _mine(session, participant_id=access.participant.id)


# --- priorities ----------------------------------------------------------------------------------


@dataclass
class Priority:
    rank: int
    proposal_id: int
    text: str
    topic_id: int
    session_title: str
    dots: int
    commitments: list[Commitment] = field(default_factory=list)


def priorities(session: Session, *, event_id: int) -> list[Priority]:
    """Every proposal of the event, most dots first (ties: the older first), with its
    commitments. Three queries."""
    dots = dict(
        session.exec(
            select(ProposalVote.proposal_id, func.count(col(ProposalVote.id)))
            .where(ProposalVote.event_id == event_id)
            .group_by(col(ProposalVote.proposal_id))
        ).all()
    )
    rows = session.exec(
        select(Proposal, Topic.title)
        .join(Topic, Topic.id == Proposal.topic_id)  # type: ignore[arg-type]
        .where(Proposal.event_id == event_id, col(Proposal.deleted_at).is_(None))
        .order_by(col(Proposal.id))
    ).all()
    pledged: dict[int, list[Commitment]] = {}
    for commitment in session.exec(
        select(Commitment).where(Commitment.event_id == event_id).order_by(col(Commitment.id))
    ).all():
        pledged.setdefault(commitment.proposal_id, []).append(commitment)
    ranked = sorted(rows, key=lambda row: (-int(dots.get(id_of(row[0]), 0)), id_of(row[0])))
    return [
        Priority(
            rank=number,
            proposal_id=id_of(proposal),
            text=proposal.text,
            topic_id=proposal.topic_id,
            session_title=title,
            dots=int(dots.get(id_of(proposal), 0)),
            commitments=pledged.get(id_of(proposal), []),
        )
        for number, (proposal, title) in enumerate(ranked, start=1)
    ]


def commitments(session: Session, *, event_id: int) -> list[tuple[Priority, Commitment]]:
    """Every commitment with the priority it is for, in the priorities' order."""
    return [
        (priority, commitment)
        for priority in priorities(session, event_id=event_id)
        for commitment in priority.commitments
    ]


# --- commitments ---------------------------------------------------------------------------------


def commit(
    session: Session,
    *,
    access: EventAccess,
    proposal_id: int,
    who: str,
    action: str,
    by_when: str,
) -> Commitment:
    """ "Our organisation will…" on one of the top priorities, while action planning is on."""
    access.require(Role.PARTICIPANT, *STAFF)
    if not actions_open(access.event):
        raise Conflict(_("Action planning is not open right now."))
    _proposal(session, access=access, proposal_id=proposal_id)
    top = {priority.proposal_id for priority in priorities(session, event_id=access.event_id)[:TOP]}
    if proposal_id not in top:
        raise Conflict(_("Commitments are for the top priorities only."))
    who, action, by_when = (" ".join(value.split()) for value in (who, action, by_when))
    errors: dict[str, str] = {}
    if not who:
        errors["who"] = _("Say who will do it: your organisation or your name.")
    elif message := too_long(who, WHO_MAX):
        errors["who"] = message
    if not action:
        errors["action"] = _("Say what you will do.")
    elif message := too_long(action, ACTION_MAX):
        errors["action"] = message
    if message := too_long(by_when, WHEN_MAX):
        errors["by_when"] = message
    if errors:
        raise Invalid(errors)
    commitment = Commitment(
        event_id=access.event_id,
        proposal_id=proposal_id,
        participant_id=access.participant.id if access.participant else None,
        user_id=access.user.id if access.user and access.participant is None else None,
        who=who,
        action=action,
        by_when=by_when,
    )
    session.add(commitment)
    session.commit()
    session.refresh(commitment)
    return commitment


def withdraw_commitment(session: Session, *, access: EventAccess, commitment_id: int) -> int:
    """Take a commitment back: the person who made it, or staff. Returns its proposal's id."""
    access.require(Role.PARTICIPANT, *STAFF)
    commitment = session.get(Commitment, commitment_id)
    if commitment is None or commitment.event_id != access.event_id:
        raise NotFound(_("There is no such commitment."))
    mine = access.participant is not None and commitment.participant_id == access.participant.id
    if not (mine or access.is_staff):
        raise PermissionDenied(_("Only the person who made this commitment can take it back."))
    session.delete(commitment)
    session.commit()
    return commitment.proposal_id


# --- the priorities page ------------------------------------------------------------------


@dataclass
class PrioritiesPage:
    """The priorities page, on the phone and on the staff screen: the sessions' proposals
    ranked by dots, with commitments; the asker's own dots while convergence is open."""

    priorities: list[Priority]  # most dots first
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
    mine = my_dots(session, access=access)
    return PrioritiesPage(
        priorities=priorities(session, event_id=access.event_id),
        top=TOP,
        mine=mine,
        dots_left=max(event.dots_per_participant - sum(mine.values()), 0),
        voting=convergence_open(event),
        acting=actions_open(event),
        phase_label=PHASE_LABELS.get(event.phase, event.phase),
    )
