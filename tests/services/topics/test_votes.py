"""Dot voting without HTTP: budget, per-topic maximum, phases, idempotency keys, tallies."""

from __future__ import annotations

import pytest
from sqlmodel import Session, col, select

from app.config import Settings
from app.errors import Conflict, Invalid, NotFound, PermissionDenied
from app.models.events import Event, Phase, Role
from app.models.people import User
from app.models.topics import IdempotencyKey, Topic, Vote
from app.services.access import EventAccess
from app.services.events import phases
from app.services.topics import topics, votes
from app.services.topics.votes import VoteResult
from tests.factories import access_as, make_event, make_participant
from tests.marketplace_helpers import as_participant, dots, set_phase

CLOSED = "Voting is closed right now."
SPENT = "You have used all your dots. Take one back to vote for this topic."
ALREADY = "You have voted for this topic already."
MOST = "You have put the most dots allowed on this topic already."
NOT_ON_LIST = "This topic is not on the list any more."
BAD_KEY = {"key": "This request could not be understood. Reload the page."}
KEY = "retry-key-0001"


@pytest.fixture
def event(session: Session, event: Event) -> Event:
    """The shared event (tests/services/conftest.py), in the marketplace."""
    return set_phase(session, event, Phase.MARKETPLACE)


@pytest.fixture
def board(session: Session, event: Event, mira: EventAccess) -> list[Topic]:
    """Six topics by Mira, then voting opens."""
    found = [topics.propose(session, access=mira, title=f"Topic {n}") for n in range(1, 7)]
    set_phase(session, event, Phase.VOTING)
    return found


def _pid(access: EventAccess) -> int:
    assert access.participant is not None and access.participant.id is not None
    return access.participant.id


def _id(topic: Topic) -> int:
    assert topic.id is not None
    return topic.id


def _cast(
    session: Session, access: EventAccess, topic: Topic, key: str | None = None
) -> VoteResult:
    return votes.cast(session, access=access, topic_id=_id(topic), key=key)


def _keys(session: Session) -> list[tuple[int, str]]:
    return [
        (row.participant_id, row.key)
        for row in session.exec(select(IdempotencyKey).order_by(col(IdempotencyKey.key))).all()
    ]


# --- casting -----------------------------------------------------------------------------


def test_cast_counts_down_the_budget(
    session: Session, ivo: EventAccess, board: list[Topic]
) -> None:
    results = [_cast(session, ivo, topic) for topic in board[:5]]
    assert results == [
        VoteResult(_id(topic), 1, left)
        for topic, left in zip(board[:5], [4, 3, 2, 1, 0], strict=True)
    ]
    assert dots(session, participant_id=_pid(ivo)) == {_id(topic): 1 for topic in board[:5]}


def test_cast_over_budget_refused(session: Session, ivo: EventAccess, board: list[Topic]) -> None:
    for topic in board[:5]:
        _cast(session, ivo, topic)
    with pytest.raises(Conflict) as caught:
        _cast(session, ivo, board[5])
    assert caught.value.message == SPENT
    session.rollback()
    assert sum(dots(session, participant_id=_pid(ivo)).values()) == 5


def test_cast_uses_configured_budget(
    session: Session, event: Event, ivo: EventAccess, board: list[Topic]
) -> None:
    set_phase(session, event, Phase.VOTING, dots_per_participant=2)
    assert _cast(session, ivo, board[0]).dots_left == 1
    assert _cast(session, ivo, board[1]).dots_left == 0
    with pytest.raises(Conflict) as caught:
        _cast(session, ivo, board[2])
    assert caught.value.message == SPENT


def test_cast_twice_on_topic_refused_by_default(
    session: Session, ivo: EventAccess, board: list[Topic]
) -> None:
    _cast(session, ivo, board[0])
    with pytest.raises(Conflict) as caught:
        _cast(session, ivo, board[0])
    assert caught.value.message == ALREADY
    session.rollback()
    assert dots(session, participant_id=_pid(ivo)) == {_id(board[0]): 1}


def test_cast_per_topic_maximum_two(
    session: Session, event: Event, ivo: EventAccess, board: list[Topic]
) -> None:
    set_phase(session, event, Phase.VOTING, max_dots_per_topic=2)
    assert _cast(session, ivo, board[0]) == VoteResult(_id(board[0]), 1, 4)
    assert _cast(session, ivo, board[0]) == VoteResult(_id(board[0]), 2, 3)
    with pytest.raises(Conflict) as caught:
        _cast(session, ivo, board[0])
    assert caught.value.message == MOST
    session.rollback()
    assert dots(session, participant_id=_pid(ivo)) == {_id(board[0]): 2}


