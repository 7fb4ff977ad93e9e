"""Notes are Markdown; what comes out is sanitised HTML in which nothing can run, and the
proceedings read the notes as the notes page does, in every format."""

from __future__ import annotations

import datetime as dt
import io
import re
import subprocess
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import docx
import pytest
from docx.text.hyperlink import Hyperlink
from docx.text.paragraph import Paragraph
from markdown_it import MarkdownIt

from app.services.markdown import ALLOWED_ATTRIBUTES, ALLOWED_TAGS, render, to_markdown
from app.services.proceedings import render as proceedings_render
from app.services.proceedings.render import pdf
from app.services.proceedings.report import NoteField, Report, ReportSession, SessionNotesView


def test_render_keeps_the_note_takers_formatting() -> None:
    text = "## Ideas\n\n- **Mentors** for *new* families\n- ~~rent~~ caps\n\n> quoted\n\n`code`"
    assert render(text) == (
        "<h2>Ideas</h2>\n<ul>\n<li><strong>Mentors</strong> for <em>new</em> families</li>\n"
        "<li><s>rent</s> caps</li>\n</ul>\n<blockquote>\n<p>quoted</p>\n</blockquote>\n"
        "<p><code>code</code></p>\n"
    )


def test_render_empty_is_empty() -> None:
    assert render("  \n ") == ""


def test_links_get_rel_and_only_absolute_web_and_mail_addresses() -> None:
    html = render("[site](https://example.org/a?b=1) [mail](mailto:ana@example.org) [rel](/o/x)")
    assert html == (
        '<p><a href="https://example.org/a?b=1" rel="noopener nofollow">site</a> '
        '<a href="mailto:ana@example.org" rel="noopener nofollow">mail</a> '
        "rel</p>\n"  # a link the policy refuses is its text
    )


@pytest.mark.parametrize(
    "text",
    [
        "<script>alert(1)</script>",
        "<img src=x onerror=alert(1)>",
        '<a href="/x" hx-post="/o/demo/phase" hx-trigger="load">go</a>',
        "<div hx-get='/x' hx-trigger='load' data-hx-get='/y'>x</div>",
        "[click](javascript:alert(1))",
        "[click](JaVaScRiPt:alert(1))",
        "[click](jav&#x09;ascript:alert(1))",
        "[click](data:text/html;base64,PHNjcmlwdD4=)",
        "[click](vbscript:msgbox)",
        "![x](javascript:alert(1))",
        '[x](https://a.org "t" onmouseover=alert(1))',
        "<svg onload=alert(1)>",
        "<iframe src=https://evil.org></iframe>",
        "<style>body{display:none}</style>",
        "<!-- <script>x</script> -->",
        "```\n<script>alert(1)</script>\n```",
        "<form action=/o/x method=post><button>go</button></form>",
    ],
)
def test_nothing_live_comes_out(text: str) -> None:
    found = _Tags()
    found.feed(render(text))
    for tag, attributes in found.seen:
        assert tag in ALLOWED_TAGS, (text, tag)
        for name, value in attributes:
            assert name in ALLOWED_ATTRIBUTES.get(tag, set()) | {"rel"}, (text, tag, name)
            if name == "href":
                assert (value or "").startswith(("https://", "http://", "mailto:")), (text, value)


