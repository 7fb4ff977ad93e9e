"""The marketplace without HTTP: proposing, editing, co-hosting, similar topics, moderation."""

from __future__ import annotations

import pytest
from sqlmodel import Session, col, select

from app.config import Settings
from app.errors import Conflict, Invalid, NotFound, NotSignedIn, PermissionDenied
from app.models.events import Event, Phase, Role
from app.models.people import User
from app.models.topics import CohostRequest, PitchEntry, Topic, TopicConvener, TopicStatus
from app.services.access import EventAccess
from app.services.topics import cohosting, hints, pitches, topics, votes
from tests.factories import access_as, make_event, make_participant, make_user
from tests.marketplace_helpers import (
    as_participant,
    as_staff,
    cohost,
    convener_ids,
    dots,
    make_facilitator,
    pitch_rows,
    set_phase,
    topic_titles,
)

CLOSED_PROPOSALS = "Proposals are closed right now."
NOT_ON_LIST = "This topic is not on the list any more."
MERGED = "This topic was merged into another one."
ONLY_CONVENERS = "Only the topic's conveners can change it."
NO_ACCESS = "You do not have access to this page."


@pytest.fixture
def event(session: Session, event: Event) -> Event:
    """The shared event (tests/services/conftest.py), in the marketplace."""
    return set_phase(session, event, Phase.MARKETPLACE)


def _pid(access: EventAccess) -> int:
    assert access.participant is not None and access.participant.id is not None
    return access.participant.id


def _propose(session: Session, access: EventAccess, title: str, **values: str) -> Topic:
    return topics.propose(session, access=access, title=title, **values)


def _fresh(session: Session, topic: Topic) -> Topic:
    session.expire_all()
    found = session.get(Topic, topic.id)
    assert found is not None
    return found


# --- proposing ---------------------------------------------------------------------------


def test_propose_creates_topic_with_proposer_as_convener(
    session: Session, event: Event, mira: EventAccess
) -> None:
    topic = _propose(
        session, mira, "Housing for refugees", description="Where to start.", language="bg"
    )
    stored = _fresh(session, topic)
    assert (stored.event_id, stored.title, stored.description, stored.language) == (
        event.id,
        "Housing for refugees",
        "Where to start.",
        "bg",
    )
    assert (stored.status, stored.proposed_by, stored.entered_by_user) == (
        TopicStatus.ACTIVE,
        _pid(mira),
        None,
    )
    assert convener_ids(session, topic_id=topic.id or 0) == [_pid(mira)]


def test_propose_tidies_whitespace(session: Session, mira: EventAccess) -> None:
    topic = _propose(session, mira, "  Housing \n for\trefugees ", description="  text \n")
    assert (topic.title, topic.description) == ("Housing for refugees", "text")


def test_propose_accepts_limits_exactly(session: Session, mira: EventAccess) -> None:
    topic = _propose(session, mira, "T" * 120, description="d" * 1000, language="en")
    assert (len(topic.title), len(topic.description)) == (120, 1000)


@pytest.mark.parametrize(
    ("values", "errors"),
    [
        ({"title": ""}, {"title": "Give your topic a title."}),
        ({"title": " \n\t "}, {"title": "Give your topic a title."}),
        ({"title": "T" * 121}, {"title": "Use at most 120 characters."}),
        (
            {"title": "Fine", "description": "d" * 1001},
            {"description": "Use at most 1,000 characters."},
        ),
        ({"title": "Fine", "language": "de"}, {"language": "Choose one of the event's languages."}),
        (
            {"title": "", "description": "d" * 1001, "language": "xx"},
            {
                "title": "Give your topic a title.",
                "description": "Use at most 1,000 characters.",
                "language": "Choose one of the event's languages.",
            },
        ),
    ],
)
def test_propose_invalid_fields_store_nothing(
    session: Session,
    event: Event,
    mira: EventAccess,
    values: dict[str, str],
    errors: dict[str, str],
) -> None:
    with pytest.raises(Invalid) as caught:
        _propose(session, mira, **values)
    assert caught.value.errors == errors
    session.rollback()
    assert topic_titles(session, event_id=event.id or 0) == []
    assert session.exec(select(TopicConvener)).all() == []


@pytest.mark.parametrize(
    "phase", [Phase.SETUP, Phase.AGENDA, Phase.SESSIONS, Phase.CLOSING, Phase.FINISHED]
)
def test_propose_phase_closed(
    session: Session, event: Event, mira: EventAccess, phase: Phase
) -> None:
    set_phase(session, event, phase)
    with pytest.raises(Conflict) as caught:
        _propose(session, mira, "Housing")
    assert caught.value.message == CLOSED_PROPOSALS
    assert topic_titles(session, event_id=event.id or 0) == []


def test_propose_while_voting_open_by_default(
    session: Session, event: Event, mira: EventAccess
) -> None:
    set_phase(session, event, Phase.VOTING)
    assert _propose(session, mira, "Housing").status == TopicStatus.ACTIVE


def test_propose_while_voting_refused_when_rule_off(
    session: Session, event: Event, mira: EventAccess
) -> None:
    set_phase(session, event, Phase.VOTING, proposals_while_voting=False)
    with pytest.raises(Conflict) as caught:
        _propose(session, mira, "Housing")
    assert caught.value.message == CLOSED_PROPOSALS
    # The rule only matters while voting: the marketplace itself stays open.
    set_phase(session, event, Phase.MARKETPLACE)
    assert _propose(session, mira, "Housing").title == "Housing"


def test_propose_refused_for_staff(session: Session, staff: EventAccess) -> None:
    with pytest.raises(PermissionDenied) as caught:
        _propose(session, staff, "Housing")
    assert caught.value.message == NO_ACCESS


def test_propose_refused_for_board_and_strangers(session: Session, event: Event) -> None:
    for role in (Role.BOARD, None):
        with pytest.raises(PermissionDenied):
            _propose(session, EventAccess(event=event, role=role), "Housing")
    assert topic_titles(session, event_id=event.id or 0) == []


