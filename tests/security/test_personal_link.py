"""Audit item 5: a reset personal link signs out the devices that claimed the old one, and the
profile lists the devices signed in, each with a way to sign it out."""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine
from sqlmodel import Session, select

from app.config import Settings
from app.models.events import Event, Phase
from app.models.people import Participant, ParticipantDevice
from app.models.topics import Topic, Vote
from tests.factories import csrf, make_event, post
from tests.marketplace_helpers import set_phase
from tests.routes.helpers import input_value, join, snapshot, sync

FIREFOX_ANDROID = "Mozilla/5.0 (Android 14; Mobile; rv:125.0) Gecko/125.0 Firefox/125.0"
SAFARI_IPHONE = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15"
    " (KHTML, like Gecko) Version/17.4 Mobile/15E148 Safari/604.1"
)
CODE_FORM = 'name="code"'  # the form that asks for the event's code: nobody in this event


def _phone(new_client: Callable[[], TestClient], user_agent: str) -> TestClient:
    phone = new_client()
    phone.headers["User-Agent"] = user_agent
    return phone


def _who(client: TestClient, event: Event) -> str | None:
    """Which participant this browser is in ``event`` (the name on its profile), if any."""
    response = client.get(f"/e/{event.slug}/me", follow_redirects=False)
    return input_value(response.text, "name") if response.status_code == 200 else None


def _personal_link(client: TestClient, event: Event) -> str:
    link = input_value(client.get(f"/e/{event.slug}/me").text, "personal-link")
    return link.removeprefix("http://testserver")


def _claim(client: TestClient, settings: Settings, link: str) -> None:
    response = post(client, settings, link)
    assert response.status_code == 303, response.text


def _devices(client: TestClient, event: Event) -> list[tuple[int, str, bool]]:
    """The profile's device list: (id, label, is this device)."""
    page = client.get(f"/e/{event.slug}/me").text
    items = re.findall(r'<li id="device-(\d+)">(.*?)</li>', page, flags=re.S)
    found = []
    for device_id, body in items:
        label = re.search(rf'id="device-{device_id}-name">([^<]*)<', body)
        assert label is not None
        found.append((int(device_id), label.group(1), "(this device)" in body))
    return found


def _propose(client: TestClient, settings: Settings, event: Event, title: str) -> None:
    response = post(
        client,
        settings,
        f"/e/{event.slug}/topics",
        {"title": title, "description": "", "language": "en"},
    )
    assert response.status_code == 303, response.text


def _vote(client: TestClient, settings: Settings, event: Event, topic_id: int) -> int:
    response = client.post(
        f"/e/{event.slug}/topics/{topic_id}/vote",
        headers={"X-CSRF-Token": csrf(client, settings), "HX-Request": "true"},
        follow_redirects=False,
    )
    return response.status_code


@pytest.fixture
def phone_a(new_client: Callable[[], TestClient], settings: Settings, event: Event) -> TestClient:
    phone = _phone(new_client, FIREFOX_ANDROID)
    join(phone, settings, event, name="Mira")
    return phone


@pytest.fixture
def phone_b(
    new_client: Callable[[], TestClient], settings: Settings, event: Event, phone_a: TestClient
) -> TestClient:
    """A second device that claimed Mira's personal link (say, it was shared by mistake)."""
    phone = _phone(new_client, SAFARI_IPHONE)
    _claim(phone, settings, _personal_link(phone_a, event))
    assert _who(phone, event) == "Mira"
    return phone


def test_reset_link_signs_out_the_devices_that_claimed_it(
    session: Session, settings: Settings, event: Event, phone_a: TestClient, phone_b: TestClient
) -> None:
    set_phase(session, event, Phase.MARKETPLACE)
    _propose(phone_a, settings, event, "Housing")
    sync(session)
    topic_id = session.exec(select(Topic.id).where(Topic.event_id == event.id)).one()
    assert topic_id is not None
    set_phase(session, event, Phase.VOTING)
    assert [(label, mine) for _id, label, mine in _devices(phone_a, event)] == [
        ("Firefox, Android", True),
        ("Safari, iPhone", False),
    ]

    response = post(phone_a, settings, f"/e/{event.slug}/me/new-link")
    assert (response.status_code, response.headers["location"]) == (303, f"/e/{event.slug}/me")

    assert _who(phone_a, event) == "Mira"  # the device that reset stays signed in
    assert _who(phone_b, event) is None
    home = phone_b.get(f"/e/{event.slug}")
    assert (home.status_code, CODE_FORM in home.text, "Mira" in home.text) == (200, True, False)
    assert _vote(phone_b, settings, event, topic_id) in (401, 403)
    assert _vote(phone_a, settings, event, topic_id) == 200
    sync(session)
    mira = session.exec(select(Participant.id).where(Participant.name == "Mira")).one()
    assert session.exec(select(Vote.participant_id)).all() == [mira]
    assert [(label, mine) for _id, label, mine in _devices(phone_a, event)] == [
        ("Firefox, Android", True)
    ]


