"""Audit item 2, "topic takeover": any participant could co-host any topic without the
conveners' consent, then edit or withdraw it; withdrawing deleted its dots for good.

Now co-hosting is a request a convener (or staff) answers, only the proposer withdraws, a
withdrawn topic keeps its dots, and staff restore it with them. Every attack goes through HTTP.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest
from fastapi.testclient import TestClient
from httpx import Response
from markupsafe import escape
from sqlalchemy import Engine
from sqlmodel import Session, col, func, select

from app.config import Settings
from app.models.events import Event, Phase
from app.models.people import Participant
from app.models.topics import CohostRequest, Topic, TopicConvener, TopicStatus, Vote
from app.services.topics import votes
from tests.factories import csrf, make_event, make_user, post
from tests.marketplace_helpers import set_phase
from tests.routes.helpers import join, snapshot, sync

NOT_CONVENER = "Only the topic's conveners can change it."


@pytest.fixture
def market(session: Session, event: Event) -> Event:
    return set_phase(session, event, Phase.MARKETPLACE)


@pytest.fixture
def phone(new_client: Callable[[], TestClient], settings: Settings) -> Callable[..., TestClient]:
    """A joined phone per name."""

    def make(event: Event, name: str) -> TestClient:
        client = new_client()
        join(client, settings, event, name)
        return client

    return make


def _topic(session: Session, event: Event, title: str) -> Topic:
    sync(session)
    found = session.exec(select(Topic).where(Topic.event_id == event.id, Topic.title == title))
    topic = found.one()
    session.commit()  # no read transaction left open while the app writes (SQLite)
    return topic


def _propose(client: TestClient, settings: Settings, event: Event, title: str) -> None:
    response = post(client, settings, f"/e/{event.slug}/topics", {"title": title})
    assert response.status_code == 303, response.text


def _conveners(session: Session, topic: Topic) -> list[str]:
    sync(session)
    return list(
        session.exec(
            select(Participant.name)
            .join(TopicConvener, col(TopicConvener.participant_id) == Participant.id)
            .where(TopicConvener.topic_id == topic.id)
            .order_by(col(TopicConvener.id))
        ).all()
    )


def _refused(response: Response, status: int, message: str) -> None:
    """The error page with ``message``: the app answered, and said why."""
    assert response.status_code == status
    assert f'<p class="message">{escape(message)}</p>' in response.text


def _request_id(session: Session, topic: Topic) -> int:
    sync(session)
    found = session.exec(select(CohostRequest.id).where(CohostRequest.topic_id == topic.id)).one()
    assert found is not None
    return found


def _vote_rows(session: Session, topic: Topic) -> int:
    sync(session)
    return session.exec(
        select(func.count()).select_from(Vote).where(Vote.topic_id == topic.id)
    ).one()


def _tallies(session: Session, event: Event) -> dict[int, int]:
    sync(session)
    found = votes.tallies(session, event_id=event.id or 0)
    sync(session)  # no read transaction left open while the app writes (SQLite)
    return found


@pytest.fixture
def housing(
    session: Session, settings: Settings, market: Event, phone: Callable[..., TestClient]
) -> tuple[TestClient, Topic]:
    """Mira's phone and her topic."""
    mira = phone(market, "Mira")
    _propose(mira, settings, market, "Housing for refugees")
    return mira, _topic(session, market, "Housing for refugees")


def test_cohost_request_does_not_let_attacker_edit_or_withdraw(
    session: Session,
    settings: Settings,
    market: Event,
    phone: Callable[..., TestClient],
    housing: tuple[TestClient, Topic],
) -> None:
    _mira, topic = housing
    attacker = phone(market, "Mallory")
    base = f"/e/{market.slug}/topics/{topic.id}"
    response = post(attacker, settings, base + "/cohost")
    assert (response.status_code, response.headers["location"]) == (
        303,
        f"/e/{market.slug}#my-requests",
    )
    assert _conveners(session, topic) == ["Mira"]
    edit = post(attacker, settings, base + "/edit", {"title": "Buy my product"})
    withdraw = post(attacker, settings, base + "/withdraw")
    _refused(edit, 403, NOT_CONVENER)
    _refused(withdraw, 403, NOT_CONVENER)
    stored = _topic(session, market, "Housing for refugees")
    assert (stored.title, stored.status) == ("Housing for refugees", TopicStatus.ACTIVE)


