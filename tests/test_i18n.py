"""Translations: every shipped catalogue is complete, placeholders survive, the locale is chosen
from the cookie before Accept-Language, and pages render in the chosen language."""

from __future__ import annotations

import datetime as dt
import re
import subprocess
import sys
from pathlib import Path

import pytest
from babel.messages.catalog import Catalog, Message
from babel.messages.pofile import read_po
from fastapi.testclient import TestClient

from app import i18n
from app.config import Settings
from tests.factories import post

ROOT = Path(__file__).resolve().parents[1]
PYBABEL = [sys.executable, "-m", "babel.messages.frontend"]  # pybabel, in this interpreter
# Shipped locales that need a catalogue: English msgids are the source text.
TRANSLATED = [code for code in i18n.LOCALES if code != "en"]

KNOWN_MSGID = "Join an Open Space"
KNOWN_BG = "Включете се в Отворено пространство"


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Catalog:
    """The strings in the source today, extracted with the same options as `make i18n`."""
    pot = tmp_path_factory.mktemp("i18n") / "messages.pot"
    command = [
        *PYBABEL, "extract", "--no-location", "--omit-header",
        "-F", "babel.cfg", "-k", "N_", "-k", "_", "-o", str(pot), "app",
    ]  # fmt: skip
    subprocess.run(command, cwd=ROOT, check=True, capture_output=True)
    with pot.open("rb") as handle:
        return read_po(handle)


def _catalogue(locale: str) -> Catalog:
    with (i18n.LOCALE_DIR / locale / "LC_MESSAGES" / "messages.po").open("rb") as handle:
        return read_po(handle, locale=locale)


def _forms(message: Message) -> tuple[str, ...]:
    string = message.string
    return tuple(string) if isinstance(string, (tuple, list)) else (string,)


def _ids(message: Message) -> tuple[str, ...]:
    return tuple(message.id) if isinstance(message.id, (tuple, list)) else (message.id,)


def test_extraction_finds_the_known_string(template: Catalog) -> None:
    assert KNOWN_MSGID in template


@pytest.mark.parametrize("locale", TRANSLATED)
def test_catalogue_translates_every_source_string(template: Catalog, locale: str) -> None:
    catalogue = _catalogue(locale)
    missing, untranslated, fuzzy = [], [], []
    for message in template:
        if not message.id:
            continue
        translated = catalogue.get(message.id, message.context)
        if translated is None or _ids(translated) != _ids(message):
            missing.append(message.id)
        elif len(_forms(translated)) != (catalogue.num_plurals if message.pluralizable else 1) or (
            not all(_forms(translated))
        ):
            untranslated.append(message.id)
        elif translated.fuzzy:
            fuzzy.append(message.id)
    problems = {"missing": missing, "untranslated": untranslated, "fuzzy": fuzzy}
    assert problems == {"missing": [], "untranslated": [], "fuzzy": []}, (
        f"{locale}: run `make i18n` and translate these:\n"
        + "\n".join(f"  {kind}: {msgid!r}" for kind, ids in problems.items() for msgid in ids)
    )


@pytest.mark.parametrize("locale", TRANSLATED)
def test_catalogue_header_is_not_fuzzy(locale: str) -> None:
    # pybabel compile silently skips a catalogue whose header is fuzzy (or missing).
    catalogue = _catalogue(locale)
    assert (catalogue.fuzzy, str(catalogue.locale)) == (False, locale)


_BRACE = re.compile(r"\{([^{}]*)\}")
_PERCENT = re.compile(r"%(?:\((\w+)\))?[-#0 +]*\d*(?:\.\d+)?[diouxXeEfFgGcrsa%]")


def placeholders(text: str) -> set[str]:
    """``{name}`` fields (``{{`` is a literal brace) and ``%(name)s`` / ``%s`` conversions."""
    fields = {
        "{" + re.split(r"[!:]", field, maxsplit=1)[0] + "}"
        for field in _BRACE.findall(text.replace("{{", "").replace("}}", ""))
    }
    conversions = {match.group(0) for match in _PERCENT.finditer(text)} - {"%%"}
    return fields | conversions


def test_placeholders_are_found() -> None:
    assert placeholders("{title} ({start:%H:%M}–{end!r}) {{x}} %(name)s %d 100%%") == {
        "{title}",
        "{start}",
        "{end}",
        "%(name)s",
        "%d",
    }


