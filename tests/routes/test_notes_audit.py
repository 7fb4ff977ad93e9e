"""The notes pages pass the accessibility audit (tests/routes/test_accessibility.py) in their
fullest state and with their form errors shown."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session

from app.config import Settings
from app.models.events import Event, Phase
from app.models.people import User
from app.services.convergence import priorities
from app.services.notes import editing, items
from tests.factories import csrf
from tests.marketplace_helpers import as_staff, set_phase
from tests.notes_helpers import publish
from tests.routes.helpers import join, sync
from tests.routes.test_accessibility import audit, check, report
from tests.services.notes.test_photos import jpeg_with_gps


@pytest.fixture
def full(
    session: Session,
    settings: Settings,
    event: Event,
    owner: User,
    organiser: TestClient,
    new_client: Callable[[], TestClient],
) -> tuple[TestClient, int, int]:
    """Notes with every part filled in, a conflict, a photo; a participant's phone."""
    housing, _jobs = publish(session, settings, event, owner, ["Housing", "Jobs"])
    staff = as_staff(session, event, owner)
    topic_id = housing.id or 0
    editing.save(
        session,
        access=staff,
        topic_id=topic_id,
        base_revision=0,
        changes={"outcome": "Pilot", "discussion": "- a\n- b", "participant_count": "9"},
    )
    editing.save(
        session, access=staff, topic_id=topic_id, base_revision=0, changes={"outcome": "X"}
    )
    proposal = items.add_proposal(session, access=staff, topic_id=topic_id, text="Guarantee")
    items.add_step(session, access=staff, topic_id=topic_id, action="Call", who="Us", by_when="May")
    phone = new_client()
    join(phone, settings, event)
    response = phone.post(
        f"/e/{event.slug}/sessions/{topic_id}/photos",
        data={"caption": "Wall", "csrf_token": csrf(phone, settings)},
        files={"photo": ("a.jpg", jpeg_with_gps(), "image/jpeg")},
        follow_redirects=False,
    )
    assert response.status_code == 303
    return phone, topic_id, proposal.id or 0


def test_notes_pages(
    session: Session,
    settings: Settings,
    event: Event,
    organiser: TestClient,
    full: tuple[TestClient, int, int],
) -> None:
    phone, topic_id, proposal_id = full
    slug = event.slug
    base = f"/e/{slug}/sessions/{topic_id}"
    found = [
        check(phone, settings, "GET", f"/e/{slug}/notes"),
        check(phone, settings, "GET", f"{base}/notes"),
        check(organiser, settings, "GET", f"{base}/notes"),
        check(phone, settings, "GET", f"{base}/notes/fresh", whole_page=False),
        check(phone, settings, "POST", f"{base}/notes", data={"base_revision": "x"}, status=422),
        check(
            phone,
            settings,
            "POST",
            f"{base}/notes",
            data={"base_revision": "0", "participant_count": "x", "outcome": "y" * 300},
            status=422,
        ),
        check(phone, settings, "POST", f"{base}/proposals", data={"proposal": ""}, status=422),
        check(phone, settings, "POST", f"{base}/steps", data={"action": ""}, status=422),
        check(phone, settings, "POST", f"{base}/photos", data={"caption": "x"}, status=422),
    ]
    for phase in (Phase.CLOSING, Phase.CONVERGENCE, Phase.ACTIONS):
        sync(session)
        set_phase(session, event, phase)
        found += [
            check(phone, settings, "GET", f"/e/{slug}/priorities"),
            check(organiser, settings, "GET", f"/o/{slug}/priorities"),
            check(organiser, settings, "GET", f"/o/{slug}/closing"),
        ]
    found.append(
        check(
            phone,
            settings,
            "POST",
            f"/e/{slug}/proposals/{proposal_id}/commit",
            data={"who": "", "action": ""},
            status=422,
        )
    )
    report(found)


def test_board_in_the_closing_and_convergence_phases(
    session: Session, settings: Settings, event: Event, full: tuple[TestClient, int, int]
) -> None:
    from app.services.events import events

    phone, _topic_id, proposal_id = full
    for phase in (Phase.CLOSING, Phase.CONVERGENCE, Phase.ACTIONS):
        sync(session)
        set_phase(session, event, phase)
        board = phone.get(events.board_path(event, settings.secret)).text
        assert audit(board, csrf(phone, settings)) == [], phase
    assert priorities.priorities(session, event_id=event.id or 0)[0].proposal_id == proposal_id
