"""The marketplace over HTTP: phones propose, co-host, vote and line up; staff run the panel.

Every test runs on SQLite and PostgreSQL. Forms that fail come back with 422 and the message
next to the field, and change nothing; htmx requests that fail get the ``#flash`` partial with
the message and the error's status instead of a whole page.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from html import unescape

import pytest
from fastapi.testclient import TestClient
from httpx import Response
from markupsafe import escape
from sqlalchemy import Engine
from sqlmodel import Session, col, select

from app.config import Settings
from app.models.events import Event, Phase
from app.models.people import Participant, User
from app.models.topics import (
    Announcement,
    CohostRequest,
    PitchStatus,
    Topic,
    TopicStatus,
    Vote,
)
from app.services.topics import pitches, topics
from tests.factories import csrf, field_error, login, make_event, make_user, post
from tests.marketplace_helpers import (
    as_staff,
    convener_ids,
    dots,
    make_facilitator,
    pitch_rows,
    set_phase,
)
from tests.routes.helpers import join, snapshot, sync

KEY = "phone-retry-0001"

# --- helpers -----------------------------------------------------------------------------


def hx(
    client: TestClient,
    settings: Settings,
    url: str,
    data: dict[str, str] | None = None,
    key: str | None = None,
) -> Response:
    """POST as htmx does: token in the header, HX-Request set, optionally an idempotency key."""
    headers = {"HX-Request": "true", "X-CSRF-Token": csrf(client, settings)}
    if key is not None:
        headers["Idempotency-Key"] = key
    return client.post(url, data=data or {}, headers=headers, follow_redirects=False)


def flash(message: str) -> str:
    return (
        '<p id="flash" class="flash" role="status" aria-live="polite" hx-swap-oob="innerHTML">'
        f"{escape(message)}</p>"
    )


def assert_flash(response: Response, status: int, message: str) -> None:
    assert (response.status_code, response.text.strip()) == (status, flash(message))
    assert "HX-Request" in response.headers["vary"]


def assert_error_page(response: Response, status: int, message: str) -> None:
    assert response.status_code == status
    assert "<html" in response.text
    assert f'<p class="message">{escape(message)}</p>' in response.text


def participant_id(session: Session, event: Event, name: str) -> int:
    sync(session)
    found = session.exec(
        select(Participant.id).where(Participant.event_id == event.id, Participant.name == name)
    ).one()
    assert found is not None
    return found


def topic_by_title(session: Session, event: Event, title: str) -> Topic:
    sync(session)
    return session.exec(select(Topic).where(Topic.event_id == event.id, Topic.title == title)).one()


def reload_topic(session: Session, topic_id: int) -> Topic:
    sync(session)
    topic = session.get(Topic, topic_id)
    assert topic is not None
    return topic


def reload_event(session: Session, event: Event) -> Event:
    sync(session)
    found = session.get(Event, event.id)
    assert found is not None
    return found


def my_state(html: str) -> tuple[str, str]:
    """(data-left, data-votes) of the ``#my-state`` partial."""
    match = re.search(r'id="my-state"[^>]*data-votes="([^"]*)" data-left="(\d+)"', html)
    assert match, html
    return match.group(2), match.group(1).replace("&#34;", '"')


# --- fixtures ----------------------------------------------------------------------------


@pytest.fixture
def market(session: Session, event: Event) -> Event:
    """The event with its marketplace open."""
    return set_phase(session, event, Phase.MARKETPLACE)


@pytest.fixture
def phone(new_client: Callable[[], TestClient], settings: Settings, market: Event) -> TestClient:
    """Mira's phone, joined to the event."""
    client = new_client()
    join(client, settings, market, "Mira")
    return client


@pytest.fixture
def other_phone(
    new_client: Callable[[], TestClient], settings: Settings, market: Event
) -> TestClient:
    """Ivo's phone, joined to the same event."""
    client = new_client()
    join(client, settings, market, "Ivo")
    return client


def propose(
    client: TestClient, settings: Settings, event: Event, title: str, **values: str
) -> Response:
    response = post(client, settings, f"/e/{event.slug}/topics", {"title": title, **values})
    assert response.status_code == 303, response.text
    return response


@pytest.fixture
def housing(session: Session, settings: Settings, phone: TestClient, market: Event) -> Topic:
    """Mira's topic."""
    propose(
        phone, settings, market, "Housing for refugees", description="Where to live", language="bg"
    )
    return topic_by_title(session, market, "Housing for refugees")


@pytest.fixture
def jobs(session: Session, settings: Settings, other_phone: TestClient, market: Event) -> Topic:
    """Ivo's topic."""
    propose(other_phone, settings, market, "Jobs")
    return topic_by_title(session, market, "Jobs")


@pytest.fixture
def voting(session: Session, market: Event, housing: Topic, jobs: Topic) -> Event:
    return set_phase(session, market, Phase.VOTING)


# --- proposing ---------------------------------------------------------------------------


def test_propose_creates_topic_and_shows_it(
    session: Session, settings: Settings, phone: TestClient, market: Event
) -> None:
    response = post(
        phone, settings, f"/e/{market.slug}/topics",
        {"title": "  Housing  for refugees ", "description": "Where to live", "language": "bg"},
    )  # fmt: skip
    assert (response.status_code, response.headers["location"]) == (
        303,
        f"/e/{market.slug}#my-topics",
    )
    topic = topic_by_title(session, market, "Housing for refugees")
    assert (topic.description, topic.language, topic.status) == ("Where to live", "bg", "active")
    assert convener_ids(session, topic_id=topic.id or 0) == [
        participant_id(session, market, "Mira")
    ]
    page = phone.get(f"/e/{market.slug}")
    assert f'id="my-topic-{topic.id}"' in page.text
    assert f'id="topic-{topic.id}"' in page.text


