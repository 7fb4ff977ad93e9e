"""Merging duplicates without HTTP: what the confirmation page says a merge will do, and an
undo that puts back every row the merge touched, or refuses and changes nothing."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from sqlmodel import Session, col, select

from app.config import Settings
from app.errors import Conflict, NotFound, PermissionDenied
from app.models.events import Phase
from app.models.schedule import Placement
from app.models.topics import PitchEntry, Topic, TopicConvener, TopicMerge, Vote
from app.services.access import EventAccess
from app.services.people import privacy
from app.services.schedule import grid
from app.services.topics import merging, pitches, topics, votes
from tests.grid_helpers import Grid, make_grid
from tests.marketplace_helpers import as_participant, cohost, set_phase

Rows = dict[str, list[tuple[object, ...]]]


def rows(session: Session, event_id: int) -> Rows:
    """Every row a merge may touch, without the ids that an undo makes anew."""
    session.expire_all()
    return {
        "votes": sorted(
            (vote.participant_id, vote.topic_id, vote.created_at.isoformat())
            for vote in session.exec(select(Vote).where(Vote.event_id == event_id)).all()
        ),
        "conveners": [
            (convener.topic_id, convener.participant_id)
            for convener in session.exec(
                select(TopicConvener)
                .join(Topic, Topic.id == TopicConvener.topic_id)  # type: ignore[arg-type]
                .where(Topic.event_id == event_id)
                .order_by(col(TopicConvener.topic_id), col(TopicConvener.id))
            ).all()
        ],
        "pitch": sorted(
            (entry.topic_id, entry.position, entry.status, str(entry.started_at))
            for entry in session.exec(
                select(PitchEntry).where(PitchEntry.event_id == event_id)
            ).all()
        ),
        "placements": sorted(
            (place.topic_id, place.block_id, place.room_id, place.locked)
            for place in session.exec(select(Placement).where(Placement.event_id == event_id)).all()
        ),
        "topics": sorted(
            (
                topic.id,
                topic.title,
                topic.description,
                topic.status,
                topic.merged_into_id,
                topic.updated_at.isoformat(),
            )
            for topic in session.exec(select(Topic).where(Topic.event_id == event_id)).all()
        ),
    }


VOTERS: dict[str, EventAccess] = {}


@pytest.fixture
def g(session: Session, settings: Settings) -> Grid:
    """Four topics, topic i convened by Person i; Lea co-hosts topics 0 (the duplicate) and 1
    (kept); Ana voted for 0, Bob for 1, Cleo for both (one dot goes back); topic 0 is pitching
    and locked in a cell of the grid. Two dots each."""
    made = make_grid(session, settings, topic_count=4, people=4)
    set_phase(session, made.event, Phase.VOTING, dots_per_participant=2)
    for name in ("Lea", "Ana", "Bob", "Cleo"):
        VOTERS[name] = as_participant(session, settings, made.event, name)
    cohost(session, topic_id=made.topic(0), asker=VOTERS["Lea"], answer=made.staff)
    cohost(session, topic_id=made.topic(1), asker=VOTERS["Lea"], answer=made.staff)
    votes.cast(session, access=VOTERS["Ana"], topic_id=made.topic(0))
    votes.cast(session, access=VOTERS["Bob"], topic_id=made.topic(1))
    votes.cast(session, access=VOTERS["Cleo"], topic_id=made.topic(0))
    votes.cast(session, access=VOTERS["Cleo"], topic_id=made.topic(1))
    pitches.line_up(session, access=made.staff, topic_id=made.topic(0))
    pitches.line_up(session, access=made.staff, topic_id=made.topic(2))
    pitches.advance(session, access=made.staff)  # the duplicate is pitching now
    grid.move(
        session, access=made.staff, topic_id=made.topic(0), expected=None, target=made.cell(0, 0)
    )
    grid.set_locked(session, access=made.staff, topic_id=made.topic(0), locked=True)
    return made


def _merge(session: Session, g: Grid, source: int = 0, target: int = 1) -> Topic:
    return topics.merge(
        session, access=g.staff, source_id=g.topic(source), target_id=g.topic(target)
    )


def _person(g: Grid, index: int) -> int:
    return g.people[index].id or 0


def _voter(name: str) -> int:
    person = VOTERS[name].participant
    assert person is not None
    return person.id or 0


def test_preview_says_what_the_merge_will_do_and_changes_nothing(session: Session, g: Grid) -> None:
    before = rows(session, g.event.id or 0)
    source, target = topics.merge_pair(
        session, access=g.staff, source_id=g.topic(0), target_id=g.topic(1)
    )

    preview = merging.preview(session, access=g.staff, source=source, target=target)

    assert (preview.new_conveners, preview.dots_moving, preview.dots_returned) == (
        ["Person 0"],
        2,
        1,
    )
    assert rows(session, g.event.id or 0) == before


def test_undo_puts_back_every_row_the_merge_touched(session: Session, g: Grid) -> None:
    event_id = g.event.id or 0
    before = rows(session, event_id)
    _merge(session, g)
    merged = rows(session, event_id)
    assert merged != before
    assert [c for c in merged["conveners"] if c[0] == g.topic(1)] == [
        (g.topic(1), _person(g, 1)),
        (g.topic(1), _voter("Lea")),
        (g.topic(1), _person(g, 0)),
    ]
    assert [row[0] for row in merged["pitch"]] == [g.topic(2)]
    assert merged["placements"] == []

    restored = merging.undo(session, access=g.staff, topic_id=g.topic(0))

    assert restored.id == g.topic(0)
    assert rows(session, event_id) == before
    assert session.exec(select(TopicMerge)).all() == []
    # The voters' budgets are as before: Person 2 has spent both dots again.
    assert votes.tallies(session, event_id=event_id) == {g.topic(0): 2, g.topic(1): 2}


def test_undo_from_the_kept_topic_works_too(session: Session, g: Grid) -> None:
    before = rows(session, g.event.id or 0)
    _merge(session, g)

    merging.undo(session, access=g.staff, topic_id=g.topic(1))

    assert rows(session, g.event.id or 0) == before


def test_undo_is_refused_once_dots_on_the_merged_topic_changed(session: Session, g: Grid) -> None:
    _merge(session, g)
    votes.retract(session, access=VOTERS["Bob"], topic_id=g.topic(1))
    after = rows(session, g.event.id or 0)

    with pytest.raises(Conflict) as refused:
        merging.undo(session, access=g.staff, topic_id=g.topic(0))
    session.rollback()

    assert refused.value.message == (
        "The merge can no longer be undone: Dots on the merged topic have changed since the merge."
    )
    assert rows(session, g.event.id or 0) == after


def test_undo_is_refused_when_a_voter_spent_the_dot_the_merge_gave_back(
    session: Session, g: Grid
) -> None:
    _merge(session, g)
    # Cleo's returned dot, spent elsewhere: the undo would give her three of two.
    votes.cast(session, access=VOTERS["Cleo"], topic_id=g.topic(3))
    after = rows(session, g.event.id or 0)

    with pytest.raises(Conflict, match="A voter has spent the dots the merge gave back"):
        merging.undo(session, access=g.staff, topic_id=g.topic(0))
    session.rollback()

    assert rows(session, g.event.id or 0) == after


def test_undo_is_refused_when_the_duplicates_cell_was_taken(session: Session, g: Grid) -> None:
    _merge(session, g)
    grid.move(session, access=g.staff, topic_id=g.topic(3), expected=None, target=g.cell(0, 0))

    with pytest.raises(Conflict, match="cell on the grid is no longer free"):
        merging.undo(session, access=g.staff, topic_id=g.topic(0))


def test_only_the_latest_merge_can_be_undone(session: Session, g: Grid) -> None:
    _merge(session, g)
    _merge(session, g, source=2, target=3)

    with pytest.raises(NotFound, match="There is no merge of this topic to undo"):
        merging.undo(session, access=g.staff, topic_id=g.topic(0))
    session.rollback()
    assert merging.latest(session, event_id=g.event.id or 0) is not None
    merging.undo(session, access=g.staff, topic_id=g.topic(2))
    assert session.get(Topic, g.topic(2)).status == "active"  # type: ignore[union-attr]
    assert session.get(Topic, g.topic(0)).status == "merged"  # type: ignore[union-attr]


def test_a_participant_cannot_undo_a_merge(session: Session, g: Grid) -> None:
    _merge(session, g)
    with pytest.raises(PermissionDenied):
        merging.undo(session, access=VOTERS["Ana"], topic_id=g.topic(0))


def test_forgetting_a_participant_ends_the_undo(session: Session, g: Grid) -> None:
    _merge(session, g)

    privacy.forget_participant(
        session, event=g.event, participant_id=_voter("Cleo"), upload_dir=Path("/nonexistent")
    )

    assert merging.latest(session, event_id=g.event.id or 0) is None


def test_a_merge_keeps_its_undo_only_until_the_next(session: Session, g: Grid) -> None:
    _merge(session, g)
    first = merging.latest(session, event_id=g.event.id or 0)
    assert first is not None and (first.source_id, first.target_id) == (g.topic(0), g.topic(1))
    assert first.merged_by == g.staff.user.id  # type: ignore[union-attr]
    assert first.merged_at <= dt.datetime.now(dt.UTC)
    _merge(session, g, source=2, target=3)

    assert [(m.source_id, m.target_id) for m in session.exec(select(TopicMerge)).all()] == [
        (g.topic(2), g.topic(3))
    ]
