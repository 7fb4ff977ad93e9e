"""How the proceedings read, in every format, read back from the files: the cover names the
organising organisations with their logos, the table of contents (HTML anchors, PDF page
numbers and bookmarks, a Word TOC field, Markdown links), the executive summary first, the
key outcomes before the detail, the plenaries with their notes, sessions without notes in one
table, landscape pages only for a wide grid, and key figures that agree with the tables.

The reports are built here directly: other parts fill ``hosts``, ``summary`` and
``plenaries`` from the database, and the other report tests build from it."""

from __future__ import annotations

import datetime as dt
import io
import re
import subprocess
from html.parser import HTMLParser
from pathlib import Path

import docx
import pytest
from docx.oxml.ns import qn
from markdown_it import MarkdownIt
from PIL import Image

from app.i18n import use_locale
from app.services.proceedings.render import images, render
from app.services.proceedings.report import (
    ActionView,
    ContentsEntry,
    Figure,
    HostView,
    NoteField,
    OrganisationView,
    PersonView,
    PhotoView,
    PriorityView,
    ProgrammeDay,
    ProgrammeRow,
    Report,
    ReportPlenary,
    ReportSession,
    SessionNotesView,
)
from tests.services.proceedings.test_report_render import pdf_text

COUNCIL = "Bulgarian Council on Refugees and Migrants"
UNHCR = "UNHCR Bulgaria"
EMPTY = "Nobody wrote this up"
WELCOME_NOTE = "The mayor opened the meeting"
SUMMARY = "Forty people from **twelve towns** agreed on three priorities."


@pytest.fixture
def database_url(sqlite_url: str) -> str:
    """SQLite only: these reports are built without the database."""
    return sqlite_url


def _session(number: int, title: str, room: str, starts: str, **values: object) -> ReportSession:
    return ReportSession(
        topic_id=100 + number,
        number=number,
        title=title,
        description="",
        language="en",
        day="June 9, 2026",
        starts=starts,
        ends=f"{int(starts[:2]) + 1:02d}:00",
        room=room,
        **values,  # type: ignore[arg-type]
    )


def make_report(uploads: Path, *, rooms: int = 2, locale: str = "en") -> Report:
    """Two hosts (one with a 3:1 logo), a summary, a welcome plenary with notes and a coffee
    break plenary with none, a session with notes, one with only a photo and one with
    nothing, a priority and a commitment; 40 participants of whom 2 are named, from 3
    organisations of which 1 is given only by people who are not named."""
    Image.new("RGBA", (1200, 400), (11, 92, 173, 255)).save(uploads / "council.png")
    Image.new("RGB", (64, 48), (200, 30, 30)).save(uploads / "flip.jpg")
    names = [f"Room {index}" for index in range(1, rooms + 1)]
    housing = _session(
        1,
        "Housing",
        names[0],
        "09:00",
        conveners=["Mira"],
        notes=SessionNotesView(fields=[NoteField("Key discussion points", "Rents are **high**")]),
    )
    pictured = _session(2, "Jobs", names[-1], "09:00", photos=[PhotoView("flip.jpg", "Board")])
    empty = _session(3, EMPTY, names[0], "11:00", conveners=["Ivo"], other_conveners=1)
    cells = [[housing, *[None] * (rooms - 2), pictured], [empty, *[None] * (rooms - 1)]]
    report = Report(
        event_name="Coalition meeting",
        slug="coalition",
        language=locale,
        locale=locale,
        dates="June 9, 2026",
        venue="Sofia",
        description="Two days of work.",
        organisers=["Olga Account"],
        acknowledgement="Funded by AMIF.",
        generated_at=dt.datetime(2026, 6, 10, tzinfo=dt.UTC),
        rooms=names,
        days=[
            ProgrammeDay(
                "June 9, 2026",
                "",
                [
                    ProgrammeRow("plenary", "Plenary", "08:30", "09:00", "Welcome", "Olga", [], 7),
                    ProgrammeRow("slot", "Slot", "09:00", "10:00", cells=cells[0], block_id=8),
                    ProgrammeRow("plenary", "Plenary", "10:00", "11:00", "Coffee", block_id=9),
                    ProgrammeRow("slot", "Slot", "11:00", "12:00", cells=cells[1], block_id=10),
                ],
            )
        ],
        sessions=[housing, pictured, empty],
        participants=[PersonView("Mira", "Zaedno", "NGO"), PersonView("Petya", "Caritas", "")],
        organisations=[OrganisationView("Caritas", "", 1), OrganisationView("Zaedno", "NGO", 1)],
        participant_count=40,
        organisation_count=3,
        priorities=[PriorityView(1, "Open a housing desk", 7, "Housing")],
        actions=[
            ActionView("Map the landlords", "Zaedno", "", "Housing"),
            ActionView("Host the desk", "Zaedno", "September", "Housing", "Open a housing desk"),
        ],
        hosts=[HostView(COUNCIL, "council.png"), HostView(UNHCR)],
        summary=SUMMARY,
        plenaries=[
            ReportPlenary(
                7,
                "Welcome",
                "Olga",
                "June 9, 2026",
                "08:30",
                "09:00",
                notes=SessionNotesView(fields=[NoteField("Key points", WELCOME_NOTE)]),
                photos=[PhotoView("flip.jpg", "Opening circle")],
            ),
            ReportPlenary(9, "Coffee", "", "June 9, 2026", "10:00", "11:00"),
        ],
    )
    return report


