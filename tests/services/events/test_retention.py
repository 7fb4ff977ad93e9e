"""Retention: when an event's data goes, the privacy notice's facts, deleting an event with its
files, and ``purge`` (events past their retention, leftovers, folders of deleted events)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine
from sqlmodel import Session, SQLModel, col, delete, func, select

from app.config import Settings
from app.demo import load_demo
from app.errors import Invalid, PermissionDenied
from app.models.base import id_of, utcnow
from app.models.events import Day, Event, EventHost, EventUpdate, Room, TimeBlock
from app.models.notes import ClosingState, NotesConflict, NotesPresence, SessionNotes
from app.models.people import AuthSession, MissStreak, RateCounter, User
from app.models.schedule import BlockedCell
from app.models.topics import CohostRequest, IdempotencyKey, PitchEntry, TopicMerge
from app.services.access import EventAccess
from app.services.events import events, retention
from app.services.notes import photos
from tests.factories import access_as, make_event, make_participant
from tests.marketplace_helpers import make_facilitator
from tests.notes_helpers import publish
from tests.retention_helpers import event_with_photo, upload_files

NOON = dt.time(12, tzinfo=dt.UTC)
# Tables whose rows belong to no event (accounts, browsers, attempt counters).
NO_EVENT_TABLES = {"user", "auth_session", "rate_counter", "miss_streak"}


def _at(day: dt.date, time: dt.time = NOON) -> dt.datetime:
    return dt.datetime.combine(day, time)


def rows_of(session: Session, event_id: int) -> dict[str, int]:
    """Rows per table that belong to the event, found without the service's own rule: the
    event's row, rows whose ``event_id`` names it, and rows whose foreign key points at a row
    that belongs to it (tables in foreign-key order, parents first)."""
    owned: dict[str, list[Any]] = {}
    for table in SQLModel.metadata.sorted_tables:
        mine = []
        for row in session.execute(select(table)).mappings():
            belongs = (table.name == "event" and row["id"] == event_id) or (
                "event_id" in row and row["event_id"] == event_id
            )
            for fk in table.foreign_keys:
                value = row[fk.parent.name]
                parents = owned.get(fk.column.table.name, [])
                if value is not None and any(p[fk.column.name] == value for p in parents):
                    belongs = True
            if belongs:
                mine.append(row)
        owned[table.name] = mine
    return {name: len(rows) for name, rows in owned.items()}


# --- when the data goes ------------------------------------------------------------------


def test_data_goes_the_day_after_the_retention_after_the_last_day(session: Session) -> None:
    event = make_event(session, days=2, first_day=dt.date(2026, 6, 9))

    kept = retention.retention(session, event=event)

    assert kept == retention.Retention(
        last_day=dt.date(2026, 6, 10), days=180, deleted_on=dt.date(2026, 12, 8)
    )
    assert kept.deleted_on - kept.last_day == dt.timedelta(days=181)


def test_an_event_without_days_counts_from_its_creation_in_its_time_zone(
    session: Session,
) -> None:
    event = make_event(session)  # Europe/Sofia: UTC+3 in June
    session.execute(delete(Day).where(col(Day.event_id) == event.id))
    event.created_at = dt.datetime(2026, 6, 1, 22, 30, tzinfo=dt.UTC)  # 1:30 on 2 June there
    event.retention_days = 1
    session.commit()

    kept = retention.retention(session, event=event)

    assert (kept.last_day, kept.deleted_on) == (dt.date(2026, 6, 2), dt.date(2026, 6, 4))


def test_expired_counts_days_in_the_event_time_zone(session: Session, owner: User) -> None:
    sofia = make_event(session, owner=owner, first_day=dt.date(2026, 6, 9))
    utc = make_event(session, owner=owner, first_day=dt.date(2026, 6, 9))
    utc.timezone = "UTC"
    session.commit()
    deleted_on = dt.date(2026, 12, 7)  # 9 June + 180 days, and a day
    # 22:30 UTC on the day before is already that day in Sofia (UTC+2 in December).
    evening = dt.datetime.combine(deleted_on - dt.timedelta(days=1), dt.time(22, 30, tzinfo=dt.UTC))

    assert [event.id for event, _kept in retention.expired(session, now=evening)] == [sofia.id]
    assert retention.expired(session, now=evening - dt.timedelta(hours=1)) == []
    both = retention.expired(session, now=_at(deleted_on))
    assert [event.id for event, _kept in both] == [sofia.id, utc.id]


# --- the privacy notice and its settings ---------------------------------------------------


@pytest.mark.parametrize(
    ("contact", "href"),
    [
        ("privacy@council.example.org", "mailto:privacy@council.example.org"),
        ("https://council.example.org/privacy", "https://council.example.org/privacy"),
        ("+359 2 123 4567", ""),
        ("javascript:alert(1)", ""),
        ("", ""),
    ],
)
def test_notice_names_who_runs_the_event_and_links_the_contact(
    session: Session, contact: str, href: str
) -> None:
    event = make_event(session, name="Lab Sofia")
    assert retention.notice(session, event=event).host == "Lab Sofia"
    session.add(EventHost(event_id=id_of(event), name="Council for Refugees"))
    event.privacy_contact = contact

    notice = retention.notice(session, event=event)

    assert (notice.host, notice.host_count, notice.contact, notice.contact_href) == (
        "Council for Refugees",
        1,
        contact,
        href,
    )
    assert notice.retention == retention.retention(session, event=event)


def test_organiser_sets_retention_and_privacy_contact(session: Session, staff: EventAccess) -> None:
    updated = events.update_event(
        session,
        access=staff,
        data=EventUpdate(
            report_summary=" We met, mapped and agreed. ",
            privacy_contact=" privacy@council.example.org ",
            retention_days=30,
        ),
    )

    assert (updated.report_summary, updated.privacy_contact, updated.retention_days) == (
        "We met, mapped and agreed.",
        "privacy@council.example.org",
        30,
    )


@pytest.mark.parametrize(
    ("data", "errors"),
    [
        (EventUpdate(retention_days=0), {"retention_days": "Choose between 1 and 3650 days."}),
        (EventUpdate(retention_days=3651), {"retention_days": "Choose between 1 and 3650 days."}),
        (
            EventUpdate(report_summary="x" * 20_001, privacy_contact="y" * 255),
            {
                "report_summary": "Use at most 20,000 characters.",
                "privacy_contact": "Use at most 254 characters.",
            },
        ),
    ],
)
def test_retention_and_privacy_fields_are_checked(
    session: Session, event: Event, staff: EventAccess, data: EventUpdate, errors: dict[str, str]
) -> None:
    with pytest.raises(Invalid) as caught:
        events.update_event(session, access=staff, data=data)

    assert caught.value.errors == errors
    session.expire_all()
    stored = session.get(Event, event.id)
    assert stored is not None
    assert (stored.retention_days, stored.report_summary, stored.privacy_contact) == (
        180,
        "",
        "",
    )


def test_bounds_are_accepted(session: Session, staff: EventAccess) -> None:
    for days in (1, 3650):
        data = EventUpdate(retention_days=days)
        assert events.update_event(session, access=staff, data=data).retention_days == days


def test_only_organisers_change_retention_and_privacy(
    session: Session, event: Event, owner: User
) -> None:
    facilitator = access_as(session, event, user=make_facilitator(session, event, owner))

    for data in (
        EventUpdate(retention_days=3650),
        EventUpdate(report_summary="Ours"),
        EventUpdate(privacy_contact="me@example.org"),
    ):
        with pytest.raises(PermissionDenied):
            events.update_event(session, access=facilitator, data=data)
    # The rest of the settings, with the organisers' values as they are, stays theirs too.
    updated = events.update_event(
        session, access=facilitator, data=EventUpdate(venue="Hall", retention_days=180)
    )
    assert (updated.venue, updated.retention_days) == ("Hall", 180)


# --- deleting an event deletes its files -------------------------------------------------


@pytest.fixture
def two_events(
    session: Session, settings: Settings, owner: User
) -> Iterator[tuple[Event, list[str], Event, list[str]]]:
    gone, gone_files = event_with_photo(session, settings, owner, "Lab Plovdiv")
    kept, kept_files = event_with_photo(session, settings, owner, "Lab Varna")
    assert upload_files(settings.uploads_path) == sorted(gone_files + kept_files)
    yield gone, gone_files, kept, kept_files


def test_deleting_an_event_removes_its_files_and_no_other(
    session: Session,
    settings: Settings,
    owner: User,
    two_events: tuple[Event, list[str], Event, list[str]],
) -> None:
    gone, _gone_files, kept, kept_files = two_events
    access = access_as(session, gone, user=owner)

    events.delete_event(
        session, access=access, confirm_slug=gone.slug, upload_dir=settings.uploads_path
    )

    assert upload_files(settings.uploads_path) == kept_files
    assert not photos.folder(settings.uploads_path, gone.id or 0).exists()
    assert session.get(Event, kept.id) is not None


def test_a_delete_that_fails_keeps_theupload_files(
    session: Session,
    settings: Settings,
    owner: User,
    monkeypatch: pytest.MonkeyPatch,
    two_events: tuple[Event, list[str], Event, list[str]],
) -> None:
    gone, gone_files, _kept, kept_files = two_events
    access = access_as(session, gone, user=owner)

    def fail() -> None:
        raise RuntimeError("the database went away")

    monkeypatch.setattr(session, "commit", fail)
    with pytest.raises(RuntimeError):
        events.delete_event(
            session, access=access, confirm_slug=gone.slug, upload_dir=settings.uploads_path
        )
    monkeypatch.undo()
    session.rollback()

    assert upload_files(settings.uploads_path) == sorted(gone_files + kept_files)
    assert session.get(Event, gone.id) is not None


# --- purge ---------------------------------------------------------------------------------


def _fill_what_the_demo_leaves_empty(session: Session, settings: Settings, event: Event) -> None:
    """A row of the event in each table the demo has none in (a phone joined, a vote retried,
    someone typing, a co-host asked, a pitch queued, a merge to undo, a cell blocked, the
    closing circle, a conflict in the notes)."""
    event_id = event.id or 0
    participant, _auth = make_participant(session, settings, event=event, name="Zara")
    participant_id = participant.id or 0
    # A session's notes (the demo has plenary notes too, whose topic is null), the same each run.
    topic_id, notes_id = session.exec(
        select(SessionNotes.topic_id, SessionNotes.id)
        .where(SessionNotes.event_id == event_id, col(SessionNotes.topic_id).is_not(None))
        .order_by(col(SessionNotes.id))
    ).first() or (0, 0)
    block_id = session.exec(select(TimeBlock.id).where(TimeBlock.event_id == event_id)).first()
    room_id = session.exec(select(Room.id).where(Room.event_id == event_id)).first()
    session.add_all(
        [
            IdempotencyKey(participant_id=participant_id, key="retry-key"),
            NotesPresence(event_id=event_id, topic_id=topic_id, editor="p1", name="Zara"),
            CohostRequest(event_id=event_id, topic_id=topic_id, participant_id=participant_id),
            PitchEntry(event_id=event_id, topic_id=topic_id),
            TopicMerge(event_id=event_id, source_id=topic_id, target_id=topic_id),
            BlockedCell(event_id=event_id, block_id=block_id or 0, room_id=room_id or 0),
            ClosingState(event_id=event_id),
            NotesConflict(
                event_id=event_id,
                notes_id=notes_id or 0,
                field="discussion",
                text="x",
                base_revision=0,
            ),
        ]
    )
    session.commit()


def test_purge_leaves_no_row_and_no_file_of_an_expired_event(
    session: Session, settings: Settings, owner: User
) -> None:
    demo, _created = load_demo(session, settings=settings)  # with photos
    _fill_what_the_demo_leaves_empty(session, settings, demo)
    demo_id = demo.id or 0
    kept, kept_files = event_with_photo(session, settings, owner, "Lab Varna")
    kept.retention_days = 3650
    session.commit()
    last_day = retention.retention(session, event=demo).last_day
    before = rows_of(session, demo_id)
    kept_before = rows_of(session, kept.id or 0)
    demo_files = [path for path in upload_files(settings.uploads_path) if path not in kept_files]
    assert len(demo_files) >= 2
    # Every table of an event's data has rows of it here: a test of empty tables proves little.
    empty = {
        table.name
        for table in SQLModel.metadata.sorted_tables
        if before[table.name] == 0 and table.name not in NO_EVENT_TABLES
    }
    assert empty == set(), "add a row of the event to these tables in this test"

    result = retention.purge(
        session, upload_dir=settings.uploads_path, now=_at(last_day + dt.timedelta(days=181))
    )

    assert result.events == [
        retention.Expired(
            slug="demo",
            name=demo.name,
            last_day=last_day,
            rows=sum(before.values()),
            files=len(demo_files),
        )
    ]
    session.expire_all()
    left = {name: count for name, count in rows_of(session, demo_id).items() if count}
    assert left == {}
    assert rows_of(session, kept.id or 0) == kept_before
    assert upload_files(settings.uploads_path) == kept_files


def test_purge_keeps_an_event_until_its_retention_is_over(
    session: Session, settings: Settings, owner: User
) -> None:
    event, files = event_with_photo(session, settings, owner, "Lab Varna")
    deleted_on = retention.retention(session, event=event).deleted_on

    result = retention.purge(
        session, upload_dir=settings.uploads_path, now=_at(deleted_on) - dt.timedelta(days=1)
    )

    assert result.events == []
    assert session.get(Event, event.id) is not None
    assert upload_files(settings.uploads_path) == files


def test_dry_run_lists_the_same_and_deletes_nothing(
    session: Session, settings: Settings, engine: Engine, owner: User
) -> None:
    event, files = event_with_photo(session, settings, owner, "Lab Varna")
    _participant, auth = make_participant(session, settings, event=event)
    auth.expires_at = utcnow() - dt.timedelta(days=1)
    session.commit()
    later = _at(retention.retention(session, event=event).deleted_on)
    before = _snapshot(engine)

    dry = retention.purge(session, upload_dir=settings.uploads_path, now=later, dry_run=True)

    assert _snapshot(engine) == before
    assert upload_files(settings.uploads_path) == files
    done = retention.purge(session, upload_dir=settings.uploads_path, now=later)
    assert (dry.dry_run, done.dry_run) == (True, False)
    assert (dry.events, dry.chores) == (done.events, done.chores)
    assert [(item.slug, item.files) for item in done.events] == [(event.slug, 2)]
    assert dict(done.chores)["expired sign-in sessions"] >= 1
    assert upload_files(settings.uploads_path) == []


def _snapshot(engine: Engine) -> dict[str, list[str]]:
    with engine.connect() as connection:
        return {
            table.name: sorted(repr(tuple(row)) for row in connection.execute(select(table)))
            for table in SQLModel.metadata.sorted_tables
        }


def test_purge_deletes_leftovers_by_the_rules_of_the_code_that_wrote_them(
    session: Session, settings: Settings, event: Event, owner: User
) -> None:
    now = utcnow()
    moment = now.timestamp()
    participant, auth = make_participant(session, settings, event=event)
    _other, expired_auth = make_participant(session, settings, event=event, name="Ivo")
    expired_auth.expires_at = now - dt.timedelta(seconds=1)
    topic_id = publish(session, settings, event, owner, ["Housing"])[0].id or 0
    session.add_all(
        [
            IdempotencyKey(participant_id=participant.id or 0, key="fresh-key", created_at=now),
            IdempotencyKey(
                participant_id=participant.id or 0,
                key="stale-key",
                created_at=now - dt.timedelta(days=1, seconds=1),
            ),
            NotesPresence(
                event_id=event.id or 0, topic_id=topic_id, editor="p1", name="M", seen_at=now
            ),
            NotesPresence(
                event_id=event.id or 0,
                topic_id=topic_id,
                editor="p2",
                name="I",
                seen_at=now - dt.timedelta(seconds=61),
            ),
            RateCounter(key="join:a", window_start=int(moment) - 600, count=3),
            RateCounter(key="join:b", window_start=int(moment) - 3600, count=3),
            MissStreak(key="login:a", misses=4, next_at=moment - 60),
            MissStreak(key="login:b", misses=4, next_at=moment - 3601),
        ]
    )
    session.commit()

    result = retention.purge(session, upload_dir=settings.uploads_path, now=now)

    assert result.chores == [
        ("expired sign-in sessions", 1),
        ("vote retry keys", 1),
        ("notes presence rows", 1),
        ("attempt counters", 1),
        ("wrong-password streaks", 1),
    ]
    session.expire_all()
    assert session.get(AuthSession, auth.id) is not None
    assert session.get(AuthSession, expired_auth.id) is None
    assert session.exec(select(IdempotencyKey.key)).all() == ["fresh-key"]
    assert session.exec(select(NotesPresence.editor)).all() == ["p1"]
    assert session.exec(select(RateCounter.key)).all() == ["join:a"]
    assert session.exec(select(MissStreak.key)).all() == ["login:a"]
    assert session.exec(select(func.count()).select_from(Event)).one() == 1


def test_purge_removes_upload_folders_of_deleted_events_only(
    session: Session, settings: Settings, owner: User
) -> None:
    event, files = event_with_photo(session, settings, owner, "Lab Varna")
    uploads = settings.uploads_path
    # A delete that was interrupted after its commit leaves a folder with no event.
    (uploads / "9999").mkdir()
    (uploads / "9999" / "a.jpg").write_bytes(b"x")
    (uploads / "spare").mkdir()  # not ours: not an event's folder
    (uploads / "spare" / "b.jpg").write_bytes(b"y")

    dry = retention.purge(session, upload_dir=uploads, dry_run=True)
    assert dry.orphans == [(str(uploads / "9999"), 1)]
    assert (uploads / "9999" / "a.jpg").exists()

    result = retention.purge(session, upload_dir=uploads)

    assert result.orphans == [(str(uploads / "9999"), 1)]
    assert upload_files(uploads) == sorted([*files, "spare/b.jpg"])
    assert not (uploads / "9999").exists()
    assert session.get(Event, event.id) is not None


def test_purge_without_an_upload_folder(session: Session, tmp_path: Path) -> None:
    result = retention.purge(session, upload_dir=tmp_path / "nowhere")
    assert (result.events, result.orphans) == ([], [])
