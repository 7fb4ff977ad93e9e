"""Session notes' Markdown: one parser and one link policy for the notes page and every format
of the proceedings.

markdown-it-py parses CommonMark with raw HTML off, pipe tables and ``~~strikethrough~~`` on
(what note-takers reach for), and no linkify or typographer. A core rule then applies the
policy to the token stream itself, so every consumer sees the same document:

- a link stays a link only if its address is absolute: ``http://`` or ``https://`` and a
  host, or ``mailto:``; any other (``ftp:``, relative, ``//host``, or ``https:path``, which a
  browser reads as relative to the page) becomes its text, plain. markdown-it already leaves
  ``javascript:``, ``vbscript:``, ``file:`` and ``data:`` links unparsed, as the literal
  text the author typed;
- an image becomes its description, plain: a picture from elsewhere would be fetched
  whenever a page or file is opened.

From that stream come:

- ``render``: HTML for the notes page and the HTML (and PDF) proceedings, sanitised by nh3
  with a short allow-list. Nothing in it can run: no scripts, no event handlers, no styles, no
  attributes that htmx or our scripts act on (``hx-*``, ``data-*``); links open with
  ``rel="noopener nofollow"``. Two layers on purpose: nh3 would still catch anything a
  future parser option or plugin let through;
- ``tokens``: the token stream, for the Word proceedings to build paragraphs and runs from;
- ``to_markdown``: the notes written back as Markdown for the Markdown proceedings. It is
  what the parser understood, not the author's source byte for byte: the same formatting,
  literal characters backslash-escaped, raw HTML as text (``&lt;b&gt;``), headings at one
  level, and no link the policy refused.
"""

from __future__ import annotations

import re
from functools import lru_cache

import nh3
from markdown_it import MarkdownIt
from markdown_it.rules_core import StateCore
from markdown_it.token import Token
from markdown_it.tree import SyntaxTreeNode
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

# "https:x" or "https:/x" names no host: a browser resolves it against the page, like "x".
_ABSOLUTE = re.compile(r"(?:https?://[^/\\]|mailto:.)", re.IGNORECASE)


def allowed_url(url: str) -> bool:
    """Absolute http, https or mailto: the only addresses a note may link to."""
    return _ABSOLUTE.match(url) is not None


def _link_policy(state: StateCore) -> None:
    for block in state.tokens:
        if block.type != "inline" or not block.children:
            continue
        children: list[Token] = []
        refused = False  # links do not nest: the next link_close is the refused one's
        for token in block.children:
            if token.type == "image":
                token = _description(token)
            if token.type == "link_open":
                refused = not allowed_url(str(token.attrGet("href") or ""))
            if token.type in ("link_open", "link_close") and refused:
                continue  # its text stays, as plain text
            children.append(token)
        block.children = children


def _description(image: Token) -> Token:
    """An image's text (``![this](…)``) as plain text."""
    text = Token("text", "", 0)
    text.content = _plain(image.children or [])
    return text


def _plain(children: list[Token]) -> str:
    parts = []
    for child in children:
        if child.type in ("text", "code_inline"):
            parts.append(child.content)
        elif child.type in ("softbreak", "hardbreak"):
            parts.append(" ")
        elif child.type == "image":
            parts.append(_plain(child.children or []))
    return "".join(parts)


@lru_cache(maxsize=1)
def _parser() -> MarkdownIt:
    parser = MarkdownIt(
        "commonmark", {"html": False, "linkify": False, "typographer": False}
    ).enable(["table", "strikethrough"])
    parser.core.ruler.push("link_policy", _link_policy)
    return parser


def tokens(text: str) -> list[Token]:
    """The notes parsed, with the link policy applied."""
    return _parser().parse(text)


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


# --- back to Markdown ------------------------------------------------------------------------

_LITERAL = re.compile(r"([\\`*_\[\]~|&])")
# What only means something at the start of a line: a heading, a list item or a setext
# underline; a numbered item.
_LEADING = re.compile(r"^([#+=-])")
_NUMBERED = re.compile(r"^(\d+)(?=[.)])")


def to_markdown(text: str, *, heading: int = 4) -> str:
    """The notes as Markdown that reads the same through this parser, headings at level
    ``heading`` (below the section the notes sit in)."""
    root = SyntaxTreeNode(tokens(text))
    return "\n".join(_blocks(root.children, heading=heading, tight=False)).strip("\n")


def _blocks(nodes: list[SyntaxTreeNode], *, heading: int, tight: bool) -> list[str]:
    out: list[str] = []
    for node in nodes:
        if out and not tight:
            out.append("")
        out += _block(node, heading=heading)
    return out


