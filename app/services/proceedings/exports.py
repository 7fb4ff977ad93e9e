"""Downloads of an event: the proceedings in five formats, and the event's data as JSON."""

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
FILE_NAMES = {
    "html": "{slug}-proceedings.html",
    "pdf": "{slug}-proceedings.pdf",
    "docx": "{slug}-proceedings.docx",
    "md": "{slug}-proceedings.md",
    "json": "{slug}-event.json",
    "csv": "{slug}-tables.zip",
}


@dataclass(frozen=True)
class Export:
    content: bytes
    media_type: str
    filename: str


def export(session: Session, *, access: EventAccess, fmt: str, upload_dir: Path) -> Export:
    """A download for the event's organisers and facilitators."""
    access.require_staff()
    return export_event(session, event=access.event, fmt=fmt, upload_dir=upload_dir)


def export_event(session: Session, *, event: Event, fmt: str, upload_dir: Path) -> Export:
    """Without an access check: for the command line."""
    if fmt not in FORMATS:
        raise NotFound(_("There is nothing at this address."))
    if fmt == "json":
        content = dump.dumps(dump.export_event(session, event=event))
    else:
        content = render(build.build_for_event(session, event=event), fmt, upload_dir=upload_dir)
    return Export(content, MEDIA_TYPES[fmt], FILE_NAMES[fmt].format(slug=event.slug))
