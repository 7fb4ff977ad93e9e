"""An organisation's logo: PNG or JPEG in, a clean PNG out (transparency kept, at most 600
px, no metadata); SVGs, other files and pixel bombs refused with a message for the field."""

from __future__ import annotations

import io
import struct
import zlib

import pytest
from PIL import Image, ImageDraw, PngImagePlugin

from app.errors import Invalid
from app.services.events import logos

ORIENTATION = 0x0112
MAKE = 0x010F
SVG = b'<?xml version="1.0"?>\n<svg xmlns="http://www.w3.org/2000/svg"><circle r="4"/></svg>'


def _open(data: bytes) -> Image.Image:
    image = Image.open(io.BytesIO(data))
    image.load()
    return image


def _message(data: bytes, filename: str = "") -> str:
    with pytest.raises(Invalid) as caught:
        logos.process(data, filename=filename)
    assert list(caught.value.errors) == ["logo"]
    return caught.value.errors["logo"]


def transparent_png(width: int = 300, height: int = 200) -> bytes:
    """A red disc on a transparent square, with a text chunk that must not survive."""
    image = Image.new("RGBA", (width, height), (0, 0, 0, 0))
    ImageDraw.Draw(image).ellipse((0, 0, width - 1, height - 1), fill=(200, 30, 30, 255))
    info = PngImagePlugin.PngInfo()
    info.add_text("Author", "Designer at home")
    out = io.BytesIO()
    image.save(out, "PNG", pnginfo=info)
    return out.getvalue()


def jpeg_turned(width: int = 400, height: int = 200) -> bytes:
    """A JPEG held turned (EXIF orientation 6) with a camera maker: left half red."""
    image = Image.new("RGB", (width, height), "blue")
    ImageDraw.Draw(image).rectangle((0, 0, width // 2 - 1, height), fill="red")
    exif = Image.Exif()
    exif[MAKE] = "PhoneCo"
    exif[ORIENTATION] = 6
    out = io.BytesIO()
    image.save(out, "JPEG", exif=exif.tobytes())
    return out.getvalue()


def test_a_png_keeps_its_transparency_and_loses_its_metadata() -> None:
    source = transparent_png()
    assert _open(source).info["Author"] == "Designer at home"  # else the check below is moot

    logo = logos.process(source)

    image = _open(logo.png)
    assert (image.format, image.mode, image.size) == ("PNG", "RGBA", (300, 200))
    assert (logo.width, logo.height) == (300, 200)
    assert image.getpixel((2, 2)) == (0, 0, 0, 0)  # the corner stays see-through
    assert image.getpixel((150, 100)) == (200, 30, 30, 255)
    assert {"Author", "exif", "icc_profile", "xmp"} & set(image.info) == set()
    assert b"Designer at home" not in logo.png


def test_a_jpeg_becomes_an_upright_png_without_exif() -> None:
    logo = logos.process(jpeg_turned())

    image = _open(logo.png)
    assert (image.format, image.mode, image.size) == ("PNG", "RGB", (200, 400))
    assert dict(image.getexif()) == {}
    assert b"PhoneCo" not in logo.png
    top = image.getpixel((100, 50))
    assert isinstance(top, tuple) and top[0] > 200 and top[2] < 60  # red, turned to the top


def test_a_large_logo_is_shrunk_to_600_pixels_on_its_longer_side() -> None:
    logo = logos.process(transparent_png(2400, 1200))
    assert (logo.width, logo.height) == (600, 300) == _open(logo.png).size


def test_a_small_logo_keeps_its_size() -> None:
    assert logos.process(transparent_png(120, 80)).width == 120


@pytest.mark.parametrize(
    ("data", "filename"),
    [
        (SVG, "logo.png"),
        (b"\xef\xbb\xbf  <svg xmlns='http://www.w3.org/2000/svg'/>", ""),
        (b"<!DOCTYPE svg PUBLIC '-//W3C//DTD SVG 1.1//EN'><svg/>", ""),
        (transparent_png(), "Logo.SVG"),
    ],
)
def test_an_svg_is_refused_with_what_to_do_instead(data: bytes, filename: str) -> None:
    assert _message(data, filename) == "SVG logos cannot be used. Save it as PNG and upload that."


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "Choose a logo first."),
        (b"%PDF-1.7 not a picture", "This file is not a picture we can read. Send a PNG or JPEG."),
        (b"GIF89a" + b"\x00" * 40, "This file is not a picture we can read. Send a PNG or JPEG."),
        (
            b"x" * (logos.MAX_BYTES + 1),
            "This logo is larger than 5 MB. Save it smaller and try again.",
        ),
        (transparent_png()[:60], "This picture seems damaged. Save it again and try again."),
    ],
)
def test_what_is_not_a_logo_is_refused(data: bytes, message: str) -> None:
    assert _message(data) == message


def _png_header_only(width: int, height: int) -> bytes:
    """A PNG that claims ``width`` × ``height`` pixels and holds one tiny row: a bomb."""
    out = io.BytesIO()
    Image.new("L", (1, 1)).save(out, "PNG")
    data = bytearray(out.getvalue())
    chunk = b"IHDR" + struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    data[8:33] = struct.pack(">I", 13) + chunk + struct.pack(">I", zlib.crc32(chunk))
    return bytes(data)


@pytest.mark.parametrize(("width", "height"), [(4000, 4001), (60000, 60000)])
def test_too_many_pixels_are_refused_from_the_header(width: int, height: int) -> None:
    assert _message(_png_header_only(width, height)) == (
        "This logo has more than 16 megapixels. Save it smaller and try again."
    )


def test_svg_sniffing_leaves_pictures_alone() -> None:
    assert logos.looks_like_svg(transparent_png()) is False
    assert logos.looks_like_svg(jpeg_turned(), "badge.jpg") is False