@pytest.fixture
def uploads(tmp_path: Path) -> Path:
    folder = tmp_path / "uploads"
    folder.mkdir()
    return folder


def flat(text: str) -> str:
    return re.sub(r"\s+", " ", text)


# --- the report's own rules ----------------------------------------------------------------


def test_contents_list_the_sections_that_hold_something(uploads: Path) -> None:
    report = make_report(uploads)
    with use_locale("en"):
        contents = report.contents()
    assert contents == [
        ContentsEntry("summary", "Executive summary"),
        ContentsEntry("figures", "Key figures"),
        ContentsEntry("outcomes", "Key outcomes"),
        ContentsEntry("programme", "Programme"),
        ContentsEntry("plenaries", "Plenaries", [ContentsEntry("plenary-7", "Welcome")]),
        ContentsEntry(
            "sessions",
            "Sessions",
            [
                ContentsEntry("session-1", "1. Housing"),
                ContentsEntry("session-2", "2. Jobs"),
                ContentsEntry("unreported", "Sessions without a written report"),
            ],
        ),
        ContentsEntry("actions", "Action plans"),
        ContentsEntry("participants", "Participants and organisations"),
    ]
    bare = Report("E", "e", "en", "en", "", "", "", [], "", dt.datetime(2026, 6, 9, tzinfo=dt.UTC))
    with use_locale("en"):
        assert [entry.anchor for entry in bare.contents()] == ["figures", "participants"]


def test_figures_agree_with_the_tables(uploads: Path) -> None:
    report = make_report(uploads)
    with use_locale("en"):
        assert report.figures() == [
            Figure("Participants", 40, "2 named"),
            Figure("Organisations", 3, "1 not named"),
            Figure("Topics proposed", 0),
            Figure("Dots cast", 0),
            Figure("Sessions held", 3, "1 without a report"),
            Figure("Sessions with notes", 1),
            Figure("Photos", 2),  # the session's and the plenary's
        ]
    with use_locale("bg"):
        notes = [figure.note for figure in report.figures()]
    assert notes[:2] == ["2 поименно", "1 не е посочена"]
    report.organisation_count = 4
    report.participants = report.participants * 20
    with use_locale("bg"):
        figures = report.figures()
    assert [figure.note for figure in figures[:2]] == ["", "2 не са посочени"]