@pytest.mark.parametrize(
    ("form", "errors"),
    [
        ({"title": "", "description": "kept"}, {"title": "Give your topic a title."}),
        ({"title": "T" * 121}, {"title": "Use at most 120 characters."}),
        ({"title": "Fine", "description": "d" * 1001},
         {"description": "Use at most 1,000 characters."}),
        ({"title": "Fine", "language": "de"},
         {"language": "Choose one of the event's languages."}),
    ],
)  # fmt: skip
def test_propose_invalid_shows_errors_and_changes_nothing(
    engine: Engine, settings: Settings, phone: TestClient, market: Event,
    form: dict[str, str], errors: dict[str, str],
) -> None:  # fmt: skip
    before = snapshot(engine)
    response = post(phone, settings, f"/e/{market.slug}/topics", form)
    assert response.status_code == 422
    for field in ("title", "description", "language"):
        assert field_error(response.text, field) == errors.get(field)
    # What was typed comes back in the form.
    if form.get("description"):
        assert f">{form['description']}</textarea>" in response.text
    assert snapshot(engine) == before


def test_propose_when_closed_htmx_gets_flash(
    engine: Engine, session: Session, settings: Settings, phone: TestClient, market: Event
) -> None:
    set_phase(session, market, Phase.AGENDA)
    before = snapshot(engine)
    response = hx(phone, settings, f"/e/{market.slug}/topics", {"title": "Late"})
    assert_flash(response, 409, "Proposals are closed right now.")
    response = post(phone, settings, f"/e/{market.slug}/topics", {"title": "Late"})
    assert_error_page(response, 409, "Proposals are closed right now.")
    assert snapshot(engine) == before


def test_propose_by_organiser_refused(
    engine: Engine, settings: Settings, organiser: TestClient, market: Event
) -> None:
    before = snapshot(engine, skip=("auth_session",))
    response = hx(organiser, settings, f"/e/{market.slug}/topics", {"title": "Mine"})
    assert_flash(response, 403, "You do not have access to this page.")
    assert snapshot(engine, skip=("auth_session",)) == before


def test_similar_suggests_near_duplicates(
    settings: Settings, other_phone: TestClient, market: Event, housing: Topic, jobs: Topic
) -> None:
    response = other_phone.get(
        f"/e/{market.slug}/topics/similar", params={"title": "housing refugees"}
    )
    assert response.status_code == 200
    assert "<html" not in response.text
    assert re.findall(r'<span dir="auto">([^<]*)</span>', response.text) == ["Housing for refugees"]
    assert f'action="/e/{market.slug}/topics/{housing.id}/cohost"' in response.text
    unrelated = other_phone.get(
        f"/e/{market.slug}/topics/similar", params={"title": "Language courses for children"}
    )
    assert unrelated.text.strip() == '<div id="similar" class="similar" aria-live="polite">\n</div>'


def test_similar_refused_for_strangers(client: TestClient, market: Event, housing: Topic) -> None:
    url = f"/e/{market.slug}/topics/similar"
    response = client.get(url, params={"title": "housing"}, headers={"HX-Request": "true"})
    assert_flash(response, 403, "Join the event first.")
    page = client.get(url, params={"title": "housing"}, follow_redirects=False)
    assert (page.status_code, page.headers["location"]) == (303, "/join")


# --- editing, withdrawing, co-hosting ----------------------------------------------------


def test_edit_form_shows_topic(phone: TestClient, market: Event, housing: Topic) -> None:
    response = phone.get(f"/e/{market.slug}/topics/{housing.id}/edit")
    assert response.status_code == 200
    assert 'value="Housing for refugees"' in response.text
    assert ">Where to live</textarea>" in response.text
    assert '<option value="bg" selected>' in response.text


def test_edit_by_convener_saves(
    session: Session, settings: Settings, phone: TestClient, market: Event, housing: Topic
) -> None:
    response = post(
        phone, settings, f"/e/{market.slug}/topics/{housing.id}/edit",
        {"title": "Homes for refugees", "description": "Rent", "language": "en"},
    )  # fmt: skip
    assert (response.status_code, response.headers["location"]) == (
        303,
        f"/e/{market.slug}#my-topics",
    )
    topic = reload_topic(session, housing.id or 0)
    assert (topic.title, topic.description, topic.language) == ("Homes for refugees", "Rent", "en")


def test_edit_invalid_shows_errors_and_changes_nothing(
    engine: Engine, settings: Settings, phone: TestClient, market: Event, housing: Topic
) -> None:
    before = snapshot(engine)
    response = post(
        phone, settings, f"/e/{market.slug}/topics/{housing.id}/edit",
        {"title": "", "description": "d" * 1001, "language": "fr"},
    )  # fmt: skip
    assert response.status_code == 422
    assert field_error(response.text, "title") == "Give your topic a title."
    assert field_error(response.text, "description") == "Use at most 1,000 characters."
    assert field_error(response.text, "language") == "Choose one of the event's languages."
    assert snapshot(engine) == before


def test_edit_by_other_participant_refused(
    engine: Engine, settings: Settings, other_phone: TestClient, market: Event, housing: Topic
) -> None:
    # The edit form is not theirs: back to the phone's home.
    page = other_phone.get(f"/e/{market.slug}/topics/{housing.id}/edit", follow_redirects=False)
    assert (page.status_code, page.headers["location"]) == (303, f"/e/{market.slug}")
    before = snapshot(engine)
    response = hx(
        other_phone, settings, f"/e/{market.slug}/topics/{housing.id}/edit", {"title": "Mine"}
    )
    assert_flash(response, 403, "Only the topic's conveners can change it.")
    assert snapshot(engine) == before


def test_withdraw_by_convener(
    session: Session, settings: Settings, phone: TestClient, market: Event, housing: Topic
) -> None:
    response = post(phone, settings, f"/e/{market.slug}/topics/{housing.id}/withdraw")
    assert (response.status_code, response.headers["location"]) == (
        303,
        f"/e/{market.slug}#my-topics",
    )
    assert reload_topic(session, housing.id or 0).status == TopicStatus.WITHDRAWN


def test_withdraw_unknown_topic_htmx_gets_404_flash(
    engine: Engine, settings: Settings, phone: TestClient, market: Event, housing: Topic
) -> None:
    before = snapshot(engine)
    response = hx(phone, settings, f"/e/{market.slug}/topics/999999/withdraw")
    assert_flash(response, 404, "There is no such topic.")
    assert snapshot(engine) == before


