"""The demo event's proceedings as a funder receives them, read back from the files in both
the languages it is held in: HTML (an HTML parser), PDF (pdftotext, pdfimages) and Word
(python-docx). Each opens with a cover naming the organising organisations with their
logos, then a table of contents and the executive summary; the plenaries appear with their
notes, no session has an empty entry, and the key figures agree with the tables."""

from __future__ import annotations

import io
import re
import shutil
import subprocess
from pathlib import Path

import docx
import pytest
from docx.oxml.ns import qn
from lxml import html as lxml_html
from sqlmodel import Session

from app.config import Settings
from app.demo import event as demo_event
from app.i18n import _, use_locale
from app.services.proceedings import build, exports
from app.services.proceedings.report import Report
from tests.services.proceedings.test_report_render import pdf_text

LANGUAGES = ("en", "bg")


@pytest.fixture
def database_url(sqlite_url: str) -> str:
    """SQLite: the files are what is checked here; the report's queries run on both
    databases in test_report.py."""
    return sqlite_url


def _label(text: str, locale: str) -> str:
    with use_locale(locale):
        return _(text)


def _first_line(text: str) -> str:
    """A line of what someone wrote, as every format shows it (Markdown marks dropped)."""
    line = next(line for line in text.splitlines() if line.strip())
    return re.sub(r"[*_`#>]|^\s*[-+]\s+|^\s*\d+\.\s+", "", line).strip()


def _squash(text: str) -> str:
    return " ".join(text.split())


def _select(element: lxml_html.HtmlElement, tag: str, cls: str = "") -> list[lxml_html.HtmlElement]:
    """Descendants by tag and class (an XPath: lxml's CSS selectors need another package)."""
    test = f"[contains(concat(' ', normalize-space(@class), ' '), ' {cls} ')]" if cls else ""
    found: list[lxml_html.HtmlElement] = element.xpath(f".//{tag}{test}")
    return found


def _files(session: Session, settings: Settings, locale: str) -> tuple[Report, dict[str, bytes]]:
    event, _created = demo_event.load_demo(session, settings=settings)
    report = build.build_for_event(session, event=event, locale=locale)
    files = {
        fmt: exports.export_event(
            session, event=event, fmt=fmt, upload_dir=settings.uploads_path, locale=locale
        ).content
        for fmt in ("html", "pdf", "docx")
    }
    return report, files


def _expectations(report: Report) -> dict[str, list[str]]:
    """What the demo's report must hold, taken from the database's side of the report."""
    plenary_notes = [
        _first_line(item.notes.fields[0].text)
        for item in report.recorded_plenaries
        if item.notes and item.notes.fields
    ]
    return {
        "hosts": [host.name for host in report.hosts],
        "summary": [_first_line(report.summary)],
        "plenary_titles": [item.title for item in report.recorded_plenaries],
        "plenary_notes": plenary_notes,
        "unreported": [item.title for item in report.unreported],
    }


def _toc_page(toc: str, label: str) -> int:
    """The page number the contents give for a top-level entry (dot leaders between)."""
    match = re.search(r"(?<!\S)" + re.escape(label) + r"[\s.]+(\d+)", toc)
    assert match, (label, toc[:400])
    return int(match.group(1))


@pytest.mark.parametrize("locale", LANGUAGES)
def test_demo_proceedings(
    session: Session, settings: Settings, locale: str, tmp_path: Path
) -> None:
    report, files = _files(session, settings, locale)
    expected = _expectations(report)
    assert expected["hosts"] == ["Bulgarian Council on Refugees and Migrants", "UNHCR Bulgaria"]
    assert all(host.logo for host in report.hosts)
    assert report.summary.strip() and report.acknowledgement.strip()
    assert len(expected["plenary_notes"]) >= 2
    # Some sessions have a written report and some do not: both paths are exercised.
    assert report.entries and report.unreported

    check_html(report, files["html"], locale)
    check_pdf(report, files["pdf"], locale, tmp_path)
    check_docx(report, files["docx"], locale)


def check_html(report: Report, content: bytes, locale: str) -> None:
    expected = _expectations(report)
    tree = lxml_html.fromstring(content.decode())
    assert tree.get("lang") == locale

    cover = _select(tree, "section", "cover")[0]
    cover_text = _squash(cover.text_content())
    for name in expected["hosts"]:
        assert name in cover_text
        logo = cover.xpath(
            ".//img[@alt=$alt]", alt=_label("Logo of %(name)s", locale) % {"name": name}
        )
        assert logo and logo[0].get("src", "").startswith("data:image/png;base64,")
    assert _squash(report.acknowledgement) in cover_text

    # The contents: every link lands on an element of the document, in the document's order.
    links = [a.get("href")[1:] for a in _select(_select(tree, "nav", "contents")[0], "a")]
    ids = [element.get("id") for element in tree.iter() if element.get("id")]
    assert links and all(anchor in ids for anchor in links)
    top = [a.get("href")[1:] for a in _select(tree, "nav", "contents")[0].xpath("./ol/li/a")]
    assert top[0] == "summary" and "plenaries" in top and "sessions" in top
    assert [ids.index(anchor) for anchor in top] == sorted(ids.index(anchor) for anchor in top)

    text = _squash(tree.text_content())
    summary = _squash(_select(tree, "section", "summary")[0].text_content())
    assert expected["summary"][0] in summary
    assert text.index(summary) < text.index(
        _squash(_select(tree, "section", "session")[0].text_content())
    )

    plenaries = _squash(" ".join(s.text_content() for s in _select(tree, "section", "plenary")))
    for title in expected["plenary_titles"]:
        assert title in plenaries
    for note in expected["plenary_notes"]:
        assert note in plenaries

    # No empty session entries: each has notes or photos; the rest are one table's rows.
    entries = _select(tree, "section", "session")
    assert len(entries) == len(report.entries)
    for entry in entries:
        assert _select(entry, "div", "notes-field") or _select(entry, "figure")
    unreported = _squash(tree.get_element_by_id("unreported").getparent().text_content())
    for title in expected["unreported"]:
        assert title in unreported

    _figures_agree_in_html(tree, report, locale)