# --- HTML ----------------------------------------------------------------------------------


class Outline(HTMLParser):
    """What the tests look for in the HTML: ids in order, links, images, headings."""

    def __init__(self) -> None:
        super().__init__()
        self.ids: list[str] = []
        self.nav_links: list[tuple[int, str]] = []  # (list depth, target)
        self.links: list[str] = []
        self.images: list[dict[str, str | None]] = []
        self.headings: list[str] = []
        self._depth = 0
        self._in_nav = False
        self._heading: list[str] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        if values.get("id"):
            self.ids.append(str(values["id"]))
        if tag == "nav" and "contents" in (values.get("class") or ""):
            self._in_nav = True
        elif tag == "ol" and self._in_nav:
            self._depth += 1
        elif tag == "a" and str(values.get("href", "")).startswith("#"):
            target = str(values["href"])[1:]
            self.links.append(target)
            if self._in_nav:
                self.nav_links.append((self._depth, target))
        elif tag == "img":
            self.images.append(values)
        elif tag in ("h1", "h2", "h3"):
            self._heading = []

    def handle_endtag(self, tag: str) -> None:
        if tag == "nav":
            self._in_nav = False
        elif tag == "ol" and self._in_nav:
            self._depth -= 1
        elif tag in ("h1", "h2", "h3") and self._heading is not None:
            self.headings.append(flat("".join(self._heading)).strip())
            self._heading = None

    def handle_data(self, data: str) -> None:
        if self._heading is not None:
            self._heading.append(data)


def outline(html: str) -> Outline:
    parser = Outline()
    parser.feed(html)
    return parser


def test_html_contents_link_to_every_section_in_order(uploads: Path) -> None:
    html = render(make_report(uploads), "html", upload_dir=uploads).decode()
    found = outline(html)
    assert found.nav_links == [
        (1, "summary"),
        (1, "figures"),
        (1, "outcomes"),
        (1, "programme"),
        (1, "plenaries"),
        (2, "plenary-7"),
        (1, "sessions"),
        (2, "session-1"),
        (2, "session-2"),
        (2, "unreported"),
        (1, "actions"),
        (1, "participants"),
    ]
    assert set(found.links) <= set(found.ids)  # every link lands, the grid's too
    sections = [anchor for depth, anchor in found.nav_links if depth == 1]
    assert [i for i in found.ids if i in sections] == sections  # laid out in that order
    assert found.ids.index("contents") < found.ids.index("summary")


def test_html_cover_names_the_hosts_with_their_logos(uploads: Path) -> None:
    html = render(make_report(uploads), "html", upload_dir=uploads).decode()
    cover = html[html.index('<section class="cover">') : html.index("</section>")]
    assert f"<dt>Organised by</dt><dd>{COUNCIL}, {UNHCR}</dd>" in cover
    assert "Olga Account" not in html  # the account's name is not the organisation
    [logo] = [image for image in outline(cover).images]
    assert logo["alt"] == f"Logo of {COUNCIL}"
    assert str(logo["src"]).startswith("data:image/png;base64,")
    assert (logo["width"], logo["height"]) == ("600", "200")  # shrunk, its ratio kept
    for text in ("Funded by AMIF.", "Two days of work.", "June 9, 2026", "Sofia"):
        assert text in cover


