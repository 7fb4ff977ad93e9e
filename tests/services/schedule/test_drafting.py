"""The agenda grid page's data (drafting.page), without HTTP."""

from __future__ import annotations

import pytest
from sqlmodel import Session

from app.config import Settings
from app.errors import PermissionDenied
from app.services import live
from app.services.schedule import agenda, drafting, grid, optimise
from app.services.schedule.drafting import GridPage
from app.services.schedule.grid import Problems
from tests.grid_helpers import Grid, make_grid, vote
from tests.marketplace_helpers import as_participant


@pytest.fixture
def g(session: Session, settings: Settings) -> Grid:
    made = make_grid(session, settings, topic_count=3, people=3)
    vote(session, made, {0: [0, 1], 1: [1], 2: [2]})
    grid.move(
        session, access=made.staff, topic_id=made.topic(0), expected=None, target=made.cell(0, 0)
    )
    return made


def _view(g: Grid, index: int, votes: int) -> live.TopicView:
    person = g.people[index]
    return live.TopicView(
        id=g.topic(index),
        title=f"Topic {index}",
        description="",
        language=g.topics[index].language,
        votes=votes,
        conveners=[person.name],
        convener_ids=[person.id or 0],
    )


def test_grid_page(session: Session, g: Grid) -> None:
    page = drafting.page(session, access=g.staff)

    waiting = [_view(g, 1, 2), _view(g, 2, 1)]  # most dots first
    assert page == GridPage(
        draft=agenda.load_draft(session, event=g.event),
        problems=Problems(voters={g.topic(0): 1, g.topic(1): 2, g.topic(2): 1}),
        waiting=waiting,
        topic_conveners={g.topic(1): ["Person 1"], g.topic(2): ["Person 2"]},
        version=None,
        unpublished=1,
        revision=1,
        attendance={},
        # The grid's fixed day (9 June 2026) against today's clock: tested in test_grid.py.
        all_started=optimise.all_started(g.event, page.draft),
    )
    assert set(page.draft.by_topic) == {g.topic(0)}


def test_grid_page_search_narrows_the_waiting_topics(session: Session, g: Grid) -> None:
    page = drafting.page(session, access=g.staff, query="  TOPIC 2 ")

    assert (page.waiting, page.topic_conveners) == ([_view(g, 2, 1)], {g.topic(2): ["Person 2"]})


def test_grid_page_is_for_staff(session: Session, settings: Settings, g: Grid) -> None:
    with pytest.raises(PermissionDenied):
        drafting.page(session, access=as_participant(session, settings, g.event))
