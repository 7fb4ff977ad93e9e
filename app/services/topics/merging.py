"""Merging duplicate topics, what a merge will do (for the confirmation page), and undoing it.

A merge moves the duplicate's conveners and dots to the other topic (a voter with dots on both
keeps at most the per-topic maximum), takes it out of the pitch queue and off the draft grid.
Everything it moved, deleted or added is kept in the event's one ``TopicMerge`` row, so the
latest merge can be undone exactly: until the next merge replaces that row, and only while
nothing the merge left behind has changed since (the merged topic's dots and conveners, the
duplicate's grid cell, the voters' budgets). Otherwise the undo says why and changes nothing.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import dataclass
from typing import Any

from sqlmodel import Session, col, delete, select, update

from app.errors import Conflict, NotFound
from app.i18n import _
from app.models.base import id_of, utcnow
from app.models.people import Participant
from app.models.schedule import BlockedCell, Placement
from app.models.topics import (
    PitchEntry,
    PitchStatus,
    Topic,
    TopicConvener,
    TopicMerge,
    TopicStatus,
    Vote,
)
from app.services.access import EventAccess
from app.services.schedule import grid


@dataclass(frozen=True)
class Preview:
    """What merging ``source`` into ``target`` will do, for the confirmation page."""

    source: Topic
    target: Topic
    new_conveners: list[str]  # the duplicate's conveners who join the kept topic
    dots_moving: int  # dots on the duplicate
    dots_returned: int  # dots back to voters who had dots on both (the per-topic maximum)


def _conveners(session: Session, *, topic_id: int) -> list[TopicConvener]:
    return list(
        session.exec(
            select(TopicConvener)
            .where(TopicConvener.topic_id == topic_id)
            .order_by(col(TopicConvener.id))
        ).all()
    )


def _votes(session: Session, *, topic_id: int) -> list[Vote]:
    return list(
        session.exec(select(Vote).where(Vote.topic_id == topic_id).order_by(col(Vote.id))).all()
    )


def _over_limit(votes: list[Vote], limit: int) -> list[Vote]:
    """The dots that would put a voter over ``limit`` on one topic, newest first to go."""
    kept: Counter[int] = Counter()
    extra = []
    for vote in sorted(votes, key=lambda vote: id_of(vote)):
        if vote.participant_id is None:  # anonymous: a forgotten voter's, each its own
            continue
        kept[vote.participant_id] += 1
        if kept[vote.participant_id] > limit:
            extra.append(vote)
    return extra


def preview(session: Session, *, access: EventAccess, source: Topic, target: Topic) -> Preview:
    """What ``merge`` would do now; changes nothing."""
    access.require_staff()
    kept = {c.participant_id for c in _conveners(session, topic_id=id_of(target))}
    joining = [c.participant_id for c in _conveners(session, topic_id=id_of(source))]
    names = dict(
        session.exec(
            select(Participant.id, Participant.name).where(col(Participant.id).in_(joining))
        ).all()
    )
    moving = _votes(session, topic_id=id_of(source))
    both = moving + _votes(session, topic_id=id_of(target))
    return Preview(
        source=source,
        target=target,
        new_conveners=[names[p] for p in joining if p not in kept and p in names],
        dots_moving=len(moving),
        dots_returned=len(_over_limit(both, access.event.max_dots_per_topic)),
    )


def _when(moment: dt.datetime | None) -> str | None:
    return moment.isoformat() if moment is not None else None


def _moment(text: str | None) -> dt.datetime | None:
    return dt.datetime.fromisoformat(text) if text else None


def merge(session: Session, *, access: EventAccess, source: Topic, target: Topic) -> Topic:
    """Merge ``source`` into ``target`` (both active, checked by the caller), commit, and keep
    what undoes it (replacing the event's previous merge: only the latest can be undone)."""
    access.require_staff()
    source_id, target_id = id_of(source), id_of(target)
    undo: dict[str, Any] = {
        "source_updated_at": _when(source.updated_at),
        "target_updated_at": _when(target.updated_at),
        "source_votes": [id_of(v) for v in _votes(session, topic_id=source_id)],
    }
    existing = {c.participant_id for c in _conveners(session, topic_id=target_id)}
    added: list[TopicConvener] = []
    # New rows rather than moved ones: the target's own conveners stay first in the list.
    source_conveners = _conveners(session, topic_id=source_id)
    undo["source_conveners"] = [c.participant_id for c in source_conveners]
    for convener in source_conveners:
        session.delete(convener)
        if convener.participant_id not in existing:
            added.append(TopicConvener(topic_id=target_id, participant_id=convener.participant_id))
    session.add_all(added)
    session.execute(update(Vote).where(col(Vote.topic_id) == source_id).values(topic_id=target_id))
    session.flush()
    moved = set(undo["source_votes"])
    extra = _over_limit(_votes(session, topic_id=target_id), access.event.max_dots_per_topic)
    undo["deleted_votes"] = [
        {
            "participant": vote.participant_id,
            "topic": source_id if id_of(vote) in moved else target_id,
            "created_at": _when(vote.created_at),
        }
        for vote in extra
    ]
    for vote in extra:
        session.delete(vote)
    pitch = session.exec(select(PitchEntry).where(PitchEntry.topic_id == source_id)).first()
    undo["pitch"] = (
        None
        if pitch is None
        else {
            "position": pitch.position,
            "status": pitch.status,
            "started_at": _when(pitch.started_at),
        }
    )
    if pitch is not None:
        session.delete(pitch)
    placement = session.exec(select(Placement).where(Placement.topic_id == source_id)).first()
    undo["placement"] = (
        None
        if placement is None
        else {"block": placement.block_id, "room": placement.room_id, "locked": placement.locked}
    )
    grid.remove_inactive(session, event_id=access.event_id, topic_id=source_id)
    source.status = TopicStatus.MERGED
    source.merged_into_id = target_id
    source.updated_at = target.updated_at = utcnow()
    session.add_all([source, target])
    session.flush()
    undo["added_conveners"] = [id_of(c) for c in added]
    undo["target_votes"] = sorted(id_of(v) for v in _votes(session, topic_id=target_id))
    undo["target_conveners"] = [c.participant_id for c in _conveners(session, topic_id=target_id)]
    session.execute(delete(TopicMerge).where(col(TopicMerge.event_id) == access.event_id))
    user = access.user
    session.add(
        TopicMerge(
            event_id=access.event_id,
            source_id=source_id,
            target_id=target_id,
            merged_by=user.id if user is not None else None,
            undo=undo,
        )
    )
    session.commit()
    return target


def latest(session: Session, *, event_id: int) -> TopicMerge | None:
    """The event's merge that can still be undone, if any (see ``why_not``)."""
    return session.exec(select(TopicMerge).where(TopicMerge.event_id == event_id)).first()


def why_not(session: Session, *, access: EventAccess, record: TopicMerge) -> str | None:
    """Why undoing ``record`` would not restore the topics exactly now, or None if it would."""
    undo = record.undo
    source = session.get(Topic, record.source_id)
    target = session.get(Topic, record.target_id)
    if (
        source is None
        or target is None
        or source.status != TopicStatus.MERGED
        or source.merged_into_id != record.target_id
        or target.status != TopicStatus.ACTIVE
    ):
        return _("One of the two topics has changed since the merge.")
    if sorted(id_of(v) for v in _votes(session, topic_id=record.target_id)) != sorted(
        undo["target_votes"]
    ):
        return _("Dots on the merged topic have changed since the merge.")
    conveners = [c.participant_id for c in _conveners(session, topic_id=record.target_id)]
    if conveners != undo["target_conveners"]:
        return _("The merged topic's conveners have changed since the merge.")
    cell = undo["placement"]
    if cell is not None:
        taken = session.exec(
            select(Placement.id).where(
                Placement.block_id == cell["block"], Placement.room_id == cell["room"]
            )
        ).first()
        blocked = session.exec(
            select(BlockedCell.id).where(
                BlockedCell.block_id == cell["block"], BlockedCell.room_id == cell["room"]
            )
        ).first()
        if taken is not None or blocked is not None:
            return _("The duplicate's cell on the grid is no longer free.")
    returned = Counter(v["participant"] for v in undo["deleted_votes"] if v["participant"])
    for participant_id, count in returned.items():
        spent = session.exec(
            select(Vote.id)
            .join(Topic, Topic.id == Vote.topic_id)  # type: ignore[arg-type]
            .where(Vote.participant_id == participant_id, Topic.status == TopicStatus.ACTIVE)
        ).all()
        if len(spent) + count > access.event.dots_per_participant:
            return _("A voter has spent the dots the merge gave back.")
    return None


def undo(session: Session, *, access: EventAccess, topic_id: int) -> Topic:
    """Undo the event's latest merge, if it involved ``topic_id`` and nothing it left behind
    changed since: every vote, convener, pitch and grid row is put back as it was, and the
    duplicate is on the list again. Commits; returns the duplicate."""
    access.require_staff()
    grid.lock_grid(session, event_id=access.event_id)  # one undo or grid change at a time
    record = latest(session, event_id=access.event_id)
    if record is not None and session.get_bind().dialect.name == "postgresql":
        # As a vote does (SQLite's BEGIN IMMEDIATE already serialises writers): the voters
        # who get dots back cannot spend them while this checks their budgets.
        voters = sorted({v["participant"] for v in record.undo["deleted_votes"]} - {None})
        session.exec(
            select(Participant.id).where(col(Participant.id).in_(voters)).with_for_update()
        ).all()
    if record is None or topic_id not in (record.source_id, record.target_id):
        raise NotFound(_("There is no merge of this topic to undo."))
    if reason := why_not(session, access=access, record=record):
        raise Conflict(_("The merge can no longer be undone: %(reason)s") % {"reason": reason})
    data = record.undo
    source = session.get(Topic, record.source_id)
    target = session.get(Topic, record.target_id)
    assert source is not None and target is not None  # checked by why_not
    session.execute(
        update(Vote)
        .where(col(Vote.id).in_(data["source_votes"]), col(Vote.topic_id) == record.target_id)
        .values(topic_id=record.source_id)
    )
    for vote in data["deleted_votes"]:
        session.add(
            Vote(
                event_id=access.event_id,
                participant_id=vote["participant"],
                topic_id=vote["topic"],
                created_at=_moment(vote["created_at"]) or utcnow(),
            )
        )
    session.execute(delete(TopicConvener).where(col(TopicConvener.id).in_(data["added_conveners"])))
    session.flush()
    session.add_all(
        TopicConvener(topic_id=record.source_id, participant_id=participant_id)
        for participant_id in data["source_conveners"]
    )
    if (pitch := data["pitch"]) is not None:
        status = pitch["status"]
        someone_else = session.exec(
            select(PitchEntry.id).where(
                PitchEntry.event_id == access.event_id, PitchEntry.status == PitchStatus.CURRENT
            )
        ).first()
        if status == PitchStatus.CURRENT and someone_else is not None:
            status = PitchStatus.WAITING  # one pitch at a time: it waits for its turn again
        session.add(
            PitchEntry(
                event_id=access.event_id,
                topic_id=record.source_id,
                position=pitch["position"],
                status=status,
                started_at=_moment(pitch["started_at"]),
            )
        )
    if (cell := data["placement"]) is not None:
        session.add(
            Placement(
                event_id=access.event_id,
                topic_id=record.source_id,
                block_id=cell["block"],
                room_id=cell["room"],
                locked=cell["locked"],
            )
        )
    source.status = TopicStatus.ACTIVE
    source.merged_into_id = None
    source.updated_at = _moment(data["source_updated_at"]) or utcnow()
    target.updated_at = _moment(data["target_updated_at"]) or utcnow()
    session.add_all([source, target])
    session.delete(record)
    session.commit()
    return source


@dataclass(frozen=True)
class Undoable:
    """The event's latest merge as a topic's page offers to undo it."""

    source_id: int
    target_id: int
    blocked: str | None  # why it can no longer be undone, or None


def undoable(session: Session, *, access: EventAccess, topic_id: int) -> Undoable | None:
    """The latest merge, if ``topic_id`` was one of its two topics (staff only)."""
    access.require_staff()
    record = latest(session, event_id=access.event_id)
    if record is None or topic_id not in (record.source_id, record.target_id):
        return None
    return Undoable(
        source_id=record.source_id,
        target_id=record.target_id,
        blocked=why_not(session, access=access, record=record),
    )
