"""The participant's phone: the code, the join form, home, profile, personal link, QR."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine
from sqlmodel import Session, select

from app.config import Settings
from app.main import create_app
from app.models.events import Event
from app.models.people import Participant, ParticipantDevice
from app.security import CYRILLIC_LOOK_ALIKES, GREEK_LOOK_ALIKES
from app.services.people import participants
from app.web import LANG_COOKIE
from tests.factories import csrf, field_error, make_event, post
from tests.routes.helpers import input_value, join, snapshot, sync


def _lower_dashed(code: str) -> str:
    return f"{code[:3].lower()}-{code[3:].lower()}"


def _who(client: TestClient, event: Event) -> str | None:
    """Which participant this browser is in ``event`` (the name on its profile), if any."""
    response = client.get(f"/e/{event.slug}/me", follow_redirects=False)
    return input_value(response.text, "name") if response.status_code == 200 else None


def _personal_link(client: TestClient, event: Event) -> str:
    link = input_value(client.get(f"/e/{event.slug}/me").text, "personal-link")
    prefix = "http://testserver"
    assert link.startswith(f"{prefix}/e/{event.slug}/p/")
    return link[len(prefix) :]


# --- the code ----------------------------------------------------------------------------


def _look_alike(code: str, alphabet: tuple[str, str]) -> str:
    """The code as a phone set to another script types it: every letter that has a look-alike
    there, in that script and in lower case."""
    other, latin = alphabet
    return "".join(other[latin.index(ch)].lower() if ch in latin else ch for ch in code)


@pytest.mark.parametrize(
    "typed", ["{code}", "{lower_dashed}", " {code} ", "{cyrillic}", "{greek}", "{CYRILLIC}"]
)
def test_enter_code(
    client: TestClient, settings: Settings, session: Session, event: Event, typed: str
) -> None:
    event.join_code = "ACEHKM"  # letters with look-alikes in Cyrillic and Greek
    session.add(event)
    session.commit()
    code = typed.format(
        code=event.join_code,
        lower_dashed=_lower_dashed(event.join_code),
        cyrillic=_look_alike(event.join_code, CYRILLIC_LOOK_ALIKES),
        greek=_look_alike(event.join_code, GREEK_LOOK_ALIKES),
        CYRILLIC=_look_alike(event.join_code, CYRILLIC_LOOK_ALIKES).upper(),
    )
    assert typed in ("{code}", " {code} ", "{lower_dashed}") or not code.isascii()
    response = post(client, settings, "/join", {"code": code})
    assert (response.status_code, response.headers["location"]) == (303, f"/j/{event.join_code}")
    page = client.get(response.headers["location"])
    assert page.status_code == 200
    assert '<h1 dir="auto">Lab Sofia</h1>' in page.text
    assert f'action="/j/{event.join_code}"' in page.text


def test_join_link_lowercase_with_dash(client: TestClient, event: Event) -> None:
    page = client.get(f"/j/{_lower_dashed(event.join_code)}")
    assert page.status_code == 200
    assert '<h1 dir="auto">Lab Sofia</h1>' in page.text


def test_enter_wrong_code(client: TestClient, settings: Settings, event: Event) -> None:
    response = post(client, settings, "/join", {"code": "zzz-zzz"})
    assert response.status_code == 422
    assert field_error(response.text, "code") == (
        "No event has this code. Check the letters on the screen."
    )
    assert input_value(response.text, "code") == "zzz-zzz"
    response = post(client, settings, "/join", {"code": "  "})
    assert field_error(response.text, "code") == "Enter the code shown on the screen."


def test_join_link_wrong_code(client: TestClient, event: Event) -> None:
    response = client.get("/j/ZZZZZZ")
    assert response.status_code == 404
    assert field_error(response.text, "code") == (
        "No event has this code. Check the letters on the screen."
    )


def test_wrong_codes_limited_per_browser(
    settings: Settings, engine: Engine, session: Session, new_client: Callable[[], TestClient]
) -> None:
    event = make_event(session)
    session.commit()
    app = create_app(settings.model_copy(update={"join_attempts": 2}))
    with TestClient(app) as phone:
        for _attempt in range(2):
            assert post(phone, settings, "/join", {"code": "ZZZZZZ"}).status_code == 422
        response = post(phone, settings, "/join", {"code": event.join_code})
        assert response.status_code == 429
        assert "Too many wrong codes. Wait a few minutes and try again." in response.text
        with TestClient(app) as neighbour:
            response = post(neighbour, settings, "/join", {"code": event.join_code})
            assert response.status_code == 303


# --- joining -----------------------------------------------------------------------------


def test_join(client: TestClient, settings: Settings, session: Session, event: Event) -> None:
    response = post(
        client,
        settings,
        f"/j/{event.join_code}",
        {
            "name": " Mira ",
            "organisation": "Council for Refugees",
            "org_type": "ngo",
            "locale": "bg",
            "consent_report": "true",
        },
    )
    assert (response.status_code, response.headers["location"]) == (303, f"/e/{event.slug}")
    assert client.cookies[LANG_COOKIE] == "bg"
    sync(session)
    participant = session.exec(select(Participant)).one()
    assert (
        participant.name,
        participant.organisation,
        participant.org_type,
        participant.locale,
        participant.consent_report,
        participant.event_id,
    ) == ("Mira", "Council for Refugees", "ngo", "bg", True, event.id)
    home = client.get(f"/e/{event.slug}")
    assert home.status_code == 200
    assert '<html lang="bg" dir="ltr">' in home.text
    assert _who(client, event) == "Mira"


def test_join_consent_off_unless_ticked(
    client: TestClient, settings: Settings, session: Session, event: Event
) -> None:
    join(client, settings, event)
    sync(session)
    assert session.exec(select(Participant.consent_report)).all() == [False]


@pytest.mark.parametrize(
    ("form", "field", "message"),
    [
        ({"name": "  "}, "name", "Enter a name; a first name or a nickname is fine."),
        ({"name": "x" * 81}, "name", "Use at most 80 characters."),
        (
            {"name": "Mira", "organisation": "x" * 161},
            "organisation",
            "Use at most 160 characters.",
        ),
        ({"name": "Mira", "org_type": "bank"}, "org_type", "Choose one of the listed types."),
        ({"name": "Mira", "org_type": "x" * 40}, "org_type", "Choose one of the listed types."),
    ],
)
def test_join_form_validation(
    client: TestClient,
    settings: Settings,
    session: Session,
    event: Event,
    form: dict[str, str],
    field: str,
    message: str,
) -> None:
    response = post(client, settings, f"/j/{event.join_code}", {"locale": "en", **form})
    assert response.status_code == 422
    assert field_error(response.text, field) == message
    assert input_value(response.text, "name") == form["name"]
    sync(session)
    assert session.exec(select(Participant)).all() == []


def test_coming_back_restores_participant(
    client: TestClient, settings: Settings, event: Event
) -> None:
    join(client, settings, event)
    for url in (f"/j/{event.join_code}", f"/j/{_lower_dashed(event.join_code)}"):
        response = client.get(url, follow_redirects=False)
        assert (response.status_code, response.headers["location"]) == (303, f"/e/{event.slug}")
    response = post(client, settings, "/join", {"code": event.join_code})
    assert (
        client.get(response.headers["location"], follow_redirects=False).headers["location"]
        == f"/e/{event.slug}"
    )
    assert _who(client, event) == "Mira"


def test_join_twice_makes_one_participant(
    client: TestClient, settings: Settings, session: Session, event: Event
) -> None:
    join(client, settings, event, name="Mira")
    join(client, settings, event, name="Mira")
    sync(session)
    assert session.exec(select(Participant.name)).all() == ["Mira"]


def test_event_page_without_joining_asks_for_code(client: TestClient, event: Event) -> None:
    response = client.get(f"/e/{event.slug}")
    assert response.status_code == 200
    assert 'action="/join"' in response.text
    assert event.join_code not in response.text


# --- profile -----------------------------------------------------------------------------


def test_profile_update(
    client: TestClient, settings: Settings, session: Session, event: Event
) -> None:
    join(client, settings, event)
    assert _who(client, event) == "Mira"
    response = post(
        client,
        settings,
        f"/e/{event.slug}/me",
        {
            "name": "Mira K",
            "organisation": "Sofia municipality",
            "org_type": "municipality",
            "locale": "en",
        },
    )
    assert (response.status_code, response.headers["location"]) == (303, f"/e/{event.slug}")
    sync(session)
    participant = session.exec(select(Participant)).one()
    assert (participant.name, participant.organisation, participant.org_type) == (
        "Mira K",
        "Sofia municipality",
        "municipality",
    )


def test_profile_update_invalid_changes_nothing(
    client: TestClient, settings: Settings, engine: Engine, event: Event
) -> None:
    join(client, settings, event)
    before = snapshot(engine, skip=("rate_counter",))
    response = post(client, settings, f"/e/{event.slug}/me", {"name": "", "locale": "en"})
    assert response.status_code == 422
    assert field_error(response.text, "name") == (
        "Enter a name; a first name or a nickname is fine."
    )
    assert snapshot(engine, skip=("rate_counter",)) == before


def test_profile_without_joining_redirects(client: TestClient, event: Event) -> None:
    response = client.get(f"/e/{event.slug}/me", follow_redirects=False)
    assert (response.status_code, response.headers["location"]) == (303, "/join")


def test_other_events_participant_sees_nothing(
    client: TestClient,
    settings: Settings,
    session: Session,
    engine: Engine,
    event: Event,
    new_client: Callable[[], TestClient],
) -> None:
    other = make_event(session, name="Other lab")
    session.commit()
    insider = new_client()
    join(insider, settings, other, name="Secret Sam")
    join(client, settings, event, name="Mira")
    response = client.get(f"/e/{other.slug}/me", follow_redirects=False)
    assert (response.status_code, response.headers["location"]) == (303, "/join")
    page = client.get(f"/e/{other.slug}")
    assert "Secret Sam" not in page.text
    assert "Mira" not in page.text
    before = snapshot(engine, skip=("rate_counter",))
    response = post(client, settings, f"/e/{other.slug}/me", {"name": "Hacked", "locale": "en"})
    assert (response.status_code, "Join the event first." in response.text) == (403, True)
    assert post(client, settings, f"/e/{other.slug}/me/new-link").status_code == 403
    assert snapshot(engine, skip=("rate_counter",)) == before
    # A personal link of one event does not open another.
    sam = session.exec(select(Participant).where(Participant.name == "Secret Sam")).one()
    token = participants.personal_token(sam, settings.secret)
    assert client.get(f"/e/{event.slug}/p/{token}").status_code == 404


# --- the personal link -------------------------------------------------------------------


def test_personal_link_get_only_asks(
    client: TestClient,
    settings: Settings,
    engine: Engine,
    event: Event,
    new_client: Callable[[], TestClient],
) -> None:
    join(client, settings, event)
    link = _personal_link(client, event)
    laptop = new_client()
    before = snapshot(engine, skip=("rate_counter",))
    page = laptop.get(link)
    assert page.status_code == 200
    assert "Continue on this device as Mira?" in page.text
    assert f'<form method="post" action="{link}">' in page.text
    assert snapshot(engine, skip=("rate_counter",)) == before
    assert _who(laptop, event) is None


def test_personal_link_post_moves_identity(
    client: TestClient,
    settings: Settings,
    session: Session,
    event: Event,
    new_client: Callable[[], TestClient],
) -> None:
    join(client, settings, event)
    link = _personal_link(client, event)
    laptop = new_client()
    laptop.get(link)
    response = post(laptop, settings, link)
    assert (response.status_code, response.headers["location"]) == (303, f"/e/{event.slug}")
    assert _who(laptop, event) == "Mira"
    assert _who(client, event) == "Mira"
    sync(session)
    participant = session.exec(select(Participant)).one()
    devices = session.exec(select(ParticipantDevice.participant_id)).all()
    assert devices == [participant.id, participant.id]


def test_personal_link_reset_invalidates_old(
    client: TestClient,
    settings: Settings,
    event: Event,
    new_client: Callable[[], TestClient],
) -> None:
    join(client, settings, event)
    old_link = _personal_link(client, event)
    response = post(client, settings, f"/e/{event.slug}/me/new-link")
    assert response.headers["location"] == f"/e/{event.slug}/me"
    new_link = _personal_link(client, event)
    assert new_link != old_link
    laptop = new_client()
    refused = laptop.get(old_link)
    assert refused.status_code == 404
    assert "This personal link is not valid." in refused.text
    laptop.get("/")
    assert (
        laptop.post(
            old_link, data={"csrf_token": csrf(laptop, settings)}, follow_redirects=False
        ).status_code
        == 404
    )
    assert laptop.get(new_link).status_code == 200


# --- QR ----------------------------------------------------------------------------------


def test_qr_endpoint_returns_svg(
    client: TestClient, settings: Settings, event: Event, new_client: Callable[[], TestClient]
) -> None:
    join(client, settings, event)
    response = client.get(f"/e/{event.slug}/qr.svg")
    assert response.status_code == 200
    assert response.headers["content-type"] == "image/svg+xml"
    assert response.headers["cache-control"] == "no-store"  # a signed-in browser's: not kept
    assert response.text.startswith("<svg")
    assert response.text.rstrip().endswith("</svg>")
    # It carries the join code: not for those outside the event.
    assert new_client().get(f"/e/{event.slug}/qr.svg").status_code == 403
