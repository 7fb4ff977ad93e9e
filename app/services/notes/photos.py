"""Flipchart photos: checked, cleaned and stored.

``process`` is the whole image pipeline, pure (bytes in, bytes out), so it is tested without
HTTP: the real type is found by decoding, not from the name; the pixel count is checked from the
header before anything is decoded, so a decompression bomb costs a few kilobytes of memory; the
photo is turned upright (EXIF orientation), re-encoded as JPEG into a fresh image that carries
no metadata at all (GPS above all), and a thumbnail is made. Files get random names under
``<upload dir>/<event id>/``.

Memory is what a hostile upload can exhaust: a PNG of nothing but zeros compresses 40
megapixels into 115 KB, and decoding is what costs. So:

- ``MAX_PIXELS`` is 24 megapixels, what a phone camera takes (6000×4000); checked from the
  header, before decoding, below Pillow's own decompression-bomb guard.
- The decoded picture is shrunk in place to ``FULL_SIDE`` straight away; every later step
  (whitening, turning, the clean copy, the thumbnail) works on the small one. A 24 MP photo
  then peaks at about 70 MB in RGB and 160 MB with an alpha channel, the worst mode
  (``bench/photo_decode.py`` measures it; it was 345 MB in RGB with a full-size copy per step).
- At most ``DECODES`` photos are decoded at once per process (a semaphore: routes run in
  worker threads); an upload waits up to ``DECODE_WAIT`` seconds for its turn, then is told
  to send it again. Worst case per process: DECODES × 160 MB, about 325 MB, whatever arrives.
- Uploads are counted per person (the participant and the browser, so a second identity in
  the same browser shares the count) and per event per minute (``EVENT_UPLOADS_PER_MINUTE``),
  which bounds a room of fresh identities too.
"""

from __future__ import annotations

import io
import secrets
import threading
from dataclasses import dataclass
from pathlib import Path

from PIL import Image
from sqlmodel import Session, col, func, select

from app.errors import Conflict, Invalid, NotFound, PermissionDenied, RateLimited
from app.i18n import _
from app.models.events import Role
from app.models.notes import CAPTION_MAX, Photo
from app.services import pictures, ratelimit
from app.services.access import STAFF, EventAccess
from app.services.notes.shared import Subject, require_subject
from app.services.text import check_length

MAX_BYTES = 15 * 1024 * 1024
MAX_PIXELS = 24_000_000  # a phone camera's 6000×4000
FULL_SIDE = 2048  # plenty for a flipchart on a projector, a tenth of a phone's file size
THUMB_SIDE = 480
QUALITY = 85
FORMATS = ("JPEG", "PNG", "WEBP")  # what phones send; HEIC is not read (phones convert it)
PER_SESSION = 30
UPLOADS_PER_WINDOW = 40  # per person and 10 minutes: a whole flipchart wall, not a flood
WINDOW = 600
EVENT_UPLOADS_PER_MINUTE = 30  # a room photographing its flipcharts at the end of a session
DECODES = 2  # photos decoded at once per process
DECODE_WAIT = 20.0  # seconds an upload waits for its turn to be decoded

_decoding = threading.BoundedSemaphore(DECODES)
# EXIF orientation → the turn that makes the picture upright (as ``ImageOps.exif_transpose``).
ORIENTATION = 0x0112
UPRIGHT = {
    2: Image.Transpose.FLIP_LEFT_RIGHT,
    3: Image.Transpose.ROTATE_180,
    4: Image.Transpose.FLIP_TOP_BOTTOM,
    5: Image.Transpose.TRANSPOSE,
    6: Image.Transpose.ROTATE_270,
    7: Image.Transpose.TRANSVERSE,
    8: Image.Transpose.ROTATE_90,
}


@dataclass(frozen=True)
class Processed:
    full: bytes
    thumb: bytes
    width: int
    height: int
    thumb_width: int
    thumb_height: int


def _too_many_pixels() -> str:
    return _("This photo has more than 24 megapixels. Take it at a lower resolution.")


def _refuse(message: str) -> Invalid:
    return Invalid({"photo": message})


def _open(data: bytes) -> Image.Image:
    if not data:
        raise _refuse(_("Choose a photo first."))
    if len(data) > MAX_BYTES:
        raise _refuse(_("This photo is larger than 15 MB. Take it again at a lower resolution."))
    try:
        return pictures.open_checked(data, formats=FORMATS, max_pixels=MAX_PIXELS)
    except pictures.Refused as refused:
        raise _refuse(
            {
                "too_many_pixels": _too_many_pixels(),
                "unreadable": _(
                    "This file is not a photo we can read. Send a JPEG, PNG or WebP picture."
                ),
                "damaged": _("This photo seems damaged. Take it again."),
            }[refused.reason]
        ) from None


def _decode(image: Image.Image) -> Image.Image:
    """The picture at most ``FULL_SIDE`` wide and high, upright, in RGB: one full-size buffer
    (the decoded one) and never a full-size copy."""
    if image.format == "JPEG":
        # Decode at a reduced scale straight from the JPEG data: a 24 MP photo then needs
        # a fraction of its full size in memory.
        image.draft("RGB", (FULL_SIDE, FULL_SIDE))
    orientation = image.getexif().get(ORIENTATION, 1)
    image.load()
    # Shrunk in RGB(A) only: a palette would be shrunk by dropping pixels.
    transparent = image.mode in ("RGBA", "LA", "PA") or "transparency" in image.info
    wanted = "RGBA" if transparent else "RGB"
    if image.mode != wanted:
        image = image.convert(wanted)
    image.thumbnail((FULL_SIDE, FULL_SIDE), Image.Resampling.LANCZOS)  # in place
    if image.mode == "RGBA":
        # Transparent parts become white, as on paper.
        background = Image.new("RGB", image.size, "white")
        background.paste(image, mask=image.getchannel("A"))
        image = background
    if orientation in UPRIGHT:
        image = image.transpose(UPRIGHT[orientation])
    return image