def test_accepted_cohost_cannot_withdraw_the_proposers_topic(
    session: Session,
    settings: Settings,
    market: Event,
    phone: Callable[..., TestClient],
    housing: tuple[TestClient, Topic],
) -> None:
    mira, topic = housing
    ivo = phone(market, "Ivo")
    assert post(ivo, settings, f"/e/{market.slug}/topics/{topic.id}/cohost").status_code == 303
    accept = f"/e/{market.slug}/cohost-requests/{_request_id(session, topic)}/accept"
    assert post(mira, settings, accept).status_code == 303
    assert _conveners(session, topic) == ["Mira", "Ivo"]
    # An accepted co-host helps with the text, but cannot take the topic off the list.
    edit_page = ivo.get(f"/e/{market.slug}/topics/{topic.id}/edit")
    assert f'action="/e/{market.slug}/topics/{topic.id}/withdraw"' not in edit_page.text
    response = post(ivo, settings, f"/e/{market.slug}/topics/{topic.id}/withdraw")
    _refused(response, 403, "Only the person who proposed this topic can withdraw it.")
    assert _topic(session, market, "Housing for refugees").status == TopicStatus.ACTIVE


def test_non_convener_cannot_answer_a_request(
    session: Session,
    engine: Engine,
    settings: Settings,
    market: Event,
    phone: Callable[..., TestClient],
    housing: tuple[TestClient, Topic],
) -> None:
    _mira, topic = housing
    ivo, lea = phone(market, "Ivo"), phone(market, "Lea")
    assert post(ivo, settings, f"/e/{market.slug}/topics/{topic.id}/cohost").status_code == 303
    request_id = _request_id(session, topic)
    before = snapshot(engine, skip=("auth_session",))
    for who in (ivo, lea):  # the asker accepting themselves, or a bystander
        for answer in ("accept", "decline"):
            url = f"/e/{market.slug}/cohost-requests/{request_id}/{answer}"
            response = post(who, settings, url)
            _refused(response, 403, NOT_CONVENER)
    assert snapshot(engine, skip=("auth_session",)) == before
    assert _conveners(session, topic) == ["Mira"]


def test_decline_and_cancel_leave_the_conveners_alone(
    session: Session,
    settings: Settings,
    market: Event,
    phone: Callable[..., TestClient],
    housing: tuple[TestClient, Topic],
) -> None:
    mira, topic = housing
    ivo, lea = phone(market, "Ivo"), phone(market, "Lea")
    cohost = f"/e/{market.slug}/topics/{topic.id}/cohost"
    assert post(lea, settings, cohost).status_code == 303
    assert post(lea, settings, cohost + "/cancel").status_code == 303
    assert post(ivo, settings, cohost).status_code == 303
    decline = f"/e/{market.slug}/cohost-requests/{_request_id(session, topic)}/decline"
    assert post(mira, settings, decline).status_code == 303
    again = post(ivo, settings, cohost)
    _refused(again, 409, "The conveners declined your request to co-host this topic.")
    sync(session)
    requests = session.exec(select(CohostRequest.status)).all()
    assert (requests, _conveners(session, topic)) == (["declined"], ["Mira"])


