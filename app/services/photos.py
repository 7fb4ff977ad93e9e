"""Flipchart photos: checked, cleaned and stored.

``process`` is the whole image pipeline, pure (bytes in, bytes out), so it is tested without
HTTP: the real type is found by decoding, not from the name; the pixel count is checked from the
header before anything is decoded, so a decompression bomb costs a few kilobytes of memory; the
photo is turned upright (EXIF orientation), re-encoded as JPEG into a fresh image that carries
no metadata at all (GPS above all), and a thumbnail is made. Files get random names under
``<upload dir>/<event id>/``.
"""

from __future__ import annotations

import io
import secrets
import warnings
from dataclasses import dataclass
from pathlib import Path

from PIL import Image, ImageOps, UnidentifiedImageError
from sqlmodel import Session, col, func, select

from app.errors import Conflict, Invalid, NotFound, PermissionDenied, RateLimited
from app.i18n import _
from app.models.events import Role
from app.models.notes import CAPTION_MAX, Photo
from app.services import ratelimit
from app.services.access import STAFF, EventAccess

MAX_BYTES = 15 * 1024 * 1024
MAX_PIXELS = 40_000_000
FULL_SIDE = 2048  # plenty for a flipchart on a projector, a tenth of a phone's file size
THUMB_SIDE = 480
QUALITY = 85
FORMATS = ("JPEG", "PNG", "WEBP")  # what phones send; HEIC is not read (phones convert it)
PER_SESSION = 30
UPLOADS_PER_WINDOW = 40  # per person and 10 minutes: a whole flipchart wall, not a flood
WINDOW = 600


@dataclass(frozen=True)
class Processed:
    full: bytes
    thumb: bytes
    width: int
    height: int
    thumb_width: int
    thumb_height: int


def _too_many_pixels() -> str:
    return _("This photo has more than 40 megapixels. Take it at a lower resolution.")


def _refuse(message: str) -> Invalid:
    return Invalid({"photo": message})


def _open(data: bytes) -> Image.Image:
    if not data:
        raise _refuse(_("Choose a photo first."))
    if len(data) > MAX_BYTES:
        raise _refuse(_("This photo is larger than 15 MB. Take it again at a lower resolution."))
    try:
        with warnings.catch_warnings():
            # Pillow warns (and past twice its limit, refuses) on huge images while opening:
            # either way, too big for us. Our own, lower limit is checked right after.
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(io.BytesIO(data), formats=FORMATS)
    except (Image.DecompressionBombWarning, Image.DecompressionBombError):
        raise _refuse(_too_many_pixels()) from None
    except UnidentifiedImageError:
        raise _refuse(
            _("This file is not a photo we can read. Send a JPEG, PNG or WebP picture.")
        ) from None
    except (OSError, ValueError, SyntaxError):
        raise _refuse(_("This photo seems damaged. Take it again.")) from None
    width, height = image.size
    if width < 1 or height < 1 or width * height > MAX_PIXELS:
        raise _refuse(_too_many_pixels())
    return image


def _fit(image: Image.Image, side: int) -> Image.Image:
    copy = image.copy()
    copy.thumbnail((side, side), Image.Resampling.LANCZOS)
    return copy


def _jpeg(image: Image.Image) -> bytes:
    out = io.BytesIO()
    image.save(out, "JPEG", quality=QUALITY, optimize=True)
    return out.getvalue()


def process(data: bytes) -> Processed:
    """Check and clean one uploaded photo; raise ``Invalid`` (field ``photo``) when it is not
    one we take."""
    image = _open(data)
    try:
        if image.format == "JPEG":
            # Decode at a reduced scale straight from the JPEG data: a 40 MP photo then needs
            # a fraction of its full size in memory.
            image.draft("RGB", (FULL_SIDE, FULL_SIDE))
        image.load()
        upright = ImageOps.exif_transpose(image)
    except (OSError, ValueError, SyntaxError, Image.DecompressionBombError):
        raise _refuse(_("This photo seems damaged. Take it again.")) from None
    if upright.mode in ("RGBA", "LA", "PA") or "transparency" in upright.info:
        # Transparent parts become white, as on paper.
        rgba = upright.convert("RGBA")
        background = Image.new("RGB", rgba.size, "white")
        background.paste(rgba, mask=rgba.getchannel("A"))
        upright = background
    # A new image gets the pixels and nothing else: no EXIF, GPS, XMP, ICC or comments.
    clean = Image.new("RGB", upright.size)
    clean.paste(upright.convert("RGB"))
    full = _fit(clean, FULL_SIDE)
    thumb = _fit(clean, THUMB_SIDE)
    return Processed(
        full=_jpeg(full),
        thumb=_jpeg(thumb),
        width=full.width,
        height=full.height,
        thumb_width=thumb.width,
        thumb_height=thumb.height,
    )


# --- files ---------------------------------------------------------------------------------


def folder(upload_dir: Path, event_id: int) -> Path:
    return upload_dir / str(event_id)


