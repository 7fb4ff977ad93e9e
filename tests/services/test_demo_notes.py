"""The demo event's notes, photos, priorities and commitments: a realistic report example."""

from __future__ import annotations

import io

from PIL import Image
from sqlmodel import Session

from app.config import Settings
from app.services import convergence, notes
from app.services.demo import load_demo


def test_demo_has_notes_in_both_languages_photos_priorities_and_commitments(
    session: Session, settings: Settings
) -> None:
    event, _created = load_demo(session, settings=settings)
    report = notes.report(session, event_id=event.id or 0, upload_dir=settings.uploads_path)
    written = [item for item in report if item.revision]
    assert len(report) == 15  # the demo's topics, published into its slots
    assert len(written) == 5
    assert any("Ръководство" in p.text for item in written for p, _dots in item.proposals)
    assert any(item.outcome.startswith("Кратко ръководство") for item in written)
    housing = written[0]
    assert housing.title == "Housing for refugee families outside Sofia"
    assert "<strong>unpaid rent</strong>" in housing.html["discussion"]
    # Iryna (index 4) checked in without consenting: counted, not named.
    assert housing.participant_count == 6
    assert "Iryna Bondarenko" not in housing.participant_names
    assert "Radostina Hristova" in housing.participant_names
    pictures = [photo for item in report for photo in item.photos]
    assert len(pictures) == 4
    for photo in pictures:
        full = Image.open(io.BytesIO(photo.path.read_bytes()))
        assert (full.format, dict(full.getexif())) == ("JPEG", {})
        assert photo.thumb_path.is_file()
    ranked = convergence.priorities(session, event_id=event.id or 0)
    assert len(ranked) == 7
    assert [p.dots for p in ranked] == sorted((p.dots for p in ranked), reverse=True)
    assert sum(p.dots for p in ranked) > 40
    assert [c.who for _p, c in convergence.commitments(session, event_id=event.id or 0)] != []
