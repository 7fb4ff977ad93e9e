"""The facilitator's agenda grid page: the draft, what is wrong with it, the topics still
waiting for a cell, and how far it is from the published agenda."""

from __future__ import annotations

from dataclasses import dataclass

from sqlmodel import Session

from app.models.schedule import ScheduleVersion
from app.services import live
from app.services.access import EventAccess
from app.services.schedule import agenda, checkins, grid, optimise, publishing


@dataclass
class GridPage:
    draft: agenda.Agenda
    problems: grid.Problems
    waiting: list[live.TopicView]  # not placed yet, most dots first, matching the search
    topic_conveners: dict[int, list[str]]  # of the waiting topics
    version: ScheduleVersion | None  # the latest published
    unpublished: int  # topics placed elsewhere than in the published agenda
    revision: int  # the grid's, for other facilitators' screens to notice a change
    attendance: dict[int, int]  # checked in now, by topic id
    # Every slot counts as started (a past event, a late start, a rehearsal): the page offers
    # "Schedule all slots anyway", since "Fill from votes" leaves started slots alone.
    all_started: bool


def page(session: Session, *, access: EventAccess, query: str = "") -> GridPage:
    """Everything the grid page and its fragment show (staff only); ``query`` filters the
    waiting topics by title."""
    access.require_staff()
    draft = agenda.load_draft(session, event=access.event)
    state = live.load(session, event_id=access.event_id)
    assert state is not None  # the access was resolved from this event
    placed = set(draft.by_topic)
    waiting = sorted(
        (topic for topic in state.topics if topic.id not in placed),
        key=lambda topic: (-topic.votes, topic.id),
    )
    needle = query.strip().casefold()
    if needle:
        waiting = [topic for topic in waiting if needle in topic.title.casefold()]
    return GridPage(
        draft=draft,
        problems=grid.problems(session, grid=draft),
        waiting=waiting,
        topic_conveners={topic.id: topic.conveners for topic in waiting},
        version=agenda.latest_version(session, event_id=access.event_id),
        unpublished=publishing.unpublished_changes(session, grid=draft),
        revision=grid.revision(session, event_id=access.event_id),
        attendance=checkins.attendance(session, event_id=access.event_id),
        all_started=optimise.all_started(access.event, draft),
    )