def _jpeg(image: Image.Image) -> bytes:
    out = io.BytesIO()
    image.save(out, "JPEG", quality=QUALITY, optimize=True)
    return out.getvalue()


def _clean(image: Image.Image) -> Processed:
    try:
        upright = _decode(image)
    except (OSError, ValueError, SyntaxError, Image.DecompressionBombError):
        raise _refuse(_("This photo seems damaged. Take it again.")) from None
    # A new image gets the pixels and nothing else: no EXIF, GPS, XMP, ICC or comments.
    full = Image.new("RGB", upright.size)
    full.paste(upright)
    thumb = full.copy()
    thumb.thumbnail((THUMB_SIDE, THUMB_SIDE), Image.Resampling.LANCZOS)
    return Processed(
        full=_jpeg(full),
        thumb=_jpeg(thumb),
        width=full.width,
        height=full.height,
        thumb_width=thumb.width,
        thumb_height=thumb.height,
    )


def process(data: bytes) -> Processed:
    """Check and clean one uploaded photo; raise ``Invalid`` (field ``photo``) when it is not
    one we take, ``RateLimited`` when too many are being decoded to wait for a turn."""
    image = _open(data)  # the header only: cheap, and refuses what is too large
    if not _decoding.acquire(timeout=DECODE_WAIT):
        raise RateLimited(
            _("Many photos are arriving right now. Send this one again in a minute."),
            field="photo",
        )
    try:
        return _clean(image)
    finally:
        _decoding.release()


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


# --- photos of a session or a plenary item ------------------------------------------------


def _uploader(access: EventAccess) -> tuple[int | None, int | None]:
    if access.participant is not None:
        return access.participant.id, None
    return None, access.user.id if access.user else None


def _count_upload(session: Session, *, person: str, browser_key: str | None, event_id: int) -> None:
    # Every bucket counts the attempt (a list, not a short-circuiting all()).
    keys = [f"photo:{person}"] + ([f"photo-browser:{browser_key}"] if browser_key else [])
    within = [
        ratelimit.hit(session, key=key, limit=UPLOADS_PER_WINDOW, window=WINDOW) for key in keys
    ]
    if not all(within):
        raise RateLimited(
            _("That was a lot of photos at once. Wait a few minutes and try again."),
            field="photo",
        )
    if not ratelimit.hit(
        session, key=f"photo-event:{event_id}", limit=EVENT_UPLOADS_PER_MINUTE, window=60
    ):
        raise RateLimited(
            _("Many photos are arriving right now. Send this one again in a minute."),
            field="photo",
        )


def add(
    session: Session,
    *,
    access: EventAccess,
    topic_id: int | None = None,
    block_id: int | None = None,
    data: bytes,
    caption: str,
    upload_dir: Path,
    browser_key: str | None = None,
) -> Photo:
    """Check, clean and store a photo of a session (``topic_id``) or a plenary item
    (``block_id``): participants and staff.

    ``browser_key`` names the browser (its session cookie's hash): its uploads count together
    whichever participant it is.
    """
    subject = Subject(topic_id=topic_id, block_id=block_id)
    access.require(Role.PARTICIPANT, *STAFF)
    caption = " ".join(caption.split())
    check_length(caption, CAPTION_MAX, field="caption")
    participant_id, user_id = _uploader(access)
    _count_upload(
        session,
        person=f"{'p' if participant_id else 'u'}{participant_id or user_id}",
        browser_key=browser_key,
        event_id=access.event_id,
    )
    # Decoded and re-encoded outside any transaction: on SQLite a write transaction holds the
    # whole database, and this takes a good part of a second for a large photo.
    processed = process(data)
    require_subject(session, access=access, subject=subject)
    count = session.exec(
        select(func.count())
        .select_from(Photo)
        .where(Photo.event_id == access.event_id, subject.where(Photo))
    ).one()
    if count >= PER_SESSION:
        if subject.is_plenary:
            raise Conflict(_("This plenary item has 30 photos already. Delete one to add another."))
        raise Conflict(_("This session has 30 photos already. Delete one to add another."))
    photo = Photo(
        event_id=access.event_id,
        topic_id=subject.topic_id,
        block_id=subject.block_id,
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


def of_subject(session: Session, *, event_id: int, subject: Subject) -> list[Photo]:
    """The photos of one session or plenary item, oldest first."""
    return list(
        session.exec(
            select(Photo)
            .where(Photo.event_id == event_id, subject.where(Photo))
            .order_by(col(Photo.id))
        ).all()
    )


def of_session(session: Session, *, event_id: int, topic_id: int) -> list[Photo]:
    return of_subject(session, event_id=event_id, subject=Subject(topic_id=topic_id))


def of_event(session: Session, *, event_id: int) -> dict[Subject, list[Photo]]:
    """Each session's and plenary item's photos, oldest first, by subject (one query)."""
    found: dict[Subject, list[Photo]] = {}
    for photo in session.exec(
        select(Photo).where(Photo.event_id == event_id).order_by(col(Photo.id))
    ).all():
        found.setdefault(Subject.of(photo), []).append(photo)
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