def test_html_shows_plenaries_and_no_entry_for_a_session_without_notes(uploads: Path) -> None:
    html = render(make_report(uploads), "html", upload_dir=uploads).decode()
    found = outline(html)
    assert [h for h in found.headings if h in ("Welcome", "Coffee", "1. Housing", "2. Jobs")] == [
        "Welcome",
        "1. Housing",
        "2. Jobs",
    ]
    assert f"3. {EMPTY}" not in found.headings
    assert WELCOME_NOTE in html
    alts = [image["alt"] for image in found.images]
    assert alts == [f"Logo of {COUNCIL}", "Opening circle", "Board"]  # the plenary's photo too
    assert (
        '<a href="#plenary-7" dir="auto">Welcome</a> — <bdi>Olga</bdi>' in html
    )  # the grid links the entry
    assert '<td colspan="2"><bdi>Coffee</bdi></td>' in html  # nothing recorded: no link
    row = re.search(r'<tr id="session-3">(.*?)</tr>', html)
    assert row is not None
    assert re.findall(r"<td[^>]*>(.*?)</td>", row.group(1)) == [
        "3",
        EMPTY,
        "June 9, 2026, 11:00–12:00",
        "Room 1",
        "Ivo and 1 more",
    ]
    assert "No report was written for these sessions." in html
    assert "<strong>twelve towns</strong>" in html
    headings = (SUMMARY[:12], "Key figures</h2>", "Key outcomes</h2>", "Programme</h2>")
    order = [html.index(text) for text in headings]
    assert order == sorted(order)
    assert order[2] < html.index("Host the desk") < order[3]  # the commitment, up front


def test_a_bulgarian_report_reads_in_bulgarian(uploads: Path) -> None:
    html = render(make_report(uploads, locale="bg"), "html", upload_dir=uploads).decode()
    for text in (
        "Съдържание",
        "Резюме",
        "Основни резултати",
        "Пленарни сесии",
        "Сесии без написан доклад",
        "Организирано от",
        f"Лого на {COUNCIL}",
        '3 <span class="muted">(1 не е посочена)</span>',
    ):
        assert text in html, text
    for english in ("Contents", "Key outcomes", "not named", "without a report", "Organised"):
        assert english not in html, english


# --- PDF -----------------------------------------------------------------------------------


def pdf_pages(content: bytes, tmp_path: Path) -> list[str]:
    return pdf_text(content, tmp_path).split("\f")


