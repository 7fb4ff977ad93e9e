"""The priorities page's data (priorities.page), on the phone and for staff, without HTTP."""

from __future__ import annotations

import pytest
from sqlmodel import Session

from app.config import Settings
from app.errors import PermissionDenied
from app.models.events import Event, Phase
from app.models.notes import Proposal
from app.models.people import User
from app.services.access import EventAccess
from app.services.convergence import priorities
from app.services.convergence.priorities import PrioritiesPage, Priority
from app.services.notes import items
from tests.factories import access_as
from tests.marketplace_helpers import set_phase
from tests.notes_helpers import publish


@pytest.fixture
def proposals(
    session: Session, settings: Settings, event: Event, owner: User, staff: EventAccess
) -> list[Proposal]:
    housing, jobs = publish(session, settings, event, owner, ["Housing", "Jobs"])
    found = [
        items.add_proposal(session, access=staff, topic_id=housing.id or 0, text="Fewer cars"),
        items.add_proposal(session, access=staff, topic_id=jobs.id or 0, text="A job fair"),
    ]
    set_phase(session, event, Phase.CONVERGENCE)
    return found


def test_priorities_page_on_the_phone(
    session: Session, proposals: list[Proposal], mira: EventAccess, ivo: EventAccess
) -> None:
    cars, fair = (proposal.id or 0 for proposal in proposals)
    priorities.cast(session, access=ivo, proposal_id=fair)
    priorities.cast(session, access=mira, proposal_id=fair)
    priorities.cast(session, access=mira, proposal_id=cars)

    page = priorities.page(session, access=mira)

    assert page == PrioritiesPage(
        priorities=[
            Priority(rank=1, proposal_id=fair, text="A job fair", topic_id=proposals[1].topic_id,
                     session_title="Jobs", dots=2),
            Priority(rank=2, proposal_id=cars, text="Fewer cars", topic_id=proposals[0].topic_id,
                     session_title="Housing", dots=1),
        ],
        top=10,
        mine={cars: 1, fair: 1},
        dots_left=3,  # of 5
        voting=True,
        acting=False,
        phase_label="Convergence",
    )  # fmt: skip


def test_priorities_page_for_staff_with_commitments(
    session: Session, event: Event, proposals: list[Proposal], staff: EventAccess
) -> None:
    cars, fair = (proposal.id or 0 for proposal in proposals)
    set_phase(session, event, Phase.ACTIONS)
    pledge = priorities.commit(
        session, access=staff, proposal_id=fair, who="The city", action="Host it", by_when="May"
    )

    page = priorities.page(session, access=staff)

    assert page == PrioritiesPage(
        priorities=[
            Priority(rank=1, proposal_id=cars, text="Fewer cars", topic_id=proposals[0].topic_id,
                     session_title="Housing", dots=0),
            Priority(rank=2, proposal_id=fair, text="A job fair", topic_id=proposals[1].topic_id,
                     session_title="Jobs", dots=0, commitments=[pledge]),
        ],
        top=10,
        mine={},  # staff have no dots
        dots_left=5,
        voting=False,
        acting=True,
        phase_label="Action planning",
    )  # fmt: skip


def test_priorities_page_is_for_the_event_s_people(session: Session, event: Event) -> None:
    with pytest.raises(PermissionDenied):
        priorities.page(session, access=access_as(session, event))
