"""The dot budget and idempotency keys under real concurrency, on SQLite and PostgreSQL.

Each thread is one request: its own session opened as the app opens it for a POST
(``open_session(engine, write=True)``: ``BEGIN IMMEDIATE`` on SQLite), resolving who is asking
and voting. A barrier releases all of them at once.
"""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Callable

import pytest
from sqlalchemy import Engine
from sqlmodel import Session, func, select

from app.config import Settings
from app.db import open_session
from app.errors import DomainError
from app.models.events import Event, Phase
from app.models.people import AuthSession
from app.models.topics import IdempotencyKey, Topic, Vote
from app.services.topics import topics, votes
from tests.factories import access_as, make_event, make_participant
from tests.marketplace_helpers import as_participant, set_phase

REQUESTS = 30
KEY = "flaky-wifi-retry-1"

Outcome = votes.VoteResult | str


@pytest.fixture
def event(session: Session) -> Event:
    return make_event(session)


@pytest.fixture
def board(session: Session, settings: Settings, event: Event) -> list[Topic]:
    """Thirty topics, then voting opens with the default rules (5 dots, 1 per topic)."""
    set_phase(session, event, Phase.MARKETPLACE)
    convener = as_participant(session, settings, event, "Conny")
    found = [topics.propose(session, access=convener, title=f"Topic {n}") for n in range(REQUESTS)]
    set_phase(session, event, Phase.VOTING)
    assert (event.dots_per_participant, event.max_dots_per_topic) == (5, 1)
    return found


@pytest.fixture
def voter(session: Session, settings: Settings, event: Event) -> AuthSession:
    _participant, auth = make_participant(session, settings, event=event, name="Vera")
    session.commit()  # the test session holds no transaction while the threads run
    return auth


def _together(
    engine: Engine, count: int, request: Callable[[Session, int], Outcome]
) -> list[Outcome]:
    """Run ``request`` in ``count`` threads released at the same moment, each with a session of
    its own; the outcome is the result, or the message of the domain error it raised."""
    barrier = threading.Barrier(count)
    outcomes: list[Outcome | None] = [None] * count
    crashes: list[BaseException] = []

    def run(number: int) -> None:
        try:
            barrier.wait(timeout=30)
            with open_session(engine, write=True) as session:
                try:
                    outcomes[number] = request(session, number)
                except DomainError as error:
                    outcomes[number] = f"{type(error).__name__}: {error.message}"
        except BaseException as error:  # reported below, not lost in the thread
            crashes.append(error)

    threads = [threading.Thread(target=run, args=(number,)) for number in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not any(thread.is_alive() for thread in threads)
    assert crashes == []
    assert None not in outcomes
    return [outcome for outcome in outcomes if outcome is not None]


def _vote(
    event: Event, auth: AuthSession, topic_id: Callable[[int], int], key: str | None = None
) -> Callable[[Session, int], Outcome]:
    def request(session: Session, number: int) -> Outcome:
        # As a request does: load the event, resolve the phone, then vote.
        current = session.get(Event, event.id)
        assert current is not None
        access = access_as(session, current, auth=auth)
        return votes.cast(session, access=access, topic_id=topic_id(number), key=key)

    return request


def _stored(session: Session) -> tuple[int, int]:
    session.expire_all()
    return (
        session.exec(select(func.count()).select_from(Vote)).one(),
        session.exec(select(func.count()).select_from(IdempotencyKey)).one(),
    )


def test_thirty_simultaneous_votes_store_exactly_the_budget(
    engine: Engine, session: Session, event: Event, board: list[Topic], voter: AuthSession
) -> None:
    outcomes = _together(engine, REQUESTS, _vote(event, voter, lambda n: board[n].id or 0))
    placed = [outcome for outcome in outcomes if isinstance(outcome, votes.VoteResult)]
    assert sorted(result.dots_left for result in placed) == [0, 1, 2, 3, 4]
    assert Counter(outcome for outcome in outcomes if isinstance(outcome, str)) == {
        "Conflict: You have used all your dots. Take one back to vote for this topic.": 25
    }
    assert _stored(session) == (5, 0)
    assert sorted(session.exec(select(Vote.topic_id)).all()) == sorted(r.topic_id for r in placed)


def test_thirty_simultaneous_retries_with_one_key_count_once(
    engine: Engine, session: Session, event: Event, board: list[Topic], voter: AuthSession
) -> None:
    target = board[0].id or 0
    outcomes = _together(engine, REQUESTS, _vote(event, voter, lambda _n: target, key=KEY))
    assert Counter(outcomes) == {
        votes.VoteResult(target, 1, 4): 1,
        votes.VoteResult(target, 1, 4, replayed=True): REQUESTS - 1,
    }
    assert _stored(session) == (1, 1)


def test_thirty_simultaneous_votes_on_one_topic_store_one(
    engine: Engine, session: Session, event: Event, board: list[Topic], voter: AuthSession
) -> None:
    target = board[0].id or 0
    outcomes = _together(engine, REQUESTS, _vote(event, voter, lambda _n: target))
    assert Counter(outcomes) == {
        votes.VoteResult(target, 1, 4): 1,
        "Conflict: You have voted for this topic already.": REQUESTS - 1,
    }
    assert _stored(session) == (1, 0)


def test_simultaneous_votes_from_many_phones_all_count(
    engine: Engine, session: Session, settings: Settings, event: Event, board: list[Topic]
) -> None:
    phones = [make_participant(session, settings, event=event, name=f"P{n}")[1] for n in range(10)]
    session.commit()
    target = board[0].id or 0

    def request(db: Session, number: int) -> Outcome:
        current = db.get(Event, event.id)
        assert current is not None
        return votes.cast(db, access=access_as(db, current, auth=phones[number]), topic_id=target)

    outcomes = _together(engine, len(phones), request)
    assert Counter(outcomes) == {votes.VoteResult(target, 1, 4): len(phones)}
    assert votes.tallies(session, event_id=event.id or 0) == {target: len(phones)}
