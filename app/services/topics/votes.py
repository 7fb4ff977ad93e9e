"""Dot voting, with the budget enforced by the server under concurrency.

Each vote request locks its participant's row (PostgreSQL: ``SELECT … FOR UPDATE``; SQLite:
the request's ``BEGIN IMMEDIATE`` transaction), then counts and inserts. Thirty simultaneous
requests against a budget of five therefore store exactly five. A request may carry an
idempotency key: a phone that retries after a lost response is answered, not counted again.

Only dots on active topics count, in tallies and against the budget. Dots on a withdrawn topic
are kept, and its voters may spend them elsewhere meanwhile; when staff restore the topic,
``restore_dots`` locks those voters' rows (in id order, so it cannot deadlock with a vote, which
locks one row) and brings each voter's dots back as far as their budget allows now.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from dataclasses import dataclass, field

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, delete, func, select

from app.errors import Conflict, Invalid, NotFound
from app.i18n import _
from app.models.events import Event, Role
from app.models.people import Participant
from app.models.topics import IdempotencyKey, Topic, TopicStatus, Vote
from app.services.access import EventAccess
from app.services.events.phases import voting_open

KEY_PATTERN = re.compile(r"^[A-Za-z0-9_-]{8,64}$")
# A phone retries within seconds; ``openspace purge`` deletes keys older than this.
KEY_KEPT = dt.timedelta(days=1)


@dataclass(frozen=True)
class VoteResult:
    topic_id: int
    on_topic: int
    dots_left: int
    replayed: bool = False
    # Dots per topic of this participant after the request: the phone's answer is rendered from
    # this, so the response needs no second query (nor the write lock a second time).
    mine: dict[int, int] = field(default_factory=dict, compare=False)


def _lock(session: Session, *, participant_id: int) -> None:
    # On SQLite the request's BEGIN IMMEDIATE transaction already serialises writers.
    if session.get_bind().dialect.name == "postgresql":
        session.exec(
            select(Participant.id).where(Participant.id == participant_id).with_for_update()
        ).one()


def _mine(session: Session, *, participant_id: int) -> dict[int, int]:
    rows = session.exec(
        select(Vote.topic_id, func.count(col(Vote.id)))
        .join(Topic, Topic.id == Vote.topic_id)  # type: ignore[arg-type]
        .where(Vote.participant_id == participant_id, Topic.status == TopicStatus.ACTIVE)
        .group_by(col(Vote.topic_id))
    ).all()
    return {topic_id: int(count) for topic_id, count in rows}


def _result(
    topic_id: int, mine: dict[int, int], budget: int, *, replayed: bool = False
) -> VoteResult:
    # Lowering the budget keeps dots already placed, so there may be more than it allows.
    left = max(budget - sum(mine.values()), 0)
    return VoteResult(topic_id, mine.get(topic_id, 0), left, replayed=replayed, mine=mine)


def _replayed(session: Session, *, participant_id: int, key: str | None) -> bool:
    if key is None:
        return False
    if not KEY_PATTERN.fullmatch(key):
        raise Invalid({"key": _("This request could not be understood. Reload the page.")})
    return session.get(IdempotencyKey, (participant_id, key)) is not None


def _remember(session: Session, *, participant_id: int, key: str | None) -> None:
    if key is not None:
        session.add(IdempotencyKey(participant_id=participant_id, key=key))


def _voting_topic(session: Session, *, access: EventAccess, topic_id: int) -> Topic:
    topic = session.get(Topic, topic_id)
    if topic is None or topic.event_id != access.event_id:
        raise NotFound(_("There is no such topic."))
    if topic.status == TopicStatus.MERGED:
        raise Conflict(_("This topic was merged into another one; vote for that one."))
    if topic.status != TopicStatus.ACTIVE:
        raise Conflict(_("This topic is not on the list any more."))
    return topic


def _participant_id(access: EventAccess) -> int:
    access.require(Role.PARTICIPANT)
    assert access.participant is not None and access.participant.id is not None
    return access.participant.id


def begin(
    session: Session,
    *,
    access: EventAccess,
    key: str | None,
    mine: Callable[..., dict[int, int]] = _mine,
) -> tuple[int, dict[int, int] | None]:
    """Start a dot change: lock the voter, then look for a retry. Returns the participant's id
    and, when this request was applied already, their dots as they are (``mine`` counts them:
    dots on topics by default, or on proposals)."""
    participant_id = _participant_id(access)
    _lock(session, participant_id=participant_id)
    if _replayed(session, participant_id=participant_id, key=key):
        return participant_id, mine(session, participant_id=participant_id)
    return participant_id, None


def _require_voting(access: EventAccess) -> None:
    # Checked after the replay check: a retry of a vote that counted just before voting closed
    # gets its answer, not "voting is closed".
    if not voting_open(access.event):
        raise Conflict(_("Voting is closed right now."))


def _commit(session: Session) -> None:
    try:
        session.commit()
    except IntegrityError as error:  # the same key raced in from a second connection
        session.rollback()
        raise Conflict(_("This vote was already received.")) from error


def cast(
    session: Session, *, access: EventAccess, topic_id: int, key: str | None = None
) -> VoteResult:
    """Put one dot on a topic, within the budget and the per-topic maximum."""
    participant_id, already = begin(session, access=access, key=key)
    budget = access.event.dots_per_participant
    if already is not None:
        return _result(topic_id, already, budget, replayed=True)
    _require_voting(access)
    _voting_topic(session, access=access, topic_id=topic_id)
    mine = _mine(session, participant_id=participant_id)
    total, on_topic = sum(mine.values()), mine.get(topic_id, 0)
    if total >= budget:
        raise Conflict(_("You have used all your dots. Take one back to vote for this topic."))
    if on_topic >= access.event.max_dots_per_topic:
        raise Conflict(
            _("You have put the most dots allowed on this topic already.")
            if access.event.max_dots_per_topic > 1
            else _("You have voted for this topic already.")
        )
    session.add(Vote(event_id=access.event_id, participant_id=participant_id, topic_id=topic_id))
    _remember(session, participant_id=participant_id, key=key)
    _commit(session)
    mine[topic_id] = on_topic + 1
    return _result(topic_id, mine, budget)


def retract(
    session: Session, *, access: EventAccess, topic_id: int, key: str | None = None
) -> VoteResult:
    """Take one dot back from a topic."""
    participant_id, already = begin(session, access=access, key=key)
    budget = access.event.dots_per_participant
    if already is not None:
        return _result(topic_id, already, budget, replayed=True)
    _require_voting(access)
    vote_id = session.exec(
        select(Vote.id)
        .where(Vote.participant_id == participant_id, Vote.topic_id == topic_id)
        .order_by(col(Vote.id).desc())
    ).first()
    if vote_id is None:
        raise Conflict(_("You have no dot on this topic."))
    session.execute(delete(Vote).where(col(Vote.id) == vote_id))
    _remember(session, participant_id=participant_id, key=key)
    mine = _mine(session, participant_id=participant_id)
    _commit(session)
    return _result(topic_id, mine, budget)


def my_votes(session: Session, *, access: EventAccess) -> dict[int, int]:
    """Dots per topic for the participant asking."""
    if access.participant is None or access.participant.id is None:
        return {}
    return _mine(session, participant_id=access.participant.id)


def tallies(session: Session, *, event_id: int) -> dict[int, int]:
    rows = session.exec(
        select(Vote.topic_id, func.count(col(Vote.id)))
        .join(Topic, Topic.id == Vote.topic_id)  # type: ignore[arg-type]
        .where(Vote.event_id == event_id, Topic.status == TopicStatus.ACTIVE)
        .group_by(col(Vote.topic_id))
    ).all()
    return {topic_id: int(count) for topic_id, count in rows}


def restore_dots(session: Session, *, event: Event, topic_id: int) -> int:
    """A withdrawn topic is back on the list (not yet committed): its kept dots count again.

    A voter who spent the freed dots elsewhere meanwhile keeps those, and gets back on this topic
    only what their budget (and the per-topic maximum, both as they are now) still allows, oldest
    dots first; the rest are removed, so nobody holds more dots than the rules give. Returns how
    many dots were removed.
    """
    # Anonymous dots (a forgotten voter's) are in nobody's budget: they all come back.
    voters = sorted(
        {
            voter
            for voter in session.exec(
                select(Vote.participant_id).where(Vote.topic_id == topic_id)
            ).all()
            if voter is not None
        }
    )
    removed = 0
    for participant_id in voters:
        _lock(session, participant_id=participant_id)
        mine = _mine(session, participant_id=participant_id)
        elsewhere = sum(count for key, count in mine.items() if key != topic_id)
        allowed = max(min(event.max_dots_per_topic, event.dots_per_participant - elsewhere), 0)
        extra = session.exec(
            select(Vote.id)
            .where(Vote.participant_id == participant_id, Vote.topic_id == topic_id)
            .order_by(col(Vote.id))
            .offset(allowed)
        ).all()
        if extra:
            session.execute(delete(Vote).where(col(Vote.id).in_(extra)))
            removed += len(extra)
    return removed