def test_cohost_request_then_accept_from_phones(
    session: Session,
    settings: Settings,
    market: Event,
    phone: TestClient,
    other_phone: TestClient,
    housing: Topic,
) -> None:
    response = post(other_phone, settings, f"/e/{market.slug}/topics/{housing.id}/cohost")
    assert (response.status_code, response.headers["location"]) == (
        303,
        f"/e/{market.slug}#my-requests",
    )
    mira, ivo = participant_id(session, market, "Mira"), participant_id(session, market, "Ivo")
    assert convener_ids(session, topic_id=housing.id or 0) == [mira]
    asking = other_phone.get(f"/e/{market.slug}")
    assert f'id="my-request-{housing.id}"' in asking.text
    assert "Request sent" in asking.text
    assert f'id="my-topic-{housing.id}"' not in asking.text
    request = session.exec(select(CohostRequest)).one()
    accept = f"/e/{market.slug}/cohost-requests/{request.id}/accept"
    assert f'action="{accept}"' in phone.get(f"/e/{market.slug}").text
    response = post(phone, settings, accept)
    assert (response.status_code, response.headers["location"]) == (
        303,
        f"/e/{market.slug}#my-topics",
    )
    sync(session)
    assert convener_ids(session, topic_id=housing.id or 0) == [mira, ivo]
    assert f'id="my-topic-{housing.id}"' in other_phone.get(f"/e/{market.slug}").text


def test_cohost_request_cancel_and_decline_from_phones(
    session: Session,
    settings: Settings,
    market: Event,
    phone: TestClient,
    other_phone: TestClient,
    housing: Topic,
) -> None:
    base = f"/e/{market.slug}/topics/{housing.id}/cohost"
    assert post(other_phone, settings, base).status_code == 303
    assert post(other_phone, settings, base + "/cancel").status_code == 303
    sync(session)
    assert session.exec(select(CohostRequest)).all() == []
    assert post(other_phone, settings, base).status_code == 303
    sync(session)
    request = session.exec(select(CohostRequest)).one()
    response = post(phone, settings, f"/e/{market.slug}/cohost-requests/{request.id}/decline")
    assert response.status_code == 303
    assert "Declined by the conveners" in other_phone.get(f"/e/{market.slug}").text
    again = hx(other_phone, settings, base)
    assert_flash(again, 409, "The conveners declined your request to co-host this topic.")
    mira = participant_id(session, market, "Mira")
    assert convener_ids(session, topic_id=housing.id or 0) == [mira]


def test_cohost_from_a_topic_card_answers_with_the_request_and_a_message(
    session: Session,
    settings: Settings,
    market: Event,
    other_phone: TestClient,
    housing: Topic,
) -> None:
    response = hx(other_phone, settings, f"/e/{market.slug}/topics/{housing.id}/cohost")
    assert response.status_code == 200
    assert "HX-Request" in response.headers["vary"]
    assert re.search(
        rf'<section class="card" id="my-requests" hx-swap-oob="true" data-pending="{housing.id}"'
        r' data-declined="">',
        response.text,
    )
    assert (
        f'id="my-request-{housing.id}"><strong dir="auto">Housing for refugees</strong>'
        in response.text
    )
    assert response.text.strip().endswith(flash("Request sent: the conveners decide."))
    sync(session)
    request = session.exec(select(CohostRequest)).one()
    ivo = participant_id(session, market, "Ivo")
    assert (request.topic_id, request.participant_id, request.status) == (
        housing.id,
        ivo,
        "pending",
    )


def test_own_parts_of_the_home_page_for_a_nudged_phone(
    session: Session,
    settings: Settings,
    market: Event,
    phone: TestClient,
    other_phone: TestClient,
    housing: Topic,
) -> None:
    assert hx(other_phone, settings, f"/e/{market.slug}/topics/{housing.id}/cohost").is_success
    assert post(phone, settings, f"/e/{market.slug}/topics/{housing.id}/pitch").status_code == 303
    sync(session)
    request = session.exec(select(CohostRequest)).one()

    response = phone.get(f"/e/{market.slug}/own")

    assert response.status_code == 200
    ids = re.findall(
        r'<(?:div|section)[^>]* id="(my-[a-z]+)"[^>]*hx-swap-oob="true"', response.text
    )
    assert ids == ["my-state", "my-here", "my-topics", "my-requests"]
    assert '<div id="my-here" hidden hx-swap-oob="true" data-topic=""></div>' in response.text
    assert f'action="/e/{market.slug}/cohost-requests/{request.id}/accept"' in response.text
    assert (
        '<p class="pitch-place" role="status">You are number <span class="pitch-place-n">1</span>'
        " in the queue.</p>"
    ) in response.text
    assert f'action="/e/{market.slug}/topics/{housing.id}/pitch/leave"' in response.text


def test_leave_the_pitch_queue_from_the_phone(
    session: Session,
    settings: Settings,
    market: Event,
    phone: TestClient,
    housing: Topic,
    jobs: Topic,
) -> None:
    base = f"/e/{market.slug}/topics/{housing.id}/pitch"
    assert post(phone, settings, base).status_code == 303
    response = post(phone, settings, base + "/leave")
    assert (response.status_code, response.headers["location"]) == (
        303,
        f"/e/{market.slug}#my-topics",
    )
    sync(session)
    assert pitch_rows(session, event_id=market.id or 0) == []
    assert_flash(hx(phone, settings, base + "/leave"), 404, "This topic is not in the queue.")


# --- voting ------------------------------------------------------------------------------


def test_vote_places_a_dot(
    session: Session, settings: Settings, other_phone: TestClient, voting: Event, housing: Topic
) -> None:
    response = hx(other_phone, settings, f"/e/{voting.slug}/topics/{housing.id}/vote", key=KEY)
    assert response.status_code == 200
    assert my_state(response.text) == ("4", f'{{"{housing.id}": 1}}')
    assert flash("Dot placed.") in response.text
    assert dots(session, participant_id=participant_id(session, voting, "Ivo")) == {housing.id: 1}


