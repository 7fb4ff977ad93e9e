"""The one query behind every screen's list of conveners."""

from __future__ import annotations

from sqlmodel import Session

from app.config import Settings
from app.models.events import Phase
from app.services.topics import conveners, topics
from tests.factories import make_event, make_user
from tests.marketplace_helpers import as_participant, as_staff, cohost, set_phase


def test_conveners_come_proposer_first_and_only_from_the_event(
    session: Session, settings: Settings
) -> None:
    owner = make_user(session)
    event = set_phase(session, make_event(session, owner=owner), Phase.MARKETPLACE)
    other = set_phase(session, make_event(session, owner=owner), Phase.MARKETPLACE)
    staff = as_staff(session, event, owner)
    ana = as_participant(session, settings, event, name="Ana")
    boris = as_participant(session, settings, event, name="Boris")
    elsewhere = as_participant(session, settings, other, name="Zoe")
    housing = topics.propose(session, access=boris, title="Housing")
    jobs = topics.propose(session, access=ana, title="Jobs")
    cohost(session, topic_id=housing.id or 0, asker=ana, answer=boris)
    foreign = topics.propose(session, access=elsewhere, title="Elsewhere")
    topics.withdraw(session, access=staff, topic_id=jobs.id or 0)

    found = conveners.by_topic(session, event_id=event.id or 0)

    assert {topic: [person.name for person in people] for topic, people in found.items()} == {
        housing.id: ["Boris", "Ana"],
        jobs.id: ["Ana"],  # withdrawn topics too: each screen picks the topics it shows
    }
    assert found[housing.id or 0][0].participant_id == boris.participant.id  # type: ignore[union-attr]
    assert foreign.id not in found