def relative_path(photo: Photo, *, thumb: bool = False) -> str:
    """The file's path inside the upload folder (``<event id>/<key>.jpg``), as the
    proceedings name it: they read photos from the upload folder only."""
    suffix = "-thumb.jpg" if thumb else ".jpg"
    return f"{photo.event_id}/{photo.key}{suffix}"


def path_of(upload_dir: Path, photo: Photo, *, thumb: bool = False) -> Path:
    return upload_dir / relative_path(photo, thumb=thumb)


def _write(path: Path, data: bytes) -> None:
    # Written next to its place and renamed: a reader never sees half a file.
    partial = path.with_suffix(".part")
    partial.write_bytes(data)
    partial.replace(path)


def _remove(upload_dir: Path, photo: Photo) -> None:
    for thumb in (False, True):
        path_of(upload_dir, photo, thumb=thumb).unlink(missing_ok=True)


# --- photos of a session -------------------------------------------------------------------


def _uploader(access: EventAccess) -> tuple[int | None, int | None]:
    if access.participant is not None:
        return access.participant.id, None
    return None, access.user.id if access.user else None


def add(
    session: Session,
    *,
    access: EventAccess,
    topic_id: int,
    data: bytes,
    caption: str,
    upload_dir: Path,
) -> Photo:
    """Check, clean and store a photo of a session (participants and staff)."""
    from app.services.notes import require_session  # notes import photos for the report

    access.require(Role.PARTICIPANT, *STAFF)
    caption = " ".join(caption.split())
    if len(caption) > CAPTION_MAX:
        raise Invalid({"caption": _("Use at most 200 characters.")})
    participant_id, user_id = _uploader(access)
    key = f"photo:{'p' if participant_id else 'u'}{participant_id or user_id}"
    if not ratelimit.hit(session, key=key, limit=UPLOADS_PER_WINDOW, window=WINDOW):
        raise RateLimited(_("That was a lot of photos at once. Wait a few minutes and try again."))
    # Decoded and re-encoded outside any transaction: on SQLite a write transaction holds the
    # whole database, and this takes a good part of a second for a large photo.
    processed = process(data)
    require_session(session, access=access, topic_id=topic_id)
    count = session.exec(
        select(func.count())
        .select_from(Photo)
        .where(Photo.event_id == access.event_id, Photo.topic_id == topic_id)
    ).one()
    if count >= PER_SESSION:
        raise Conflict(_("This session has 30 photos already. Delete one to add another."))
    photo = Photo(
        event_id=access.event_id,
        topic_id=topic_id,
        key=secrets.token_urlsafe(24),
        caption=caption,
        width=processed.width,
        height=processed.height,
        thumb_width=processed.thumb_width,
        thumb_height=processed.thumb_height,
        size_bytes=len(processed.full),
        uploaded_by_participant=participant_id,
        uploaded_by_user=user_id,
    )
    target = folder(upload_dir, access.event_id)
    target.mkdir(parents=True, exist_ok=True)
    _write(path_of(upload_dir, photo), processed.full)
    _write(path_of(upload_dir, photo, thumb=True), processed.thumb)
    session.add(photo)
    try:
        session.commit()
    except BaseException:
        session.rollback()
        _remove(upload_dir, photo)
        raise
    session.refresh(photo)
    return photo


def of_session(session: Session, *, event_id: int, topic_id: int) -> list[Photo]:
    return list(
        session.exec(
            select(Photo)
            .where(Photo.event_id == event_id, Photo.topic_id == topic_id)
            .order_by(col(Photo.id))
        ).all()
    )


def of_event(session: Session, *, event_id: int) -> dict[int, list[Photo]]:
    """Topic id → its photos, oldest first (one query)."""
    found: dict[int, list[Photo]] = {}
    for photo in session.exec(
        select(Photo).where(Photo.event_id == event_id).order_by(col(Photo.id))
    ).all():
        found.setdefault(photo.topic_id, []).append(photo)
    return found


def viewable(session: Session, *, access: EventAccess, photo_id: int) -> Photo:
    """A photo for someone of the event (participant, staff, or the event's board)."""
    access.require(Role.PARTICIPANT, Role.BOARD, *STAFF)
    photo = session.get(Photo, photo_id)
    if photo is None or photo.event_id != access.event_id:
        raise NotFound(_("There is no such photo."))
    return photo


def may_delete(access: EventAccess, photo: Photo) -> bool:
    if access.is_staff:
        return True
    return access.participant is not None and photo.uploaded_by_participant == access.participant.id


def delete(session: Session, *, access: EventAccess, photo_id: int, upload_dir: Path) -> Photo:
    """Delete a photo and its files: its uploader or staff."""
    access.require(Role.PARTICIPANT, *STAFF)
    photo = session.get(Photo, photo_id)
    if photo is None or photo.event_id != access.event_id:
        raise NotFound(_("There is no such photo."))
    if not may_delete(access, photo):
        raise PermissionDenied(_("Only the person who added this photo can delete it."))
    session.delete(photo)
    session.commit()
    _remove(upload_dir, photo)
    return photo