def test_vote_retried_with_same_key_counts_once(
    session: Session, settings: Settings, other_phone: TestClient, voting: Event, housing: Topic
) -> None:
    url = f"/e/{voting.slug}/topics/{housing.id}/vote"
    first = hx(other_phone, settings, url, key=KEY)
    again = hx(other_phone, settings, url, key=KEY)
    assert (first.status_code, again.status_code) == (200, 200)
    assert my_state(again.text) == my_state(first.text) == ("4", f'{{"{housing.id}": 1}}')
    sync(session)
    assert session.exec(select(Vote.topic_id)).all() == [housing.id]


def test_vote_over_budget_htmx_gets_flash(
    session: Session, settings: Settings, other_phone: TestClient, voting: Event, housing: Topic,
    jobs: Topic,
) -> None:  # fmt: skip
    set_phase(session, voting, Phase.VOTING, dots_per_participant=1)
    assert hx(other_phone, settings, f"/e/{voting.slug}/topics/{jobs.id}/vote").status_code == 200
    response = hx(other_phone, settings, f"/e/{voting.slug}/topics/{housing.id}/vote")
    assert_flash(
        response, 409, "You have used all your dots. Take one back to vote for this topic."
    )
    assert dots(session, participant_id=participant_id(session, voting, "Ivo")) == {jobs.id: 1}


def test_vote_when_voting_closed_htmx_gets_flash(
    engine: Engine, settings: Settings, other_phone: TestClient, market: Event, housing: Topic
) -> None:
    before = snapshot(engine)
    response = hx(other_phone, settings, f"/e/{market.slug}/topics/{housing.id}/vote", key=KEY)
    assert_flash(response, 409, "Voting is closed right now.")
    assert snapshot(engine) == before


def test_vote_on_hidden_topic_htmx_gets_flash(
    engine: Engine, session: Session, settings: Settings, owner: User, other_phone: TestClient,
    voting: Event, housing: Topic,
) -> None:  # fmt: skip
    topics.hide(session, access=as_staff(session, voting, owner), topic_id=housing.id or 0,
                reason="spam")  # fmt: skip
    before = snapshot(engine)
    response = hx(other_phone, settings, f"/e/{voting.slug}/topics/{housing.id}/vote")
    assert_flash(response, 409, "This topic is not on the list any more.")
    assert snapshot(engine) == before


def test_vote_unknown_topic_htmx_gets_404_flash(
    engine: Engine, settings: Settings, other_phone: TestClient, voting: Event
) -> None:
    before = snapshot(engine)
    response = hx(other_phone, settings, f"/e/{voting.slug}/topics/999999/vote")
    assert_flash(response, 404, "There is no such topic.")
    assert snapshot(engine) == before


def test_vote_with_malformed_key_refused(
    engine: Engine, settings: Settings, other_phone: TestClient, voting: Event, housing: Topic
) -> None:
    before = snapshot(engine)
    response = hx(other_phone, settings, f"/e/{voting.slug}/topics/{housing.id}/vote", key="bad")
    assert_flash(response, 422, "This request could not be understood. Reload the page.")
    assert snapshot(engine) == before


def test_vote_by_organiser_htmx_gets_403_flash(
    engine: Engine, settings: Settings, organiser: TestClient, voting: Event, housing: Topic
) -> None:
    before = snapshot(engine, skip=("auth_session",))
    response = hx(organiser, settings, f"/e/{voting.slug}/topics/{housing.id}/vote")
    assert_flash(response, 403, "You do not have access to this page.")
    assert snapshot(engine, skip=("auth_session",)) == before


def test_vote_by_participant_of_another_event_refused(
    engine: Engine, session: Session, settings: Settings, owner: User,
    new_client: Callable[[], TestClient], voting: Event, housing: Topic,
) -> None:  # fmt: skip
    other = set_phase(session, make_event(session, owner=owner, name="Lab Varna"), Phase.VOTING)
    stranger = new_client()
    join(stranger, settings, other, "Zoe")
    before = snapshot(engine)
    response = hx(stranger, settings, f"/e/{voting.slug}/topics/{housing.id}/vote")
    assert_flash(response, 403, "Join the event first.")
    response = hx(stranger, settings, f"/e/{other.slug}/topics/{housing.id}/vote")
    assert_flash(response, 404, "There is no such topic.")
    assert snapshot(engine) == before


def test_unvote_takes_a_dot_back(
    session: Session, settings: Settings, other_phone: TestClient, voting: Event, housing: Topic,
    jobs: Topic,
) -> None:  # fmt: skip
    hx(other_phone, settings, f"/e/{voting.slug}/topics/{housing.id}/vote")
    hx(other_phone, settings, f"/e/{voting.slug}/topics/{jobs.id}/vote")
    url = f"/e/{voting.slug}/topics/{housing.id}/unvote"
    response = hx(other_phone, settings, url, key=KEY)
    assert response.status_code == 200
    assert my_state(response.text) == ("4", f'{{"{jobs.id}": 1}}')
    assert flash("Dot taken back.") in response.text
    assert hx(other_phone, settings, url, key=KEY).status_code == 200  # a retry changes nothing
    assert dots(session, participant_id=participant_id(session, voting, "Ivo")) == {jobs.id: 1}


def test_unvote_without_dot_htmx_gets_flash(
    engine: Engine, settings: Settings, other_phone: TestClient, voting: Event, housing: Topic
) -> None:
    before = snapshot(engine)
    response = hx(other_phone, settings, f"/e/{voting.slug}/topics/{housing.id}/unvote")
    assert_flash(response, 409, "You have no dot on this topic.")
    assert snapshot(engine) == before


# --- the pitch line-up from phones -------------------------------------------------------


def test_line_up_and_leave_from_phone(
    session: Session, settings: Settings, phone: TestClient, market: Event, housing: Topic
) -> None:
    response = post(phone, settings, f"/e/{market.slug}/topics/{housing.id}/pitch")
    assert (response.status_code, response.headers["location"]) == (
        303,
        f"/e/{market.slug}#my-topics",
    )
    sync(session)
    assert pitch_rows(session, event_id=market.id or 0) == [(housing.id, PitchStatus.WAITING)]
    response = post(phone, settings, f"/e/{market.slug}/topics/{housing.id}/pitch/leave")
    assert response.status_code == 303
    sync(session)
    assert pitch_rows(session, event_id=market.id or 0) == []


