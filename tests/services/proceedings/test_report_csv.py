"""The CSV zip's dates and times: ISO 8601 in every column that holds one (a date, a time of
day, a moment in the event's time zone with its offset), a label beside the date for people."""

from __future__ import annotations

import csv
import datetime as dt
import io
import zipfile
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlmodel import Session, col, select

from app.config import Settings
from app.models.schedule import CheckIn
from app.models.topics import Vote
from app.services.proceedings import build
from app.services.proceedings.render.csvzip import moment, render_csv_zip, tables
from tests.factories import make_event, make_user
from tests.report_helpers import HOUSING, TRICKY, World, make_world

SOFIA = ZoneInfo("Europe/Sofia")
# Every column that holds a date or a time, by file. A new one must follow the naming (a
# ``date``, a ``*_at`` moment, ``starts``/``ends``) for the test below to check it.
ISO_COLUMNS = {
    ("sessions.csv", "date"),
    ("sessions.csv", "starts"),
    ("sessions.csv", "ends"),
    ("votes.csv", "cast_at"),
    ("attendance.csv", "arrived_at"),
    ("attendance.csv", "left_at"),
}


@pytest.fixture
def database_url(sqlite_url: str) -> str:
    """SQLite only: the renderer never touches the database (the builder runs on both)."""
    return sqlite_url


@pytest.fixture
def world(session: Session, settings: Settings) -> World:
    owner = make_user(session, email="olga@example.org", name="Olga")
    event = make_event(session, owner=owner, name="Lab Sofia")  # Europe/Sofia, 9 June 2026
    return make_world(session, settings, event=event, owner=owner)


def _rows(files: dict[str, bytes], name: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(files[name].decode("utf-8-sig"))))


def _zip(session: Session, world: World, settings: Settings) -> dict[str, bytes]:
    report = build.build(session, access=world.staff)
    content = render_csv_zip(report, upload_dir=settings.uploads_path)
    with zipfile.ZipFile(io.BytesIO(content)) as archive:
        return {Path(name).name: archive.read(name) for name in archive.namelist()}


def test_every_date_and_time_column_is_iso_8601(
    session: Session, world: World, settings: Settings
) -> None:
    files = _zip(session, world, settings)
    seen: set[tuple[str, str]] = set()
    values = 0
    for name in files:
        for row in _rows(files, name):
            for column, value in row.items():
                if column == "date":
                    assert dt.date.fromisoformat(value).isoformat() == value
                elif column.endswith("_at"):
                    if not value:  # still in the room
                        continue
                    at = dt.datetime.fromisoformat(value)
                    # An offset, and the event's own for that moment.
                    assert at.utcoffset() == at.astimezone(SOFIA).utcoffset()
                    assert at.isoformat(timespec="seconds") == value
                elif column in ("starts", "ends"):
                    assert dt.time.fromisoformat(value).strftime("%H:%M") == value
                else:
                    continue
                seen.add((name, column))
                values += 1
    assert seen == ISO_COLUMNS
    assert values == 2 * 3 + 6 + 4 + 1  # two sessions, six dots, four arrivals, one departure


def test_timestamps_are_the_stored_moments_in_the_event_time_zone(
    session: Session, world: World, settings: Settings
) -> None:
    files = _zip(session, world, settings)
    stored = session.exec(
        select(CheckIn.arrived_at).order_by(col(CheckIn.arrived_at), col(CheckIn.id))
    ).all()
    arrivals = [
        dt.datetime.fromisoformat(row["arrived_at"]) for row in _rows(files, "attendance.csv")
    ]
    assert arrivals == [at.replace(tzinfo=dt.UTC) for at in stored]
    assert {at.tzinfo for at in arrivals} != {dt.UTC}  # local offsets, not UTC
    cast = session.exec(select(Vote.created_at).order_by(col(Vote.created_at), col(Vote.id))).all()
    votes = [dt.datetime.fromisoformat(row["cast_at"]) for row in _rows(files, "votes.csv")]
    assert votes == [at.replace(tzinfo=dt.UTC, microsecond=0) for at in cast]


def test_sessions_have_an_iso_date_and_the_report_label_beside_it(
    session: Session, world: World, settings: Settings
) -> None:
    report = build.build(session, access=world.staff)
    report.sessions[1].day = "9 юни 2026 г."  # whatever the report's language says
    rows = _rows({"sessions.csv": tables(report)["sessions.csv"]}, "sessions.csv")
    assert [(row["title"], row["date"], row["day_label"]) for row in rows] == [
        (HOUSING, "2026-06-09", report.sessions[0].day),
        (TRICKY, "2026-06-09", "9 юни 2026 г."),
    ]
    assert "2026" in report.sessions[0].day


@pytest.mark.parametrize(
    ("value", "zone", "text"),
    [
        # Stored moments are UTC; naive ones (as the databases return them) too.
        (dt.datetime(2021, 6, 10, 11, 3, 0, 123456), SOFIA, "2021-06-10T14:03:00+03:00"),
        (dt.datetime(2021, 12, 10, 11, 3, tzinfo=dt.UTC), SOFIA, "2021-12-10T13:03:00+02:00"),
        (
            dt.datetime(2021, 6, 10, 11, 3),
            ZoneInfo("America/New_York"),
            "2021-06-10T07:03:00-04:00",
        ),
        (dt.datetime(2021, 6, 10, 11, 3), dt.UTC, "2021-06-10T11:03:00+00:00"),
        (None, SOFIA, ""),
    ],
)
def test_moment(value: dt.datetime | None, zone: dt.tzinfo, text: str) -> None:
    assert moment(value, zone) == text
