"""Publishing the draft agenda as a new version, and how far the draft has moved from it."""

from __future__ import annotations

from typing import Any

from sqlmodel import Session

from app.models.base import id_of
from app.models.schedule import PublishedPlacement, ScheduleVersion
from app.services.access import EventAccess
from app.services.schedule import agenda
from app.services.schedule.agenda import Agenda
from app.services.schedule.grid import lock_grid


def publish(session: Session, *, access: EventAccess) -> ScheduleVersion:
    """Publish the draft as a new version; participants see it at once, with what moved."""
    access.require_staff()
    event_id = access.event_id
    lock_grid(session, event_id=event_id)
    previous = agenda.latest_version(session, event_id=event_id)
    before = agenda.published_cells(session, version_id=id_of(previous)) if previous else {}
    grid = agenda.load_draft(session, event=access.event)  # active topics only
    now = {item.topic_id: item.cell for item in grid.sessions.values()}
    changes: list[dict[str, Any]] = []
    if previous is not None:
        for topic in sorted(set(before) | set(now)):
            old, new = before.get(topic), now.get(topic)
            if old != new:
                changes.append(
                    {
                        "topic": topic,
                        "from": list(old) if old else None,
                        "to": list(new) if new else None,
                    }
                )
    version = ScheduleVersion(
        event_id=event_id,
        number=(previous.number + 1) if previous else 1,
        published_by=access.user.id if access.user else None,
        changes=changes,
    )
    session.add(version)
    session.flush()
    for topic, (block_id, room_id) in now.items():
        session.add(
            PublishedPlacement(
                version_id=id_of(version),
                event_id=event_id,
                topic_id=topic,
                block_id=block_id,
                room_id=room_id,
            )
        )
    session.commit()
    return version


def unpublished_changes(session: Session, *, grid: Agenda) -> int:
    """How many topics of the draft ``grid`` sit elsewhere than in the published agenda."""
    version = agenda.latest_version(session, event_id=id_of(grid.event))
    published = agenda.published_cells(session, version_id=id_of(version)) if version else {}
    draft = {item.topic_id: item.cell for item in grid.sessions.values()}
    return sum(1 for t in set(published) | set(draft) if published.get(t) != draft.get(t))