def test_line_up_other_persons_topic_htmx_gets_403_flash(
    engine: Engine, settings: Settings, other_phone: TestClient, market: Event, housing: Topic
) -> None:
    before = snapshot(engine)
    response = hx(other_phone, settings, f"/e/{market.slug}/topics/{housing.id}/pitch")
    assert_flash(response, 403, "Only the topic's conveners can line up to pitch it.")
    assert snapshot(engine) == before


# --- the facilitator's panel -------------------------------------------------------------


def test_panel_shows_topics_for_staff_only(
    settings: Settings, organiser: TestClient, phone: TestClient, market: Event, housing: Topic
) -> None:
    response = organiser.get(f"/o/{market.slug}/live")
    assert response.status_code == 200
    assert f'<tr id="staff-topic-{housing.id}">' in response.text
    assert 'value="marketplace" class="primary" aria-current="step"' in response.text
    assert_error_page(
        phone.get(f"/o/{market.slug}/live"), 403, "You do not have access to this page."
    )


def test_panel_for_facilitator(
    session: Session, settings: Settings, owner: User, new_client: Callable[[], TestClient],
    market: Event,
) -> None:  # fmt: skip
    facilitator = make_facilitator(session, market, owner)
    session.commit()
    browser = new_client()
    login(browser, settings, facilitator)
    assert browser.get(f"/o/{market.slug}/live").status_code == 200
    response = post(browser, settings, f"/o/{market.slug}/phase", {"phase": "voting"})
    assert response.status_code == 303
    assert reload_event(session, market).phase == Phase.VOTING


def test_set_phase(
    session: Session, settings: Settings, organiser: TestClient, market: Event
) -> None:
    response = post(organiser, settings, f"/o/{market.slug}/phase", {"phase": "voting"})
    assert (response.status_code, response.headers["location"]) == (303, f"/o/{market.slug}/live")
    assert reload_event(session, market).phase == Phase.VOTING


def test_set_phase_unknown_refused(
    engine: Engine, settings: Settings, organiser: TestClient, market: Event
) -> None:
    before = snapshot(engine)
    response = post(organiser, settings, f"/o/{market.slug}/phase", {"phase": "lunch"})
    assert_error_page(response, 422, "Choose one of the listed phases.")
    assert snapshot(engine) == before


def test_set_phase_by_participant_htmx_gets_403_flash(
    engine: Engine, settings: Settings, phone: TestClient, market: Event
) -> None:
    before = snapshot(engine)
    response = hx(phone, settings, f"/o/{market.slug}/phase", {"phase": "voting"})
    assert_flash(response, 403, "You do not have access to this page.")
    assert snapshot(engine) == before


RULES_FORM = {
    "dots_per_participant": "7",
    "max_dots_per_topic": "2",
    "pitch_seconds": "60",
    "blind_voting": "true",
    "proposals_while_voting": "true",
}


def test_update_rules(
    session: Session, settings: Settings, organiser: TestClient, market: Event
) -> None:
    response = post(organiser, settings, f"/o/{market.slug}/rules", RULES_FORM)
    assert (response.status_code, response.headers["location"]) == (
        303,
        f"/o/{market.slug}/live#rules",
    )
    event = reload_event(session, market)
    assert (
        event.dots_per_participant, event.max_dots_per_topic, event.pitch_seconds,
        event.blind_voting, event.board_hides_tallies, event.proposals_while_voting,
    ) == (7, 2, 60, True, False, True)  # fmt: skip


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"dots_per_participant": "many"}, "dots_per_participant", "Enter a whole number."),
        ({"dots_per_participant": "0"}, "dots_per_participant", "Choose between 1 and 50 dots."),
        ({"max_dots_per_topic": "9"}, "max_dots_per_topic",
         "This cannot be more than the dots per participant."),
        ({"pitch_seconds": "5"}, "pitch_seconds", "Choose between 10 and 600 seconds."),
    ],
)  # fmt: skip
def test_update_rules_invalid_shows_error_and_keeps_input(
    engine: Engine, settings: Settings, organiser: TestClient, market: Event,
    changes: dict[str, str], field: str, message: str,
) -> None:  # fmt: skip
    before = snapshot(engine, skip=("auth_session",))
    form = {**RULES_FORM, **changes}
    response = post(organiser, settings, f"/o/{market.slug}/rules", form)
    assert response.status_code == 422
    assert field_error(response.text, field) == message
    assert f'id="{field}" name="{field}" type="number" value="{form[field]}"' in response.text
    # The boxes come back as they were ticked, not as they are stored.
    assert re.search(r'id="blind_voting"[^>]*checked', response.text)
    assert not re.search(r'id="board_hides_tallies"[^>]*checked', response.text)
    assert snapshot(engine, skip=("auth_session",)) == before


def test_news_announce_and_withdraw(
    session: Session, settings: Settings, owner: User, organiser: TestClient, market: Event
) -> None:
    response = post(organiser, settings, f"/o/{market.slug}/news", {"text": " Lunch at 13:00 "})
    assert (response.status_code, response.headers["location"]) == (
        303,
        f"/o/{market.slug}/live#news-form",
    )
    sync(session)
    item = session.exec(select(Announcement)).one()
    assert (item.event_id, item.text, item.author_id, item.hidden) == (
        market.id,
        "Lunch at 13:00",
        owner.id,
        False,
    )
    response = post(organiser, settings, f"/o/{market.slug}/news/{item.id}/withdraw")
    assert response.status_code == 303
    sync(session)
    assert session.exec(select(Announcement.hidden)).all() == [True]


