"""Notes are Markdown; what comes out is sanitised HTML in which nothing can run."""

from __future__ import annotations

from html.parser import HTMLParser

import pytest

from app.services.markdown import ALLOWED_ATTRIBUTES, ALLOWED_TAGS, render


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
        '<a rel="noopener nofollow">rel</a></p>\n'
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
