"""An organisation's logo: checked, cleaned and stored, as flipchart photos are
(``app/services/notes/photos.py``), with what differs for a logo.

``process`` is the whole pipeline, pure (bytes in, PNG bytes out), so it is tested without
HTTP. The type is found by decoding, not from the file's name: PNG or JPEG only. An SVG is a
program, not a picture (scripts, links to other files), and is refused with a message that
says what to do instead: save it as PNG. The pixel count is read from the header before
anything is decoded, so a decompression bomb costs a few kilobytes. The picture is turned
upright, shrunk to at most ``SIDE`` pixels on its longer side, and copied into a fresh image
that carries no metadata; it keeps its transparency (a logo sits on a white cover, a tinted
page), so it is always stored as PNG.

Logos come from organisers only and are small, so one is decoded at a time per process
(``DECODES``): a 16 MP RGBA picture, the worst accepted, decodes to about 64 MB.
"""

from __future__ import annotations

import io
import threading
from dataclasses import dataclass
from pathlib import Path

from PIL import Image

from app.errors import Invalid, RateLimited
from app.i18n import _
from app.services import pictures
from app.services.notes.photos import UPRIGHT, folder

MAX_BYTES = 5 * 1024 * 1024
MAX_PIXELS = 16_000_000  # 4000×4000: far beyond any logo, far below a memory problem
SIDE = 600  # sharp on an A4 cover (5 cm at 300 dpi) and a laptop screen
FORMATS = ("PNG", "JPEG")
SUFFIX = ".png"
DECODES = 1
DECODE_WAIT = 20.0
ORIENTATION = 0x0112  # the EXIF tag

_decoding = threading.BoundedSemaphore(DECODES)


@dataclass(frozen=True)
class Logo:
    png: bytes
    width: int
    height: int


def _refuse(message: str) -> Invalid:
    return Invalid({"logo": message})


def _too_many_pixels() -> str:
    return _("This logo has more than 16 megapixels. Save it smaller and try again.")


def looks_like_svg(data: bytes, filename: str = "") -> bool:
    """An SVG by its name or its first bytes (an XML declaration or an ``<svg`` element)."""
    if filename.lower().endswith((".svg", ".svgz")):
        return True
    head = data[:1024].lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    return head.startswith((b"<?xml", b"<svg", b"<!doctype svg")) or b"<svg" in head


def _open(data: bytes, filename: str) -> Image.Image:
    if not data:
        raise _refuse(_("Choose a logo first."))
    if looks_like_svg(data, filename):
        raise _refuse(_("SVG logos cannot be used. Save it as PNG and upload that."))
    if len(data) > MAX_BYTES:
        raise _refuse(_("This logo is larger than 5 MB. Save it smaller and try again."))
    try:
        return pictures.open_checked(data, formats=FORMATS, max_pixels=MAX_PIXELS)
    except pictures.Refused as refused:
        raise _refuse(
            {
                "too_many_pixels": _too_many_pixels(),
                "unreadable": _("This file is not a picture we can read. Send a PNG or JPEG."),
                "damaged": _("This picture seems damaged. Save it again and try again."),
            }[refused.reason]
        ) from None


def _clean(image: Image.Image) -> Logo:
    if image.format == "JPEG":
        image.draft("RGB", (SIDE, SIDE))  # decoded at a reduced scale straight away
    orientation = image.getexif().get(ORIENTATION, 1)
    image.load()
    transparent = image.mode in ("RGBA", "LA", "PA") or "transparency" in image.info
    wanted = "RGBA" if transparent else "RGB"
    if image.mode != wanted:
        image = image.convert(wanted)  # shrunk in RGB(A): a palette would lose pixels
    image.thumbnail((SIDE, SIDE), Image.Resampling.LANCZOS)
    if orientation in UPRIGHT:
        image = image.transpose(UPRIGHT[orientation])
    # A new image gets the pixels and nothing else: no EXIF, XMP, ICC, text chunks.
    clean = Image.new(wanted, image.size)
    clean.paste(image)
    out = io.BytesIO()
    clean.save(out, "PNG", optimize=True)
    return Logo(png=out.getvalue(), width=clean.width, height=clean.height)


def process(data: bytes, *, filename: str = "") -> Logo:
    """Check and clean one uploaded logo; raise ``Invalid`` (field ``logo``) when it is not
    one we take, ``RateLimited`` when another is being decoded for too long."""
    image = _open(data, filename)  # the header only: cheap, and refuses what is too large
    if not _decoding.acquire(timeout=DECODE_WAIT):
        raise RateLimited(_("The server is busy. Send the logo again in a minute."), field="logo")
    try:
        return _clean(image)
    except (OSError, ValueError, SyntaxError, Image.DecompressionBombError):
        raise _refuse(_("This picture seems damaged. Save it again and try again.")) from None
    finally:
        _decoding.release()


# --- files: next to the event's photos, so they go where the photos go ----------------------


def relative_path(event_id: int, key: str) -> str:
    """The logo's path inside the upload folder (``<event id>/<key>.png``), as the
    proceedings name it."""
    return f"{event_id}/{key}{SUFFIX}"


def path_of(upload_dir: Path, event_id: int, key: str) -> Path:
    return upload_dir / relative_path(event_id, key)


def write(upload_dir: Path, event_id: int, key: str, logo: Logo) -> None:
    """Write the file next to its place and rename it: a reader never sees half a logo."""
    folder(upload_dir, event_id).mkdir(parents=True, exist_ok=True)
    path = path_of(upload_dir, event_id, key)
    partial = path.with_suffix(".part")
    partial.write_bytes(logo.png)
    partial.replace(path)


def remove(upload_dir: Path, event_id: int, key: str) -> None:
    if key:
        path_of(upload_dir, event_id, key).unlink(missing_ok=True)