def test_news_empty_shows_error(
    engine: Engine, settings: Settings, organiser: TestClient, market: Event
) -> None:
    before = snapshot(engine, skip=("auth_session",))
    response = post(organiser, settings, f"/o/{market.slug}/news", {"text": "  "})
    assert response.status_code == 422
    assert field_error(response.text, "text") == "Write the announcement first."
    response = post(organiser, settings, f"/o/{market.slug}/news", {"text": "n" * 281})
    assert field_error(response.text, "text") == "Use at most 280 characters."
    assert f">{'n' * 281}</textarea>" in response.text
    assert snapshot(engine, skip=("auth_session",)) == before


def test_news_withdraw_unknown_htmx_gets_404_flash(
    settings: Settings, organiser: TestClient, market: Event
) -> None:
    response = hx(organiser, settings, f"/o/{market.slug}/news/999999/withdraw")
    assert_flash(response, 404, "There is no such announcement.")


def test_pitch_queue_from_panel(
    session: Session, settings: Settings, organiser: TestClient, market: Event, housing: Topic,
    jobs: Topic,
) -> None:  # fmt: skip
    for topic in (housing, jobs):
        response = hx(organiser, settings, f"/o/{market.slug}/pitch/{topic.id}/add")
        assert (response.status_code, response.headers["location"]) == (
            303,
            f"/o/{market.slug}/live#pitch",
        )
    assert post(organiser, settings, f"/o/{market.slug}/pitch/next").status_code == 303
    sync(session)
    assert pitch_rows(session, event_id=market.id or 0) == [
        (housing.id, PitchStatus.CURRENT),
        (jobs.id, PitchStatus.WAITING),
    ]
    page = organiser.get(f"/o/{market.slug}/live")
    assert re.search(r'Pitching now: <strong dir="auto">Housing for refugees</strong>', page.text)
    assert post(organiser, settings, f"/o/{market.slug}/pitch/stop").status_code == 303
    assert hx(organiser, settings, f"/o/{market.slug}/pitch/{jobs.id}/remove").status_code == 303
    sync(session)
    assert pitch_rows(session, event_id=market.id or 0) == [(housing.id, PitchStatus.DONE)]


def test_pitch_remove_by_participant_htmx_gets_403_flash(
    engine: Engine, session: Session, settings: Settings, owner: User, phone: TestClient,
    market: Event, jobs: Topic,
) -> None:  # fmt: skip
    pitches.line_up(session, access=as_staff(session, market, owner), topic_id=jobs.id or 0)
    before = snapshot(engine)
    response = hx(phone, settings, f"/o/{market.slug}/pitch/{jobs.id}/remove")
    assert_flash(response, 403, "You do not have access to this page.")
    response = hx(phone, settings, f"/o/{market.slug}/pitch/next")
    assert_flash(response, 403, "You do not have access to this page.")
    assert snapshot(engine) == before


def test_add_topic_on_behalf(
    session: Session, settings: Settings, owner: User, organiser: TestClient, phone: TestClient,
    market: Event,
) -> None:  # fmt: skip
    mira = participant_id(session, market, "Mira")
    response = post(
        organiser, settings, f"/o/{market.slug}/topics",
        {"title": "From the wall", "description": "Paper", "convener": str(mira)},
    )  # fmt: skip
    assert (response.status_code, response.headers["location"]) == (
        303,
        f"/o/{market.slug}/live#add-topic",
    )
    topic = topic_by_title(session, market, "From the wall")
    assert (topic.description, topic.proposed_by, topic.entered_by_user) == (
        "Paper",
        mira,
        owner.id,
    )
    assert convener_ids(session, topic_id=topic.id or 0) == [mira]


@pytest.mark.parametrize(
    ("form", "field", "message"),
    [
        ({"title": "", "description": "Paper"}, "title", "Give your topic a title."),
        ({"title": "Wall", "description": "Paper", "convener": "someone"}, "convener",
         "Enter a whole number."),
        ({"title": "Wall", "description": "Paper", "convener": "999999"}, "convener",
         "Choose a participant of this event."),
    ],
)  # fmt: skip
def test_add_topic_on_behalf_invalid_keeps_input(
    engine: Engine, settings: Settings, organiser: TestClient, market: Event,
    form: dict[str, str], field: str, message: str,
) -> None:  # fmt: skip
    before = snapshot(engine, skip=("auth_session",))
    response = post(organiser, settings, f"/o/{market.slug}/topics", form)
    assert response.status_code == 422
    assert field_error(response.text, field) == message
    assert ">Paper</textarea>" in response.text
    assert snapshot(engine, skip=("auth_session",)) == before


# --- moderation --------------------------------------------------------------------------


def test_topic_page_for_staff(organiser: TestClient, market: Event, housing: Topic) -> None:
    response = organiser.get(f"/o/{market.slug}/topics/{housing.id}")
    assert response.status_code == 200
    assert '<h1 dir="auto">Housing for refugees</h1>' in response.text
    assert 'value="Housing for refugees"' in response.text
    assert '<option value="bg" selected>' in response.text


def test_staff_edit_saves_in_any_phase(
    session: Session, settings: Settings, organiser: TestClient, market: Event, housing: Topic
) -> None:
    set_phase(session, market, Phase.SESSIONS)  # staff may edit after proposals close
    response = post(
        organiser, settings, f"/o/{market.slug}/topics/{housing.id}/edit",
        {"title": "Homes", "description": "Rent", "language": "bg"},
    )  # fmt: skip
    assert (response.status_code, response.headers["location"]) == (
        303,
        f"/o/{market.slug}/live#staff-topic-{housing.id}",
    )
    topic = reload_topic(session, housing.id or 0)
    assert (topic.title, topic.description, topic.language) == ("Homes", "Rent", "bg")


def test_staff_edit_invalid_shows_errors(
    engine: Engine, settings: Settings, organiser: TestClient, market: Event, housing: Topic
) -> None:
    before = snapshot(engine, skip=("auth_session",))
    response = post(
        organiser, settings, f"/o/{market.slug}/topics/{housing.id}/edit",
        {"title": "T" * 121, "description": "Rent", "language": "bg"},
    )  # fmt: skip
    assert response.status_code == 422
    assert field_error(response.text, "title") == "Use at most 120 characters."
    assert f'value="{"T" * 121}"' in response.text
    assert snapshot(engine, skip=("auth_session",)) == before