def test_propose_refused_for_participant_of_another_event(
    session: Session, settings: Settings, event: Event, owner: User
) -> None:
    other = set_phase(session, make_event(session, owner=owner), Phase.MARKETPLACE)
    _zoe, auth = make_participant(session, settings, event=other, name="Zoe")
    # The same phone, looking at the first event, is nobody there.
    seen = access_as(session, event, auth=auth)
    assert seen.role is None
    with pytest.raises(PermissionDenied):
        _propose(session, seen, "Housing")
    assert topic_titles(session, event_id=event.id or 0) == []


def test_propose_refused_when_event_full(
    session: Session, event: Event, mira: EventAccess, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(topics, "MAX_TOPICS_PER_EVENT", 2)
    _propose(session, mira, "One")
    _propose(session, mira, "Two")
    with pytest.raises(Invalid) as caught:
        _propose(session, mira, "Three")
    assert caught.value.errors == {"title": "This event has reached its limit of topics."}
    session.rollback()
    assert topic_titles(session, event_id=event.id or 0) == ["One", "Two"]


def test_propose_on_behalf_names_convener(
    session: Session, event: Event, owner: User, staff: EventAccess, mira: EventAccess
) -> None:
    set_phase(session, event, Phase.AGENDA)  # facilitators may add a wall proposal any time
    topic = topics.propose_on_behalf(
        session, access=staff, title=" Wall  topic ", language="en", convener_id=_pid(mira)
    )
    assert (topic.title, topic.language, topic.proposed_by, topic.entered_by_user) == (
        "Wall topic",
        "en",
        _pid(mira),
        owner.id,
    )
    assert convener_ids(session, topic_id=topic.id or 0) == [_pid(mira)]


def test_propose_on_behalf_without_convener(session: Session, event: Event, owner: User) -> None:
    facilitator = make_facilitator(session, event, owner)
    topic = topics.propose_on_behalf(
        session, access=as_staff(session, event, facilitator), title="Wall topic"
    )
    assert (topic.proposed_by, topic.entered_by_user) == (None, facilitator.id)
    assert convener_ids(session, topic_id=topic.id or 0) == []


def test_propose_on_behalf_convener_of_other_event_refused(
    session: Session, settings: Settings, event: Event, owner: User, staff: EventAccess
) -> None:
    other = make_event(session, owner=owner)
    stranger = as_participant(session, settings, other, "Zoe")
    with pytest.raises(Invalid) as caught:
        topics.propose_on_behalf(
            session, access=staff, title="Wall topic", convener_id=_pid(stranger)
        )
    assert caught.value.errors == {"convener": "Choose a participant of this event."}
    session.rollback()
    assert topic_titles(session, event_id=event.id or 0) == []


def test_propose_on_behalf_refused_for_participant(
    session: Session, event: Event, mira: EventAccess
) -> None:
    with pytest.raises(PermissionDenied):
        topics.propose_on_behalf(session, access=mira, title="Wall topic")
    assert topic_titles(session, event_id=event.id or 0) == []


# --- editing and withdrawing -------------------------------------------------------------


def test_edit_by_convener_changes_text(session: Session, mira: EventAccess) -> None:
    topic = _propose(session, mira, "Housing", description="old", language="en")
    before = topic.updated_at
    topics.edit(
        session,
        access=mira,
        topic_id=topic.id or 0,
        title=" Housing  first ",
        description="new",
        language="bg",
    )
    stored = _fresh(session, topic)
    assert (stored.title, stored.description, stored.language) == ("Housing first", "new", "bg")
    assert stored.updated_at > before


def test_edit_by_accepted_cohost_allowed(
    session: Session, mira: EventAccess, ivo: EventAccess
) -> None:
    topic = _propose(session, mira, "Housing")
    cohost(session, topic_id=topic.id or 0, asker=ivo, answer=mira)
    topics.edit(session, access=ivo, topic_id=topic.id or 0, title="Homes", description="")
    assert _fresh(session, topic).title == "Homes"


def test_edit_by_other_participant_refused(
    session: Session, mira: EventAccess, ivo: EventAccess
) -> None:
    topic = _propose(session, mira, "Housing")
    with pytest.raises(PermissionDenied) as caught:
        topics.edit(session, access=ivo, topic_id=topic.id or 0, title="Mine", description="")
    assert caught.value.message == ONLY_CONVENERS
    assert _fresh(session, topic).title == "Housing"


def test_edit_by_convener_after_proposals_close_refused(
    session: Session, event: Event, mira: EventAccess
) -> None:
    topic = _propose(session, mira, "Housing")
    set_phase(session, event, Phase.AGENDA)
    with pytest.raises(Conflict) as caught:
        topics.edit(session, access=mira, topic_id=topic.id or 0, title="Late", description="")
    assert caught.value.message == "Topics can no longer be changed."
    assert _fresh(session, topic).title == "Housing"


def test_edit_by_staff_any_phase(
    session: Session, event: Event, owner: User, staff: EventAccess, mira: EventAccess
) -> None:
    topic = _propose(session, mira, "Housing")
    set_phase(session, event, Phase.SESSIONS)
    topics.edit(session, access=staff, topic_id=topic.id or 0, title="Homes", description="x")
    facilitator = as_staff(session, event, make_facilitator(session, event, owner))
    topics.edit(session, access=facilitator, topic_id=topic.id or 0, title="Homes!", description="")
    assert (_fresh(session, topic).title, _fresh(session, topic).description) == ("Homes!", "")


def test_edit_invalid_changes_nothing(session: Session, mira: EventAccess) -> None:
    topic = _propose(session, mira, "Housing", description="keep", language="en")
    with pytest.raises(Invalid) as caught:
        topics.edit(
            session,
            access=mira,
            topic_id=topic.id or 0,
            title="",
            description="d" * 1001,
            language="fr",
        )
    assert caught.value.errors == {
        "title": "Give your topic a title.",
        "description": "Use at most 1,000 characters.",
        "language": "Choose one of the event's languages.",
    }
    session.rollback()
    stored = _fresh(session, topic)
    assert (stored.title, stored.description, stored.language) == ("Housing", "keep", "en")


def test_edit_topic_of_other_event_not_found(
    session: Session, settings: Settings, owner: User, mira: EventAccess
) -> None:
    other = set_phase(session, make_event(session, owner=owner), Phase.MARKETPLACE)
    foreign = _propose(session, as_participant(session, settings, other, "Zoe"), "Theirs")
    with pytest.raises(NotFound) as caught:
        topics.edit(session, access=mira, topic_id=foreign.id or 0, title="x", description="")
    assert caught.value.message == "There is no such topic."
    with pytest.raises(NotFound):
        topics.edit(
            session, access=as_staff(session, mira.event, owner), topic_id=foreign.id or 0,
            title="x", description="",
        )  # fmt: skip
    assert _fresh(session, foreign).title == "Theirs"


def test_edit_hidden_or_merged_refused(
    session: Session, staff: EventAccess, mira: EventAccess
) -> None:
    hidden = _propose(session, mira, "Hidden")
    merged = _propose(session, mira, "Merged")
    target = _propose(session, mira, "Target")
    topics.hide(session, access=staff, topic_id=hidden.id or 0, reason="spam")
    topics.merge(session, access=staff, source_id=merged.id or 0, target_id=target.id or 0)
    for topic, message in ((hidden, NOT_ON_LIST), (merged, MERGED)):
        with pytest.raises(Conflict) as caught:
            topics.edit(session, access=staff, topic_id=topic.id or 0, title="x", description="")
        assert caught.value.message == message


def test_withdraw_by_proposer_keeps_dots_uncounted(
    session: Session, event: Event, mira: EventAccess, ivo: EventAccess, staff: EventAccess
) -> None:
    topic = _propose(session, mira, "Housing")
    other = _propose(session, mira, "Jobs")
    pitches.line_up(session, access=mira, topic_id=topic.id or 0)
    set_phase(session, event, Phase.VOTING)
    votes.cast(session, access=ivo, topic_id=topic.id or 0)
    votes.cast(session, access=ivo, topic_id=other.id or 0)
    withdrawn = topics.withdraw(session, access=mira, topic_id=topic.id or 0)
    assert withdrawn.status == TopicStatus.WITHDRAWN
    assert _fresh(session, topic).status == TopicStatus.WITHDRAWN
    # The rows stay (staff may restore the topic); they count nowhere meanwhile.
    assert dots(session, participant_id=_pid(ivo)) == {topic.id: 1, other.id: 1}
    assert votes.my_votes(session, access=ivo) == {other.id: 1}
    assert votes.tallies(session, event_id=event.id or 0) == {other.id: 1}
    assert pitch_rows(session, event_id=event.id or 0) == []


def test_withdraw_by_accepted_cohost_refused(
    session: Session, mira: EventAccess, ivo: EventAccess
) -> None:
    topic = _propose(session, mira, "Housing")
    cohost(session, topic_id=topic.id or 0, asker=ivo, answer=mira)
    with pytest.raises(PermissionDenied) as caught:
        topics.withdraw(session, access=ivo, topic_id=topic.id or 0)
    assert caught.value.message == "Only the person who proposed this topic can withdraw it."
    assert _fresh(session, topic).status == TopicStatus.ACTIVE


def test_withdraw_by_proposer_who_left_refused(
    session: Session, mira: EventAccess, ivo: EventAccess
) -> None:
    topic = _propose(session, mira, "Housing")
    cohost(session, topic_id=topic.id or 0, asker=ivo, answer=mira)
    cohosting.leave_cohost(session, access=mira, topic_id=topic.id or 0)
    with pytest.raises(PermissionDenied) as caught:
        topics.withdraw(session, access=mira, topic_id=topic.id or 0)
    assert caught.value.message == ONLY_CONVENERS
    assert _fresh(session, topic).status == TopicStatus.ACTIVE


def test_withdraw_of_topic_entered_for_nobody_by_staff_only(
    session: Session, staff: EventAccess, mira: EventAccess
) -> None:
    topic = topics.propose_on_behalf(session, access=staff, title="From the wall")
    cohost(session, topic_id=topic.id or 0, asker=mira, answer=staff)
    with pytest.raises(PermissionDenied):
        topics.withdraw(session, access=mira, topic_id=topic.id or 0)
    assert _fresh(session, topic).status == TopicStatus.ACTIVE
    topics.withdraw(session, access=staff, topic_id=topic.id or 0)
    assert _fresh(session, topic).status == TopicStatus.WITHDRAWN


def test_withdraw_by_other_participant_refused(
    session: Session, mira: EventAccess, ivo: EventAccess
) -> None:
    topic = _propose(session, mira, "Housing")
    with pytest.raises(PermissionDenied) as caught:
        topics.withdraw(session, access=ivo, topic_id=topic.id or 0)
    assert caught.value.message == ONLY_CONVENERS
    assert _fresh(session, topic).status == TopicStatus.ACTIVE


def test_withdraw_by_convener_after_proposals_close_refused(
    session: Session, event: Event, mira: EventAccess
) -> None:
    topic = _propose(session, mira, "Housing")
    set_phase(session, event, Phase.AGENDA)
    with pytest.raises(Conflict):
        topics.withdraw(session, access=mira, topic_id=topic.id or 0)
    assert _fresh(session, topic).status == TopicStatus.ACTIVE


def test_withdraw_by_staff_any_phase(
    session: Session, event: Event, staff: EventAccess, mira: EventAccess
) -> None:
    topic = _propose(session, mira, "Housing")
    set_phase(session, event, Phase.CLOSING)
    topics.withdraw(session, access=staff, topic_id=topic.id or 0)
    assert _fresh(session, topic).status == TopicStatus.WITHDRAWN


def test_restore_brings_topic_back_with_its_dots(
    session: Session, event: Event, staff: EventAccess, mira: EventAccess, ivo: EventAccess
) -> None:
    topic = _propose(session, mira, "Housing")
    set_phase(session, event, Phase.VOTING, max_dots_per_topic=2)
    votes.cast(session, access=ivo, topic_id=topic.id or 0)
    votes.cast(session, access=ivo, topic_id=topic.id or 0)
    votes.cast(session, access=mira, topic_id=topic.id or 0)
    topics.withdraw(session, access=staff, topic_id=topic.id or 0)
    assert votes.tallies(session, event_id=event.id or 0) == {}
    assert topics.restore(session, access=staff, topic_id=topic.id or 0) == 0
    assert _fresh(session, topic).status == TopicStatus.ACTIVE
    assert votes.tallies(session, event_id=event.id or 0) == {topic.id: 3}
    assert votes.my_votes(session, access=ivo) == {topic.id: 2}


def test_restore_keeps_each_voter_within_budget(
    session: Session, event: Event, staff: EventAccess, mira: EventAccess, ivo: EventAccess
) -> None:
    topic = _propose(session, mira, "Housing")
    others = [_propose(session, mira, title) for title in ("Jobs", "Schools", "Health")]
    set_phase(session, event, Phase.VOTING, dots_per_participant=3, max_dots_per_topic=2)
    votes.cast(session, access=ivo, topic_id=topic.id or 0)
    votes.cast(session, access=ivo, topic_id=topic.id or 0)
    votes.cast(session, access=ivo, topic_id=others[0].id or 0)
    topics.withdraw(session, access=staff, topic_id=topic.id or 0)
    # Ivo spends the two freed dots elsewhere: one of the two on Housing can come back.
    votes.cast(session, access=ivo, topic_id=others[1].id or 0)
    assert topics.restore(session, access=staff, topic_id=topic.id or 0) == 1
    assert votes.my_votes(session, access=ivo) == {
        topic.id: 1, others[0].id: 1, others[1].id: 1,
    }  # fmt: skip
    assert votes.tallies(session, event_id=event.id or 0)[topic.id or 0] == 1


def test_restore_refused_for_participant_and_when_not_withdrawn(
    session: Session, staff: EventAccess, mira: EventAccess
) -> None:
    topic = _propose(session, mira, "Housing")
    with pytest.raises(Conflict) as caught:
        topics.restore(session, access=staff, topic_id=topic.id or 0)
    assert caught.value.message == "This topic is not withdrawn."
    topics.withdraw(session, access=mira, topic_id=topic.id or 0)
    with pytest.raises(PermissionDenied):
        topics.restore(session, access=mira, topic_id=topic.id or 0)
    assert _fresh(session, topic).status == TopicStatus.WITHDRAWN


def test_restore_topic_of_other_event_not_found(
    session: Session, settings: Settings, owner: User, staff: EventAccess
) -> None:
    other = set_phase(session, make_event(session, owner=owner), Phase.MARKETPLACE)
    zoe = as_participant(session, settings, other, "Zoe")
    foreign = _propose(session, zoe, "Theirs")
    topics.withdraw(session, access=zoe, topic_id=foreign.id or 0)
    for topic_id in (foreign.id or 0, 0, -1, 2**63):
        with pytest.raises(NotFound):
            topics.restore(session, access=staff, topic_id=topic_id)
    assert _fresh(session, foreign).status == TopicStatus.WITHDRAWN


def test_withdraw_twice_refused(session: Session, mira: EventAccess) -> None:
    topic = _propose(session, mira, "Housing")
    topics.withdraw(session, access=mira, topic_id=topic.id or 0)
    with pytest.raises(Conflict) as caught:
        topics.withdraw(session, access=mira, topic_id=topic.id or 0)
    assert caught.value.message == NOT_ON_LIST


# --- co-hosting --------------------------------------------------------------------------


def _requests(session: Session, topic: Topic) -> list[tuple[int, str]]:
    return [
        (request.participant_id, request.status)
        for request in session.exec(
            select(CohostRequest)
            .where(CohostRequest.topic_id == topic.id)
            .order_by(col(CohostRequest.id))
        ).all()
    ]


def test_request_cohost_is_pending_not_convener(
    session: Session, mira: EventAccess, ivo: EventAccess
) -> None:
    topic = _propose(session, mira, "Housing")
    first = cohosting.request_cohost(session, access=ivo, topic_id=topic.id or 0)
    again = cohosting.request_cohost(session, access=ivo, topic_id=topic.id or 0)
    assert again.id == first.id
    assert _requests(session, topic) == [(_pid(ivo), "pending")]
    assert convener_ids(session, topic_id=topic.id or 0) == [_pid(mira)]
    assert topics.my_topics(session, access=ivo) == []
    assert [(r.id, t.id) for r, t in cohosting.my_requests(session, access=ivo)] == [
        (first.id, topic.id)
    ]
    pending = cohosting.pending_requests(session, access=mira, topic_ids=[topic.id or 0])
    assert [(r.id, p.id) for r, p in pending[topic.id or 0]] == [(first.id, _pid(ivo))]


def test_request_cohost_by_convener_refused(session: Session, mira: EventAccess) -> None:
    topic = _propose(session, mira, "Housing")
    with pytest.raises(Conflict) as caught:
        cohosting.request_cohost(session, access=mira, topic_id=topic.id or 0)
    assert caught.value.message == "You host this topic already."
    assert _requests(session, topic) == []


def test_accept_by_convener_adds_cohost_once(
    session: Session, mira: EventAccess, ivo: EventAccess
) -> None:
    topic = _propose(session, mira, "Housing")
    request = cohosting.request_cohost(session, access=ivo, topic_id=topic.id or 0)
    accepted = cohosting.accept_cohost(session, access=mira, request_id=request.id or 0)
    assert accepted.id == topic.id
    assert convener_ids(session, topic_id=topic.id or 0) == [_pid(mira), _pid(ivo)]
    assert _requests(session, topic) == []
    assert [t.id for t in topics.my_topics(session, access=ivo)] == [topic.id]
    with pytest.raises(NotFound):
        cohosting.accept_cohost(session, access=mira, request_id=request.id or 0)
    assert convener_ids(session, topic_id=topic.id or 0) == [_pid(mira), _pid(ivo)]


def test_accept_by_staff_allowed_any_phase(
    session: Session, event: Event, staff: EventAccess, mira: EventAccess, ivo: EventAccess
) -> None:
    topic = _propose(session, mira, "Housing")
    request = cohosting.request_cohost(session, access=ivo, topic_id=topic.id or 0)
    set_phase(session, event, Phase.SESSIONS)
    cohosting.accept_cohost(session, access=staff, request_id=request.id or 0)
    assert convener_ids(session, topic_id=topic.id or 0) == [_pid(mira), _pid(ivo)]


def test_accept_or_decline_by_non_convener_refused(
    session: Session, settings: Settings, event: Event, mira: EventAccess, ivo: EventAccess
) -> None:
    topic = _propose(session, mira, "Housing")
    request = cohosting.request_cohost(session, access=ivo, topic_id=topic.id or 0)
    lea = as_participant(session, settings, event, "Lea")
    for answer in (cohosting.accept_cohost, cohosting.decline_cohost):
        for who in (ivo, lea):
            with pytest.raises(PermissionDenied) as caught:
                answer(session, access=who, request_id=request.id or 0)
            assert caught.value.message == ONLY_CONVENERS
    assert convener_ids(session, topic_id=topic.id or 0) == [_pid(mira)]
    assert _requests(session, topic) == [(_pid(ivo), "pending")]


def test_decline_is_kept_and_cannot_be_asked_again(
    session: Session, mira: EventAccess, ivo: EventAccess
) -> None:
    topic = _propose(session, mira, "Housing")
    request = cohosting.request_cohost(session, access=ivo, topic_id=topic.id or 0)
    cohosting.decline_cohost(session, access=mira, request_id=request.id or 0)
    with pytest.raises(Conflict) as caught:
        cohosting.request_cohost(session, access=ivo, topic_id=topic.id or 0)
    assert caught.value.message == "The conveners declined your request to co-host this topic."
    with pytest.raises(Conflict) as answered:
        cohosting.accept_cohost(session, access=mira, request_id=request.id or 0)
    assert answered.value.message == "This request was answered already."
    assert _requests(session, topic) == [(_pid(ivo), "declined")]
    assert convener_ids(session, topic_id=topic.id or 0) == [_pid(mira)]
    assert cohosting.pending_requests(session, access=mira, topic_ids=[topic.id or 0]) == {}


def test_cancel_by_asker_removes_request(
    session: Session, mira: EventAccess, ivo: EventAccess
) -> None:
    topic = _propose(session, mira, "Housing")
    cohosting.request_cohost(session, access=ivo, topic_id=topic.id or 0)
    with pytest.raises(NotFound):
        cohosting.cancel_cohost_request(session, access=mira, topic_id=topic.id or 0)
    cohosting.cancel_cohost_request(session, access=ivo, topic_id=topic.id or 0)
    assert _requests(session, topic) == []
    with pytest.raises(NotFound) as caught:
        cohosting.cancel_cohost_request(session, access=ivo, topic_id=topic.id or 0)
    assert caught.value.message == "You have no request to co-host this topic."


def test_answer_request_of_other_event_not_found(
    session: Session, settings: Settings, owner: User, staff: EventAccess, mira: EventAccess
) -> None:
    other = set_phase(session, make_event(session, owner=owner), Phase.MARKETPLACE)
    zoe, yan = (as_participant(session, settings, other, name) for name in ("Zoe", "Yan"))
    foreign = _propose(session, zoe, "Theirs")
    request = cohosting.request_cohost(session, access=yan, topic_id=foreign.id or 0)
    for who in (staff, mira):
        for request_id in (request.id or 0, 0, -5, 2**63):
            with pytest.raises(NotFound) as caught:
                cohosting.accept_cohost(session, access=who, request_id=request_id)
            assert caught.value.message == "There is no such request."
    assert _requests(session, foreign) == [(_pid(yan), "pending")]
    assert cohosting.pending_requests(session, access=staff) == {}


def test_request_cohost_after_proposals_close_refused(
    session: Session, event: Event, mira: EventAccess, ivo: EventAccess
) -> None:
    topic = _propose(session, mira, "Housing")
    set_phase(session, event, Phase.AGENDA)
    with pytest.raises(Conflict) as caught:
        cohosting.request_cohost(session, access=ivo, topic_id=topic.id or 0)
    assert caught.value.message == CLOSED_PROPOSALS
    assert _requests(session, topic) == []


def test_request_cohost_hidden_topic_refused(
    session: Session, staff: EventAccess, mira: EventAccess, ivo: EventAccess
) -> None:
    topic = _propose(session, mira, "Housing")
    topics.hide(session, access=staff, topic_id=topic.id or 0, reason="off-topic")
    with pytest.raises(Conflict) as caught:
        cohosting.request_cohost(session, access=ivo, topic_id=topic.id or 0)
    assert caught.value.message == NOT_ON_LIST
    assert _requests(session, topic) == []


def test_request_cohost_refused_for_staff(
    session: Session, staff: EventAccess, mira: EventAccess
) -> None:
    topic = _propose(session, mira, "Housing")
    with pytest.raises(PermissionDenied):
        cohosting.request_cohost(session, access=staff, topic_id=topic.id or 0)
    assert _requests(session, topic) == []


def test_leave_cohost_removes_only_the_leaver(
    session: Session, mira: EventAccess, ivo: EventAccess
) -> None:
    topic = _propose(session, mira, "Housing")
    cohost(session, topic_id=topic.id or 0, asker=ivo, answer=mira)
    cohosting.leave_cohost(session, access=ivo, topic_id=topic.id or 0)
    assert convener_ids(session, topic_id=topic.id or 0) == [_pid(mira)]
    assert topics.my_topics(session, access=ivo) == []


def test_leave_cohost_last_convener_refused(
    session: Session, mira: EventAccess, ivo: EventAccess
) -> None:
    topic = _propose(session, mira, "Housing")
    with pytest.raises(Conflict) as caught:
        cohosting.leave_cohost(session, access=mira, topic_id=topic.id or 0)
    assert caught.value.message == "You are the only convener: withdraw the topic instead."
    cohost(session, topic_id=topic.id or 0, asker=ivo, answer=mira)
    cohosting.leave_cohost(session, access=mira, topic_id=topic.id or 0)
    with pytest.raises(Conflict) as left:
        cohosting.leave_cohost(session, access=ivo, topic_id=topic.id or 0)
    assert left.value.message == (
        "You are the only convener: ask a facilitator to withdraw the topic."
    )
    assert convener_ids(session, topic_id=topic.id or 0) == [_pid(ivo)]


def test_leave_cohost_by_non_convener_refused(
    session: Session, settings: Settings, event: Event, mira: EventAccess, ivo: EventAccess
) -> None:
    topic = _propose(session, mira, "Housing")
    cohost(session, topic_id=topic.id or 0, asker=ivo, answer=mira)
    lea = as_participant(session, settings, event, "Lea")
    with pytest.raises(PermissionDenied) as caught:
        cohosting.leave_cohost(session, access=lea, topic_id=topic.id or 0)
    assert caught.value.message == ONLY_CONVENERS
    assert convener_ids(session, topic_id=topic.id or 0) == [_pid(mira), _pid(ivo)]


# --- similar topics ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("existing", "typed"),
    [
        ("Жилища за бежанци", "жилище за бежанците"),
        ("Жилища за бежанци", "Жилища"),
        ("Housing for refugees", "housing refugees"),
        ("Housing for refugees", "Housing for refugees!"),
        ("Housing for refugees", "hosuing for refugees"),
        ("Access to healthcare", "Healthcare access"),
    ],
)
def test_similar_finds_near_duplicates(
    session: Session, mira: EventAccess, existing: str, typed: str
) -> None:
    topic = _propose(session, mira, existing)
    _propose(session, mira, "Mental health of volunteers")
    assert [t.id for t in hints.similar(session, access=mira, title=typed)] == [topic.id]