@pytest.mark.parametrize(
    "phase", [Phase.SETUP, Phase.MARKETPLACE, Phase.AGENDA, Phase.SESSIONS, Phase.FINISHED]
)
def test_cast_phase_closed(
    session: Session, event: Event, ivo: EventAccess, board: list[Topic], phase: Phase
) -> None:
    set_phase(session, event, phase)
    with pytest.raises(Conflict) as caught:
        _cast(session, ivo, board[0])
    assert caught.value.message == CLOSED
    assert dots(session, participant_id=_pid(ivo)) == {}


def test_cast_on_hidden_withdrawn_or_merged_topic_refused(
    session: Session, staff: EventAccess, mira: EventAccess, ivo: EventAccess, board: list[Topic]
) -> None:
    hidden, withdrawn, merged, target = board[:4]
    topics.hide(session, access=staff, topic_id=_id(hidden), reason="spam")
    topics.withdraw(session, access=mira, topic_id=_id(withdrawn))
    topics.merge(session, access=staff, source_id=_id(merged), target_id=_id(target))
    for topic, message in (
        (hidden, NOT_ON_LIST),
        (withdrawn, NOT_ON_LIST),
        (merged, "This topic was merged into another one; vote for that one."),
    ):
        with pytest.raises(Conflict) as caught:
            _cast(session, ivo, topic)
        assert caught.value.message == message
    assert dots(session, participant_id=_pid(ivo)) == {}


def test_cast_unknown_or_foreign_topic_not_found(
    session: Session, settings: Settings, owner: User, ivo: EventAccess, board: list[Topic]
) -> None:
    other = set_phase(session, make_event(session, owner=owner), Phase.MARKETPLACE)
    foreign = topics.propose(
        session, access=as_participant(session, settings, other, "Zoe"), title="Theirs"
    )
    set_phase(session, other, Phase.VOTING)
    for topic_id in (_id(foreign), 999_999):
        with pytest.raises(NotFound) as caught:
            votes.cast(session, access=ivo, topic_id=topic_id)
        assert caught.value.message == "There is no such topic."
    assert votes.tallies(session, event_id=other.id or 0) == {}


def test_cast_refused_for_staff_board_and_strangers(
    session: Session, event: Event, staff: EventAccess, board: list[Topic]
) -> None:
    with pytest.raises(PermissionDenied):
        _cast(session, staff, board[0])
    with pytest.raises(PermissionDenied):
        _cast(session, EventAccess(event=event, role=Role.BOARD), board[0])
    with pytest.raises(PermissionDenied):
        _cast(session, EventAccess(event=event, role=None), board[0])
    assert votes.tallies(session, event_id=event.id or 0) == {}


def test_cast_refused_for_participant_of_another_event(
    session: Session, settings: Settings, owner: User, event: Event, board: list[Topic]
) -> None:
    other = set_phase(session, make_event(session, owner=owner), Phase.VOTING)
    zoe, auth = make_participant(session, settings, event=other, name="Zoe")
    # Zoe's phone, pointed at this event, is nobody here...
    with pytest.raises(PermissionDenied):
        _cast(session, access_as(session, event, auth=auth), board[0])
    # ...and in her own event, this event's topic ids lead nowhere.
    with pytest.raises(NotFound):
        _cast(session, access_as(session, other, auth=auth), board[0])
    assert dots(session, participant_id=zoe.id or 0) == {}
    assert votes.tallies(session, event_id=event.id or 0) == {}


# --- taking dots back --------------------------------------------------------------------


def test_retract_returns_a_dot(session: Session, ivo: EventAccess, board: list[Topic]) -> None:
    _cast(session, ivo, board[0])
    _cast(session, ivo, board[1])
    result = votes.retract(session, access=ivo, topic_id=_id(board[0]))
    assert result == VoteResult(_id(board[0]), 0, 4)
    assert dots(session, participant_id=_pid(ivo)) == {_id(board[1]): 1}


