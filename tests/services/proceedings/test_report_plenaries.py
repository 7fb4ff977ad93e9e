"""The proceedings' plenary items: in programme order, with their notes (authors named only by
consent) and photos, read in a fixed number of queries."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import Engine
from sqlmodel import Session

from app.config import Settings
from app.models.events import BlockKind, TimeBlockCreate
from app.models.people import User
from app.services.events import events, programme
from app.services.notes import editing, photos
from app.services.proceedings import build
from app.services.proceedings.report import NoteField, PhotoView
from tests.factories import make_event, make_user
from tests.report_helpers import World, add_plenary_notes, flipchart_jpeg, make_world
from tests.services.proceedings.test_report import counting


@pytest.fixture
def world(session: Session, settings: Settings) -> World:
    owner: User = make_user(session, email="olga@example.org", name="Olga")
    event = make_event(session, owner=owner, name="Lab Sofia")
    return make_world(session, settings, event=event, owner=owner)


def test_plenaries_come_in_programme_order_with_their_notes_and_photos(
    session: Session, settings: Settings, world: World
) -> None:
    opening = add_plenary_notes(session, world, upload_dir=settings.uploads_path)
    day = events.days(session, event_id=world.staff.event_id)[0]
    closing = programme.add_block(
        session,
        access=world.staff,
        day_id=day.id or 0,
        data=TimeBlockCreate(
            kind=BlockKind.PLENARY, starts_at=dt.time(17), ends_at=dt.time(18), title="Closing"
        ),
    )
    built = build.build_for_event(session, event=world.event)
    assert [(p.block_id, p.title, p.presenter, p.starts, p.ends) for p in built.plenaries] == [
        (opening.id, "Opening", "Olga", "09:00", "09:30"),
        (closing.id, "Closing", "", "17:00", "18:00"),
    ]
    first, last = built.plenaries
    session_days = {item.day for item in built.sessions}
    assert {first.day, last.day} == session_days  # the sessions' own date label
    assert first.notes is not None
    assert first.notes.fields == [
        NoteField("Outcome", "Welcome to the lab", markdown=False),
        NoteField("Key discussion points", "- **Two** days"),
        NoteField("Recommendations", "Ask early"),
    ]
    assert (first.notes.proposals, first.notes.authors) == ([], ["Mira"])  # Ivo: no consent
    (photo,) = photos.of_event(session, event_id=world.staff.event_id).values()
    assert first.photos == [
        PhotoView(
            path=photos.relative_path(photo[0]),
            caption="Welcome",
            thumbnail=photos.relative_path(photo[0], thumb=True),
        )
    ]
    assert (first.has_record, last.has_record, last.notes, last.photos) == (True, False, None, [])
    # Plenary notes are not session notes; the photos figure counts every photo shown.
    assert (built.notes_count, built.photo_count) == (0, 1)


def test_plenary_notes_speak_the_reports_language(
    session: Session, settings: Settings, world: World
) -> None:
    world.event.languages = ["bg", "en"]
    session.add(world.event)
    session.commit()
    add_plenary_notes(session, world, upload_dir=settings.uploads_path)
    built = build.build_for_event(session, event=world.event)
    assert built.plenaries[0].notes is not None
    assert [field.label for field in built.plenaries[0].notes.fields] == [
        "Резултат",
        "Основни точки от дискусията",
        "Препоръки",
    ]


def test_plenaries_are_read_in_a_fixed_number_of_queries(
    session: Session, settings: Settings, engine: Engine, world: World
) -> None:
    add_plenary_notes(session, world, upload_dir=settings.uploads_path)
    with counting(engine) as small:
        build.build_for_event(session, event=world.event)
    day = events.days(session, event_id=world.staff.event_id)[0]
    for hour in (13, 14, 15):
        block = programme.add_block(
            session,
            access=world.staff,
            day_id=day.id or 0,
            data=TimeBlockCreate(
                kind=BlockKind.PLENARY,
                starts_at=dt.time(hour),
                ends_at=dt.time(hour, 45),
                title=f"Talk {hour}",
            ),
        )
        editing.save(
            session,
            access=world.mira,
            block_id=block.id,
            base_revision=0,
            changes={"outcome": f"Heard at {hour}"},
        )
        photos.add(
            session,
            access=world.mira,
            block_id=block.id,
            data=flipchart_jpeg(64, 48),
            caption="",
            upload_dir=settings.uploads_path,
        )
    with counting(engine) as large:
        built = build.build_for_event(session, event=world.event)
    assert [p.title for p in built.plenaries] == ["Opening", "Talk 13", "Talk 14", "Talk 15"]
    assert all(p.has_record and len(p.photos) == 1 for p in built.plenaries)
    assert len(large) == len(small)
