"""Convergence (dots on proposals), priorities, commitments and the closing presentation."""

from __future__ import annotations

import datetime as dt
from collections import Counter

import pytest
from sqlalchemy import Engine
from sqlmodel import Session, func, select

from app.config import Settings
from app.errors import Conflict, Invalid, PermissionDenied
from app.models.events import Event, Phase
from app.models.notes import ClosingState, Proposal, ProposalVote
from app.models.people import AuthSession, User
from app.models.topics import IdempotencyKey, Topic
from app.services.access import EventAccess
from app.services.convergence import closing, priorities
from app.services.notes import editing, items
from app.services.topics.votes import VoteResult
from tests.factories import access_as, make_participant
from tests.marketplace_helpers import as_participant, set_phase
from tests.notes_helpers import publish
from tests.services.topics.test_vote_concurrency import REQUESTS, _together

KEY = "proposal-retry-key-1"


@pytest.fixture
def sessions(session: Session, settings: Settings, event: Event, owner: User) -> list[Topic]:
    return publish(session, settings, event, owner, ["Housing", "Jobs"])


@pytest.fixture
def proposals(session: Session, staff: EventAccess, sessions: list[Topic]) -> list[Proposal]:
    found = [
        items.add_proposal(
            session, access=staff, topic_id=sessions[n % 2].id or 0, text=f"Proposal {n}"
        )
        for n in range(REQUESTS)
    ]
    set_phase(session, staff.event, Phase.CONVERGENCE)
    return found


def _pid(proposal: Proposal) -> int:
    assert proposal.id is not None
    return proposal.id


def test_budget_and_per_proposal_maximum(
    session: Session, settings: Settings, event: Event, proposals: list[Proposal]
) -> None:
    voter = as_participant(session, settings, event, "Vera")
    cast = priorities.cast
    assert cast(session, access=voter, proposal_id=_pid(proposals[0])) == VoteResult(
        _pid(proposals[0]), 1, 4
    )
    with pytest.raises(Conflict) as caught:
        cast(session, access=voter, proposal_id=_pid(proposals[0]))
    assert caught.value.message == "You have voted for this proposal already."
    for proposal in proposals[1:5]:
        cast(session, access=voter, proposal_id=_pid(proposal))
    with pytest.raises(Conflict) as caught:
        cast(session, access=voter, proposal_id=_pid(proposals[5]))
    assert caught.value.message == (
        "You have used all your dots. Take one back to vote for this proposal."
    )
    back = priorities.retract(session, access=voter, proposal_id=_pid(proposals[0]))
    assert (back.on_topic, back.dots_left) == (0, 1)
    assert priorities.my_dots(session, access=voter) == {_pid(p): 1 for p in proposals[1:5]}


def test_proposal_dots_only_while_convergence_is_on(
    session: Session, settings: Settings, event: Event, proposals: list[Proposal]
) -> None:
    voter = as_participant(session, settings, event, "Vera")
    set_phase(session, event, Phase.ACTIONS)
    with pytest.raises(Conflict) as caught:
        priorities.cast(session, access=voter, proposal_id=_pid(proposals[0]))
    assert caught.value.message == "Voting on proposals is closed right now."
    assert session.exec(select(func.count()).select_from(ProposalVote)).one() == 0


def test_priorities_rank_by_dots_then_age(
    session: Session,
    settings: Settings,
    event: Event,
    staff: EventAccess,
    proposals: list[Proposal],
) -> None:
    voters = [as_participant(session, settings, event, f"V{n}") for n in range(3)]
    for voter, chosen in zip(voters, ([2, 5], [5, 7], [5]), strict=True):
        for index in chosen:
            priorities.cast(session, access=voter, proposal_id=_pid(proposals[index]))
    ranked = priorities.priorities(session, event_id=event.id or 0)
    assert [(p.rank, p.text, p.dots) for p in ranked[:4]] == [
        (1, "Proposal 5", 3),
        (2, "Proposal 2", 1),
        (3, "Proposal 7", 1),
        (4, "Proposal 0", 0),
    ]
    assert ranked[0].session_title == "Jobs"
    # A proposal with dots stays: deleting it would take people's dots away (even staff, who
    # may delete any proposal); a voter did not add it, so may not delete it anyway.
    with pytest.raises(Conflict):
        items.delete_proposal(session, access=staff, proposal_id=_pid(proposals[5]))
    with pytest.raises(PermissionDenied):
        items.delete_proposal(session, access=voters[0], proposal_id=_pid(proposals[5]))
    assert priorities.priorities(session, event_id=event.id or 0)[0].text == "Proposal 5"


