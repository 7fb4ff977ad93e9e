"""Audit item 3: a tiny PNG exhausted memory. A 115 KB all-zero 6300×6300 PNG passed the
40-megapixel cap and cost ~590 MB per decode; four at once ~3 GB; and a second identity in
the same browser started the per-person upload count again.

Uploads go through HTTP where the audit did; the decode limits are checked on the pipeline."""

from __future__ import annotations

import struct
import threading
import time
import zlib
from collections.abc import Callable

import pytest
from fastapi.testclient import TestClient
from PIL import ImageFile
from sqlmodel import Session, select

from app.config import Settings
from app.errors import Invalid, RateLimited
from app.models.events import Event
from app.models.notes import Photo
from app.models.people import Participant, User
from app.services.notes import photos
from app.services.people import participants
from tests.factories import field_error, post
from tests.notes_helpers import publish
from tests.routes.helpers import join
from tests.routes.test_notes import World, _upload
from tests.services.notes.test_photos import jpeg_with_gps

TOO_MANY_PIXELS = "This photo has more than 24 megapixels. Take it at a lower resolution."


def zero_png(width: int, height: int) -> bytes:
    """An all-black RGB PNG: zlib squeezes its rows to almost nothing."""

    def chunk(kind: bytes, body: bytes) -> bytes:
        crc = struct.pack(">I", zlib.crc32(kind + body))
        return struct.pack(">I", len(body)) + kind + body + crc

    packer = zlib.compressobj(9)
    row = b"\x00" * (1 + 3 * width)
    raw = b"".join(packer.compress(row) for _ in range(height)) + packer.flush()
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    body = chunk(b"IHDR", header) + chunk(b"IDAT", raw) + chunk(b"IEND", b"")
    return b"\x89PNG\r\n\x1a\n" + body


@pytest.fixture
def room(
    session: Session,
    settings: Settings,
    event: Event,
    owner: User,
    new_client: Callable[[], TestClient],
) -> World:
    """The event's sessions with Mira's and Ivo's phones in them (as in the notes tests)."""
    housing, jobs = publish(session, settings, event, owner, ["Housing", "Jobs"])
    phone, laptop, stranger = new_client(), new_client(), new_client()
    join(phone, settings, event, "Mira")
    join(laptop, settings, event, "Ivo")
    return World(event, housing, jobs, phone, laptop, stranger)


@pytest.fixture
def decodes(monkeypatch: pytest.MonkeyPatch) -> list[object]:
    """Every full decode that happens (``ImageFile.load`` is where pixels are unpacked)."""
    seen: list[object] = []
    load = ImageFile.ImageFile.load

    def spy(image: ImageFile.ImageFile) -> object:
        seen.append(image.size)
        return load(image)

    monkeypatch.setattr(ImageFile.ImageFile, "load", spy)
    return seen


def test_the_audits_png_bomb_is_refused_without_decoding(
    session: Session, room: World, settings: Settings, decodes: list[object]
) -> None:
    bomb = zero_png(6300, 6300)
    assert 100_000 < len(bomb) < 130_000  # the audit's 115 KB
    response = _upload(room.phone, settings, room, bomb)
    assert response.status_code == 422  # type: ignore[attr-defined]
    assert field_error(response.text, "photo") == TOO_MANY_PIXELS  # type: ignore[attr-defined]
    assert decodes == []
    assert session.exec(select(Photo)).all() == []


def test_one_pixel_over_24_megapixels_is_refused(decodes: list[object]) -> None:
    with pytest.raises(Invalid) as caught:
        photos.process(zero_png(4000, 6001))  # 24,004,000 pixels
    assert caught.value.errors == {"photo": TOO_MANY_PIXELS}
    assert decodes == []


def test_a_normal_photo_is_taken(session: Session, room: World, settings: Settings) -> None:
    response = _upload(room.phone, settings, room, jpeg_with_gps(1200, 900), "Wall")
    assert response.status_code == 303  # type: ignore[attr-defined]
    stored = session.exec(select(Photo)).one()
    assert (stored.caption, stored.width, stored.height) == ("Wall", 1200, 900)


def test_a_phone_camera_photo_is_taken() -> None:
    processed = photos.process(zero_png(6000, 4000))  # 24 MP exactly
    assert (processed.width, processed.height) == (photos.FULL_SIDE, 1365)


def test_decodes_at_once_are_bounded(monkeypatch: pytest.MonkeyPatch) -> None:
    running, most = 0, 0
    lock = threading.Lock()
    clean = photos._clean

    def slow(image: object) -> photos.Processed:
        nonlocal running, most
        with lock:
            running += 1
            most = max(most, running)
        time.sleep(0.05)
        with lock:
            running -= 1
        return clean(image)  # type: ignore[arg-type]

    monkeypatch.setattr(photos, "_clean", slow)
    small = jpeg_with_gps(40, 30)
    threads = [threading.Thread(target=photos.process, args=(small,)) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert photos.DECODES == 2
    assert most == photos.DECODES


def test_a_photo_that_waits_too_long_is_told_to_come_back(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(photos, "DECODE_WAIT", 0.05)
    for _turn in range(photos.DECODES):
        assert photos._decoding.acquire(timeout=1)
    try:
        with pytest.raises(RateLimited) as caught:
            photos.process(jpeg_with_gps(40, 30))
    finally:
        for _turn in range(photos.DECODES):
            photos._decoding.release()
    assert (caught.value.field, caught.value.message) == (
        "photo",
        "Many photos are arriving right now. Send this one again in a minute.",
    )


def test_uploads_are_limited_per_event_per_minute(
    session: Session,
    room: World,
    settings: Settings,
    new_client: Callable[[], TestClient],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(photos, "EVENT_UPLOADS_PER_MINUTE", 2)
    third = new_client()
    join(third, settings, room.event, "Ana")
    statuses = [
        _upload(phone, settings, room, jpeg_with_gps()).status_code  # type: ignore[attr-defined]
        for phone in (room.phone, room.laptop)
    ]
    refused = _upload(third, settings, room, jpeg_with_gps())
    assert statuses == [303, 303]
    assert refused.status_code == 429  # type: ignore[attr-defined]
    assert field_error(refused.text, "photo") == (  # type: ignore[attr-defined]
        "Many photos are arriving right now. Send this one again in a minute."
    )
    assert len(session.exec(select(Photo)).all()) == 2


def test_another_identity_in_the_same_browser_keeps_the_upload_count(
    session: Session, room: World, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(photos, "UPLOADS_PER_WINDOW", 2)
    for _n in range(2):
        assert _upload(room.phone, settings, room, jpeg_with_gps()).status_code == 303  # type: ignore[attr-defined]
    # The same phone becomes Ivo through his personal link: a new participant, same browser.
    ivo = session.exec(select(Participant).where(Participant.name == "Ivo")).one()
    token = participants.personal_token(ivo, settings.secret)
    claimed = post(room.phone, settings, f"/e/{room.event.slug}/p/{token}")
    assert claimed.status_code == 303
    assert "Ivo" in room.phone.get(f"/e/{room.event.slug}/me").text
    refused = _upload(room.phone, settings, room, jpeg_with_gps())
    assert refused.status_code == 429  # type: ignore[attr-defined]
    assert field_error(refused.text, "photo") == (  # type: ignore[attr-defined]
        "That was a lot of photos at once. Wait a few minutes and try again."
    )
