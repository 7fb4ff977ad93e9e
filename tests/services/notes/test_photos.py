"""The photo pipeline, without HTTP: real type, size and pixel limits, metadata stripped,
orientation kept, thumbnails."""

from __future__ import annotations

import io
import struct
import time
import tracemalloc
import zlib

import pytest
from PIL import Image, ImageDraw
from sqlmodel import Session

from app.config import Settings
from app.errors import Conflict, Invalid, RateLimited
from app.models.notes import Photo
from app.models.topics import Topic
from app.services.access import EventAccess
from app.services.notes import photos
from tests.factories import make_event, make_user
from tests.marketplace_helpers import as_participant, as_staff
from tests.notes_helpers import publish

GPS_IFD = 0x8825
ORIENTATION = 0x0112
MAKE = 0x010F


def jpeg_with_gps(width: int = 400, height: int = 200, *, orientation: int = 1) -> bytes:
    """A photo as a phone takes it: EXIF with the place it was taken and how it was held.
    The left half is red, the right half blue, so a turn shows where red ends up."""
    image = Image.new("RGB", (width, height), "blue")
    ImageDraw.Draw(image).rectangle((0, 0, width // 2 - 1, height), fill="red")
    exif = Image.Exif()
    exif[MAKE] = "PhoneCo"
    exif[ORIENTATION] = orientation
    exif[GPS_IFD] = {1: "N", 2: (42.0, 41.0, 51.0), 3: "E", 4: (23.0, 19.0, 17.0)}
    out = io.BytesIO()
    image.save(out, "JPEG", exif=exif.tobytes(), comment=b"taken at home")
    return out.getvalue()


def _image(data: bytes) -> Image.Image:
    image = Image.open(io.BytesIO(data))
    image.load()
    return image


def _message(data: bytes) -> str:
    with pytest.raises(Invalid) as caught:
        photos.process(data)
    assert list(caught.value.errors) == ["photo"]
    return caught.value.errors["photo"]


def test_source_photo_really_has_gps_and_orientation() -> None:
    # The check below could not fail if the test photo carried no metadata to begin with.
    exif = _image(jpeg_with_gps(orientation=6)).getexif()
    assert exif[ORIENTATION] == 6
    assert exif.get_ifd(GPS_IFD)[1] == "N"


def test_gps_and_all_metadata_are_gone() -> None:
    result = photos.process(jpeg_with_gps())
    for data in (result.full, result.thumb):
        image = _image(data)
        assert (image.format, image.mode) == ("JPEG", "RGB")
        assert dict(image.getexif()) == {}
        assert image.getexif().get_ifd(GPS_IFD) == {}
        assert {"exif", "icc_profile", "comment", "xmp"} & set(image.info) == set()
        assert b"PhoneCo" not in data and b"taken at home" not in data


def test_orientation_is_applied_to_the_pixels() -> None:
    # Orientation 6: the camera was held turned; shown upright, the photo is 200 × 400 and the
    # red half (left in the stored pixels) is at the top.
    result = photos.process(jpeg_with_gps(400, 200, orientation=6))
    image = _image(result.full)
    assert image.size == (200, 400) == (result.width, result.height)
    top = image.getpixel((100, 50))
    bottom = image.getpixel((100, 350))
    assert isinstance(top, tuple) and isinstance(bottom, tuple)
    assert top[0] > 200 and top[2] < 60, top  # red
    assert bottom[2] > 200 and bottom[0] < 60, bottom  # blue


def test_thumbnail_and_full_size_are_bounded() -> None:
    result = photos.process(jpeg_with_gps(3000, 1500))
    assert (result.width, result.height) == (2048, 1024)
    assert (result.thumb_width, result.thumb_height) == (480, 240)
    assert _image(result.thumb).size == (480, 240)


def test_png_with_transparency_becomes_a_white_jpeg() -> None:
    image = Image.new("RGBA", (50, 40), (0, 0, 0, 0))
    out = io.BytesIO()
    image.save(out, "PNG")
    result = photos.process(out.getvalue())
    clean = _image(result.full)
    assert (clean.format, clean.size) == ("JPEG", (50, 40))
    pixel = clean.getpixel((10, 10))
    assert isinstance(pixel, tuple) and min(pixel) > 245


def test_webp_is_taken() -> None:
    out = io.BytesIO()
    Image.new("RGB", (64, 48), "green").save(out, "WEBP")
    assert (photos.process(out.getvalue()).width, photos.process(out.getvalue()).height) == (64, 48)


@pytest.mark.parametrize(
    "data",
    [
        b"<?php echo 'hi'; ?>",
        b"\xff\xd8\xff\xe0 not really a jpeg",
        b"<html><script>alert(1)</script></html>",
        b"GIF89a\x01\x00\x01\x00\x00\x00\x00;",
    ],
)
def test_fake_jpeg_is_refused(data: bytes) -> None:
    assert _message(data) in {
        "This file is not a photo we can read. Send a JPEG, PNG or WebP picture.",
        "This photo seems damaged. Take it again.",
    }


def test_a_gif_named_jpeg_is_refused_for_its_type() -> None:
    out = io.BytesIO()
    Image.new("RGB", (10, 10)).save(out, "GIF")
    assert _message(out.getvalue()) == (
        "This file is not a photo we can read. Send a JPEG, PNG or WebP picture."
    )


def test_truncated_jpeg_is_refused() -> None:
    data = jpeg_with_gps(800, 600)
    assert _message(data[: len(data) // 2]) == "This photo seems damaged. Take it again."


def test_empty_file_is_refused() -> None:
    assert _message(b"") == "Choose a photo first."


def test_oversized_file_is_refused_before_decoding() -> None:
    assert _message(b"\xff\xd8" + b"\x00" * photos.MAX_BYTES) == (
        "This photo is larger than 15 MB. Take it again at a lower resolution."
    )


def _png_header_only(width: int, height: int) -> bytes:
    """A PNG that claims ``width`` × ``height`` pixels but holds only one tiny row of data:
    what a decompression bomb looks like to the code that opens it."""
    out = io.BytesIO()
    Image.new("L", (1, 1)).save(out, "PNG")
    data = bytearray(out.getvalue())
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    chunk = b"IHDR" + ihdr
    data[8:33] = struct.pack(">I", 13) + chunk + struct.pack(">I", zlib.crc32(chunk))
    return bytes(data)


@pytest.mark.parametrize(("width", "height"), [(6000, 4001), (20000, 20000), (60000, 60000)])
def test_pixel_bomb_is_refused_fast_with_little_memory(width: int, height: int) -> None:
    bomb = _png_header_only(width, height)
    assert len(bomb) < 100
    tracemalloc.start()
    started = time.perf_counter()
    try:
        message = _message(bomb)
        _current, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert time.perf_counter() - started < 1.0
    assert peak < 5 * 1024 * 1024
    assert message == "This photo has more than 24 megapixels. Take it at a lower resolution."


def test_just_under_the_pixel_limit_passes_the_header_check() -> None:
    # 24 MP exactly (a phone camera's 6000×4000) is allowed by the check (decoding it is not
    # attempted here).
    assert photos.MAX_PIXELS == 24_000_000
    image = photos._open(_png_header_only(6000, 4000))
    assert image.size == (6000, 4000)


# --- photos of a session (with the database) ---------------------------------------------


@pytest.fixture
def world(session: Session, settings: Settings) -> tuple[EventAccess, EventAccess, Topic]:
    owner = make_user(session, name="Olga")
    event = make_event(session, owner=owner)
    (topic,) = publish(session, settings, event, owner, ["Housing"])
    return as_participant(session, settings, event, "Mira"), as_staff(session, event, owner), topic


def test_add_stores_files_under_random_names(
    session: Session, settings: Settings, world: tuple[EventAccess, EventAccess, Topic]
) -> None:
    phone, _staff, topic = world
    photo = photos.add(
        session, access=phone, topic_id=topic.id or 0, data=jpeg_with_gps(), caption=" A\n b ",
        upload_dir=settings.uploads_path,
    )  # fmt: skip
    assert (photo.caption, photo.uploaded_by_participant) == ("A b", phone.participant.id)  # type: ignore[union-attr]
    files = sorted(path.name for path in (settings.uploads_path / str(phone.event_id)).iterdir())
    assert files == [f"{photo.key}-thumb.jpg", f"{photo.key}.jpg"]
    assert len(photo.key) == 32


def test_caption_and_per_session_limits(
    session: Session, settings: Settings, world: tuple[EventAccess, EventAccess, Topic]
) -> None:
    phone, _staff, topic = world
    with pytest.raises(Invalid) as caught:
        photos.add(
            session, access=phone, topic_id=topic.id or 0, data=jpeg_with_gps(),
            caption="x" * 201, upload_dir=settings.uploads_path,
        )  # fmt: skip
    assert caught.value.errors == {"caption": "Use at most 200 characters."}
    for n in range(photos.PER_SESSION):
        session.add(
            Photo(
                event_id=phone.event_id,
                topic_id=topic.id or 0,
                key=f"k{n}",
                width=1,
                height=1,
                thumb_width=1,
                thumb_height=1,
                size_bytes=1,
            )
        )
    session.commit()
    with pytest.raises(Conflict) as conflict:
        photos.add(
            session, access=phone, topic_id=topic.id or 0, data=jpeg_with_gps(), caption="",
            upload_dir=settings.uploads_path,
        )  # fmt: skip
    assert (
        conflict.value.message == "This session has 30 photos already. Delete one to add another."
    )


def test_uploads_are_rate_limited_per_person(
    session: Session,
    settings: Settings,
    world: tuple[EventAccess, EventAccess, Topic],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    phone, staff, topic = world
    monkeypatch.setattr(photos, "UPLOADS_PER_WINDOW", 2)
    for _n in range(2):
        photos.add(
            session, access=phone, topic_id=topic.id or 0, data=jpeg_with_gps(), caption="",
            upload_dir=settings.uploads_path,
        )  # fmt: skip
    with pytest.raises(RateLimited):
        photos.add(
            session, access=phone, topic_id=topic.id or 0, data=jpeg_with_gps(), caption="",
            upload_dir=settings.uploads_path,
        )  # fmt: skip
    # Someone else is not held up by Mira's uploads.
    photos.add(
        session, access=staff, topic_id=topic.id or 0, data=jpeg_with_gps(), caption="",
        upload_dir=settings.uploads_path,
    )  # fmt: skip
    assert len(photos.of_session(session, event_id=phone.event_id, topic_id=topic.id or 0)) == 3


def test_truncated_jpeg_is_refused_after_the_pdf_renderer_was_loaded() -> None:
    """WeasyPrint turns on Pillow's LOAD_TRUNCATED_IMAGES when imported; the PDF renderer
    turns it off again, so a PDF export never weakens the upload checks."""
    import app.services.proceedings.render.pdf  # noqa: F401  (the import is what is tested)

    data = jpeg_with_gps(800, 600)
    assert _message(data[: len(data) // 2]) == "This photo seems damaged. Take it again."
