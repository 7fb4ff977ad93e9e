"""The proceedings' data as CSV files in one zip, for spreadsheets.

UTF-8 with a byte order mark, so Excel reads Cyrillic right. A cell that starts with ``=``,
``+``, ``-``, ``@``, a tab or a carriage return gets a leading ``'``: a spreadsheet would
otherwise run it as a formula (CSV injection). Names appear only for participants who agreed
to be named; other rows keep an empty name.

Dates and times are ISO 8601, so that scripts and spreadsheets read them in any language:
a date ``2021-06-10``, a time of day ``14:30``, a moment ``2021-06-10T14:03:00+03:00`` (in
the event's time zone, with its offset: the local time people saw, and unambiguous). Where a
person reads the file, a ``*_label`` column beside it says the same in the report's language
(``day_label``: "10 June 2021"); scripts read the ISO column.

``actions.csv`` holds the sessions' next steps and then the commitments made in action
planning (``priority``: the priority a commitment is for; empty for a next step). Their
``when`` is text as people typed it ("by July"), not a date.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import zipfile
from pathlib import Path

from app.services.proceedings.report import Report

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
FILES = (
    "topics.csv",
    "votes.csv",
    "sessions.csv",
    "attendance.csv",
    "actions.csv",
    "participants.csv",
)


def neutralise(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        return value.isoformat(timespec="seconds")
    if isinstance(value, dt.date):
        return value.isoformat()
    text = str(value)
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def moment(value: dt.datetime | None, zone: dt.tzinfo) -> str:
    """A timestamp (stored in UTC; naive ones are UTC too) in ``zone``, to the second, with
    the zone's offset: ``2021-06-10T14:03:00+03:00``."""
    if value is None:
        return ""
    aware = value if value.tzinfo else value.replace(tzinfo=dt.UTC)
    return aware.astimezone(zone).isoformat(timespec="seconds")


def _csv(header: list[str], rows: list[list[object]]) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(header)
    writer.writerows([neutralise(value) for value in row] for row in rows)
    return buffer.getvalue().encode("utf-8-sig")


def tables(report: Report) -> dict[str, bytes]:
    """Each CSV file of the zip, by name. Column names are stable English identifiers, so
    that scripts reading the files do not depend on the event's language."""
    sessions = {item.topic_id: item for item in report.sessions}
    zone = report.time_zone
    return {
        "topics.csv": _csv(
            ["topic", "title", "description", "language", "conveners", "dots", "voters", "session"],
            [
                [
                    t.topic_id,
                    t.title,
                    t.description,
                    t.language,
                    "; ".join(t.conveners),
                    t.dots,
                    t.voters,
                    t.session_number or "",
                ]
                for t in report.topics
            ],
        ),
        "votes.csv": _csv(
            ["topic", "title", "participant", "cast_at"],
            [[v.topic_id, v.topic, v.participant, moment(v.cast_at, zone)] for v in report.votes],
        ),
        "sessions.csv": _csv(
            [
                "session",
                "topic",
                "title",
                "date",
                "day_label",
                "starts",
                "ends",
                "room",
                "conveners",
                "dots",
                "attendance",
                "has_notes",
                "photos",
            ],
            [
                [
                    s.number,
                    s.topic_id,
                    s.title,
                    s.date,
                    s.day,
                    s.starts,
                    s.ends,
                    s.room,
                    "; ".join(s.conveners),
                    s.dots,
                    s.attendance,
                    "yes" if s.notes and not s.notes.is_empty else "no",
                    len(s.photos),
                ]
                for s in report.sessions
            ],
        ),
        "attendance.csv": _csv(
            ["session", "topic", "title", "participant", "arrived_at", "left_at"],
            [
                [
                    sessions[a.topic_id].number if a.topic_id in sessions else "",
                    a.topic_id,
                    a.session,
                    a.participant,
                    moment(a.arrived_at, zone),
                    moment(a.left_at, zone),
                ]
                for a in report.attendance
            ],
        ),
        "actions.csv": _csv(
            ["what", "who", "when", "session", "priority"],
            [[a.what, a.who, a.when, a.session_title, a.priority] for a in report.actions],
        ),
        "participants.csv": _csv(
            ["name", "organisation", "organisation_type"],
            [[p.name, p.organisation, p.org_type] for p in report.participants],
        ),
    }


def render_csv_zip(report: Report, *, upload_dir: Path) -> bytes:
    out = io.BytesIO()
    # A fixed date inside the zip, so the same report gives the same bytes.
    stamp = report.generated_at.timetuple()[:6]
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, content in tables(report).items():
            info = zipfile.ZipInfo(f"{report.slug}/{name}", date_time=stamp)
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, content)
    return out.getvalue()
