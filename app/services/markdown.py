"""Markdown for session notes: rendered by markdown-it-py with raw HTML off, then sanitised by
nh3 with a short allow-list. Nothing in the output can run: no scripts, no event handlers, no
styles, no attributes that htmx or our scripts act on (``hx-*``, ``data-*``), and links only
to http, https and mailto addresses, opened with ``rel="noopener nofollow"``.

Two layers on purpose: markdown-it already refuses HTML and ``javascript:`` links, and nh3
would still catch anything a future parser option or plugin let through.
"""

from __future__ import annotations

from functools import lru_cache

import nh3
from markdown_it import MarkdownIt
from markupsafe import Markup

ALLOWED_TAGS = frozenset(
    {
        "p", "br", "hr", "strong", "em", "s", "del", "code", "pre", "blockquote",
        "ul", "ol", "li", "h1", "h2", "h3", "h4", "h5", "h6", "a",
        "table", "thead", "tbody", "tr", "th", "td",
    }
)  # fmt: skip
ALLOWED_ATTRIBUTES = {"a": {"href", "title"}, "ol": {"start"}}
URL_SCHEMES = frozenset({"http", "https", "mailto"})
LINK_REL = "noopener nofollow"


@lru_cache(maxsize=1)
def _parser() -> MarkdownIt:
    # "commonmark" with raw HTML off; tables and strikethrough are what note-takers reach for.
    return MarkdownIt("commonmark", {"html": False, "linkify": False, "typographer": False}).enable(
        ["table", "strikethrough"]
    )


def sanitise(html: str) -> str:
    """Keep only the allowed tags and attributes; drop the content of script and style."""
    return nh3.clean(
        html,
        tags=set(ALLOWED_TAGS),
        clean_content_tags={"script", "style"},
        attributes={tag: set(names) for tag, names in ALLOWED_ATTRIBUTES.items()},
        url_schemes=set(URL_SCHEMES),
        link_rel=LINK_REL,
        strip_comments=True,
        url_relative="deny",  # "/path" and "//host" too: only absolute addresses
    )


def render(text: str) -> Markup:
    """Markdown → safe HTML, ready to put in a template as it is."""
    if not text.strip():
        return Markup("")
    return Markup(sanitise(_parser().render(text)))  # noqa: S704 (sanitised just above)
