"""The projector's secret, read-only board link."""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session

from app.config import Settings
from app.models.events import Event
from app.services.events import events
from tests.factories import make_event, post
from tests.routes.helpers import sync

INVALID = "This board link is not valid. Ask the organiser for the current one."


def test_board_with_right_signature(
    new_client: Callable[[], TestClient], settings: Settings, event: Event
) -> None:
    projector = new_client()  # no account, no cookie: the link alone opens the board
    response = projector.get(events.board_path(event, settings.secret))
    assert response.status_code == 200
    assert "Lab Sofia" in response.text
    assert f'<p class="join-code" id="join-code">{event.join_code}</p>' in response.text
    assert "http://testserver/j/" + event.join_code in response.text
    assert "<svg" in response.text


@pytest.mark.parametrize("signature", ["0" * 32, "nope", "ü" * 32, ""])
def test_board_with_wrong_signature(
    client: TestClient, settings: Settings, event: Event, signature: str
) -> None:
    response = client.get(f"/board/{event.slug}/{signature}")
    assert response.status_code == 404
    assert event.join_code not in response.text


def test_board_signature_of_another_event(
    client: TestClient, settings: Settings, session: Session, event: Event
) -> None:
    other = make_event(session)
    session.commit()
    signature = events.board_path(other, settings.secret).rsplit("/", 1)[1]
    response = client.get(f"/board/{event.slug}/{signature}")
    assert response.status_code == 404
    assert INVALID in response.text


def test_board_after_rotation(
    organiser: TestClient,
    settings: Settings,
    session: Session,
    new_client: Callable[[], TestClient],
    event: Event,
) -> None:
    old_path = events.board_path(event, settings.secret)
    projector = new_client()
    assert projector.get(old_path).status_code == 200
    assert post(organiser, settings, f"/o/{event.slug}/board-link").status_code == 303
    refused = projector.get(old_path)
    assert refused.status_code == 404
    assert INVALID in refused.text
    sync(session)
    new_path = events.board_path(session.get(Event, event.id), settings.secret)  # type: ignore[arg-type]
    assert new_path != old_path
    assert projector.get(new_path).status_code == 200


def test_board_unknown_event(client: TestClient, settings: Settings, event: Event) -> None:
    # Answered as a wrong link to a real event is: the address does not tell that it exists.
    signature = events.board_path(event, settings.secret).rsplit("/", 1)[1]
    response = client.get(f"/board/no-such-event/{signature}")
    wrong = client.get(f"/board/{event.slug}/{'0' * 32}")
    assert (response.status_code, wrong.status_code) == (404, 404)
    assert "This board link is not valid." in response.text
    assert "This board link is not valid." in wrong.text


def _bulgarian_first(session: Session, event: Event) -> None:
    event.languages = ["bg", "en"]
    session.add(event)
    session.commit()


def test_board_speaks_the_events_main_language_not_the_browsers(
    new_client: Callable[[], TestClient], settings: Settings, session: Session, event: Event
) -> None:
    _bulgarian_first(session, event)
    projector = new_client()
    response = projector.get(
        events.board_path(event, settings.secret), headers={"Accept-Language": "en-GB"}
    )
    assert response.status_code == 200
    assert '<html lang="bg" dir="ltr">' in response.text
    assert (
        '<p class="board-label board-join-label">Включете се от телефона си'
        ' <span class="board-also" lang="en" dir="ltr">Join on your phone</span></p>'
    ) in response.text
    assert '<span class="phase-also" lang="en" dir="ltr">Setting up</span>' in response.text
    # The socket is told, so that its frames come in the same language.
    assert re.search(r'ws-connect="/ws/[\w-]+\?t=[\w.-]+&amp;lang=bg"', response.text)


@pytest.mark.parametrize(("lang", "main", "beside"), [("en", "en", "bg"), ("xx", "bg", "en")])
def test_board_link_chooses_its_language(
    new_client: Callable[[], TestClient],
    settings: Settings,
    session: Session,
    event: Event,
    lang: str,
    main: str,
    beside: str,
) -> None:
    _bulgarian_first(session, event)
    response = new_client().get(f"{events.board_path(event, settings.secret)}?lang={lang}")
    assert response.status_code == 200
    assert f'<html lang="{main}" dir="ltr">' in response.text
    assert f'<span class="board-also" lang="{beside}" dir="ltr">' in response.text
    assert f"&amp;lang={main}" in response.text


def test_board_language_choice_keeps_the_signature_check(
    client: TestClient, settings: Settings, event: Event
) -> None:
    response = client.get(f"/board/{event.slug}/{'0' * 32}?lang=bg")
    assert response.status_code == 404
    assert event.join_code not in response.text