def test_signed_out_device_can_join_anew_as_someone_else(
    settings: Settings, event: Event, phone_a: TestClient, phone_b: TestClient
) -> None:
    post(phone_a, settings, f"/e/{event.slug}/me/new-link")
    join(phone_b, settings, event, name="Ivo")  # not handed Mira back by the stale binding
    assert (_who(phone_a, event), _who(phone_b, event)) == ("Mira", "Ivo")


def test_profile_signs_out_one_device(
    session: Session, settings: Settings, event: Event, phone_a: TestClient, phone_b: TestClient
) -> None:
    listed = _devices(phone_a, event)
    assert _devices(phone_b, event) == [(i, label, not mine) for i, label, mine in listed]
    other = next(device_id for device_id, _label, mine in listed if not mine)

    response = post(phone_a, settings, f"/e/{event.slug}/me/devices/{other}/sign-out")

    assert (response.status_code, response.headers["location"]) == (
        303,
        f"/e/{event.slug}/me#devices",
    )
    assert (_who(phone_a, event), _who(phone_b, event)) == ("Mira", None)
    assert CODE_FORM in phone_b.get(f"/e/{event.slug}").text
    assert [device_id for device_id, _label, _mine in _devices(phone_a, event)] == [
        device_id for device_id, _label, mine in listed if mine
    ]
    # The personal link still works: only that device was signed out.
    _claim(phone_b, settings, _personal_link(phone_a, event))
    assert _who(phone_b, event) == "Mira"
    sync(session)
    assert len(session.exec(select(ParticipantDevice)).all()) == 2


def test_profile_signs_out_this_device(
    settings: Settings, event: Event, phone_a: TestClient, phone_b: TestClient
) -> None:
    mine = next(device_id for device_id, _label, this in _devices(phone_a, event) if this)
    response = post(phone_a, settings, f"/e/{event.slug}/me/devices/{mine}/sign-out")
    assert (response.status_code, response.headers["location"]) == (303, f"/e/{event.slug}")
    assert (_who(phone_a, event), _who(phone_b, event)) == (None, "Mira")


def test_device_sign_out_without_the_form_token_changes_nothing(
    engine: Engine, event: Event, phone_a: TestClient, phone_b: TestClient
) -> None:
    other = next(device_id for device_id, _l, mine in _devices(phone_a, event) if not mine)
    before = snapshot(engine, skip=("rate_counter",))
    response = phone_a.post(f"/e/{event.slug}/me/devices/{other}/sign-out", follow_redirects=False)
    assert response.status_code == 403
    assert snapshot(engine, skip=("rate_counter",)) == before


def test_device_of_another_participant_or_event_cannot_be_signed_out(
    session: Session,
    settings: Settings,
    engine: Engine,
    event: Event,
    owner: object,
    new_client: Callable[[], TestClient],
    phone_a: TestClient,
) -> None:
    ivo = new_client()
    join(ivo, settings, event, name="Ivo")
    other_event = make_event(session, owner=owner, name="Lab Plovdiv")  # type: ignore[arg-type]
    session.commit()
    elsewhere = new_client()
    join(elsewhere, settings, other_event, name="Sam")
    ivos_device = _devices(ivo, event)[0][0]
    sams_device = _devices(elsewhere, other_event)[0][0]
    before = snapshot(engine, skip=("rate_counter",))

    for device_id in (ivos_device, sams_device, 0, 2**31 - 1, 2**31, -1):
        response = post(phone_a, settings, f"/e/{event.slug}/me/devices/{device_id}/sign-out")
        assert response.status_code == 404, device_id
    # Sam's own device, asked for in Mira's event, is not Sam's there either.
    # (Sam is not in Mira's event at all: turned away at its door.)
    response = post(elsewhere, settings, f"/e/{event.slug}/me/devices/{sams_device}/sign-out")
    assert (response.status_code, "Join the event first." in response.text) == (403, True)
    response = post(phone_a, settings, f"/e/{event.slug}/me/devices/abc/sign-out")
    assert 400 <= response.status_code < 500
    # Someone who has not joined the event may not sign anyone out.
    stranger = new_client()
    response = post(stranger, settings, f"/e/{event.slug}/me/devices/{ivos_device}/sign-out")
    assert (response.status_code, "Join the event first." in response.text) == (403, True)

    assert snapshot(engine, skip=("rate_counter",)) == before
    assert (_who(ivo, event), _who(elsewhere, other_event)) == ("Ivo", "Sam")