@pytest.mark.parametrize("locale", TRANSLATED)
def test_translations_keep_the_placeholders(locale: str) -> None:
    wrong = []
    for message in _catalogue(locale):
        if not message.id:
            continue
        expected = [placeholders(msgid) for msgid in _ids(message)]
        for form in _forms(message):
            if form and placeholders(form) not in expected:
                wrong.append(f"{message.id!r} → {form!r}")
    assert wrong == [], f"{locale}: placeholders differ:\n  " + "\n  ".join(wrong)


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("bg-BG,bg;q=0.9,en;q=0.8", "bg"),
        ("BG", "bg"),
        ("en-GB,en;q=0.9,bg;q=0.8", "en"),
        ("de-DE,fr", "default"),
        ("", "default"),
        (None, "default"),
        ("garbage", "default"),
        (";;, ,q=1,bg;q=oops", "default"),
        ("en;q=0.5,bg;q=0.9", "bg"),
        ("bg;q=0.1,de,en", "en"),
        ("de;q=1.0,en;q=0.2,bg;q=0.3", "bg"),
    ],
)
def test_negotiate_picks_the_best_shipped_locale(header: str | None, expected: str) -> None:
    for default in ("en", "bg"):
        assert i18n.negotiate(header, default) == (default if expected == "default" else expected)


def test_use_locale_translates_into_bulgarian() -> None:
    with i18n.use_locale("bg"):
        assert i18n.get_locale() == "bg"
        assert i18n.gettext(KNOWN_MSGID) == KNOWN_BG
        singular, plural = "%(count)s participant", "%(count)s participants"
        forms = [i18n.ngettext(singular, plural, n) for n in (1, 2, 5)]
        assert forms == ["%(count)s участник", "%(count)s участници", "%(count)s участници"]
    assert i18n.gettext(KNOWN_MSGID) == KNOWN_MSGID


def test_day_heading_names_the_date_then_the_title() -> None:
    day = dt.date(2026, 6, 9)
    assert (
        i18n.day_heading(day, "Day 1 — Mapping")
        == "Tuesday, 9 June 2026 · <bdi>Day 1 — Mapping</bdi>"
    )
    assert i18n.day_heading(day, "<b>R&D</b>") == (
        "Tuesday, 9 June 2026 · <bdi>&lt;b&gt;R&amp;D&lt;/b&gt;</bdi>"
    )
    assert i18n.day_heading(day, None) == "Tuesday, 9 June 2026"
    with i18n.use_locale("bg"):
        assert i18n.day_heading(day, "") == "вторник, 9 юни 2026\u202fг."


def test_dates_follow_each_language_not_us_english() -> None:
    day = dt.date(2021, 6, 9)
    assert i18n.format_day(day, weekday=False) == "9 June 2021"
    assert i18n.format_day(day, weekday=False, locale="bg") == "9 юни 2021\u202fг."
    with i18n.use_locale("bg"):
        assert i18n.format_day(day, weekday=False) == "9 юни 2021\u202fг."
        assert i18n.format_day(day, weekday=False, locale="en") == "9 June 2021"


def test_a_span_of_days_names_its_first_and_last() -> None:
    days = [dt.date(2021, 6, 10), dt.date(2021, 6, 9), dt.date(2021, 6, 10)]
    assert i18n.format_days(days) == "9 June 2021 – 10 June 2021"
    assert i18n.format_days(days[:1], locale="bg") == "10 юни 2021\u202fг."
    assert i18n.format_days([]) == ""


def test_lists_are_joined_in_the_language() -> None:
    assert i18n.format_list(["Mira", "Ivo", "Dan"]) == "Mira, Ivo and Dan"
    assert i18n.format_list(["Mira", "Ivo"], locale="bg") == "Mira и Ivo"
    assert i18n.format_list(["Mira"]) == "Mira"
    assert i18n.format_list([]) == ""


def _lang(html: str) -> str | None:
    match = re.search(r'<html lang="([^"]*)" dir="(?:ltr|rtl)">', html)
    return match.group(1) if match else None


def test_page_follows_accept_language(client: TestClient) -> None:
    bulgarian = client.get("/", headers={"Accept-Language": "bg-BG,bg;q=0.9,en;q=0.8"})
    english = client.get("/", headers={"Accept-Language": "de-DE,en;q=0.5"})
    assert (bulgarian.status_code, _lang(bulgarian.text), KNOWN_BG in bulgarian.text) == (
        200,
        "bg",
        True,
    )
    assert (english.status_code, _lang(english.text), KNOWN_MSGID in english.text) == (
        200,
        "en",
        True,
    )


def test_language_cookie_overrides_accept_language(client: TestClient, settings: Settings) -> None:
    chosen = post(client, settings, "/lang", {"locale": "bg", "next": "/"})
    assert (chosen.status_code, chosen.headers["location"]) == (303, "/")
    page = client.get("/", headers={"Accept-Language": "en"})
    assert (_lang(page.text), KNOWN_BG in page.text) == ("bg", True)

    post(client, settings, "/lang", {"locale": "en", "next": "/"})
    page = client.get("/", headers={"Accept-Language": "bg"})
    assert (_lang(page.text), KNOWN_MSGID in page.text) == ("en", True)


def test_unknown_language_choice_keeps_the_current_one(
    client: TestClient, settings: Settings
) -> None:
    post(client, settings, "/lang", {"locale": "bg", "next": "/"})
    post(client, settings, "/lang", {"locale": "xx", "next": "/"})
    page = client.get("/", headers={"Accept-Language": "en"})
    assert _lang(page.text) == "bg"
