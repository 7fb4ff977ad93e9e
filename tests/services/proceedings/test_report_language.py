"""The proceedings speak one language: every label and generated sentence is in the language
chosen at export, whatever the event speaks, read back from every document format.

What people typed stays as they typed it, so the check is on the words nobody typed: in a
report in English, no word in Cyrillic that is not in the event's data; in Bulgarian, no word
in Latin letters that is not in it (nor a name that is the same in both).
"""

from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path

import pytest
from sqlmodel import Session, SQLModel, select

from app.config import Settings
from app.services.people import privacy
from app.services.proceedings import build
from app.services.proceedings.render import render
from tests.factories import make_event, make_user
from tests.report_helpers import SECRET_NAME, World, add_notes, make_world
from tests.services.proceedings.test_report_render import text_of

CYRILLIC = re.compile(r"[\u0400-\u04ff]+")
LATIN = re.compile(r"[A-Za-z]+")
# Names, the same in every language: the product and the formats it names.
NAMES = {"Open", "Space", "Lab"}
FORMATS = ("html", "pdf", "docx", "md")


@pytest.fixture
def database_url(sqlite_url: str) -> str:
    return sqlite_url  # rendering is what is tested; the build runs on both elsewhere


@pytest.fixture
def world(session: Session, settings: Settings) -> World:
    owner = make_user(session, email="olga@example.org", name="Olga")
    event = make_event(session, owner=owner, name="Lab Sofia")
    made = make_world(session, settings, event=event, owner=owner)
    add_notes(session, made, upload_dir=settings.uploads_path)
    return made


class _Text(HTMLParser):
    """What a reader sees of an HTML file: no markup, no stylesheet."""

    def __init__(self) -> None:
        super().__init__()
        self.parts: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self._skip += tag in ("style", "script")

    def handle_endtag(self, tag: str) -> None:
        self._skip -= tag in ("style", "script")

    def handle_data(self, data: str) -> None:
        if not self._skip:
            self.parts.append(data)


def _read(fmt: str, content: bytes, tmp_path: Path) -> str:
    if fmt == "html":
        parser = _Text()
        parser.feed(content.decode("utf-8"))
        text = " ".join(parser.parts)
    else:
        # Markdown's anchors and links to them are addresses, not words: <a id="figures"></a>
        # on a heading, [Key figures](#figures) in the contents.
        text = re.sub(r"<[^>]+>|\]\(#[^)]*\)", " ", text_of(fmt, content, tmp_path))
    # Photos' file names are not words; a narrow no-break space (in "2026 г.") is a space.
    text = re.sub(r"\S+\.jpg\b", " ", text.replace("\\", "").replace("\u202f", " "))
    return " ".join(text.split())


def _words(value: object) -> set[str]:
    if isinstance(value, str):
        return set(re.findall(r"[^\W\d_]+", value))
    if isinstance(value, dict):
        return set().union(*(_words(item) for item in value.values()))
    if isinstance(value, list):
        return set().union(*(_words(item) for item in value))
    return set()


def typed_words(session: Session) -> set[str]:
    """Every word anyone typed, or the app stored, in the database."""
    found: set[str] = set()
    for table in SQLModel.metadata.sorted_tables:
        for row in session.execute(select(table)).all():
            for value in row:
                found |= _words(value)
    return found


def _export(session: Session, world: World, locale: str, fmt: str, tmp_path: Path) -> str:
    built = build.build(session, access=world.staff, locale=locale)
    return _read(fmt, render(built, fmt, upload_dir=tmp_path), tmp_path)


def _forget_dan(session: Session, settings: Settings, world: World) -> None:
    """Dan, who did not agree, asks to be forgotten: "Zaedno, dan hidden" (a next step's
    "who") is stored as "Zaedno, a participant" in the event's language then."""
    privacy.forget_me(session, access=world.dan, upload_dir=settings.uploads_path)


@pytest.mark.parametrize("fmt", FORMATS)
def test_a_bulgarian_event_in_english_says_nothing_in_bulgarian(
    session: Session, settings: Settings, world: World, tmp_path: Path, fmt: str
) -> None:
    world.event.languages = ["bg"]
    session.add(world.event)
    typed = typed_words(session)
    _forget_dan(session, settings, world)  # stores "участник" in a "who"
    text = _export(session, world, "en", fmt, tmp_path)
    assert sorted({word for word in CYRILLIC.findall(text) if word not in typed}) == []
    assert "9 June 2026" in text
    assert "участник" not in text
    if fmt != "pdf":  # a PDF's table cells wrap, and pdftotext interleaves their lines
        assert "Zaedno and a participant" in text


@pytest.mark.parametrize("fmt", FORMATS)
def test_an_english_event_in_bulgarian_says_nothing_in_english(
    session: Session, settings: Settings, world: World, tmp_path: Path, fmt: str
) -> None:
    world.event.languages = ["en"]
    session.add(world.event)
    typed = typed_words(session)
    _forget_dan(session, settings, world)  # stores "a participant" in a "who"
    text = _export(session, world, "bg", fmt, tmp_path)
    stray = {word for word in LATIN.findall(text) if word not in typed | NAMES}
    assert sorted(stray) == []
    assert "9 юни 2026 г." in text
    assert "a participant" not in text
    if fmt != "pdf":
        # Typed in English, listing a participant who did not agree: anew in Bulgarian.
        assert "Zaedno и участник" in text
    assert SECRET_NAME not in text


def test_the_checks_catch_a_word_of_the_other_language(
    session: Session, world: World, tmp_path: Path
) -> None:
    """The scans above can fail: a generated English word in the Bulgarian report is found."""
    typed = typed_words(session)
    built = build.build(session, access=world.staff, locale="bg")
    built.dates = "9 June 2026"  # as Babel's English would have put it into a Bulgarian report
    text = _read("md", render(built, "md", upload_dir=tmp_path), tmp_path)
    assert {word for word in LATIN.findall(text) if word not in typed | NAMES} == {"June"}