def _figures_agree_in_html(tree: lxml_html.HtmlElement, report: Report, locale: str) -> None:
    """ "Organisations: 6 (1 not named)": the count, and how many the table leaves out."""
    figures = {
        _squash(row.xpath("./th")[0].text_content()): _squash(row.xpath("./td")[0].text_content())
        for row in _select(tree, "table", "figures")[0].xpath(".//tr")
    }
    organisations = figures[_label("Organisations", locale)]
    count = int(organisations.split()[0])
    listed = _table_rows_after(tree, "organisations", _label("Organisations", locale))
    not_named = re.search(r"\((\d+)", organisations)
    assert count == listed + (int(not_named.group(1)) if not_named else 0)
    participants = figures[_label("Participants", locale)]
    named = re.search(r"\((\d+)", participants)
    assert (int(named.group(1)) if named else int(participants.split()[0])) == _table_rows_after(
        tree, "participants"
    )
    held = int(figures[_label("Sessions held", locale)].split()[0])
    assert held == len(_select(tree, "section", "session")) + len(report.unreported)


def _table_rows_after(tree: lxml_html.HtmlElement, anchor: str, heading_text: str = "") -> int:
    """The rows of the first table after a heading (by id, or an h3 by its text)."""
    if heading_text:
        heading = tree.xpath("//h3[normalize-space()=$text]", text=heading_text)[0]
    else:
        heading = tree.get_element_by_id(anchor)
    table = heading.getnext()
    while table is not None and table.tag != "table":
        table = table.getnext()
    assert table is not None, anchor
    return len(table.xpath("./tbody/tr"))


def check_pdf(report: Report, content: bytes, locale: str, tmp_path: Path) -> None:
    expected = _expectations(report)
    text = pdf_text(content, tmp_path)
    pages = [_squash(page) for page in text.split("\f")]

    for name in expected["hosts"]:
        assert name in pages[0]
    assert shutil.which("pdfimages"), "poppler-utils is installed by make test"
    listed = subprocess.run(
        ["pdfimages", "-list", "-f", "1", "-l", "1", str(tmp_path / "report.pdf")],
        check=True,
        capture_output=True,
        text=True,
    ).stdout.splitlines()[2:]
    assert len([line for line in listed if " image " in line]) >= len(expected["hosts"])

    contents = _label("Contents", locale)
    toc_page = next(page for page in pages if page.startswith(contents) or f" {contents} " in page)
    summary_page = _toc_page(toc_page, _label("Executive summary", locale))
    sessions_page = _toc_page(toc_page, _label("Sessions", locale))
    # The contents' page numbers are where the sections are; the summary comes first.
    assert _label("Executive summary", locale) in pages[summary_page - 1]
    assert expected["summary"][0][:60] in pages[summary_page - 1]
    assert _label("Sessions", locale) in pages[sessions_page - 1]
    assert summary_page < sessions_page

    whole = " ".join(pages)
    for note in expected["plenary_notes"]:
        assert _squash(note) in whole
    assert _label("Sessions without a written report", locale) in whole


def check_docx(report: Report, content: bytes, locale: str) -> None:
    expected = _expectations(report)
    document = docx.Document(io.BytesIO(content))
    body = document.element.body

    instructions = " ".join(node.text or "" for node in body.iter(qn("w:instrText")))
    assert "TOC" in instructions

    paragraphs = [p.text for p in document.paragraphs]
    cover = " ".join(
        paragraphs[
            : paragraphs.index(next(p for p in paragraphs if p == _label("Contents", locale)))
        ]
    )
    for name in expected["hosts"]:
        assert name in cover
    assert len(document.inline_shapes) == len(report.photos) + len(report.hosts)

    headings = [
        p.text
        for p in document.paragraphs
        if p.style is not None and p.style.name.startswith("Heading")
    ]
    assert headings.index(_label("Executive summary", locale)) < headings.index(
        _label("Sessions", locale)
    )
    whole = "\n".join(paragraphs)
    assert expected["summary"][0] in whole
    for title in expected["plenary_titles"]:
        assert any(title in heading for heading in headings)
    for note in expected["plenary_notes"]:
        assert note in whole
    # Sessions without a report have no heading of their own; they are rows of one table.
    for title in expected["unreported"]:
        assert not any(heading.endswith(f". {title}") for heading in headings)
    tables = " ".join(
        cell.text for table in document.tables for row in table.rows for cell in row.cells
    )
    for title in expected["unreported"]:
        assert title in tables
