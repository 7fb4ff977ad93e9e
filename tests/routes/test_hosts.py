"""The organisations running the event and the executive summary on the event's edit page:
organisers add, rename, order and remove them and upload logos; refused input gets its message
next to the field and changes nothing; the team sees the logos, nobody else does anything."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from fastapi.testclient import TestClient
from httpx import Response
from sqlalchemy import Engine
from sqlmodel import Session, select

from app.config import Settings
from app.models.base import id_of
from app.models.events import Event, EventHost, EventMember, Role
from app.models.people import User
from app.services.events import hosts
from tests.factories import csrf, field_error, login, make_event, make_user, post
from tests.report_helpers import logo_png
from tests.retention_helpers import upload_files
from tests.routes.helpers import join, snapshot, sync

SVG = b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'


def upload(
    client: TestClient,
    settings: Settings,
    url: str,
    *,
    name: str | None = None,
    logo: tuple[str, bytes, str] | None = None,
) -> Response:
    """A multipart form as the browser sends the logo forms, with the CSRF token."""
    data = {"csrf_token": csrf(client, settings)}
    if name is not None:
        data["name"] = name
    files = {"logo": logo} if logo is not None else None
    return client.post(url, data=data, files=files, follow_redirects=False)


def _rows(session: Session) -> list[tuple[str, bool]]:
    sync(session)
    found = session.exec(select(EventHost).order_by(EventHost.position, EventHost.id)).all()  # type: ignore[arg-type]
    return [(row.name, bool(row.logo_key)) for row in found]


def _host_id(session: Session, name: str) -> int:
    sync(session)
    return id_of(session.exec(select(EventHost).where(EventHost.name == name)).one())


def test_organiser_adds_organisations_with_logos_and_sees_them(
    organiser: TestClient, settings: Settings, session: Session, event: Event
) -> None:
    url = f"/o/{event.slug}/hosts"
    added = upload(
        organiser, settings, url, name="Council", logo=("c.png", logo_png(), "image/png")
    )
    plain = upload(organiser, settings, url, name="UNHCR Bulgaria")

    assert (added.status_code, added.headers["location"]) == (303, f"/o/{event.slug}/edit#hosts")
    assert plain.status_code == 303
    assert _rows(session) == [("Council", True), ("UNHCR Bulgaria", False)]
    council = _host_id(session, "Council")
    page = organiser.get(f"/o/{event.slug}/edit").text
    assert f'src="/o/{event.slug}/hosts/{council}/logo?v=' in page
    assert 'alt="Logo of Council"' in page
    logo = organiser.get(f"/o/{event.slug}/hosts/{council}/logo")
    assert (logo.status_code, logo.headers["content-type"]) == (200, "image/png")
    assert logo.headers["x-content-type-options"] == "nosniff"
    assert logo.content[:8] == b"\x89PNG\r\n\x1a\n"
    unhcr = _host_id(session, "UNHCR Bulgaria")
    assert organiser.get(f"/o/{event.slug}/hosts/{unhcr}/logo").status_code == 404
    # The privacy notice on the event's page names them both.
    assert "Run by Council and UNHCR Bulgaria." in organiser.get(f"/o/{event.slug}").text


def test_rename_replace_order_and_remove(
    organiser: TestClient, settings: Settings, session: Session, event: Event
) -> None:
    base = f"/o/{event.slug}/hosts"
    for name in ("Council", "UNHCR"):
        assert upload(organiser, settings, base, name=name).status_code == 303
    council, unhcr = _host_id(session, "Council"), _host_id(session, "UNHCR")

    steps = [
        post(organiser, settings, f"{base}/{council}/name", {"name": "BCRM"}),
        upload(
            organiser, settings, f"{base}/{unhcr}/logo", logo=("u.jpg", logo_png(), "image/png")
        ),
        post(organiser, settings, f"{base}/{unhcr}/move", {"direction": "up"}),
    ]
    assert [step.status_code for step in steps] == [303, 303, 303]
    assert _rows(session) == [("UNHCR", True), ("BCRM", False)]
    assert len(upload_files(settings.uploads_path)) == 1

    post(organiser, settings, f"{base}/{unhcr}/logo/delete")
    post(organiser, settings, f"{base}/{council}/delete")

    assert _rows(session) == [("UNHCR", False)]
    assert upload_files(settings.uploads_path) == []


@pytest.mark.parametrize(
    ("name", "logo", "field", "message"),
    [
        ("", None, "new_host_name", "Enter the organisation's name."),
        ("C" * 161, None, "new_host_name", "Use at most 160 characters."),
        (
            "UNHCR",
            ("logo.svg", SVG, "image/svg+xml"),
            "new_host_logo",
            "SVG logos cannot be used. Save it as PNG and upload that.",
        ),
        (
            "UNHCR",
            ("logo.png", b"%PDF-1.4 a document", "image/png"),
            "new_host_logo",
            "This file is not a picture we can read. Send a PNG or JPEG.",
        ),
    ],
)
def test_refused_additions_say_why_next_to_the_field_and_change_nothing(
    organiser: TestClient,
    settings: Settings,
    engine: Engine,
    event: Event,
    name: str,
    logo: tuple[str, bytes, str] | None,
    field: str,
    message: str,
) -> None:
    before = snapshot(engine, skip=("rate_counter",))

    response = upload(organiser, settings, f"/o/{event.slug}/hosts", name=name, logo=logo)

    assert response.status_code == 422
    assert field_error(response.text, field) == message
    assert f'id="new_host_name" name="name" value="{name}"' in response.text  # kept as typed
    assert snapshot(engine, skip=("rate_counter",)) == before
    assert upload_files(settings.uploads_path) == []


def test_a_refused_rename_or_logo_keeps_the_organisation_as_it_was(
    organiser: TestClient, settings: Settings, engine: Engine, session: Session, event: Event
) -> None:
    base = f"/o/{event.slug}/hosts"
    for name in ("Council", "UNHCR"):
        upload(organiser, settings, base, name=name)
    council = _host_id(session, "Council")
    before = snapshot(engine, skip=("rate_counter",))

    renamed = post(organiser, settings, f"{base}/{council}/name", {"name": "unhcr"})
    svg = upload(organiser, settings, f"{base}/{council}/logo", logo=("x.svg", SVG, "image/svg"))
    empty = upload(organiser, settings, f"{base}/{council}/logo")

    assert [r.status_code for r in (renamed, svg, empty)] == [422, 422, 422]
    prefix = f"host_{council}_"
    assert field_error(renamed.text, f"{prefix}name") == "This organisation is listed already."
    assert 'value="unhcr"' in renamed.text
    assert field_error(svg.text, f"{prefix}logo") == (
        "SVG logos cannot be used. Save it as PNG and upload that."
    )
    assert field_error(empty.text, f"{prefix}logo") == "Choose a logo first."
    assert snapshot(engine, skip=("rate_counter",)) == before


def test_the_summary_is_the_organisers_and_has_a_limit(
    organiser: TestClient, settings: Settings, engine: Engine, session: Session, event: Event
) -> None:
    page = organiser.get(f"/o/{event.slug}/edit").text
    assert "Markdown, as in session notes. The proceedings open with it" in page
    form = {
        "name": event.name,
        "slug": event.slug,
        "languages": "en",
        "timezone": "UTC",
        "organiser_fields": "true",
        "retention_days": "180",
    }
    before = snapshot(engine, skip=("rate_counter",))

    too_long = post(
        organiser, settings, f"/o/{event.slug}/edit", {**form, "report_summary": "é" * 20_001}
    )

    assert too_long.status_code == 422
    assert field_error(too_long.text, "report_summary") == "Use at most 20,000 characters."
    assert snapshot(engine, skip=("rate_counter",)) == before

    summary = "## What we agreed\n\n" + "Ж" * 19_000
    saved = post(organiser, settings, f"/o/{event.slug}/edit", {**form, "report_summary": summary})

    assert saved.status_code == 303
    sync(session)
    stored = session.get(Event, event.id)
    assert stored is not None and stored.report_summary == summary


def test_facilitators_see_the_organisations_but_change_nothing(
    organiser: TestClient,
    new_client: Callable[[], TestClient],
    settings: Settings,
    engine: Engine,
    session: Session,
    event: Event,
) -> None:
    upload(
        organiser,
        settings,
        f"/o/{event.slug}/hosts",
        name="Council",
        logo=("c.png", logo_png(), "image/png"),
    )
    council = _host_id(session, "Council")
    facilitator = new_client()
    user = make_user(session, organiser=False, name="Fatme")
    session.add(EventMember(event_id=id_of(event), user_id=id_of(user), role=Role.FACILITATOR))
    session.commit()
    login(facilitator, settings, user)

    page = facilitator.get(f"/o/{event.slug}/edit").text
    assert '<span class="host-name" dir="auto">Council</span>' in page
    assert f'action="/o/{event.slug}/hosts"' not in page
    assert 'name="report_summary"' not in page
    assert facilitator.get(f"/o/{event.slug}/hosts/{council}/logo").status_code == 200
    before = snapshot(engine, skip=("rate_counter",))
    for response in _every_change(facilitator, settings, event, council):
        assert response.status_code == 403
    assert snapshot(engine, skip=("rate_counter",)) == before
    assert len(upload_files(settings.uploads_path)) == 1


def _every_change(
    client: TestClient, settings: Settings, event: Event, host_id: int
) -> list[Response]:
    base = f"/o/{event.slug}/hosts"
    png = ("c.png", logo_png(), "image/png")
    return [
        upload(client, settings, base, name="Ours", logo=png),
        post(client, settings, f"{base}/{host_id}/name", {"name": "Ours"}),
        upload(client, settings, f"{base}/{host_id}/logo", logo=png),
        post(client, settings, f"{base}/{host_id}/logo/delete"),
        post(client, settings, f"{base}/{host_id}/move", {"direction": "down"}),
        post(client, settings, f"{base}/{host_id}/delete"),
    ]


@pytest.mark.parametrize("who", ["outsider", "stranger", "participant", "other organiser"])
def test_nobody_else_changes_or_sees_the_organisations(
    organiser: TestClient,
    new_client: Callable[[], TestClient],
    settings: Settings,
    engine: Engine,
    session: Session,
    event: Event,
    who: str,
) -> None:
    upload(
        organiser,
        settings,
        f"/o/{event.slug}/hosts",
        name="Council",
        logo=("c.png", logo_png(), "image/png"),
    )
    council = _host_id(session, "Council")
    client = new_client()
    if who == "stranger":
        login(client, settings, make_user(session, email="stranger@example.org"))
    elif who == "participant":
        join(client, settings, event)
    elif who == "other organiser":
        other_owner = make_user(session, email="other@example.org")
        make_event(session, owner=other_owner, name="Other lab")
        login(client, settings, other_owner)
    before = snapshot(engine, skip=("rate_counter", "auth_session"))

    answers = [r.status_code for r in _every_change(client, settings, event, council)]
    logo = client.get(f"/o/{event.slug}/hosts/{council}/logo", follow_redirects=False)

    # Not signed in: "sign in first" (a page asked for sends the browser to the sign-in form).
    assert answers == [401 if who == "outsider" else 403] * 6
    assert logo.status_code == (303 if who == "outsider" else 403)
    assert logo.content[:8] != b"\x89PNG\r\n\x1a\n"
    assert snapshot(engine, skip=("rate_counter", "auth_session")) == before
    assert [host.name for host in hosts.of_event(session, event_id=id_of(event))] == ["Council"]


def test_a_change_without_the_csrf_token_is_refused(
    organiser: TestClient, settings: Settings, engine: Engine, event: Event
) -> None:
    before = snapshot(engine, skip=("rate_counter",))
    response = organiser.post(
        f"/o/{event.slug}/hosts", data={"name": "Council"}, follow_redirects=False
    )
    assert response.status_code == 403
    assert snapshot(engine, skip=("rate_counter",)) == before


def test_another_events_organisation_is_not_found(
    organiser: TestClient, settings: Settings, session: Session, owner: User, event: Event
) -> None:
    other = make_event(session, owner=owner, name="Second")
    upload(organiser, settings, f"/o/{other.slug}/hosts", name="Theirs")
    theirs = _host_id(session, "Theirs")

    renamed = post(organiser, settings, f"/o/{event.slug}/hosts/{theirs}/name", {"name": "X"})
    deleted = post(organiser, settings, f"/o/{event.slug}/hosts/{theirs}/delete")
    logo = organiser.get(f"/o/{event.slug}/hosts/{theirs}/logo")

    assert (renamed.status_code, deleted.status_code, logo.status_code) == (404, 404, 404)
    assert _rows(session) == [("Theirs", False)]
