"""Downloads of an event: the proceedings in five formats, each in any language we ship, and
the event's data as JSON (the same in every language: it holds what people typed and codes,
no labels)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from sqlmodel import Session

from app.errors import NotFound
from app.i18n import _
from app.models.events import Event
from app.services.access import EventAccess
from app.services.proceedings import build
from app.services.proceedings.archive import dump
from app.services.proceedings.render import render

FORMATS = ("html", "pdf", "docx", "md", "json", "csv")
MEDIA_TYPES = {
    "html": "text/html; charset=utf-8",
    "pdf": "application/pdf",
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "md": "text/markdown; charset=utf-8",
    "json": "application/json",
    "csv": "application/zip",
}
# The proceedings' names carry their language: a bilingual event's two PDFs sit side by side.
FILE_NAMES = {
    "html": "{slug}-proceedings-{lang}.html",
    "pdf": "{slug}-proceedings-{lang}.pdf",
    "docx": "{slug}-proceedings-{lang}.docx",
    "md": "{slug}-proceedings-{lang}.md",
    "json": "{slug}-event.json",
    "csv": "{slug}-tables-{lang}.zip",
}


@dataclass(frozen=True)
class Export:
    content: bytes
    media_type: str
    filename: str


def export(
    session: Session, *, access: EventAccess, fmt: str, upload_dir: Path, locale: str | None = None
) -> Export:
    """A download for the event's organisers and facilitators."""
    access.require_staff()
    return export_event(session, event=access.event, fmt=fmt, upload_dir=upload_dir, locale=locale)


def export_event(
    session: Session, *, event: Event, fmt: str, upload_dir: Path, locale: str | None = None
) -> Export:
    """Without an access check: for the command line. ``locale``: the proceedings' language
    (``build.choose_locale``; a language we do not ship is refused for every format, JSON
    included, which ignores it otherwise)."""
    if fmt not in FORMATS:
        raise NotFound(_("There is nothing at this address."))
    chosen = build.choose_locale(event, locale)
    if fmt == "json":
        content = dump.dumps(dump.export_event(session, event=event))
    else:
        report = build.build_for_event(session, event=event, locale=chosen)
        content = render(report, fmt, upload_dir=upload_dir)
    name = FILE_NAMES[fmt].format(slug=event.slug, lang=chosen)
    return Export(content, MEDIA_TYPES[fmt], name)
