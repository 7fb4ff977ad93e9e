"""The demo event's notes, photos, priorities and commitments: a realistic report example."""

from __future__ import annotations

import io

from PIL import Image
from sqlmodel import Session, select

from app.config import Settings
from app.demo import load_demo
from app.models.people import Participant
from app.models.schedule import CheckIn
from app.services.convergence import priorities
from app.services.notes import report as notes_report
from app.services.proceedings import build


def test_demo_has_notes_in_both_languages_photos_priorities_and_commitments(
    session: Session, settings: Settings
) -> None:
    event, _created = load_demo(session, settings=settings)
    report = notes_report.report(session, event_id=event.id or 0, upload_dir=settings.uploads_path)
    written = [item for item in report if item.revision]
    assert len(report) == 15  # the demo's topics, published into its slots
    assert len(written) == 5
    assert any("Ръководство" in p.text for item in written for p, _dots in item.proposals)
    assert any(item.outcome.startswith("Кратко ръководство") for item in written)
    housing = next(item for item in written if item.title.startswith("Housing for refugee"))
    assert "<strong>unpaid rent</strong>" in housing.html["discussion"]
    # Attendance comes from the demo agenda's check-ins; only those who consented are named.
    present = session.exec(
        select(Participant.name, Participant.consent_report)
        .join(CheckIn, CheckIn.participant_id == Participant.id)  # type: ignore[arg-type]
        .where(CheckIn.topic_id == housing.topic_id)
        .distinct()
    ).all()
    assert housing.participant_count == len(present) > 0
    assert sorted(housing.participant_names) == sorted(name for name, ok in present if ok)
    assert any(not ok for _name, ok in present)  # someone is counted but not named
    pictures = [photo for item in report for photo in item.photos]
    assert len(pictures) == 4
    for photo in pictures:
        full = Image.open(io.BytesIO(photo.path.read_bytes()))
        assert (full.format, dict(full.getexif())) == ("JPEG", {})
        assert photo.thumb_path.is_file()
    ranked = priorities.priorities(session, event_id=event.id or 0)
    assert len(ranked) == 7
    assert [p.dots for p in ranked] == sorted((p.dots for p in ranked), reverse=True)
    assert sum(p.dots for p in ranked) > 40
    assert [c.who for _p, c in priorities.commitments(session, event_id=event.id or 0)] != []


def test_demo_plenaries_have_notes_in_bulgarian_and_a_flipchart(
    session: Session, settings: Settings
) -> None:
    event, _created = load_demo(session, settings=settings)
    report = build.build_for_event(session, event=event)
    written = {item.title: item for item in report.plenaries if item.has_record}
    assert sorted(written) == [
        "Current picture of refugee integration",
        "Good practices from European NGOs",
        "Opening circle",
    ]
    practices = written["Good practices from European NGOs"]
    assert practices.presenter == "Ingrid Halvorsen, Nordic Welcome Network"
    assert practices.notes is not None
    assert [field.label for field in practices.notes.fields] == [
        "Резултат",
        "Основни точки от дискусията",
        "Препоръки",
    ]
    assert practices.notes.fields[0].text.startswith("Менторски програми")
    assert [photo.caption for photo in practices.photos] == ["Добри практики: менторство"]
    full = Image.open(settings.uploads_path / practices.photos[0].path)
    assert (full.format, dict(full.getexif())) == ("JPEG", {})
    assert (settings.uploads_path / practices.photos[0].thumbnail).is_file()
    # Loading the demo again adds nothing twice.
    load_demo(session, settings=settings)
    again = build.build_for_event(session, event=event)
    assert sum(len(item.photos) for item in again.plenaries) == 1