class _Tags(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.seen: list[tuple[str, list[tuple[str, str | None]]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.seen.append((tag, attrs))


def test_the_safety_check_sees_tags_and_attributes() -> None:
    found = _Tags()
    found.feed('<p><a href="javascript:x" hx-get="/y">z</a></p>')
    assert found.seen == [("p", []), ("a", [("href", "javascript:x"), ("hx-get", "/y")])]
    assert "script" not in ALLOWED_TAGS and "hx-get" not in ALLOWED_ATTRIBUTES["a"]


def test_raw_html_is_shown_as_text() -> None:
    assert render("<b>bold</b> & more") == "<p>&lt;b&gt;bold&lt;/b&gt; &amp; more</p>\n"


def test_htmx_attributes_typed_as_html_are_text_not_attributes() -> None:
    html = render('<span hx-get="/x">x</span>')
    assert html == '<p>&lt;span hx-get="/x"&gt;x&lt;/span&gt;</p>\n'


# --- one pipeline: the notes page and every format of the proceedings agree -----------------

TRICKY = (
    "~~strike~~ [x](ftp://h/x) [y](javascript:alert(1)) [d](data:text/html;base64,PHNjcmlwdD4=) "
    "<script>alert(1)</script> <b>b</b>\n"
    'autolinks <https://a.org> <ana@example.org> and hx-get="/x" in text\n'
    "[rel](/o/demo) [proto](//evil.org/x) [bare](https:evil.org) [ref][r] "
    "![photo](https://a.org/p.jpg) <img src=x onerror=alert(1)>\n\n"
    "- one\n  - nested\n- [ok](https://a.org/ok)\n\n"
    "[r]: //evil.org/ref\n"
)
# What every format shows: the links the policy allows, struck text, and the literal rest;
# links it refuses (relative, protocol-relative, no host, a reference to one) are their text
# only, javascript: and data: links are never parsed (the text as typed), an image is its
# description.
LINKS = ["https://a.org", "mailto:ana@example.org", "https://a.org/ok"]
STRUCK = ["strike"]
SHOWN = (
    "<script>alert(1)</script> <b>b</b>",
    "[y](javascript:alert(1)) [d](data:text/html;base64,PHNjcmlwdD4=)",
    'hx-get="/x"',
    "x [y]",  # the ftp: link's text
    "rel proto bare ref photo <img src=x onerror=alert(1)>",
)
GONE = ("ftp:", "/o/demo", "evil.org", "p.jpg")
NOTES = NoteField("Discussion", TRICKY)


class _Reading(HTMLParser):
    """What a reader gets from HTML: its tags, link addresses, struck and visible text."""

    def __init__(self, html: str) -> None:
        super().__init__()
        self.tags: list[str] = []
        self.links: list[str] = []
        self.struck: list[str] = []
        self.text = ""
        self._striking = False
        self.feed(str(html))  # not Markup: its + would escape the text again

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)
        self.links += [value or "" for name, value in attrs if tag == "a" and name == "href"]
        self._striking = self._striking or tag in ("s", "del")

    def handle_endtag(self, tag: str) -> None:
        self._striking = self._striking and tag not in ("s", "del")

    def handle_data(self, data: str) -> None:
        self.text += data
        if self._striking:
            self.struck.append(data)


@dataclass
class _Seen:
    """The notes as one format shows them. ``html``: the notes' HTML, where the format is
    made from the notes page's (HTML, PDF); ``tags`` and ``html_text`` (whitespace folded):
    where the format reads as HTML."""

    links: list[str]
    struck: list[str]
    text: str  # visible text, whitespace folded
    tags: list[str] | None = None
    html_text: str | None = None
    html: str | None = None


Reader = Callable[[NoteField, Path, pytest.MonkeyPatch], _Seen]


def _from_html(html: str, *, exact: bool) -> _Seen:
    read = _Reading(html)
    text = " ".join(read.text.split())
    return _Seen(read.links, read.struck, text, read.tags, text, html.strip() if exact else None)


def _report(field: NoteField) -> Report:
    session = ReportSession(
        topic_id=1,
        number=1,
        title="Housing",
        description="",
        language="en",
        day="June 9",
        starts="09:30",
        ends="10:30",
        room="Hall",
        notes=SessionNotesView(fields=[field]),
    )
    return Report(
        event_name="Lab",
        slug="lab",
        language="en",
        locale="en",
        dates="",
        venue="",
        description="",
        organisers=[],
        acknowledgement="",
        generated_at=dt.datetime(2026, 6, 9, tzinfo=dt.UTC),
        sessions=[session],
    )


def _notes_div(html: str) -> str:
    # A Markdown field is rendered inside a block that gives it its own direction
    # (dir="auto"); a plain one is a paragraph of its own.
    match = re.search(
        r'<div class="notes-field">\s*<h4>Discussion</h4>\s*<div class="markdown" dir="auto">'
        r"(.*?)</div>\s*</div>",
        html,
        re.S,
    ) or re.search(r'<div class="notes-field">\s*<h4>Discussion</h4>(.*?)</div>', html, re.S)
    assert match is not None
    return match.group(1)


def _notes_page(field: NoteField, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> _Seen:
    return _from_html(render(field.text), exact=True)


def _html_proceedings(field: NoteField, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> _Seen:
    html = proceedings_render.render(_report(field), "html", upload_dir=tmp_path).decode()
    return _from_html(_notes_div(html), exact=True)


def _pdf_proceedings(field: NoteField, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> _Seen:
    """The HTML WeasyPrint gets, and what the PDF holds: its link annotations (inside
    compressed streams) and its text (pdftotext)."""
    given: list[str] = []
    weasyprint = pdf.HTML

    def spy(*, string: str, **kwargs: Any) -> Any:
        given.append(string)
        return weasyprint(string=string, **kwargs)

    monkeypatch.setattr(pdf, "HTML", spy)
    content = proceedings_render.render(_report(field), "pdf", upload_dir=tmp_path)
    monkeypatch.undo()
    streams = re.findall(rb"stream\r?\n(.*?)\r?\nendstream", content, re.S)
    objects = content + b"".join(zlib.decompress(stream) for stream in streams)
    path = tmp_path / "notes.pdf"
    path.write_bytes(content)
    shown = subprocess.run(["pdftotext", str(path), "-"], check=True, capture_output=True)
    notes = shown.stdout.decode().split("Discussion", 1)[1].split("Participants and", 1)[0]
    (html,) = given
    seen = _from_html(_notes_div(html), exact=True)
    seen.links = [link.decode() for link in re.findall(rb"/URI \(([^)]*)\)", objects)]
    seen.text = " ".join(re.sub(r"\b\d+/\d+\n", "", notes).split())  # not the page numbers
    return seen


def _markdown_proceedings(
    field: NoteField, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> _Seen:
    """The Markdown file as a viewer shows it: raw HTML on, strikethrough and tables on."""
    exported = proceedings_render.render(_report(field), "md", upload_dir=tmp_path).decode()
    notes = exported.split("#### Discussion\n\n", 1)[1].split("\n## ", 1)[0]
    viewer = MarkdownIt("commonmark", {"html": True}).enable(["table", "strikethrough"])
    return _from_html(viewer.render(notes), exact=False)


def _docx_notes(field: NoteField, tmp_path: Path) -> list[Paragraph]:
    document = docx.Document(
        io.BytesIO(proceedings_render.render(_report(field), "docx", upload_dir=tmp_path))
    )
    paragraphs = iter(document.paragraphs)
    for paragraph in paragraphs:
        if paragraph.text == "Discussion":
            break
    notes = []
    for paragraph in paragraphs:
        if paragraph.style is not None and paragraph.style.name.startswith("Heading"):
            break
        notes.append(paragraph)
    return notes


def _docx_proceedings(field: NoteField, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> _Seen:
    """Word's hyperlinks, struck runs (in a hyperlink or not) and text."""
    seen = _Seen([], [], "")
    paragraphs = _docx_notes(field, tmp_path)
    for paragraph in paragraphs:
        for item in paragraph.iter_inner_content():
            if isinstance(item, Hyperlink):
                seen.links.append(item.url)
            runs = item.runs if isinstance(item, Hyperlink) else [item]
            seen.struck += [run.text for run in runs if run.font.strike]
    seen.text = " ".join(" ".join(paragraph.text for paragraph in paragraphs).split())
    return seen


PROCEEDINGS: list[Reader] = [
    _html_proceedings,
    _pdf_proceedings,
    _markdown_proceedings,
    _docx_proceedings,
]


@pytest.mark.parametrize("read", [_notes_page, *PROCEEDINGS])
def test_every_format_reads_the_notes_as_the_notes_page(
    read: Reader,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    page = _notes_page(NOTES, tmp_path, monkeypatch)
    seen = read(NOTES, tmp_path, monkeypatch)
    assert (seen.links, seen.struck) == (LINKS, STRUCK)
    # Spaces aside: the PDF's lines break where the layout put them ("</" "script>" too).
    text = "".join(seen.text.split())
    assert [shown for shown in SHOWN if "".join(shown.split()) not in text] == []
    assert [gone for gone in GONE if gone in seen.text] == []
    if seen.tags is not None:  # the same structure (a nested list, no script, no <b>), text
        assert (seen.tags, seen.html_text) == (page.tags, page.html_text)
    if seen.html is not None:  # HTML and PDF: the notes page's own HTML
        assert seen.html == page.html


@pytest.mark.parametrize("read", PROCEEDINGS)
def test_a_plain_field_reads_as_typed_in_every_format(
    read: Reader, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The one-line outcome is plain text on the notes page, and so in the proceedings."""
    typed = "**A desk** in ~~every~~ [town](https://a.org) <b>now</b>"
    seen = read(NoteField("Discussion", typed, markdown=False), tmp_path, monkeypatch)
    assert (seen.links, seen.struck, seen.text) == ([], [], typed)
    if seen.tags is not None:
        assert seen.tags == ["p"]


def test_notes_page_reads_the_tricky_notes(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    page = _notes_page(NOTES, tmp_path, monkeypatch)
    assert page.tags is not None and page.tags.count("ul") == 2  # the nested list
    assert "script" not in page.tags and "b" not in page.tags and "img" not in page.tags


def test_docx_notes_keep_their_lists(tmp_path: Path) -> None:
    items = [
        (paragraph.style.name if paragraph.style else "", paragraph.text)
        for paragraph in _docx_notes(NOTES, tmp_path)[1:]
    ]
    assert items == [("List Bullet", "one"), ("List Bullet", "nested"), ("List Bullet", "ok")]


def test_markdown_written_back_reads_the_same_and_is_stable() -> None:
    written = to_markdown(TRICKY, heading=4)
    assert written == (
        "~~strike~~ x \\[y\\](javascript:alert(1)) \\[d\\](data:text/html;base64,PHNjcmlwdD4=) "
        "&lt;script&gt;alert(1)&lt;/script&gt; &lt;b&gt;b&lt;/b&gt;\n"
        'autolinks <https://a.org> <ana@example.org> and hx-get="/x" in text\n'
        "rel proto bare ref photo &lt;img src=x onerror=alert(1)&gt;\n\n"
        "- one\n  - nested\n- [ok](https://a.org/ok)"
    )
    assert render(written) == render(TRICKY)
    assert to_markdown(written) == written


@pytest.mark.parametrize(
    "text",
    [
        "# Big\n\n## Small",
        "1) one\n2) two\n\n3. three",
        "* loose\n\n  two paragraphs\n* item",
        "> quoted\n> - list",
        "| a | b |\n|:-|-:|\n| 1 \\| | `c` |",
        "```py\nx = '```'\n```\n\n    indented",
        "\\# not a heading\n\\- not a list\n2026\\. not a number\\\nhard break",
        'a_b 5 * 3 & co `` a`b `` [t](https://a.org/(x) "title")',
        "***\n\nbefore ![photo](https://a.org/p.jpg) after \\![not a photo](https://a.org)",
    ],
)
def test_markdown_written_back_renders_as_the_source(text: str) -> None:
    written = to_markdown(text, heading=4)
    headings = re.compile(r"<(/?)h[1-6]>")
    assert headings.sub(r"<\1h4>", render(written)) == headings.sub(r"<\1h4>", render(text))
    assert to_markdown(written) == written