def test_withdraw_keeps_the_dots_and_staff_restore_brings_them_back(
    session: Session,
    settings: Settings,
    market: Event,
    organiser: TestClient,
    phone: Callable[..., TestClient],
    housing: tuple[TestClient, Topic],
) -> None:
    mira, topic = housing
    voters = [phone(market, name) for name in ("Ivo", "Lea", "Dan")]
    sync(session)
    set_phase(session, market, Phase.VOTING)
    for voter in voters:
        vote = voter.post(
            f"/e/{market.slug}/topics/{topic.id}/vote",
            headers={"HX-Request": "true", "X-CSRF-Token": csrf(voter, settings)},
        )
        assert vote.status_code == 200, vote.text
    sync(session)
    set_phase(session, market, Phase.MARKETPLACE)
    assert post(mira, settings, f"/e/{market.slug}/topics/{topic.id}/withdraw").status_code == 303
    assert _topic(session, market, "Housing for refugees").status == TopicStatus.WITHDRAWN
    assert _vote_rows(session, topic) == 3
    assert _tallies(session, market) == {}
    # A participant cannot restore it; staff find it on their panel and can.
    refused = post(mira, settings, f"/o/{market.slug}/topics/{topic.id}/restore")
    _refused(refused, 403, "You do not have access to this page.")
    assert _topic(session, market, "Housing for refugees").status == TopicStatus.WITHDRAWN
    restore = f"/o/{market.slug}/topics/{topic.id}/restore"
    assert f'action="{restore}"' in organiser.get(f"/o/{market.slug}/live").text
    response = post(organiser, settings, restore)
    assert (response.status_code, response.headers["location"]) == (
        303,
        f"/o/{market.slug}/live#staff-topic-{topic.id}",
    )
    assert _topic(session, market, "Housing for refugees").status == TopicStatus.ACTIVE
    assert _vote_rows(session, topic) == 3
    assert _tallies(session, market) == {topic.id: 3}


def test_ids_of_another_event_are_refused(
    session: Session,
    engine: Engine,
    settings: Settings,
    market: Event,
    organiser: TestClient,
    phone: Callable[..., TestClient],
    housing: tuple[TestClient, Topic],
) -> None:
    other = set_phase(
        session, make_event(session, owner=make_user(session, name="Zed")), Phase.MARKETPLACE
    )
    session.commit()
    zoe, yan = phone(other, "Zoe"), phone(other, "Yan")
    _propose(zoe, settings, other, "Their topic")
    theirs = _topic(session, other, "Their topic")
    assert post(yan, settings, f"/e/{other.slug}/topics/{theirs.id}/cohost").status_code == 303
    request_id = _request_id(session, theirs)
    assert post(zoe, settings, f"/e/{other.slug}/topics/{theirs.id}/withdraw").status_code == 303
    mira, _topic_here = housing
    before = snapshot(engine, skip=("auth_session",))
    attempts = [
        (mira, f"/e/{market.slug}/topics/{theirs.id}/cohost"),
        (mira, f"/e/{market.slug}/topics/{theirs.id}/cohost/cancel"),
        (mira, f"/e/{market.slug}/cohost-requests/{request_id}/accept"),
        (mira, f"/e/{market.slug}/cohost-requests/{request_id}/decline"),
        (organiser, f"/o/{market.slug}/topics/{theirs.id}/restore"),
        (organiser, f"/o/{market.slug}/cohost-requests/{request_id}/accept"),
        (organiser, f"/o/{market.slug}/cohost-requests/{request_id}/decline"),
    ]
    for client, url in attempts:
        response = post(client, settings, url)
        assert response.status_code == 404, url
    assert snapshot(engine, skip=("auth_session",)) == before


@pytest.mark.parametrize("bad", ["abc", "0", "-1", "99999999999999999999", "1.5", "%20"])
def test_bad_ids_never_fail_with_500(
    engine: Engine,
    settings: Settings,
    market: Event,
    organiser: TestClient,
    housing: tuple[TestClient, Topic],
    bad: str,
) -> None:
    mira, _topic_here = housing
    before = snapshot(engine, skip=("auth_session",))
    attempts = [
        (mira, f"/e/{market.slug}/topics/{bad}/cohost"),
        (mira, f"/e/{market.slug}/topics/{bad}/cohost/cancel"),
        (mira, f"/e/{market.slug}/cohost-requests/{bad}/accept"),
        (mira, f"/e/{market.slug}/cohost-requests/{bad}/decline"),
        (organiser, f"/o/{market.slug}/topics/{bad}/restore"),
        (organiser, f"/o/{market.slug}/topics/{bad}/withdraw"),
        (organiser, f"/o/{market.slug}/cohost-requests/{bad}/accept"),
    ]
    for client, url in attempts:
        response = post(client, settings, url)
        assert response.status_code in (404, 422), (url, response.status_code)
    assert snapshot(engine, skip=("auth_session",)) == before
