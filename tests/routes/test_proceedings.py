"""The report page and its downloads: staff only, every format, and the acknowledgement field."""

from __future__ import annotations

import io
import json
import re
import zipfile
from collections.abc import Callable
from html import unescape

import docx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine
from sqlmodel import Session

from app.config import Settings
from app.models.events import Event
from app.models.people import User
from tests.factories import PASSWORD, csrf, field_error, login, make_user, post
from tests.marketplace_helpers import make_facilitator
from tests.report_helpers import HOUSING, SECRET_NAME, World, make_world
from tests.routes.helpers import join, snapshot, sync


@pytest.fixture
def world(session: Session, settings: Settings, event: Event, owner: User) -> World:
    return make_world(session, settings, event=event, owner=owner)


def test_report_page_shows_the_proceedings_and_downloads(
    organiser: TestClient, world: World
) -> None:
    response = organiser.get(f"/o/{world.event.slug}/report")
    assert response.status_code == 200
    html = response.text
    assert '<h1 dir="auto">Lab Sofia</h1>' in html
    assert '<link rel="stylesheet" href="/static/css/report.css">' in html
    for fmt in ("html", "pdf", "docx", "md", "csv"):
        assert f'href="/o/{world.event.slug}/report.{fmt}?lang=en" download' in html
    assert f'href="/o/{world.event.slug}/report.json" download' in html
    assert f'<a href="#session-1">1. <bdi>{HOUSING}</bdi></a>' in html
    assert SECRET_NAME not in html


EXPECTED = {
    "html": ("text/html; charset=utf-8", "lab-sofia-proceedings-en.html", b"<!doctype html>"),
    "pdf": ("application/pdf", "lab-sofia-proceedings-en.pdf", b"%PDF-"),
    "docx": (
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        "lab-sofia-proceedings-en.docx",
        b"PK",
    ),
    "md": ("text/markdown; charset=utf-8", "lab-sofia-proceedings-en.md", b"# Lab Sofia\n"),
    "json": (
        "application/json",
        "lab-sofia-event.json",
        b'{\n "notice": "Full archive for the event\'s organisers: holds personal data',
    ),
    "csv": ("application/zip", "lab-sofia-tables-en.zip", b"PK"),
}


@pytest.mark.parametrize("fmt", list(EXPECTED))
def test_staff_download_every_format(organiser: TestClient, world: World, fmt: str) -> None:
    response = organiser.get(f"/o/{world.event.slug}/report.{fmt}")
    media_type, filename, start = EXPECTED[fmt]
    assert response.status_code == 200
    assert response.headers["content-type"] == media_type
    assert response.headers["content-disposition"] == f'attachment; filename="{filename}"'
    assert response.headers["cache-control"] == "no-store"
    assert response.content.startswith(start)


def test_downloads_are_what_they_say(organiser: TestClient, world: World) -> None:
    slug = world.event.slug
    data = json.loads(organiser.get(f"/o/{slug}/report.json").content)
    assert [row["name"] for row in data["tables"]["event"]] == ["Lab Sofia"]
    document = docx.Document(io.BytesIO(organiser.get(f"/o/{slug}/report.docx").content))
    assert document.paragraphs[0].text == "Lab Sofia"
    with zipfile.ZipFile(io.BytesIO(organiser.get(f"/o/{slug}/report.csv").content)) as archive:
        assert sorted(archive.namelist()) == [
            f"{slug}/{name}"
            for name in (
                "actions.csv",
                "attendance.csv",
                "participants.csv",
                "sessions.csv",
                "topics.csv",
                "votes.csv",
            )
        ]


def test_facilitators_may_download_too(
    session: Session,
    settings: Settings,
    world: World,
    owner: User,
    new_client: Callable[[], TestClient],
) -> None:
    facilitator = make_facilitator(session, world.event, owner)
    session.commit()
    browser = new_client()
    post(browser, settings, "/login", {"email": facilitator.email, "password": PASSWORD})
    response = browser.get(f"/o/{world.event.slug}/report.md")
    assert (response.status_code, response.content[:12]) == (200, b"# Lab Sofia\n")


def test_participants_and_strangers_get_no_report(
    settings: Settings, world: World, new_client: Callable[[], TestClient]
) -> None:
    phone = new_client()
    join(phone, settings, world.event, name="Nosy")
    stranger = new_client()
    slug = world.event.slug
    for url in (
        f"/o/{slug}/report",
        f"/o/{slug}/report?lang=bg",
        f"/o/{slug}/report.json",
        f"/o/{slug}/report.pdf",
        f"/o/{slug}/report.pdf?lang=bg",
        f"/o/{slug}/report.md?lang=xx",
    ):
        refused = phone.get(url, follow_redirects=False)
        assert (refused.status_code, "You do not have access to this page." in refused.text) == (
            403,
            True,
        )
        redirected = stranger.get(url, follow_redirects=False)
        assert (redirected.status_code, redirected.headers["location"]) == (
            303,
            f"/login?next={url.split('?')[0]}",  # the sign-in keeps the path only
        )


@pytest.mark.parametrize("fmt", ["xlsx", "PDF", "json.gz", ""])
def test_unknown_formats_are_not_found(organiser: TestClient, world: World, fmt: str) -> None:
    response = organiser.get(f"/o/{world.event.slug}/report.{fmt}")
    assert response.status_code == 404