@pytest.mark.parametrize(
    ("existing", "typed"),
    [
        ("Housing for refugees", "Language courses for children"),
        ("Housing for refugees", "Jobs for refugees"),
        ("Жилища за бежанци", "Езикови курсове за деца"),
        ("Жилища за бежанци", "Работа за бежанци"),
        ("Жилища за бежанци", "Housing for refugees"),
    ],
)
def test_similar_ignores_unrelated_topics(
    session: Session, mira: EventAccess, existing: str, typed: str
) -> None:
    _propose(session, mira, existing)
    assert hints.similar(session, access=mira, title=typed) == []


def test_similar_short_query_finds_nothing(session: Session, mira: EventAccess) -> None:
    _propose(session, mira, "Jobs")
    assert hints.similar(session, access=mira, title=" jo! ") == []


def test_similar_only_active_topics_of_this_event(
    session: Session, settings: Settings, owner: User, staff: EventAccess, mira: EventAccess
) -> None:
    hidden = _propose(session, mira, "Housing for refugees")
    withdrawn = _propose(session, mira, "Housing for refugees now")
    active = _propose(session, mira, "Housing for refugees today")
    topics.hide(session, access=staff, topic_id=hidden.id or 0, reason="duplicate")
    topics.withdraw(session, access=mira, topic_id=withdrawn.id or 0)
    other = set_phase(session, make_event(session, owner=owner), Phase.MARKETPLACE)
    _propose(session, as_participant(session, settings, other, "Zoe"), "Housing for refugees")
    assert [t.id for t in hints.similar(session, access=mira, title="Housing refugees")] == [
        active.id
    ]