def test_retract_one_of_two(
    session: Session, event: Event, ivo: EventAccess, board: list[Topic]
) -> None:
    set_phase(session, event, Phase.VOTING, max_dots_per_topic=2)
    _cast(session, ivo, board[0])
    _cast(session, ivo, board[0])
    assert votes.retract(session, access=ivo, topic_id=_id(board[0])) == VoteResult(
        _id(board[0]), 1, 4
    )
    assert dots(session, participant_id=_pid(ivo)) == {_id(board[0]): 1}


def test_retract_without_dot_refused(
    session: Session, ivo: EventAccess, mira: EventAccess, board: list[Topic]
) -> None:
    _cast(session, mira, board[0])
    with pytest.raises(Conflict) as caught:
        votes.retract(session, access=ivo, topic_id=_id(board[0]))
    assert caught.value.message == "You have no dot on this topic."
    assert dots(session, participant_id=_pid(mira)) == {_id(board[0]): 1}


def test_retract_after_voting_closed_refused(
    session: Session, event: Event, ivo: EventAccess, board: list[Topic]
) -> None:
    _cast(session, ivo, board[0])
    set_phase(session, event, Phase.AGENDA)
    with pytest.raises(Conflict) as caught:
        votes.retract(session, access=ivo, topic_id=_id(board[0]))
    assert caught.value.message == CLOSED
    assert dots(session, participant_id=_pid(ivo)) == {_id(board[0]): 1}


def test_moving_a_dot_after_budget_spent(
    session: Session, ivo: EventAccess, board: list[Topic]
) -> None:
    for topic in board[:5]:
        _cast(session, ivo, topic)
    votes.retract(session, access=ivo, topic_id=_id(board[0]))
    assert _cast(session, ivo, board[5]) == VoteResult(_id(board[5]), 1, 0)
    assert dots(session, participant_id=_pid(ivo)) == {_id(topic): 1 for topic in board[1:6]}


def test_lowered_budget_keeps_dots_and_never_shows_negative(
    session: Session, event: Event, staff: EventAccess, ivo: EventAccess, board: list[Topic]
) -> None:
    for topic in board[:4]:
        _cast(session, ivo, topic)
    phases.update_rules(
        session, access=staff, dots_per_participant=1, max_dots_per_topic=1,
        blind_voting=False, board_hides_tallies=False, proposals_while_voting=True,
        pitch_seconds=45,
    )  # fmt: skip
    assert len(dots(session, participant_id=_pid(ivo))) == 4
    with pytest.raises(Conflict) as caught:
        _cast(session, ivo, board[5])
    assert caught.value.message == SPENT
    session.rollback()
    assert votes.retract(session, access=ivo, topic_id=_id(board[0])) == VoteResult(
        _id(board[0]), 0, 0
    )


# --- idempotency keys --------------------------------------------------------------------


def test_cast_replayed_key_stores_nothing_new(
    session: Session, ivo: EventAccess, board: list[Topic]
) -> None:
    first = _cast(session, ivo, board[0], key=KEY)
    again = _cast(session, ivo, board[0], key=KEY)
    assert first == VoteResult(_id(board[0]), 1, 4)
    assert again == VoteResult(_id(board[0]), 1, 4, replayed=True)
    assert dots(session, participant_id=_pid(ivo)) == {_id(board[0]): 1}
    assert _keys(session) == [(_pid(ivo), KEY)]


def test_cast_replayed_key_answers_even_with_budget_spent(
    session: Session, ivo: EventAccess, board: list[Topic]
) -> None:
    for number, topic in enumerate(board[:5]):
        _cast(session, ivo, topic, key=f"{KEY}-{number}")
    # The phone never saw the answer to its last vote and sends it again.
    assert _cast(session, ivo, board[4], key=f"{KEY}-4") == VoteResult(
        _id(board[4]), 1, 0, replayed=True
    )
    assert sum(dots(session, participant_id=_pid(ivo)).values()) == 5


def test_retract_replayed_key_takes_back_once(
    session: Session, event: Event, ivo: EventAccess, board: list[Topic]
) -> None:
    set_phase(session, event, Phase.VOTING, max_dots_per_topic=2)
    _cast(session, ivo, board[0])
    _cast(session, ivo, board[0])
    assert votes.retract(session, access=ivo, topic_id=_id(board[0]), key=KEY) == VoteResult(
        _id(board[0]), 1, 4
    )
    assert votes.retract(session, access=ivo, topic_id=_id(board[0]), key=KEY) == VoteResult(
        _id(board[0]), 1, 4, replayed=True
    )
    assert dots(session, participant_id=_pid(ivo)) == {_id(board[0]): 1}


