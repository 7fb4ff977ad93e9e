"""Photos for the proceedings: read from the upload folder only, shrunk, re-encoded as JPEG.

Every format embeds the same shrunken copy, so a report with hundreds of flipchart photos
stays small and quick: a JPEG is decoded at a reduced scale straight away (``draft``), never
at its full size, and only one photo is in memory at a time while a copy is made.
"""

from __future__ import annotations

import base64
import os
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from io import BytesIO
from pathlib import Path

from PIL import Image, ImageOps

# On screen (the report page, the HTML file) a photo is a thumbnail about 20 rem wide. In
# print (PDF, DOCX) it is about 8.5 cm wide: 800 px is ~240 dpi there. Both are whole
# fractions of common photo sizes (1600, 3200 px), which a JPEG decodes without resampling.
SCREEN_PIXELS = 400
PRINT_PIXELS = 800
MAX_PIXELS = PRINT_PIXELS
QUALITY = 72
# A logo on the cover is at most about 5 cm wide or 2.2 cm high: 600 px is ~300 dpi there.
LOGO_PIXELS = 600
MAX_FILE_BYTES = 40 * 1024 * 1024
WORKERS = 4
ORIENTATION = 0x0112  # the EXIF tag


@dataclass(frozen=True)
class Picture:
    content: bytes
    width: int
    height: int
    mime: str = "image/jpeg"

    @property
    def data_uri(self) -> str:
        return f"data:{self.mime};base64," + base64.b64encode(self.content).decode("ascii")


def within(folder: Path, relative: str) -> Path | None:
    """``folder / relative`` if it stays inside ``folder`` (no ``..`` nor absolute paths)."""
    base = folder.resolve()
    try:
        path = (base / relative).resolve()
    except (OSError, ValueError):
        return None
    return path if path.is_relative_to(base) and path != base else None


def load(upload_dir: Path, relative: str, *, max_pixels: int = MAX_PIXELS) -> Picture | None:
    """The photo at ``relative`` under ``upload_dir``, shrunk to fit ``max_pixels`` square;
    None when the file is missing, outside the folder, too large or not an image."""
    path = within(upload_dir, relative)
    if path is None or not path.is_file() or path.stat().st_size > MAX_FILE_BYTES:
        return None
    try:
        with Image.open(path) as source:
            width, height = source.size
            if (
                source.format == "JPEG"
                and max(width, height) <= max_pixels
                and source.mode == "RGB"
                and source.getexif().get(ORIENTATION, 1) == 1
            ):
                # Small enough already (a stored thumbnail): taken as it is, never decoded.
                return Picture(path.read_bytes(), width, height)
            scale = min(1.0, max_pixels / max(width, height, 1))
            # A JPEG decodes straight at 1/2, 1/4 or 1/8 of its size, as large as the target.
            source.draft("RGB", (max(1, int(width * scale)), max(1, int(height * scale))))
            image = ImageOps.exif_transpose(source)  # phones store the rotation apart
            if max(image.size) > max_pixels:
                image.thumbnail((max_pixels, max_pixels), Image.Resampling.BILINEAR)
            if image.mode != "RGB":
                image = _on_white(image)
            out = BytesIO()
            image.save(out, "JPEG", quality=QUALITY, optimize=False)
            return Picture(out.getvalue(), image.width, image.height)
    except (OSError, ValueError, Image.DecompressionBombError, SyntaxError):
        return None


def load_many(
    upload_dir: Path, paths: Iterable[str], *, max_pixels: int = MAX_PIXELS
) -> dict[str, Picture | None]:
    """Several photos at once: Pillow decodes and encodes without the GIL, so a few threads
    shrink a report's photos about as many times faster as there are cores."""
    unique = list(dict.fromkeys(paths))
    if not unique:
        return {}
    workers = min(WORKERS, os.cpu_count() or 1, len(unique))
    with ThreadPoolExecutor(max_workers=workers) as pool:
        pictures = pool.map(lambda path: load(upload_dir, path, max_pixels=max_pixels), unique)
        return dict(zip(unique, pictures, strict=True))


def logo(upload_dir: Path, relative: str) -> Picture | None:
    """An organisation's logo as PNG (sharp edges and flat colours stay clean, transparency
    stays), at most ``LOGO_PIXELS`` on its long side; None when it cannot be read, as for
    photos."""
    path = within(upload_dir, relative)
    if path is None or not path.is_file() or path.stat().st_size > MAX_FILE_BYTES:
        return None
    try:
        with Image.open(path) as source:
            image = ImageOps.exif_transpose(source)
            if max(image.size) > LOGO_PIXELS:
                image.thumbnail((LOGO_PIXELS, LOGO_PIXELS), Image.Resampling.LANCZOS)
            if image.mode not in ("RGB", "RGBA"):
                image = image.convert("RGBA")
            out = BytesIO()
            image.save(out, "PNG")
            return Picture(out.getvalue(), image.width, image.height, mime="image/png")
    except (OSError, ValueError, Image.DecompressionBombError, SyntaxError):
        return None


def logos(upload_dir: Path, paths: Iterable[str]) -> dict[str, Picture | None]:
    return {path: logo(upload_dir, path) for path in dict.fromkeys(paths) if path}


def _on_white(image: Image.Image) -> Image.Image:
    rgba = image.convert("RGBA")
    background = Image.new("RGB", rgba.size, (255, 255, 255))
    background.paste(rgba, mask=rgba.getchannel("A"))
    return background