def test_similar_best_first_and_limited(session: Session, mira: EventAccess) -> None:
    found = [
        _propose(session, mira, title)
        for title in (
            "Housing for young refugees in Sofia",
            "Housing for refugees",
            "Housing refugees in Varna",
            "Housing for refugee families",
        )
    ]
    result = hints.similar(session, access=mira, title="Housing for refugees", limit=2)
    assert result[0].id == found[1].id
    assert len(result) == 2


# --- hiding ------------------------------------------------------------------------------


def test_hide_returns_dots_and_leaves_queue(
    session: Session, event: Event, staff: EventAccess, mira: EventAccess, ivo: EventAccess
) -> None:
    topic = _propose(session, mira, "Housing")
    other = _propose(session, mira, "Jobs")
    pitches.line_up(session, access=mira, topic_id=topic.id or 0)
    set_phase(session, event, Phase.VOTING)
    votes.cast(session, access=ivo, topic_id=topic.id or 0)
    votes.cast(session, access=ivo, topic_id=other.id or 0)
    topics.hide(session, access=staff, topic_id=topic.id or 0, reason="  off \n topic ")
    stored = _fresh(session, topic)
    assert (stored.status, stored.hidden_reason) == (TopicStatus.HIDDEN, "off topic")
    assert dots(session, participant_id=_pid(ivo)) == {other.id: 1}
    assert pitch_rows(session, event_id=event.id or 0) == []
    # A hidden topic stays among its convener's topics, so they see what happened.
    assert [t.id for t in topics.my_topics(session, access=mira)] == [topic.id, other.id]