def pdf_outline(path: Path) -> list[str]:
    """The PDF's bookmarks, as poppler reads them: indented by level."""
    xml = subprocess.run(
        ["pdftohtml", "-xml", "-stdout", "-i", "-q", str(path)],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    out, depth = [], 0
    for tag in re.findall(r"<outline>|</outline>|<item[^>]*>[^<]*</item>", xml):
        if tag == "<outline>":
            depth += 1
        elif tag == "</outline>":
            depth -= 1
        else:
            out.append("  " * (depth - 1) + re.sub(r"<[^>]+>", "", tag))
    return out


def page_sizes(path: Path) -> list[str]:
    info = subprocess.run(
        ["pdfinfo", "-f", "1", "-l", "1000", str(path)], check=True, capture_output=True, text=True
    ).stdout
    return re.findall(r"Page +\d+ size: +([\d.]+ x [\d.]+)", info)


PORTRAIT, LANDSCAPE = "595.276 x 841.89", "841.89 x 595.276"


def test_pdf_has_a_cover_page_contents_with_page_numbers_and_bookmarks(
    uploads: Path, tmp_path: Path
) -> None:
    content = render(make_report(uploads), "pdf", upload_dir=uploads)
    pages = pdf_pages(content, tmp_path)
    cover, contents = flat(pages[0]), pages[1]
    assert COUNCIL in cover and UNHCR in cover and "Funded by AMIF." in cover
    assert "Contents" not in cover and "Key figures" not in cover  # a page of its own
    listed = dict(re.findall(r"^ *(\S.*?) ?\.{3,} ?(\d+)$", contents, flags=re.MULTILINE))
    assert list(listed) == [
        "Executive summary",
        "Key figures",
        "Key outcomes",
        "Programme",
        "Plenaries",
        "Welcome",
        "Sessions",
        "1. Housing",
        "2. Jobs",
        "Sessions without a written report",
        "Action plans",
        "Participants and organisations",
    ]
    for title, number in listed.items():  # each number is the page the heading is on
        assert title in pages[int(number) - 1], (title, number)
    assert int(listed["Executive summary"]) < int(listed["Sessions"])
    assert WELCOME_NOTE in pages[int(listed["Welcome"]) - 1]
    text = flat(" ".join(pages))
    assert text.index("Forty people from twelve towns") < text.index("Rents are high")
    assert "No report was written for these sessions." in text

    (tmp_path / "report.pdf").write_bytes(content)
    bookmarks = pdf_outline(tmp_path / "report.pdf")
    assert bookmarks == [
        "Contents",
        "Executive summary",
        "Key figures",
        "Key outcomes",
        "Programme",
        "  June 9, 2026",
        "Plenaries",
        "  Welcome",
        "Sessions",
        "  1. Housing",
        "  2. Jobs",
        "  Sessions without a written report",
        "Action plans",
        "Participants and organisations",
    ]  # no bookmark for the cover's title, nor for the session without a report
    listing = subprocess.run(
        ["pdfimages", "-list", str(tmp_path / "report.pdf")],
        check=True,
        capture_output=True,
        text=True,
    ).stdout.splitlines()[2:]
    assert next(line.split()[:4] for line in listing if line.split()[2] == "image") == [
        "1",
        "0",
        "image",
        "600",
    ]  # the logo, on the cover


def test_small_programme_stays_on_a_portrait_page_with_the_rest(
    uploads: Path, tmp_path: Path
) -> None:
    content = render(make_report(uploads), "pdf", upload_dir=uploads)
    (tmp_path / "small.pdf").write_bytes(content)
    assert set(page_sizes(tmp_path / "small.pdf")) == {PORTRAIT}
    [page] = [page for page in pdf_pages(content, tmp_path) if "Programme\n" in page]
    assert "Plenaries\n" in page  # no page of its own


def test_wide_programme_gets_landscape_pages(uploads: Path, tmp_path: Path) -> None:
    content = render(make_report(uploads, rooms=5), "pdf", upload_dir=uploads)
    (tmp_path / "wide.pdf").write_bytes(content)
    sizes = page_sizes(tmp_path / "wide.pdf")
    pages = pdf_pages(content, tmp_path)
    landscape = [text for size, text in zip(sizes, pages, strict=False) if size == LANDSCAPE]
    assert len(landscape) == 1
    assert "Room 5" in landscape[0] and "Key figures" not in landscape[0]
    assert sizes[0] == PORTRAIT


# --- DOCX ----------------------------------------------------------------------------------


def test_docx_has_a_toc_field_headings_summary_plenaries_and_logos(uploads: Path) -> None:
    document = docx.Document(io.BytesIO(render(make_report(uploads), "docx", upload_dir=uploads)))
    body = document.element.body
    instructions = [node.text for node in body.iter(qn("w:instrText"))]
    assert instructions == [' TOC \\o "1-2" \\h \\z \\u ']
    marks = [node.get(qn("w:fldCharType")) for node in body.iter(qn("w:fldChar"))]
    assert marks == ["begin", "separate", "end"]
    entries = [
        (p.style.name, p.text) for p in document.paragraphs if p.style.name.startswith("toc")
    ]
    assert entries == [
        ("toc 1", "Executive summary"),
        ("toc 1", "Key figures"),
        ("toc 1", "Key outcomes"),
        ("toc 1", "Programme"),
        ("toc 1", "Plenaries"),
        ("toc 2", "Welcome"),
        ("toc 1", "Sessions"),
        ("toc 2", "1. Housing"),
        ("toc 2", "2. Jobs"),
        ("toc 2", "Sessions without a written report"),
        ("toc 1", "Action plans"),
        ("toc 1", "Participants and organisations"),
    ]
    settings = document.settings.element
    [update] = settings.findall(qn("w:updateFields"))
    assert update.get(qn("w:val")) == "true"
    tags = [child.tag for child in settings]
    assert tags.index(qn("w:updateFields")) < tags.index(qn("w:compat"))  # schema order

    headings = [
        (p.style.name, p.text)
        for p in document.paragraphs
        if p.style.name.startswith(("Heading 1", "Heading 2"))
    ]
    tops = [(level, text) for level, text in headings if level == "Heading 1"]
    assert [text for _level, text in tops] == [e[1] for e in entries if e[0] == "toc 1"]
    assert ("Heading 2", "Welcome") in headings
    assert ("Heading 2", f"3. {EMPTY}") not in headings
    texts = [p.text for p in document.paragraphs]
    assert f"Organised by: {COUNCIL}, {UNHCR}" in texts
    assert "Olga Account" not in "\n".join(texts)
    paragraphs = [(p.style.name, p.text) for p in document.paragraphs]
    assert paragraphs.index(("Heading 1", "Executive summary")) + 1 == paragraphs.index(
        ("Normal", "Forty people from twelve towns agreed on three priorities.")
    )
    assert WELCOME_NOTE in texts
    unreported = [
        t for t in document.tables if t.rows[0].cells[0].text == "#" and len(t.rows[0].cells) == 5
    ]
    assert [cell.text for cell in unreported[0].rows[1].cells] == [
        "3",
        EMPTY,
        "June 9, 2026, 11:00–12:00",
        "Room 1",
        "Ivo and 1 more",
    ]
    logo, plenary_photo, photo = document.inline_shapes
    assert logo.width / logo.height == pytest.approx(3, rel=0.01)  # never stretched
    assert logo.height <= docx.shared.Cm(2.2) and logo.width <= docx.shared.Cm(5)
    assert plenary_photo.width == photo.width == docx.shared.Cm(8)
    assert document.core_properties.author == f"{COUNCIL}, {UNHCR}"


# --- Markdown ------------------------------------------------------------------------------


def test_markdown_has_the_sections_and_links_that_land(uploads: Path) -> None:
    text = render(make_report(uploads), "md", upload_dir=uploads).decode()
    found = outline(MarkdownIt("commonmark").render(text))
    assert found.links[:3] == ["summary", "figures", "outcomes"]
    assert set(found.links) <= set(found.ids)
    assert "  - [Welcome](#plenary-7)" in text.splitlines()
    assert f"- **Organised by:** {COUNCIL}, {UNHCR}" in text
    assert '## <a id="summary"></a>Executive summary' in text
    assert "| Organisations | 3 (1 not named) |" in text
    assert f"| 3 | {EMPTY} | June 9, 2026, 11:00–12:00 | Room 1 | Ivo and 1 more |" in text
    assert '### <a id="session-3"></a>' not in text
    assert (
        text.index("Executive summary\n") < text.index("Key outcomes\n") < text.index("Sessions\n")
    )


# --- logos ---------------------------------------------------------------------------------


def test_logos_are_png_shrunk_and_read_only_inside_the_upload_folder(tmp_path: Path) -> None:
    uploads = tmp_path / "uploads"
    uploads.mkdir()
    Image.new("RGBA", (2400, 600), (0, 0, 0, 0)).save(uploads / "wide.png")
    Image.new("P", (100, 50)).save(uploads / "small.png")
    Image.new("RGB", (60, 60)).save(tmp_path / "outside.png")
    wide = images.logo(uploads, "wide.png")
    assert wide is not None
    assert (wide.width, wide.height, wide.mime) == (600, 150, "image/png")
    assert Image.open(io.BytesIO(wide.content)).mode == "RGBA"  # transparency kept
    small = images.logo(uploads, "small.png")
    assert small is not None and (small.width, small.height) == (100, 50)
    assert images.logo(uploads, "../outside.png") is None
    assert images.logo(uploads, "missing.png") is None
    assert images.logos(uploads, ["wide.png", "", "wide.png"]) == {"wide.png": wide}