def test_hide_and_unhide(
    session: Session, settings: Settings, organiser: TestClient, other_phone: TestClient,
    voting: Event, housing: Topic,
) -> None:  # fmt: skip
    hx(other_phone, settings, f"/e/{voting.slug}/topics/{housing.id}/vote")
    response = post(
        organiser, settings, f"/o/{voting.slug}/topics/{housing.id}/hide", {"reason": "Spam"}
    )
    assert (response.status_code, response.headers["location"]) == (303, f"/o/{voting.slug}/live")
    topic = reload_topic(session, housing.id or 0)
    assert (topic.status, topic.hidden_reason) == (TopicStatus.HIDDEN, "Spam")
    assert dots(session, participant_id=participant_id(session, voting, "Ivo")) == {}
    page = organiser.get(f"/o/{voting.slug}/topics/{housing.id}")
    assert "(Spam)" in page.text
    response = post(organiser, settings, f"/o/{voting.slug}/topics/{housing.id}/unhide")
    assert response.status_code == 303
    topic = reload_topic(session, housing.id or 0)
    assert (topic.status, topic.hidden_reason) == (TopicStatus.ACTIVE, "")


def test_hide_without_reason_shows_error(
    engine: Engine, settings: Settings, organiser: TestClient, market: Event, housing: Topic
) -> None:
    before = snapshot(engine, skip=("auth_session",))
    response = post(
        organiser, settings, f"/o/{market.slug}/topics/{housing.id}/hide", {"reason": " "}
    )
    assert response.status_code == 422
    assert field_error(response.text, "reason") == "Say why, for the record."
    assert snapshot(engine, skip=("auth_session",)) == before


def test_hide_by_participant_htmx_gets_403_flash(
    engine: Engine, settings: Settings, phone: TestClient, market: Event, housing: Topic
) -> None:
    before = snapshot(engine)
    response = hx(phone, settings, f"/o/{market.slug}/topics/{housing.id}/hide", {"reason": "x"})
    assert_flash(response, 403, "You do not have access to this page.")
    assert snapshot(engine) == before


def test_unhide_active_topic_htmx_gets_409_flash(
    settings: Settings, organiser: TestClient, market: Event, housing: Topic
) -> None:
    response = hx(organiser, settings, f"/o/{market.slug}/topics/{housing.id}/unhide")
    assert_flash(response, 409, "This topic is not hidden.")


def test_merge_duplicates(
    session: Session, settings: Settings, organiser: TestClient, phone: TestClient,
    other_phone: TestClient, voting: Event, housing: Topic, jobs: Topic,
) -> None:  # fmt: skip
    for client in (phone, other_phone):
        hx(client, settings, f"/e/{voting.slug}/topics/{housing.id}/vote")
    hx(other_phone, settings, f"/e/{voting.slug}/topics/{jobs.id}/vote")
    response = post(
        organiser, settings, f"/o/{voting.slug}/topics/{housing.id}/merge", {"target": str(jobs.id)}
    )
    assert (response.status_code, response.headers["location"]) == (
        303,
        f"/o/{voting.slug}/topics/{jobs.id}#undo-merge",
    )
    source = reload_topic(session, housing.id or 0)
    assert (source.status, source.merged_into_id) == (TopicStatus.MERGED, jobs.id)
    mira, ivo = participant_id(session, voting, "Mira"), participant_id(session, voting, "Ivo")
    assert convener_ids(session, topic_id=jobs.id or 0) == [ivo, mira]
    sync(session)
    assert sorted(
        session.exec(select(Vote.participant_id).where(col(Vote.topic_id) == jobs.id)).all()
    ) == sorted([mira, ivo])
    assert session.exec(select(Vote).where(col(Vote.topic_id) == housing.id)).all() == []


@pytest.mark.parametrize(
    ("target", "message"),
    [("", "Enter a whole number."), ("self", "Choose a different topic to merge into.")],
)
def test_merge_invalid_target_shows_error(
    engine: Engine, settings: Settings, organiser: TestClient, market: Event, housing: Topic,
    target: str, message: str,
) -> None:  # fmt: skip
    before = snapshot(engine, skip=("auth_session",))
    value = str(housing.id) if target == "self" else target
    response = post(
        organiser, settings, f"/o/{market.slug}/topics/{housing.id}/merge", {"target": value}
    )
    assert response.status_code == 422
    assert field_error(response.text, "target") == message
    assert snapshot(engine, skip=("auth_session",)) == before


def test_merge_into_hidden_topic_refused(
    engine: Engine, session: Session, settings: Settings, owner: User, organiser: TestClient,
    market: Event, housing: Topic, jobs: Topic,
) -> None:  # fmt: skip
    topics.hide(session, access=as_staff(session, market, owner), topic_id=jobs.id or 0,
                reason="dup")  # fmt: skip
    before = snapshot(engine, skip=("auth_session",))
    url = f"/o/{market.slug}/topics/{housing.id}/merge"
    assert_flash(
        hx(organiser, settings, url, {"target": str(jobs.id)}),
        409,
        "This topic is not on the list any more.",
    )
    assert_error_page(
        post(organiser, settings, url, {"target": str(jobs.id)}),
        409,
        "This topic is not on the list any more.",
    )
    assert snapshot(engine, skip=("auth_session",)) == before


def test_moderation_of_another_events_topic_not_found(
    engine: Engine, session: Session, settings: Settings, market: Event, housing: Topic,
    new_client: Callable[[], TestClient],
) -> None:  # fmt: skip
    stranger = make_user(session, email="stan@example.org", name="Stan")
    theirs = make_event(session, owner=stranger, name="Lab Varna")
    session.commit()
    browser = new_client()
    login(browser, settings, stranger)
    before = snapshot(engine, skip=("auth_session",))
    response = hx(browser, settings, f"/o/{market.slug}/topics/{housing.id}/hide", {"reason": "x"})
    assert_flash(response, 403, "You do not have access to this page.")
    response = hx(browser, settings, f"/o/{theirs.slug}/topics/{housing.id}/hide", {"reason": "x"})
    assert_flash(response, 404, "There is no such topic.")
    assert snapshot(engine, skip=("auth_session",)) == before