@pytest.mark.parametrize(
    ("reason", "message"),
    [("", "Say why, for the record."), (" \n ", "Say why, for the record."),
     ("r" * 201, "Use at most 200 characters.")],
)  # fmt: skip
def test_hide_reason_required(
    session: Session, staff: EventAccess, mira: EventAccess, reason: str, message: str
) -> None:
    topic = _propose(session, mira, "Housing")
    with pytest.raises(Invalid) as caught:
        topics.hide(session, access=staff, topic_id=topic.id or 0, reason=reason)
    assert caught.value.errors == {"reason": message}
    session.rollback()
    assert (_fresh(session, topic).status, _fresh(session, topic).hidden_reason) == ("active", "")


def test_hide_refused_for_participant(session: Session, mira: EventAccess) -> None:
    topic = _propose(session, mira, "Housing")
    with pytest.raises(PermissionDenied):
        topics.hide(session, access=mira, topic_id=topic.id or 0, reason="mine")
    assert _fresh(session, topic).status == TopicStatus.ACTIVE


def test_hide_twice_refused(session: Session, staff: EventAccess, mira: EventAccess) -> None:
    topic = _propose(session, mira, "Housing")
    topics.hide(session, access=staff, topic_id=topic.id or 0, reason="first")
    with pytest.raises(Conflict):
        topics.hide(session, access=staff, topic_id=topic.id or 0, reason="second")
    assert _fresh(session, topic).hidden_reason == "first"


