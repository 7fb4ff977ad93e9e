"""A plenary item's notes and photos without HTTP: the sessions' services, for another subject."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from app.config import Settings
from app.errors import Conflict, Invalid, NotFound, PermissionDenied
from app.models.events import BlockKind, Event, Role, TimeBlock, TimeBlockCreate
from app.models.notes import NotesPresence, Photo, SessionNotes
from app.models.people import User
from app.services.access import EventAccess
from app.services.events import programme
from app.services.notes import editing, photos, reading
from app.services.notes.shared import Subject
from app.services.schedule import agenda
from tests.factories import access_as, make_event, make_user
from tests.marketplace_helpers import as_participant, as_staff
from tests.notes_helpers import add_plenary, publish
from tests.report_helpers import flipchart_jpeg


@pytest.fixture
def plenary(session: Session, event: Event, owner: User) -> TimeBlock:
    return add_plenary(session, event, owner)


@pytest.fixture
def phone(session: Session, settings: Settings, event: Event) -> EventAccess:
    return as_participant(session, settings, event, "Mira")


def _bid(block: TimeBlock) -> int:
    assert block.id is not None
    return block.id


def test_plenary_notes_save_their_fields_and_ignore_the_sessions_own(
    session: Session, plenary: TimeBlock, phone: EventAccess
) -> None:
    result = editing.save(
        session,
        access=phone,
        block_id=_bid(plenary),
        base_revision=0,
        changes={
            "outcome": "Mentors work",
            "discussion": "- Norway\r\n- Germany",
            "title": "Another title",
            "participant_count": "12",
        },
    )
    assert (result.revision, result.applied) == (1, ["outcome", "discussion"])
    assert result.values == {
        "outcome": "Mentors work",
        "discussion": "- Norway\n- Germany",
        "ideas": "",
        "recommendations": "",
        "questions": "",
    }
    session.expire_all()
    row = session.exec(select(SessionNotes)).one()
    assert (row.topic_id, row.block_id, row.title, row.participant_count) == (
        None,
        plenary.id,
        "",
        None,
    )


def test_plenary_notes_merge_and_keep_conflicts_like_sessions(
    session: Session, settings: Settings, event: Event, plenary: TimeBlock, phone: EventAccess
) -> None:
    laptop = as_participant(session, settings, event, "Ivo")
    block_id = _bid(plenary)
    editing.save(
        session, access=phone, block_id=block_id, base_revision=0, changes={"outcome": "a"}
    )
    theirs = editing.save(
        session, access=phone, block_id=block_id, base_revision=1, changes={"outcome": "b"}
    )
    mine = editing.save(
        session, access=laptop, block_id=block_id, base_revision=1, changes={"outcome": "c"}
    )
    assert (theirs.revision, mine.conflicts, mine.values["outcome"]) == (2, ["outcome"], "b")
    page = reading.plenary_page(session, access=phone, block_id=block_id)
    (conflict,) = page.conflicts
    assert (conflict.field, conflict.text, conflict.author) == ("outcome", "c", "Ivo")
    conflict_id = conflict.id or 0
    found = editing.subject_of_conflict(session, access=phone, conflict_id=conflict_id)
    assert found == Subject(block_id=block_id)
    assert reading.live_map(session, event_id=phone.event_id)[f"b{block_id}"]["c"] == [conflict.id]


def test_plenary_page_has_the_programme_item_and_no_session_parts(
    session: Session, plenary: TimeBlock, phone: EventAccess
) -> None:
    editing.save(
        session,
        access=phone,
        block_id=_bid(plenary),
        base_revision=0,
        changes={"recommendations": "**Pilot** it"},
    )
    page = reading.plenary_page(session, access=phone, block_id=_bid(plenary))
    assert (page.heading, page.people, page.room, page.subject) == (
        "Good practices",
        ["Ingrid"],
        None,
        Subject(block_id=_bid(plenary)),
    )
    assert page.starts_at is not None and page.starts_at.astimezone(
        agenda.zone(phone.event)
    ).time() == dt.time(9)
    assert str(page.rendered["recommendations"]) == "<p><strong>Pilot</strong> it</p>\n"
    assert (page.attendance, page.proposals, page.steps, page.history) == (None, [], [], [])
    assert list(page.values) == ["outcome", "discussion", "ideas", "recommendations", "questions"]


@pytest.mark.parametrize("kind", [BlockKind.SLOT, BlockKind.BREAK])
def test_only_plenary_items_have_plenary_notes(
    session: Session, event: Event, owner: User, phone: EventAccess, kind: str
) -> None:
    block = add_plenary(session, event, owner, title="Lunch", kind=kind)
    with pytest.raises(NotFound):
        editing.save(
            session, access=phone, block_id=_bid(block), base_revision=0, changes={"outcome": "x"}
        )
    with pytest.raises(NotFound):
        reading.plenary_page(session, access=phone, block_id=_bid(block))
    assert session.exec(select(SessionNotes)).all() == []


def test_another_events_plenary_is_not_found_and_outsiders_are_refused(
    session: Session, settings: Settings, plenary: TimeBlock, phone: EventAccess
) -> None:
    other_owner = make_user(session, name="Other")
    other = make_event(session, owner=other_owner)
    theirs = add_plenary(session, other, other_owner, title="Their welcome")
    with pytest.raises(NotFound):
        editing.save(
            session, access=phone, block_id=_bid(theirs), base_revision=0, changes={"outcome": "x"}
        )
    with pytest.raises(NotFound):
        editing.heartbeat(session, access=phone, block_id=_bid(theirs), field="outcome")
    their_staff = as_staff(session, other, other_owner)
    with pytest.raises(NotFound):
        reading.plenary_page(session, access=their_staff, block_id=_bid(plenary))
    outsider = EventAccess(event=phone.event, role=None)
    board = EventAccess(event=phone.event, role=Role.BOARD)
    with pytest.raises(PermissionDenied):
        reading.plenary_page(session, access=outsider, block_id=_bid(plenary))
    with pytest.raises(PermissionDenied):
        editing.save(
            session, access=board, block_id=_bid(plenary), base_revision=0, changes={"outcome": "x"}
        )
    assert session.exec(select(SessionNotes)).all() == []


def test_plenary_presence_is_its_own_and_shows_in_the_live_map(
    session: Session, settings: Settings, event: Event, owner: User, plenary: TimeBlock,
    phone: EventAccess,
) -> None:  # fmt: skip
    (housing,) = publish(session, settings, event, owner, ["Housing"])
    block_id = _bid(plenary)
    assert editing.heartbeat(session, access=phone, block_id=block_id, field="discussion")
    assert editing.heartbeat(session, access=phone, topic_id=housing.id, field="ideas")
    # A session's own fields are not a plenary item's: presence in them is presence "".
    assert editing.heartbeat(session, access=phone, block_id=block_id, field="proposal")
    rows = session.exec(select(NotesPresence).order_by(NotesPresence.id)).all()  # type: ignore[arg-type]
    assert [(row.topic_id, row.block_id, row.field) for row in rows] == [
        (None, block_id, ""),
        (housing.id, None, "ideas"),
    ]
    found = reading.live_map(session, event_id=phone.event_id)
    assert [name for name, _seen in found[f"b{block_id}"]["e"]] == ["Mira"]  # type: ignore[union-attr]
    assert [
        e.name for e in reading.editors(session, event_id=event.id or 0, block_id=block_id)
    ] == ["Mira"]
    assert editing.leave(session, access=phone, block_id=block_id) is True
    assert editing.leave(session, access=phone, block_id=block_id) is False
    assert [row.topic_id for row in session.exec(select(NotesPresence)).all()] == [housing.id]


def test_plenary_photos_are_stored_listed_and_marked(
    session: Session, settings: Settings, event: Event, owner: User, plenary: TimeBlock,
    phone: EventAccess,
) -> None:  # fmt: skip
    (housing,) = publish(session, settings, event, owner, ["Housing"])
    block_id = _bid(plenary)
    photo = photos.add(
        session,
        access=phone,
        block_id=block_id,
        data=flipchart_jpeg(64, 48),
        caption="  Mentoring  ",
        upload_dir=settings.uploads_path,
    )
    assert (photo.topic_id, photo.block_id, photo.caption) == (None, block_id, "Mentoring")
    assert photos.path_of(settings.uploads_path, photo).is_file()
    subject = Subject(block_id=block_id)
    assert photos.of_event(session, event_id=event.id or 0) == {subject: [photo]}
    assert reading.with_notes(session, event_id=event.id or 0) == {subject}
    assert reading.sessions_with_notes(session, event_id=event.id or 0) == set()
    page = reading.plenary_page(session, access=phone, block_id=block_id)
    assert page.photos == [photo]
    assert reading.page(session, access=phone, topic_id=housing.id or 0).photos == []


def test_plenary_photos_are_limited_per_item(
    session: Session, settings: Settings, plenary: TimeBlock, phone: EventAccess
) -> None:
    for number in range(photos.PER_SESSION):
        session.add(
            Photo(
                event_id=phone.event_id, block_id=plenary.id, key=f"k{number}", width=1,
                height=1, thumb_width=1, thumb_height=1, size_bytes=1,
            )
        )  # fmt: skip
    session.commit()
    with pytest.raises(Conflict) as caught:
        photos.add(
            session,
            access=phone,
            block_id=_bid(plenary),
            data=flipchart_jpeg(64, 48),
            caption="",
            upload_dir=settings.uploads_path,
        )
    assert caught.value.message == (
        "This plenary item has 30 photos already. Delete one to add another."
    )


def test_index_lists_plenary_items_and_sessions_in_programme_order(
    session: Session, settings: Settings, event: Event, owner: User
) -> None:
    add_plenary(session, event, owner, title="Welcome", starts=dt.time(9))
    add_plenary(session, event, owner, title="Closing circle", starts=dt.time(16))
    add_plenary(session, event, owner, title="Lunch", starts=dt.time(12), kind=BlockKind.BREAK)
    publish(session, settings, event, owner, ["Housing", "Jobs"])  # 14:00, rooms 1 and 2
    plan = agenda.load_published(session, event=event)
    assert [(entry.title, entry.room) for entry in reading.index_entries(plan)] == [
        ("Welcome", ""),
        ("Housing", "Room 1"),
        ("Jobs", "Room 2"),
        ("Closing circle", ""),
    ]


def test_a_row_is_about_exactly_one_subject(
    session: Session, settings: Settings, event: Event, owner: User, plenary: TimeBlock
) -> None:
    (housing,) = publish(session, settings, event, owner, ["Housing"])
    for topic_id, block_id in ((None, None), (housing.id, plenary.id)):
        session.add(SessionNotes(event_id=event.id or 0, topic_id=topic_id, block_id=block_id))
        with pytest.raises(IntegrityError):
            session.commit()
        session.rollback()
    with pytest.raises(ValueError, match="exactly one"):
        Subject()
    with pytest.raises(ValueError, match="exactly one"):
        Subject(topic_id=1, block_id=2)


# --- the programme asks before a plenary item's notes go ------------------------------------


def _written(session: Session, access: EventAccess, block: TimeBlock) -> None:
    editing.save(
        session, access=access, block_id=_bid(block), base_revision=0, changes={"outcome": "Kept"}
    )


def test_deleting_a_plenary_item_with_notes_asks_first(
    session: Session, settings: Settings, event: Event, owner: User, plenary: TimeBlock,
    phone: EventAccess,
) -> None:  # fmt: skip
    staff = as_staff(session, event, owner)
    _written(session, phone, plenary)
    photo = photos.add(
        session, access=phone, block_id=_bid(plenary), data=flipchart_jpeg(64, 48), caption="",
        upload_dir=settings.uploads_path,
    )  # fmt: skip
    files = [photos.path_of(settings.uploads_path, photo, thumb=thumb) for thumb in (False, True)]
    assert all(path.is_file() for path in files)
    with pytest.raises(Conflict) as caught:
        programme.delete_block(
            session, access=staff, block_id=_bid(plenary), upload_dir=settings.uploads_path
        )
    assert caught.value.message == (
        "This plenary item has notes or photos. Deleting it deletes them too."
    )
    day_id = plenary.day_id
    with pytest.raises(Conflict):
        programme.delete_day(session, access=staff, day_id=day_id)
    with pytest.raises(Invalid) as changed:
        programme.update_block(
            session,
            access=staff,
            block_id=_bid(plenary),
            data=TimeBlockCreate(kind=BlockKind.SLOT, starts_at=dt.time(9), ends_at=dt.time(10)),
        )
    assert changed.value.errors == {
        "kind": "This plenary item has notes or photos, so it stays a plenary item."
    }
    session.expire_all()
    assert session.get(TimeBlock, _bid(plenary)) is not None
    assert session.exec(select(SessionNotes.outcome)).all() == ["Kept"]
    programme.delete_block(
        session,
        access=staff,
        block_id=_bid(plenary),
        upload_dir=settings.uploads_path,
        with_notes=True,
    )
    session.expire_all()
    assert session.get(TimeBlock, _bid(plenary)) is None
    assert session.exec(select(SessionNotes)).all() == []
    assert session.exec(select(Photo)).all() == []
    assert [path.exists() for path in files] == [False, False]


def test_a_plenary_item_whose_notes_were_emptied_is_deleted_without_asking(
    session: Session, event: Event, owner: User, plenary: TimeBlock, phone: EventAccess
) -> None:
    _written(session, phone, plenary)
    editing.save(
        session, access=phone, block_id=_bid(plenary), base_revision=1, changes={"outcome": ""}
    )
    staff = as_staff(session, event, owner)
    programme.delete_day(session, access=staff, day_id=plenary.day_id)
    session.expire_all()
    assert session.exec(select(TimeBlock)).all() == []
    assert session.exec(select(SessionNotes)).all() == []


def test_facilitators_see_the_same_plenary_notes(
    session: Session, event: Event, owner: User, plenary: TimeBlock, phone: EventAccess
) -> None:
    _written(session, phone, plenary)
    staff = access_as(session, event, user=owner)
    page = reading.plenary_page(session, access=staff, block_id=_bid(plenary))
    assert (page.values["outcome"], page.notes is not None and page.notes.updated_by) == (
        "Kept",
        "Mira",
    )