def test_same_key_from_two_participants_counts_both(
    session: Session, mira: EventAccess, ivo: EventAccess, board: list[Topic]
) -> None:
    assert not _cast(session, mira, board[0], key=KEY).replayed
    assert not _cast(session, ivo, board[0], key=KEY).replayed
    assert votes.tallies(session, event_id=mira.event_id) == {_id(board[0]): 2}
    assert _keys(session) == sorted([(_pid(mira), KEY), (_pid(ivo), KEY)])


def test_refused_vote_does_not_burn_its_key(
    session: Session, ivo: EventAccess, board: list[Topic]
) -> None:
    _cast(session, ivo, board[0])
    with pytest.raises(Conflict):
        _cast(session, ivo, board[0], key=KEY)
    session.rollback()
    assert _keys(session) == []
    assert _cast(session, ivo, board[1], key=KEY) == VoteResult(_id(board[1]), 1, 3)


@pytest.mark.parametrize(
    "key", ["short", "", "with space 123", "x" * 65, "ключ-ключ-ключ", "semi;colon;key"]
)
def test_malformed_key_refused(
    session: Session, ivo: EventAccess, board: list[Topic], key: str
) -> None:
    with pytest.raises(Invalid) as caught:
        _cast(session, ivo, board[0], key=key)
    assert caught.value.errors == BAD_KEY
    with pytest.raises(Invalid):
        votes.retract(session, access=ivo, topic_id=_id(board[0]), key=key)
    session.rollback()
    assert dots(session, participant_id=_pid(ivo)) == {}
    assert _keys(session) == []


def test_cast_replayed_after_voting_closed_gets_its_answer(
    session: Session, event: Event, ivo: EventAccess, board: list[Topic]
) -> None:
    first = _cast(session, ivo, board[0], key=KEY)
    set_phase(session, event, Phase.AGENDA)
    # The answer was lost and the phone retries just after the facilitator closed voting.
    assert _cast(session, ivo, board[0], key=KEY) == VoteResult(_id(board[0]), 1, 4, replayed=True)
    assert first == VoteResult(_id(board[0]), 1, 4)
    with pytest.raises(Conflict) as caught:
        _cast(session, ivo, board[1], key=f"{KEY}-new")
    assert caught.value.message == "Voting is closed right now."


# --- tallies -----------------------------------------------------------------------------


def test_tallies_and_my_votes(
    session: Session, event: Event, mira: EventAccess, ivo: EventAccess, board: list[Topic]
) -> None:
    set_phase(session, event, Phase.VOTING, max_dots_per_topic=2)
    _cast(session, mira, board[0])
    _cast(session, ivo, board[0])
    _cast(session, ivo, board[0])
    _cast(session, ivo, board[2])
    assert votes.tallies(session, event_id=event.id or 0) == {_id(board[0]): 3, _id(board[2]): 1}
    assert votes.my_votes(session, access=ivo) == {_id(board[0]): 2, _id(board[2]): 1}
    assert votes.my_votes(session, access=mira) == {_id(board[0]): 1}
    assert votes.my_votes(session, access=EventAccess(event=event, role=Role.BOARD)) == {}


def test_tallies_per_event(
    session: Session, settings: Settings, owner: User, ivo: EventAccess, board: list[Topic]
) -> None:
    other = set_phase(session, make_event(session, owner=owner), Phase.MARKETPLACE)
    zoe = as_participant(session, settings, other, "Zoe")
    theirs = topics.propose(session, access=zoe, title="Theirs")
    set_phase(session, other, Phase.VOTING)
    _cast(session, ivo, board[1])
    _cast(session, zoe, theirs)
    assert votes.tallies(session, event_id=ivo.event_id) == {_id(board[1]): 1}
    assert votes.tallies(session, event_id=other.id or 0) == {_id(theirs): 1}
    assert session.exec(select(Vote.event_id).order_by(col(Vote.id))).all() == [
        ivo.event_id,
        other.id,
    ]


def test_staff_without_participant_has_no_votes(
    session: Session, event: Event, staff: EventAccess
) -> None:
    assert votes.my_votes(session, access=staff) == {}