def test_unhide_restores_topic_without_its_old_dots(
    session: Session, event: Event, staff: EventAccess, mira: EventAccess, ivo: EventAccess
) -> None:
    topic = _propose(session, mira, "Housing")
    set_phase(session, event, Phase.VOTING)
    votes.cast(session, access=ivo, topic_id=topic.id or 0)
    topics.hide(session, access=staff, topic_id=topic.id or 0, reason="check")
    topics.unhide(session, access=staff, topic_id=topic.id or 0)
    stored = _fresh(session, topic)
    assert (stored.status, stored.hidden_reason) == (TopicStatus.ACTIVE, "")
    assert votes.tallies(session, event_id=event.id or 0) == {}
    # The dot came back to Ivo and can be spent again, here or elsewhere.
    assert votes.cast(session, access=ivo, topic_id=topic.id or 0).dots_left == 4


def test_unhide_active_topic_refused(
    session: Session, staff: EventAccess, mira: EventAccess
) -> None:
    topic = _propose(session, mira, "Housing")
    with pytest.raises(Conflict) as caught:
        topics.unhide(session, access=staff, topic_id=topic.id or 0)
    assert caught.value.message == "This topic is not hidden."


def test_unhide_refused_for_participant(
    session: Session, staff: EventAccess, mira: EventAccess
) -> None:
    topic = _propose(session, mira, "Housing")
    topics.hide(session, access=staff, topic_id=topic.id or 0, reason="spam")
    with pytest.raises(PermissionDenied):
        topics.unhide(session, access=mira, topic_id=topic.id or 0)
    assert _fresh(session, topic).status == TopicStatus.HIDDEN


