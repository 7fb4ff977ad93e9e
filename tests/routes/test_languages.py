"""Every shipped language: pages say their language and direction, a person picks theirs when
joining (the browser's by default, then the event's), the choice sticks, and a language we do
not ship is refused with a message and changes nothing."""

from __future__ import annotations

import re
from collections.abc import Callable
from html import unescape

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session, select

from app import i18n
from app.config import Settings
from app.models.events import Event
from app.models.people import Participant
from app.services.events import events
from app.web import LANG_COOKIE
from tests.factories import field_error, make_participant, post
from tests.routes.helpers import sync

HOME_HEADING = "Join an Open Space"  # the home page's heading
ARABIC_TITLE = "سكن للاجئين مع Caritas Sofia"


def _html_tag(html: str) -> tuple[str, str] | None:
    match = re.search(r'<html lang="([^"]*)" dir="([^"]*)">', html)
    return (match.group(1), match.group(2)) if match else None


def _join_options(html: str) -> list[tuple[str, str, str, bool]]:
    """The join form's languages: (code, lang, own name, selected)."""
    select_html = re.search(r'<select id="locale" name="locale"[^>]*>(.*?)</select>', html, re.S)
    assert select_html, "the join form has a language list"
    return [
        (code, lang, unescape(name), bool(selected))
        for code, lang, selected, name in re.findall(
            r'<option value="([^"]*)" lang="([^"]*)" dir="[^"]*"( selected)?>([^<]*)</option>',
            select_html.group(1),
        )
    ]


def test_direction_comes_from_the_locale_data() -> None:
    assert [i18n.direction(code) for code in ("ar", "fa", "he", "en", "bg", "pl", "uk")] == [
        "rtl",
        "rtl",
        "rtl",
        "ltr",
        "ltr",
        "ltr",
        "ltr",
    ]
    assert (i18n.direction("not a language"), i18n.direction("")) == ("ltr", "ltr")


def test_every_language_has_its_own_name() -> None:
    assert {code: i18n.language_name(code) for code in i18n.LOCALES} == {
        "en": "English",
        "bg": "Български",
        "pl": "Polski",
        "uk": "Українська",
        "ar": "العربية",
        "fa": "فارسی",
    }
    assert (i18n.language_name("de"), i18n.language_name("tlh")) == ("Deutsch", "tlh")


def test_bidi_isolates_what_people_typed_and_escapes_it() -> None:
    assert str(i18n.bidi(ARABIC_TITLE)) == f"<bdi>{ARABIC_TITLE}</bdi>"
    assert str(i18n.bidi("<b>x</b>")) == "<bdi>&lt;b&gt;x&lt;/b&gt;</bdi>"
    assert (str(i18n.bidi("")), str(i18n.bidi(None))) == ("", "")


@pytest.mark.parametrize("locale", i18n.LOCALES)
def test_every_page_says_its_language_and_direction(
    client: TestClient, settings: Settings, locale: str
) -> None:
    assert post(client, settings, "/lang", {"locale": locale, "next": "/"}).status_code == 303
    page = client.get("/")
    heading = i18n.gettext_in(locale, HOME_HEADING)
    assert (_html_tag(page.text), heading in page.text) == ((locale, i18n.direction(locale)), True)
    assert (heading == HOME_HEADING) == (locale == "en")  # translated, not left in English


def test_a_ukrainian_browser_gets_ukrainian(client: TestClient) -> None:
    page = client.get("/", headers={"Accept-Language": "uk-UA,uk;q=0.9,en;q=0.5"})
    heading = "Приєднатися до Open Space"
    assert (_html_tag(page.text), heading in page.text) == (("uk", "ltr"), True)


@pytest.mark.parametrize("bad", ["xx", "ar-XX", "", "<script>", "en" * 40])
def test_a_language_we_do_not_ship_is_refused_and_changes_nothing(
    client: TestClient, settings: Settings, bad: str
) -> None:
    post(client, settings, "/lang", {"locale": "uk", "next": "/"})
    refused = post(client, settings, "/lang", {"locale": bad, "next": "/"})
    assert (refused.status_code, "Виберіть одну із запропонованих мов." in refused.text) == (
        422,
        True,
    )
    assert client.cookies[LANG_COOKIE] == "uk"
    assert _html_tag(client.get("/").text) == ("uk", "ltr")


def test_the_switch_offers_every_language_in_its_own_name(client: TestClient) -> None:
    page = client.get("/").text
    offered = re.findall(
        r'<button type="submit" name="locale" value="([^"]*)" lang="([^"]*)" dir="([^"]*)"', page
    )
    assert offered == [(code, code, i18n.direction(code)) for code in i18n.LOCALES]