def test_acknowledgement_is_edited_with_the_event(
    session: Session, settings: Settings, organiser: TestClient, event: Event
) -> None:
    form = {
        "name": "Lab Sofia",
        "slug": event.slug,
        "languages": "en, bg",
        "timezone": "Europe/Sofia",
        "report_acknowledgement": "Funded by the EU's AMIF.",
    }
    response = post(organiser, settings, f"/o/{event.slug}/edit", form)
    assert response.status_code == 303
    sync(session)
    assert session.get(Event, event.id).report_acknowledgement == "Funded by the EU's AMIF."  # type: ignore[union-attr]
    page = organiser.get(f"/o/{event.slug}/edit").text
    assert "Funded by the EU&#39;s AMIF.</textarea>" in page

    response = post(
        organiser, settings, f"/o/{event.slug}/edit", {**form, "report_acknowledgement": "x" * 501}
    )
    assert response.status_code == 422
    assert field_error(response.text, "report_acknowledgement") == "Use at most 500 characters."
    sync(session)
    assert session.get(Event, event.id).report_acknowledgement == "Funded by the EU's AMIF."  # type: ignore[union-attr]


def test_report_page_passes_the_accessibility_audit(
    organiser: TestClient, settings: Settings, world: World
) -> None:
    from tests.routes.test_accessibility import audit

    html = organiser.get(f"/o/{world.event.slug}/report").text
    assert 'id="session-2"' in html  # the full page: sessions, grid, participants
    assert audit(html, csrf(organiser, settings)) == []


def _text(html: str, element_id: str) -> str:
    """The text of the element with this id, tags dropped and spaces joined."""
    match = re.search(rf'<(\w+)[^>]* id="{element_id}"[^>]*>(.*?)</\1>', html, re.S)
    assert match, f"no #{element_id}"
    return " ".join(unescape(re.sub(r"<[^>]+>", " ", match.group(2))).split())


def test_report_page_offers_every_language_the_events_first(
    session: Session, organiser: TestClient, world: World
) -> None:
    slug = world.event.slug
    english = organiser.get(f"/o/{slug}/report").text
    assert (
        _text(english, "report-languages")
        == "Report in: English · Български · Polski · Українська · العربية · فارسی"
    )
    assert f'<a href="/o/{slug}/report?lang=bg" lang="bg">Български</a>' in english
    assert '<strong aria-current="true" lang="en">English</strong>' in english
    assert '<article class="report" lang="en" dir="ltr">' in english
    assert ("Key figures" in english, "Основни данни" in english) == (True, False)

    bulgarian = organiser.get(f"/o/{slug}/report?lang=bg").text
    # The page around it stays in the reader's language; the report and its downloads in bg.
    assert (
        _text(bulgarian, "report-languages")
        == "Report in: English · Български · Polski · Українська · العربية · فارسی"
    )
    assert '<article class="report" lang="bg" dir="ltr">' in bulgarian
    assert ("Основни данни" in bulgarian, "Key figures" in bulgarian) == (True, False)
    assert f'href="/o/{slug}/report.pdf?lang=bg" download' in bulgarian
    assert f'href="/o/{slug}/report.json" download' in bulgarian

    world.event.languages = ["bg"]
    session.add(world.event)
    session.commit()
    only_bulgarian = organiser.get(f"/o/{slug}/report").text
    assert (
        _text(only_bulgarian, "report-languages")
        == "Report in: Български · English · Polski · Українська · العربية · فارسی"
    )
    assert '<article class="report" lang="bg" dir="ltr">' in only_bulgarian


def test_a_bilingual_event_downloads_both_languages(organiser: TestClient, world: World) -> None:
    slug = world.event.slug
    found = {}
    for lang in ("en", "bg"):
        response = organiser.get(f"/o/{slug}/report.md?lang={lang}")
        assert response.status_code == 200
        found[lang] = (response.headers["content-disposition"], response.text)
    assert found["en"][0] == 'attachment; filename="lab-sofia-proceedings-en.md"'
    assert found["bg"][0] == 'attachment; filename="lab-sofia-proceedings-bg.md"'
    assert "Key figures" in found["en"][1]
    assert "Основни данни" in found["bg"][1]
    assert "Key figures" not in found["bg"][1]
    zipped = organiser.get(f"/o/{slug}/report.csv?lang=bg")
    assert zipped.headers["content-disposition"] == 'attachment; filename="lab-sofia-tables-bg.zip"'
    # The archive holds no labels: the same file whatever the language.
    archive = organiser.get(f"/o/{slug}/report.json?lang=bg")
    assert archive.headers["content-disposition"] == 'attachment; filename="lab-sofia-event.json"'


@pytest.mark.parametrize(
    "path",
    ["report?lang=xx", "report.pdf?lang=de", "report.json?lang=EN", "report.md?lang=%3Cb%3E"],
)
def test_an_unknown_language_gets_a_message_and_nothing_else(
    engine: Engine, organiser: TestClient, world: World, path: str
) -> None:
    before = snapshot(engine, skip=("rate_counter",))
    response = organiser.get(f"/o/{world.event.slug}/{path}")
    assert response.status_code == 404
    assert response.headers["content-type"] == "text/html; charset=utf-8"
    assert (
        "The proceedings come in English, Български, Polski, Українська, العربية and فارسی,"
        " not in that language." in response.text
    )
    assert "<b>" not in response.text
    assert snapshot(engine, skip=("rate_counter",)) == before


def test_another_events_organiser_gets_no_report_in_any_language(
    session: Session, settings: Settings, world: World, new_client: Callable[[], TestClient]
) -> None:
    other = new_client()
    login(other, settings, make_user(session, email="other@example.org"))
    slug = world.event.slug
    for url in (f"/o/{slug}/report?lang=bg", f"/o/{slug}/report.docx?lang=en"):
        refused = other.get(url, follow_redirects=False)
        assert (refused.status_code, "Lab Sofia" in refused.text) == (403, False)