def _block(node: SyntaxTreeNode, *, heading: int) -> list[str]:
    kind = node.type
    if kind == "paragraph":
        return _inline(node.children[0]).split("\n")
    if kind == "heading":
        return ["#" * heading + " " + _inline(node.children[0]).replace("\n", " ")]
    if kind in ("bullet_list", "ordered_list"):
        return _list(node, heading=heading)
    if kind == "blockquote":
        lines = _blocks(node.children, heading=heading, tight=False)
        return [f"> {line}" if line else ">" for line in lines]
    if kind in ("fence", "code_block"):
        fence = "`" * max(3, _longest_run(node.content) + 1)
        info = node.info.strip() if kind == "fence" else ""
        return [fence + info, *node.content.rstrip("\n").split("\n"), fence]
    if kind == "hr":
        return ["***"]  # not "---": after "- " that would be a rule, not a list item
    if kind == "table":
        return _table(node)
    return []


def _list(node: SyntaxTreeNode, *, heading: int) -> list[str]:
    out: list[str] = []
    # Tight: its paragraphs are hidden (no <p>); a list of only sub-blocks counts as tight.
    tight = not any(
        child.type == "paragraph" and not child.hidden
        for item in node.children
        for child in item.children
    )
    number = int(node.attrs.get("start", 1))
    for item in node.children:
        marker = f"{number}{item.markup}" if node.type == "ordered_list" else item.markup
        number += 1
        body = _blocks(item.children, heading=heading, tight=tight) or [""]
        if out and not tight:
            out.append("")
        indent = " " * (len(marker) + 1)
        out.append(f"{marker} {body[0]}".rstrip())
        out += [indent + line if line else "" for line in body[1:]]
    return out


def _table(node: SyntaxTreeNode) -> list[str]:
    rows = [row for part in node.children for row in part.children]
    out = []
    for index, row in enumerate(rows):
        out.append("| " + " | ".join(_inline(cell.children[0]) for cell in row.children) + " |")
        if index == 0:
            align = [str(cell.attrs.get("style", "")) for cell in row.children]
            out.append("|" + "|".join(_DELIMITER.get(style, " --- ") for style in align) + "|")
    return out


_DELIMITER = {
    "text-align:left": " :-- ",
    "text-align:right": " --: ",
    "text-align:center": " :-: ",
}


def _longest_run(code: str) -> int:
    """The longest run of backticks in code: its fence must be longer."""
    return max((len(run) for run in re.findall(r"`+", code)), default=0)


def _inline(node: SyntaxTreeNode) -> str:
    parts: list[str] = []
    _spans(node.children, parts)
    return "".join(parts)


def _spans(nodes: list[SyntaxTreeNode], out: list[str]) -> None:
    for node in nodes:
        kind = node.type
        if kind == "text":
            text = _LITERAL.sub(r"\\\1", node.content)
            text = text.replace("<", "&lt;").replace(">", "&gt;")
            if not out or out[-1].endswith("\n"):  # at the start of a line
                text = _NUMBERED.sub(r"\1\\", _LEADING.sub(r"\\\1", text.lstrip()))
            out.append(text)
        elif kind == "softbreak":
            out.append("\n")
        elif kind == "hardbreak":
            out.append("\\\n")
        elif kind == "code_inline":
            ticks = "`" * (_longest_run(node.content) + 1)
            pad = " " if node.content[:1] in ("`", " ") or node.content[-1:] in ("`", " ") else ""
            out.append(f"{ticks}{pad}{node.content}{pad}{ticks}")
        elif kind in ("strong", "em", "s"):
            out.append(node.markup)
            _spans(node.children, out)
            out.append(node.markup)
        elif kind == "link":
            _link(node, out)


def _link(node: SyntaxTreeNode, out: list[str]) -> None:
    href = str(node.attrs["href"])  # the link policy kept only allowed addresses
    if node.markup == "autolink":
        out.append(f"<{href.removeprefix('mailto:')}>")
        return
    if out and out[-1].endswith("!"):  # "!" then "[": an image
        out[-1] = out[-1][:-1] + "\\!"
    out.append("[")
    _spans(node.children, out)
    title = str(node.attrs.get("title", ""))
    title = ' "' + title.replace("\\", "\\\\").replace('"', '\\"') + '"' if title else ""
    out.append(f"](<{href}>{title})" if re.search(r"[\s()<>]", href) else f"]({href}{title})")
