"""Helpers for the retention tests: an event with a photo on disk, the files of the uploads."""

from __future__ import annotations

import io
import os
from pathlib import Path

from PIL import Image
from sqlmodel import Session

from app.config import Settings
from app.models.events import Event
from app.models.people import User
from app.services.notes import photos
from tests.factories import make_event
from tests.marketplace_helpers import as_participant
from tests.notes_helpers import publish


def jpeg() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (40, 30), "orange").save(out, "JPEG")
    return out.getvalue()


def upload_files(upload_dir: Path) -> list[str]:
    """Every file under the upload folder, as paths relative to it."""
    return sorted(
        str((Path(root) / name).relative_to(upload_dir))
        for root, _dirs, names in os.walk(upload_dir)
        for name in names
    )


def event_with_photo(
    session: Session, settings: Settings, owner: User, name: str
) -> tuple[Event, list[str]]:
    """An event with a session and a flipchart photo: its two files."""
    event = make_event(session, owner=owner, name=name)
    (topic,) = publish(session, settings, event, owner, ["Housing"])
    photo = photos.add(
        session,
        access=as_participant(session, settings, event, "Mira"),
        topic_id=topic.id or 0,
        data=jpeg(),
        caption="Wall",
        upload_dir=settings.uploads_path,
    )
    return event, sorted([photos.relative_path(photo), photos.relative_path(photo, thumb=True)])
