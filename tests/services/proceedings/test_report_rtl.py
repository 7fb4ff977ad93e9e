"""The proceedings of an Arabic event read right to left: the HTML and PDF say ``dir="rtl"``,
Word's paragraphs, runs and tables are set right to left, and the PDF holds the Arabic text in
an Arabic font. (Until the Arabic catalogue ships, the fixed text is English; the topics and
the event's name are Arabic, which is what the layout has to carry.)"""

from __future__ import annotations

import io
import re
import subprocess
from pathlib import Path

import docx
import pytest
from docx.oxml.ns import qn
from sqlmodel import Session

from app.config import Settings
from app.services.proceedings import build
from app.services.proceedings.render import render
from app.services.proceedings.report import Report
from tests.factories import make_event, make_user
from tests.report_helpers import World, make_world
from tests.services.proceedings.test_report_render import pdf_text

ARABIC_EVENT = "مختبر التعاون"
ARABIC_TOPIC = "سكن للاجئين"
# Bidi controls pdftotext puts around runs of the other direction.
_BIDI_MARKS = re.compile("[\u200e\u200f\u202a-\u202e\u2066-\u2069]")


@pytest.fixture
def database_url(sqlite_url: str) -> str:
    return sqlite_url


def _world(session: Session, settings: Settings, languages: list[str]) -> World:
    owner = make_user(session, email="salma@example.org", name="Salma")
    event = make_event(session, owner=owner, name="Lab")
    event.name, event.languages = ARABIC_EVENT, languages
    session.add(event)
    session.commit()
    return make_world(session, settings, event=event, owner=owner)


def _report(session: Session, settings: Settings, languages: list[str]) -> Report:
    built = build.build(session, access=_world(session, settings, languages).staff)
    built.topics[0].title = f"{ARABIC_TOPIC} (Caritas Sofia)"  # mixed directions
    return built


@pytest.fixture
def uploads(settings: Settings) -> Path:
    settings.uploads_path.mkdir(parents=True, exist_ok=True)
    return settings.uploads_path


def test_html_report_is_right_to_left(session: Session, settings: Settings, uploads: Path) -> None:
    html = render(_report(session, settings, ["ar", "en"]), "html", upload_dir=uploads).decode()
    assert html.startswith('<!doctype html>\n<html lang="ar" dir="rtl">')
    assert '<article class="report" lang="ar" dir="rtl">' in html
    assert f"{ARABIC_TOPIC} (Caritas Sofia)" in html


def _direction_marks(content: bytes) -> tuple[list[bool], list[bool], list[bool]]:
    """For every paragraph, run and table of the Word body: is it set right to left?"""
    body = docx.Document(io.BytesIO(content)).element.body
    paragraphs = [p.find(f"{qn('w:pPr')}/{qn('w:bidi')}") is not None for p in body.iter(qn("w:p"))]
    runs = [r.find(f"{qn('w:rPr')}/{qn('w:rtl')}") is not None for r in body.iter(qn("w:r"))]
    tables = [
        t.find(f"{qn('w:tblPr')}/{qn('w:bidiVisual')}") is not None for t in body.iter(qn("w:tbl"))
    ]
    return paragraphs, runs, tables


def test_docx_paragraphs_runs_and_tables_are_right_to_left(
    session: Session, settings: Settings, uploads: Path
) -> None:
    content = render(_report(session, settings, ["ar", "en"]), "docx", upload_dir=uploads)
    paragraphs, runs, tables = _direction_marks(content)
    assert (len(paragraphs) > 20, len(runs) > 20, len(tables) > 1) == (True, True, True)
    assert (set(paragraphs), set(runs), set(tables)) == ({True}, {True}, {True})
    document = docx.Document(io.BytesIO(content))
    assert ARABIC_EVENT in [paragraph.text for paragraph in document.paragraphs]


def test_docx_of_a_left_to_right_event_has_no_right_to_left_marks(
    session: Session, settings: Settings, uploads: Path
) -> None:
    content = render(_report(session, settings, ["uk", "en"]), "docx", upload_dir=uploads)
    paragraphs, runs, tables = _direction_marks(content)
    assert (set(paragraphs), set(runs), set(tables)) == ({False}, {False}, {False})


def test_pdf_has_the_arabic_text_in_an_arabic_font(
    session: Session, settings: Settings, uploads: Path, tmp_path: Path
) -> None:
    content = render(_report(session, settings, ["ar", "en"]), "pdf", upload_dir=uploads)
    text = _BIDI_MARKS.sub("", pdf_text(content, tmp_path))
    assert (ARABIC_EVENT in text, ARABIC_TOPIC in text) == (True, True)
    fonts = subprocess.run(
        ["pdffonts", str(tmp_path / "report.pdf")], check=True, capture_output=True, text=True
    ).stdout
    assert "NotoNaskhArabic" in fonts.replace("-", "").replace(" ", "")