# --- merging -----------------------------------------------------------------------------


def test_merge_keeps_both_conveners_once(
    session: Session, settings: Settings, event: Event, staff: EventAccess,
    mira: EventAccess, ivo: EventAccess,
) -> None:  # fmt: skip
    lea = as_participant(session, settings, event, "Lea")
    source = _propose(session, mira, "Housing for refugees")
    target = _propose(session, ivo, "Housing refugees")
    cohost(session, topic_id=source.id or 0, asker=lea, answer=mira)
    cohost(session, topic_id=target.id or 0, asker=lea, answer=ivo)
    merged = topics.merge(session, access=staff, source_id=source.id or 0, target_id=target.id or 0)
    assert merged.id == target.id
    assert convener_ids(session, topic_id=target.id or 0) == [_pid(ivo), _pid(lea), _pid(mira)]
    assert convener_ids(session, topic_id=source.id or 0) == []
    stored = _fresh(session, source)
    assert (stored.status, stored.merged_into_id) == (TopicStatus.MERGED, target.id)
    # The merged topic is among Mira's topics now; the source is gone from everyone's.
    assert [t.id for t in topics.my_topics(session, access=mira)] == [target.id]


def test_merge_moves_dots_without_counting_a_voter_twice(
    session: Session, settings: Settings, event: Event, staff: EventAccess, mira: EventAccess
) -> None:
    source = _propose(session, mira, "Housing for refugees")
    target = _propose(session, mira, "Housing refugees")
    other = _propose(session, mira, "Jobs")
    set_phase(session, event, Phase.VOTING)
    only_source, only_target, both = (
        as_participant(session, settings, event, name) for name in ("Ana", "Bob", "Cleo")
    )
    votes.cast(session, access=only_source, topic_id=source.id or 0)
    votes.cast(session, access=only_target, topic_id=target.id or 0)
    votes.cast(session, access=both, topic_id=source.id or 0)
    votes.cast(session, access=both, topic_id=target.id or 0)
    votes.cast(session, access=both, topic_id=other.id or 0)
    topics.merge(session, access=staff, source_id=source.id or 0, target_id=target.id or 0)
    assert votes.tallies(session, event_id=event.id or 0) == {target.id: 3, other.id: 1}
    assert dots(session, participant_id=_pid(both)) == {target.id: 1, other.id: 1}
    assert dots(session, participant_id=_pid(only_source)) == {target.id: 1}
    # Cleo's extra dot went back to her budget: two used, three left before this one.
    new = _propose(session, mira, "New")
    assert votes.cast(session, access=both, topic_id=new.id or 0) == votes.VoteResult(
        topic_id=new.id or 0, on_topic=1, dots_left=2
    )


def test_merge_respects_higher_per_topic_maximum(
    session: Session, settings: Settings, event: Event, staff: EventAccess, mira: EventAccess
) -> None:
    source = _propose(session, mira, "Housing for refugees")
    target = _propose(session, mira, "Housing refugees")
    set_phase(session, event, Phase.VOTING, max_dots_per_topic=2)
    one_each, two_and_one = (
        as_participant(session, settings, event, name) for name in ("Ana", "Bob")
    )
    votes.cast(session, access=one_each, topic_id=source.id or 0)
    votes.cast(session, access=one_each, topic_id=target.id or 0)
    for topic_id in (source.id, source.id, target.id):
        votes.cast(session, access=two_and_one, topic_id=topic_id or 0)
    topics.merge(session, access=staff, source_id=source.id or 0, target_id=target.id or 0)
    assert dots(session, participant_id=_pid(one_each)) == {target.id: 2}
    assert dots(session, participant_id=_pid(two_and_one)) == {target.id: 2}
    assert votes.tallies(session, event_id=event.id or 0) == {target.id: 4}


