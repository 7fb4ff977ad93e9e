"""The control panel's data (panel.page), without HTTP."""

from __future__ import annotations

import pytest
from sqlmodel import Session

from app.errors import PermissionDenied
from app.models.events import Event, Phase
from app.services import live
from app.services.access import EventAccess
from app.services.events import panel
from app.services.events.panel import PanelPage
from app.services.topics import cohosting, topics
from tests.marketplace_helpers import set_phase


@pytest.fixture
def event(session: Session, event: Event) -> Event:
    return set_phase(session, event, Phase.MARKETPLACE)


def test_panel_page(
    session: Session, event: Event, staff: EventAccess, mira: EventAccess, ivo: EventAccess
) -> None:
    housing = topics.propose(session, access=mira, title="Housing")
    spam = topics.propose(session, access=ivo, title="Buy now")
    parks = topics.propose(session, access=mira, title="Parks")
    asked = cohosting.request_cohost(session, access=ivo, topic_id=housing.id or 0)
    topics.hide(session, access=staff, topic_id=spam.id or 0, reason="Advertising")
    topics.withdraw(session, access=mira, topic_id=parks.id or 0)
    assert ivo.participant is not None and mira.participant is not None

    page = panel.page(session, access=staff)

    assert page == PanelPage(
        live=live.load(session, event_id=event.id or 0),  # type: ignore[arg-type]
        phases=[
            ("setup", "Setting up"),
            ("programme", "Programme"),
            ("marketplace", "Marketplace"),
            ("voting", "Dot voting"),
            ("agenda", "Agenda"),
            ("sessions", "Sessions"),
            ("closing", "Closing circle"),
            ("convergence", "Convergence"),
            ("actions", "Action planning"),
            ("finished", "Finished"),
        ],
        participants=[ivo.participant, mira.participant],  # by name
        hidden_topics=[spam],
        withdrawn_topics=[parks],
        cohost_requests={housing.id or 0: [(asked, ivo.participant)]},
        topic_titles={housing.id or 0: "Housing", spam.id or 0: "Buy now", parks.id or 0: "Parks"},
    )
    assert [view.title for view in page.live.topics] == ["Housing"]


def test_panel_page_is_for_staff(session: Session, mira: EventAccess) -> None:
    with pytest.raises(PermissionDenied):
        panel.page(session, access=mira)