def test_commitments_for_top_priorities_during_action_planning(
    session: Session,
    settings: Settings,
    event: Event,
    staff: EventAccess,
    proposals: list[Proposal],
) -> None:
    mira = as_participant(session, settings, event, "Mira")
    ivo = as_participant(session, settings, event, "Ivo")
    for proposal in proposals[:2]:
        priorities.cast(session, access=mira, proposal_id=_pid(proposal))
    with pytest.raises(Conflict):
        priorities.commit(
            session, access=mira, proposal_id=_pid(proposals[0]), who="X", action="Y", by_when=""
        )
    set_phase(session, event, Phase.ACTIONS)
    with pytest.raises(Invalid) as caught:
        priorities.commit(
            session, access=mira, proposal_id=_pid(proposals[0]), who=" ", action="", by_when=""
        )
    assert caught.value.errors == {
        "who": "Say who will do it: your organisation or your name.",
        "action": "Say what you will do.",
    }
    with pytest.raises(Conflict) as conflict:
        priorities.commit(
            session, access=mira, proposal_id=_pid(proposals[-1]), who="A", action="B", by_when=""
        )
    assert conflict.value.message == "Commitments are for the top priorities only."
    made = priorities.commit(
        session,
        access=mira,
        proposal_id=_pid(proposals[1]),
        who="Nov Dom Foundation",
        action="Our organisation will draft the guarantee scheme",
        by_when="September 2026",
    )
    listed = priorities.commitments(session, event_id=event.id or 0)
    assert [(p.text, c.who, c.by_when) for p, c in listed] == [
        ("Proposal 1", "Nov Dom Foundation", "September 2026")
    ]
    with pytest.raises(PermissionDenied):
        priorities.withdraw_commitment(session, access=ivo, commitment_id=made.id or 0)
    priorities.withdraw_commitment(session, access=staff, commitment_id=made.id or 0)
    assert priorities.commitments(session, event_id=event.id or 0) == []


# --- under real concurrency, on both databases ----------------------------------------------


@pytest.fixture
def voter(session: Session, settings: Settings, event: Event) -> AuthSession:
    _participant, auth = make_participant(session, settings, event=event, name="Vera")
    session.commit()
    return auth


def _vote(event: Event, auth: AuthSession, target, key: str | None = None):  # type: ignore[no-untyped-def]
    def request(db: Session, number: int) -> VoteResult | str:
        current = db.get(Event, event.id)
        assert current is not None
        access = access_as(db, current, auth=auth)
        return priorities.cast(db, access=access, proposal_id=target(number), key=key)

    return request


def _stored(session: Session) -> tuple[int, int]:
    session.expire_all()
    return (
        session.exec(select(func.count()).select_from(ProposalVote)).one(),
        session.exec(select(func.count()).select_from(IdempotencyKey)).one(),
    )


def test_thirty_simultaneous_proposal_votes_store_exactly_the_budget(
    engine: Engine, session: Session, event: Event, proposals: list[Proposal], voter: AuthSession
) -> None:
    session.commit()
    outcomes = _together(engine, REQUESTS, _vote(event, voter, lambda n: _pid(proposals[n])))
    placed = [outcome for outcome in outcomes if isinstance(outcome, VoteResult)]
    assert sorted(result.dots_left for result in placed) == [0, 1, 2, 3, 4]
    assert Counter(outcome for outcome in outcomes if isinstance(outcome, str)) == {
        "Conflict: You have used all your dots. Take one back to vote for this proposal.": 25
    }
    assert _stored(session) == (5, 0)


def test_thirty_simultaneous_retries_of_one_proposal_vote_count_once(
    engine: Engine, session: Session, event: Event, proposals: list[Proposal], voter: AuthSession
) -> None:
    session.commit()
    target = _pid(proposals[0])
    outcomes = _together(engine, REQUESTS, _vote(event, voter, lambda _n: target, key=KEY))
    assert Counter(outcomes) == {
        VoteResult(target, 1, 4): 1,
        VoteResult(target, 1, 4, replayed=True): REQUESTS - 1,
    }
    assert _stored(session) == (1, 1)


# --- the closing presentation -----------------------------------------------------------------


def test_current_index_moves_on_by_itself_when_auto() -> None:
    start = dt.datetime(2026, 6, 10, 13, 20, tzinfo=dt.UTC)
    state = ClosingState(event_id=1, position=1, auto_seconds=30, changed_at=start)
    at = [start + dt.timedelta(seconds=s) for s in (0, 29, 30, 95)]
    assert [closing.current_index(state, 3, now) for now in at] == [1, 1, 2, 1]
    state.auto_seconds = 0
    assert closing.current_index(state, 3, at[-1]) == 1
    assert closing.current_index(state, 0, at[-1]) == 0


def test_move_show_and_auto(
    session: Session,
    settings: Settings,
    event: Event,
    staff: EventAccess,
    sessions: list[Topic],
) -> None:
    found = closing.slides(session, event_id=event.id or 0)
    assert [slide.title for slide in found] == ["Housing", "Jobs"]
    count = len(found)
    assert closing.move(session, access=staff, step=1, count=count).position == 1
    assert closing.move(session, access=staff, step=1, count=count).position == 0
    assert closing.move(session, access=staff, step=-1, count=count).position == 1
    assert closing.show(session, access=staff, index=0, count=count).position == 0
    state = closing.set_auto(session, access=staff, seconds=30, count=count)
    assert (state.position, state.auto_seconds) == (0, 30)
    with pytest.raises(Invalid):
        closing.set_auto(session, access=staff, seconds=7, count=count)
    phone = as_participant(session, settings, event, "Mira")
    with pytest.raises(PermissionDenied):
        closing.move(session, access=phone, step=1, count=count)


def test_slides_show_outcome_steps_and_first_photo_id(
    session: Session, event: Event, staff: EventAccess, sessions: list[Topic]
) -> None:
    topic_id = sessions[0].id or 0
    editing.save(
        session, access=staff, topic_id=topic_id, base_revision=0, changes={"outcome": "Pilot"}
    )
    for n in range(4):
        items.add_step(
            session, access=staff, topic_id=topic_id, action=f"Step {n}", who="Org", by_when=""
        )
    slide = closing.slides(session, event_id=event.id or 0)[0]
    assert (slide.outcome, slide.steps, slide.photo_id) == (
        "Pilot",
        ["Step 0 · Org", "Step 1 · Org", "Step 2 · Org"],
        None,
    )