def test_merge_drops_source_from_pitch_queue(
    session: Session, event: Event, staff: EventAccess, mira: EventAccess
) -> None:
    source = _propose(session, mira, "Housing for refugees")
    target = _propose(session, mira, "Housing refugees")
    pitches.line_up(session, access=mira, topic_id=source.id or 0)
    pitches.line_up(session, access=mira, topic_id=target.id or 0)
    topics.merge(session, access=staff, source_id=source.id or 0, target_id=target.id or 0)
    assert pitch_rows(session, event_id=event.id or 0) == [(target.id, "waiting")]


def test_merge_into_itself_refused(session: Session, staff: EventAccess, mira: EventAccess) -> None:
    topic = _propose(session, mira, "Housing")
    with pytest.raises(Invalid) as caught:
        topics.merge(session, access=staff, source_id=topic.id or 0, target_id=topic.id or 0)
    assert caught.value.errors == {"target": "Choose a different topic to merge into."}
    assert _fresh(session, topic).status == TopicStatus.ACTIVE


def test_merge_into_hidden_topic_refused(
    session: Session, event: Event, staff: EventAccess, mira: EventAccess, ivo: EventAccess
) -> None:
    source = _propose(session, mira, "Housing for refugees")
    target = _propose(session, ivo, "Housing refugees")
    set_phase(session, event, Phase.VOTING)
    votes.cast(session, access=ivo, topic_id=source.id or 0)
    topics.hide(session, access=staff, topic_id=target.id or 0, reason="dup")
    with pytest.raises(Conflict) as caught:
        topics.merge(session, access=staff, source_id=source.id or 0, target_id=target.id or 0)
    assert caught.value.message == NOT_ON_LIST
    session.rollback()
    assert _fresh(session, source).status == TopicStatus.ACTIVE
    assert convener_ids(session, topic_id=source.id or 0) == [_pid(mira)]
    assert dots(session, participant_id=_pid(ivo)) == {source.id: 1}


def test_merge_hidden_or_merged_source_refused(
    session: Session, staff: EventAccess, mira: EventAccess
) -> None:
    first = _propose(session, mira, "One")
    second = _propose(session, mira, "Two")
    third = _propose(session, mira, "Three")
    topics.merge(session, access=staff, source_id=first.id or 0, target_id=second.id or 0)
    with pytest.raises(Conflict) as caught:
        topics.merge(session, access=staff, source_id=first.id or 0, target_id=third.id or 0)
    assert caught.value.message == MERGED
    assert _fresh(session, first).merged_into_id == second.id


def test_merge_topic_of_other_event_not_found(
    session: Session, settings: Settings, owner: User, staff: EventAccess, mira: EventAccess
) -> None:
    other = set_phase(session, make_event(session, owner=owner), Phase.MARKETPLACE)
    foreign = _propose(session, as_participant(session, settings, other, "Zoe"), "Theirs")
    mine = _propose(session, mira, "Mine")
    with pytest.raises(NotFound):
        topics.merge(session, access=staff, source_id=mine.id or 0, target_id=foreign.id or 0)
    with pytest.raises(NotFound):
        topics.merge(session, access=staff, source_id=foreign.id or 0, target_id=mine.id or 0)
    assert (_fresh(session, mine).status, _fresh(session, foreign).status) == ("active", "active")


def test_merge_refused_for_participant(session: Session, mira: EventAccess) -> None:
    source = _propose(session, mira, "One")
    target = _propose(session, mira, "Two")
    with pytest.raises(PermissionDenied):
        topics.merge(session, access=mira, source_id=source.id or 0, target_id=target.id or 0)
    assert _fresh(session, source).status == TopicStatus.ACTIVE


def test_moderation_refused_for_staff_of_another_event(
    session: Session, settings: Settings, event: Event, mira: EventAccess
) -> None:
    stranger = make_user(session, name="Stan")
    other = make_event(session, owner=stranger)
    topic = _propose(session, mira, "Housing")
    # Stan organises another event; here he is nobody, and ids from there do not help.
    here = as_staff(session, event, stranger)
    assert here.role is None
    with pytest.raises(PermissionDenied):
        topics.hide(session, access=here, topic_id=topic.id or 0, reason="mine now")
    with pytest.raises(NotFound):
        topics.hide(
            session, access=as_staff(session, other, stranger), topic_id=topic.id or 0,
            reason="mine now",
        )  # fmt: skip
    assert _fresh(session, topic).status == TopicStatus.ACTIVE


def test_staff_topics_lists_every_status(
    session: Session, staff: EventAccess, mira: EventAccess
) -> None:
    active = _propose(session, mira, "Active")
    hidden = _propose(session, mira, "Hidden")
    merged = _propose(session, mira, "Merged")
    withdrawn = _propose(session, mira, "Withdrawn")
    topics.hide(session, access=staff, topic_id=hidden.id or 0, reason="spam")
    topics.merge(session, access=staff, source_id=merged.id or 0, target_id=active.id or 0)
    topics.withdraw(session, access=mira, topic_id=withdrawn.id or 0)
    assert [(t.title, t.status) for t in topics.staff_topics(session, access=staff)] == [
        ("Active", "active"),
        ("Hidden", "hidden"),
        ("Merged", "merged"),
        ("Withdrawn", "withdrawn"),
    ]
    with pytest.raises(PermissionDenied):
        topics.staff_topics(session, access=mira)
    with pytest.raises(NotSignedIn):
        topics.staff_topics(session, access=EventAccess(event=staff.event, role=None))
    assert session.exec(select(PitchEntry)).all() == []