def test_user_text_reads_in_its_own_direction_on_a_page(
    organiser: TestClient, session: Session, event: Event
) -> None:
    event.name = ARABIC_TITLE
    session.add(event)
    session.commit()
    page = organiser.get(f"/o/{event.slug}")
    assert f'<h1 dir="auto">{ARABIC_TITLE}</h1>' in page.text


# --- each person's language, chosen when joining -------------------------------------------


def _event_in(session: Session, event: Event, languages: list[str]) -> Event:
    event.languages = languages
    session.add(event)
    session.commit()
    return event


def test_the_join_page_offers_every_language_and_takes_the_browsers(
    client: TestClient, session: Session, event: Event
) -> None:
    _event_in(session, event, ["bg", "en"])
    page = client.get(f"/j/{event.join_code}", headers={"Accept-Language": "uk,en;q=0.5"})
    assert _join_options(page.text) == [
        (code, code, i18n.language_name(code), code == "uk") for code in i18n.LOCALES
    ]
    assert _html_tag(page.text) == ("uk", "ltr")  # the page speaks what it offers
    assert "Розкажіть іншим, хто ви." in page.text


@pytest.mark.parametrize(
    ("accept", "languages", "offered"),
    [
        ("de-DE,de;q=0.9", ["bg", "en"], "bg"),  # a browser language we lack: the event's
        ("de-DE", ["tr", "pl", "en"], "pl"),  # the event's first that we ship
        ("de-DE", ["ar", "en"], "ar"),
        ("de-DE", ["de"], "en"),  # none shipped: English
        ("pl;q=0.5,uk;q=0.9", ["en"], "uk"),  # the browser's best
    ],
)
def test_the_join_default_is_the_browsers_then_the_events(
    client: TestClient,
    session: Session,
    event: Event,
    accept: str,
    languages: list[str],
    offered: str,
) -> None:
    _event_in(session, event, languages)
    page = client.get(f"/j/{event.join_code}", headers={"Accept-Language": accept})
    selected = [code for code, _lang, _name, chosen in _join_options(page.text) if chosen]
    assert (selected, _html_tag(page.text)) == ([offered], (offered, i18n.direction(offered)))


def test_a_language_chosen_before_wins_over_the_browser(
    client: TestClient, settings: Settings, session: Session, event: Event
) -> None:
    _event_in(session, event, ["bg", "en"])
    post(client, settings, "/lang", {"locale": "pl", "next": "/"})
    page = client.get(f"/j/{event.join_code}", headers={"Accept-Language": "uk"})
    selected = [code for code, _lang, _name, chosen in _join_options(page.text) if chosen]
    assert selected == ["pl"]


def test_the_language_chosen_at_join_sticks(
    new_client: Callable[[], TestClient], settings: Settings, session: Session, event: Event
) -> None:
    _event_in(session, event, ["bg", "en"])
    phone = new_client()
    joined = post(phone, settings, f"/j/{event.join_code}", {"name": "Oksana", "locale": "uk"})
    assert (joined.status_code, phone.cookies[LANG_COOKIE]) == (303, "uk")
    sync(session)
    assert session.exec(select(Participant.locale)).all() == ["uk"]
    for path in (f"/e/{event.slug}", f"/e/{event.slug}/agenda", f"/e/{event.slug}/me"):
        page = phone.get(path, headers={"Accept-Language": "bg"})
        assert (path, page.status_code, _html_tag(page.text)) == (path, 200, ("uk", "ltr"))


def test_joining_with_a_language_we_do_not_ship_changes_nothing(
    client: TestClient, settings: Settings, session: Session, event: Event
) -> None:
    response = post(client, settings, f"/j/{event.join_code}", {"name": "Mira", "locale": "xx"})
    assert (response.status_code, field_error(response.text, "locale")) == (
        422,
        "Choose one of the listed languages.",
    )
    assert LANG_COOKIE not in response.cookies
    sync(session)
    assert session.exec(select(Participant)).all() == []


def test_staff_keep_their_own_language(
    organiser: TestClient, settings: Settings, session: Session, event: Event
) -> None:
    _event_in(session, event, ["bg", "en"])
    make_participant(session, settings, event=event, name="Oksana", locale="uk")
    post(organiser, settings, "/lang", {"locale": "pl", "next": "/"})
    page = organiser.get(f"/o/{event.slug}")
    assert _html_tag(page.text) == ("pl", "ltr")


# --- screens for the room -----------------------------------------------------------------


def test_the_board_in_ukrainian(
    new_client: Callable[[], TestClient], settings: Settings, session: Session, event: Event
) -> None:
    _event_in(session, event, ["bg", "uk"])
    board = new_client().get(f"{events.board_path(event, settings.secret)}?lang=uk")
    assert (board.status_code, _html_tag(board.text)) == (200, ("uk", "ltr"))
    assert "Приєднуйтеся з телефона" in board.text
    assert '<span class="board-also" lang="bg" dir="ltr">Включете се от телефона си' in board.text