def test_merge_asks_for_confirmation_first_and_the_question_changes_nothing(
    engine: Engine, settings: Settings, organiser: TestClient, phone: TestClient,
    voting: Event, housing: Topic, jobs: Topic,
) -> None:  # fmt: skip
    hx(phone, settings, f"/e/{voting.slug}/topics/{housing.id}/vote")
    hx(phone, settings, f"/e/{voting.slug}/topics/{jobs.id}/vote")
    page = organiser.get(f"/o/{voting.slug}/topics/{housing.id}")
    assert f'<form method="get" action="/o/{voting.slug}/topics/{housing.id}/merge"' in page.text
    before = snapshot(engine, skip=("auth_session",))

    question = organiser.get(f"/o/{voting.slug}/topics/{housing.id}/merge?target={jobs.id}")

    assert question.status_code == 200
    isolated = re.sub(r"</?bdi>", "", question.text)  # names are isolated inside the sentence
    text = " ".join(unescape(re.sub(r"<[^>]+>", " ", isolated)).split())
    assert f"Merge “{housing.title}” into “{jobs.title}”?" in text
    assert "1 dot moves to the kept topic. 1 dot goes back to a voter who had dots on both." in text
    assert "Joining as conveners: Mira." in text
    assert f'<input type="hidden" name="target" value="{jobs.id}">' in question.text
    assert snapshot(engine, skip=("auth_session",)) == before
    refused = organiser.get(f"/o/{voting.slug}/topics/{housing.id}/merge?target={housing.id}")
    assert refused.status_code == 422
    assert field_error(refused.text, "target") == "Choose a different topic to merge into."


def test_merge_question_is_for_the_events_staff_only(
    engine: Engine, session: Session, settings: Settings, client: TestClient, phone: TestClient,
    voting: Event, housing: Topic, jobs: Topic, new_client: Callable[[], TestClient],
) -> None:  # fmt: skip
    stranger = make_user(session, email="stan@example.org", name="Stan")
    make_event(session, owner=stranger, name="Lab Varna")
    session.commit()
    other_organiser = new_client()
    login(other_organiser, settings, stranger)
    client.get("/")
    url = f"/o/{voting.slug}/topics/{housing.id}/merge?target={jobs.id}"
    before = snapshot(engine, skip=("auth_session",))

    answers = [
        (browser.get(url, follow_redirects=False).status_code, browser.get(url).text)
        for browser in (client, phone, other_organiser)
    ]

    assert [status for status, _page in answers] == [303, 403, 403]
    assert all(housing.title not in page and jobs.title not in page for _status, page in answers)
    assert snapshot(engine, skip=("auth_session",)) == before


def test_undo_merge_through_the_topic_page(
    engine: Engine, session: Session, settings: Settings, organiser: TestClient,
    phone: TestClient, voting: Event, housing: Topic, jobs: Topic,
) -> None:  # fmt: skip
    hx(phone, settings, f"/e/{voting.slug}/topics/{housing.id}/vote")
    hx(phone, settings, f"/e/{voting.slug}/topics/{jobs.id}/vote")
    skip = ("auth_session", "idempotency_key")
    before = {
        k: v
        for k, v in snapshot(engine, skip=skip).items()
        if k not in ("vote", "topic", "topic_convener")
    }
    sync(session)
    votes_before = sorted(
        (v.participant_id, v.topic_id, v.created_at) for v in session.exec(select(Vote)).all()
    )
    conveners_before = {t: convener_ids(session, topic_id=t or 0) for t in (housing.id, jobs.id)}
    post(
        organiser, settings, f"/o/{voting.slug}/topics/{housing.id}/merge", {"target": str(jobs.id)}
    )
    kept = organiser.get(f"/o/{voting.slug}/topics/{jobs.id}")
    assert "was merged into" in unescape(kept.text)
    assert f'action="/o/{voting.slug}/topics/{jobs.id}/unmerge"' in kept.text

    response = post(organiser, settings, f"/o/{voting.slug}/topics/{jobs.id}/unmerge")

    assert (response.status_code, response.headers["location"]) == (
        303,
        f"/o/{voting.slug}/topics/{housing.id}",
    )
    sync(session)
    assert reload_topic(session, housing.id or 0).status == TopicStatus.ACTIVE
    assert (
        sorted(
            (v.participant_id, v.topic_id, v.created_at) for v in session.exec(select(Vote)).all()
        )
        == votes_before
    )
    assert {t: convener_ids(session, topic_id=t or 0) for t in (housing.id, jobs.id)} == (
        conveners_before
    )
    after = {
        k: v
        for k, v in snapshot(engine, skip=skip).items()
        if k not in ("vote", "topic", "topic_convener")
    }
    assert after == before
    again = post(organiser, settings, f"/o/{voting.slug}/topics/{jobs.id}/unmerge")
    assert again.status_code == 404
    assert field_error(again.text, "undo") == "There is no merge of this topic to undo."


def test_undo_merge_refused_says_why_and_changes_nothing(
    engine: Engine, settings: Settings, organiser: TestClient, phone: TestClient,
    voting: Event, housing: Topic, jobs: Topic,
) -> None:  # fmt: skip
    hx(phone, settings, f"/e/{voting.slug}/topics/{housing.id}/vote")
    post(
        organiser, settings, f"/o/{voting.slug}/topics/{housing.id}/merge", {"target": str(jobs.id)}
    )
    hx(phone, settings, f"/e/{voting.slug}/topics/{jobs.id}/unvote")
    page = organiser.get(f"/o/{voting.slug}/topics/{jobs.id}")
    assert (
        "It can no longer be undone: Dots on the merged topic have changed since the merge."
        in page.text
    )
    assert "/unmerge" not in page.text
    before = snapshot(engine, skip=("auth_session",))

    response = post(organiser, settings, f"/o/{voting.slug}/topics/{jobs.id}/unmerge")

    assert response.status_code == 409
    assert field_error(response.text, "undo") == (
        "The merge can no longer be undone: Dots on the merged topic have changed since the merge."
    )
    assert snapshot(engine, skip=("auth_session",)) == before
