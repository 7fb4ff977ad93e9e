"""Proceedings benchmark: a large event exported in every format, each in a fresh process.

A seeded generator makes an SQLite database with one event: 300 participants (a third agree
to be named), 2 days × 5 open-space slots × 10 rooms = 100 sessions in a published grid,
dots, check-ins, session notes (every session: all five fields, two proposals; 30 with a next
step), 900 dots on proposals, 10 commitments, notes on the two plenary items, two organising
organisations with logos (through the logo pipeline), an executive summary, and 200 flipchart
photos (1600×1200; 4 of them of the plenaries) put through the upload pipeline
(``photos.process``: re-encoded, with a 480 px thumbnail) into the upload folder. Rows are
written straight into the tables, as the services store them (the services have their own
tests). The mapping exercise is the one part still filled into
the ``Report`` directly (``attach_map``).

Each format then runs in its own process (so peak memory is that format's alone), which
builds the report from the database and renders it, and prints one JSON line: seconds (build
+ render, after imports; wall clock), cpu_seconds (the same in CPU time, which other work on
a shared machine inflates less), peak RSS of the process in MB, and the file's size.
Targets: HTML ≤ 1 s, DOCX ≤ 5 s, PDF ≤ 20 s, peak ≤ 500 MB.

    python bench/report.py
    python bench/report.py --formats pdf --keep /tmp/report-bench   # keep the data and files
"""

from __future__ import annotations

import argparse
import datetime as dt
import io
import json
import random
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

FORMATS = ("html", "pdf", "docx", "md", "json", "csv")
DAYS, SLOTS, ROOMS = 2, 5, 10
WORDS = [
    "housing",
    "jobs",
    "language",
    "school",
    "health",
    "rights",
    "mentoring",
    "volunteers",
    "municipality",
    "funding",
    "integration",
    "community",
    "trust",
    "youth",
    "women",
    "legal",
    "aid",
    "network",
    "жилища",
    "работа",
    "език",
    "училище",
    "здраве",
    "права",
    "общност",
    "доверие",
    "младежи",
    "жени",
    "мрежа",
    "финансиране",
]


def _settings(folder: Path):  # type: ignore[no-untyped-def]
    from app.config import Settings

    return Settings(
        environment="test",
        data_dir=folder,
        database_url=f"sqlite:///{folder / 'bench.db'}",
        secret_key="bench-secret-key-that-is-long-enough-0123456789",  # noqa: S106
    )


def _sentence(rng: random.Random, words: int) -> str:
    return " ".join(rng.choice(WORDS) for _ in range(words)).capitalize()


def generate(folder: Path, *, participants: int, photos: int, seed: int) -> None:  # noqa: C901, PLR0915
    """The event, straight into the tables (the services have their own tests)."""
    from PIL import Image, ImageDraw
    from sqlmodel import Session, SQLModel

    from app.db import make_engine
    from app.models.events import Day, Event, EventHost, EventMember, Room, TimeBlock
    from app.models.notes import (
        Commitment,
        NextStep,
        NotesRevision,
        Photo,
        Proposal,
        ProposalVote,
        SessionNotes,
    )
    from app.models.people import Participant, User
    from app.models.schedule import CheckIn, PublishedPlacement, ScheduleVersion
    from app.models.topics import Topic, TopicConvener, Vote
    from app.services.events import logos
    from app.services.notes import photos as photo_files
    from app.services.notes.shared import values_of

    rng = random.Random(seed)
    settings = _settings(folder)
    engine = make_engine(settings)
    SQLModel.metadata.create_all(engine)
    with Session(engine) as session:
        owner = User(email="olga@example.org", name="Olga", password_hash="-")  # noqa: S106
        event = Event(
            name="Лаборатория за сътрудничество 2026",
            slug="bench",
            languages=["bg", "en"],
            timezone="Europe/Sofia",
            venue="София",
            join_code="ACDEFG",
            board_nonce="n",
            report_acknowledgement="Финансирано от фонд „Убежище, миграция и интеграция“.",
            report_summary="\n\n".join(_sentence(rng, 60) for _paragraph in range(4)),
        )
        session.add_all([owner, event])
        session.flush()
        session.add(EventMember(event_id=event.id, user_id=owner.id, role="organiser"))
        rooms = [Room(event_id=event.id, name=f"Зала {n + 1}", position=n) for n in range(ROOMS)]
        session.add_all(rooms)
        slots: list[TimeBlock] = []
        plenaries: list[TimeBlock] = []
        for d in range(DAYS):
            day = Day(event_id=event.id, date=dt.date(2026, 6, 9) + dt.timedelta(days=d))
            session.add(day)
            session.flush()
            plenary = TimeBlock(
                event_id=event.id,
                day_id=day.id,
                kind="plenary",
                starts_at=dt.time(9),
                ends_at=dt.time(9, 45),
                title="Откриване",
                presenter="Екипът",
            )
            session.add(plenary)
            plenaries.append(plenary)
            for s in range(SLOTS):
                block = TimeBlock(
                    event_id=event.id,
                    day_id=day.id,
                    kind="slot",
                    starts_at=dt.time(10 + s),
                    ends_at=dt.time(10 + s, 50),
                )
                slots.append(block)
                session.add(block)
        people = [
            Participant(
                event_id=event.id,
                name=f"Участник {n}",
                organisation=f"Организация {n % 90}",
                org_type=rng.choice(["ngo", "municipality", "state", "community", ""]),
                consent_report=n % 3 == 0,
                link_nonce="n",
            )
            for n in range(participants)
        ]
        session.add_all(people)
        session.flush()
        topics = [
            Topic(event_id=event.id, title=_sentence(rng, 5), description=_sentence(rng, 30))
            for _ in range(len(slots) * ROOMS + 20)
        ]
        session.add_all(topics)
        session.flush()
        for topic in topics:
            for person in rng.sample(people, rng.choice([1, 1, 2])):
                session.add(TopicConvener(topic_id=topic.id, participant_id=person.id))
        for person in people:
            for topic in rng.sample(topics, 5):
                session.add(Vote(event_id=event.id, participant_id=person.id, topic_id=topic.id))
        version = ScheduleVersion(event_id=event.id, number=1)
        session.add(version)
        session.flush()
        cells = [(block, room) for block in slots for room in rooms]
        start = dt.datetime(2026, 6, 9, 7, tzinfo=dt.UTC)
        for topic, (block, room) in zip(topics, cells, strict=False):
            session.add(
                PublishedPlacement(
                    version_id=version.id,
                    event_id=event.id,
                    topic_id=topic.id,
                    block_id=block.id,
                    room_id=room.id,
                )
            )
        for index, _block in enumerate(slots):
            for person in people:
                topic = topics[index * ROOMS + rng.randrange(ROOMS)]
                session.add(
                    CheckIn(
                        event_id=event.id,
                        participant_id=person.id,
                        topic_id=topic.id,
                        arrived_at=start + dt.timedelta(hours=index),
                    )
                )
        held = topics[: len(cells)]
        proposals: list[Proposal] = []
        for number, topic in enumerate(held):
            notes = SessionNotes(
                event_id=event.id,
                topic_id=topic.id,
                revision=1,
                outcome=_sentence(rng, 12),
                discussion="\n\n".join(_sentence(rng, 60) for _ in range(3)),
                ideas=_sentence(rng, 25),
                recommendations="\n".join(f"- {_sentence(rng, 12)}" for _ in range(4)),
                questions=f"**{_sentence(rng, 4)}**: {_sentence(rng, 20)}",
                updated_by=people[3].name,
            )
            session.add(notes)
            session.flush()
            session.add(
                NotesRevision(
                    event_id=event.id,
                    notes_id=notes.id,
                    revision=1,
                    fields=values_of(notes),
                    author=people[3].name,
                )
            )
            for _ in range(2):
                proposals.append(
                    Proposal(event_id=event.id, topic_id=topic.id, text=_sentence(rng, 10))
                )
            if number < 30:
                session.add(
                    NextStep(
                        event_id=event.id,
                        topic_id=topic.id,
                        action=_sentence(rng, 10),
                        who=f"Организация {number}",
                        by_when="2026-09",
                    )
                )
        session.add_all(proposals)
        session.flush()
        for person in people:
            for proposal in rng.sample(proposals, 3):
                session.add(
                    ProposalVote(
                        event_id=event.id, participant_id=person.id, proposal_id=proposal.id
                    )
                )
        for number, proposal in enumerate(rng.sample(proposals, 10)):
            person = people[number * 7]
            session.add(
                Commitment(
                    event_id=event.id,
                    proposal_id=proposal.id,
                    participant_id=person.id,
                    who=person.organisation,
                    action=_sentence(rng, 10),
                    by_when="2027",
                )
            )

        uploads = settings.uploads_path
        photo_files.folder(uploads, event.id or 0).mkdir(parents=True, exist_ok=True)
        # The organisations that ran it, each with a logo through the upload pipeline.
        for position, (name, colour) in enumerate(
            (
                ("Bulgarian Council on Refugees and Migrants", (0, 90, 160)),
                ("UNHCR Bulgaria", (0, 114, 188)),
            )
        ):
            badge = Image.new("RGBA", (900, 360), (0, 0, 0, 0))
            ImageDraw.Draw(badge).rounded_rectangle((0, 0, 899, 359), 60, fill=(*colour, 255))
            png = io.BytesIO()
            badge.save(png, "PNG")
            key = f"bench-logo-{position}"
            logos.write(uploads, event.id or 0, key, logos.process(png.getvalue()))
            session.add(EventHost(event_id=event.id, name=name, logo_key=key, position=position))
        # Notes on the plenary items, as on a session's notes form.
        for plenary in plenaries:
            session.add(
                SessionNotes(
                    event_id=event.id,
                    block_id=plenary.id,
                    outcome=_sentence(rng, 12),
                    discussion="\n".join(f"- {_sentence(rng, 14)}" for _item in range(6)),
                    recommendations=_sentence(rng, 30),
                )
            )
        for n in range(photos):
            # A flipchart: a pale page, coloured marker lines and noise, as a phone shoots it.
            image = Image.effect_noise((1600, 1200), 18).convert("RGB")
            image = Image.blend(image, Image.new("RGB", image.size, (235, 232, 220)), 0.75)
            draw = ImageDraw.Draw(image)
            for _line in range(40):
                y = rng.randrange(80, 1150)
                x = rng.randrange(60, 400)
                draw.line(
                    (x, y, x + rng.randrange(300, 1100), y + rng.randrange(-8, 8)),
                    fill=rng.choice([(20, 40, 160), (170, 20, 20), (20, 110, 40), (10, 10, 10)]),
                    width=rng.randrange(4, 10),
                )
            shot = io.BytesIO()
            image.save(shot, "JPEG", quality=85)
            processed = photo_files.process(shot.getvalue())
            # Every 50th photo is of a plenary item's flipchart, the rest of the sessions'.
            subject = (
                {"block_id": plenaries[(n // 50) % len(plenaries)].id}
                if n % 50 == 0
                else {"topic_id": held[n % len(held)].id}
            )
            photo = Photo(
                event_id=event.id,
                **subject,
                key=f"bench-photo-{n:03d}",
                caption=_sentence(rng, 4),
                width=processed.width,
                height=processed.height,
                thumb_width=processed.thumb_width,
                thumb_height=processed.thumb_height,
                size_bytes=len(processed.full),
            )
            photo_files.path_of(uploads, photo).write_bytes(processed.full)
            photo_files.path_of(uploads, photo, thumb=True).write_bytes(processed.thumb)
            session.add(photo)
        session.commit()
    engine.dispose()


def attach_map(report, *, seed: int) -> None:  # type: ignore[no-untyped-def]
    """A mapping exercise of three categories, filled into the ``Report`` directly."""
    from app.services.proceedings.report import (
        MapCardView,
        MapCategoryView,
        MapGroupView,
        ReportMap,
    )

    rng = random.Random(seed)
    report.maps = [
        ReportMap(
            "Какви възможности, инициативи и нужди виждаме?",
            [
                MapCategoryView(
                    name,
                    [
                        MapGroupView(
                            _sentence(rng, 2),
                            [
                                MapCardView(_sentence(rng, 8), votes=rng.randrange(5))
                                for _ in range(7)
                            ],
                        )
                        for _ in range(3)
                    ],
                )
                for name in ("Възможности", "Инициативи", "Нужди")
            ],
        )
    ]


def worker(folder: Path, fmt: str, *, seed: int, output: Path) -> None:
    from sqlmodel import Session, select

    from app.db import make_engine
    from app.models.events import Event
    from app.services.proceedings import build
    from app.services.proceedings.archive import dump
    from app.services.proceedings.render import render, renderer

    settings = _settings(folder)
    engine = make_engine(settings)
    if fmt != "json":
        renderer(fmt)  # imports (WeasyPrint) are not the format's time
    with Session(engine) as session:
        event = session.exec(select(Event)).one()
        started, cpu_started = time.perf_counter(), time.process_time()
        if fmt == "json":
            content = dump.dumps(dump.export_event(session, event=event))
        else:
            built = build.build_for_event(session, event=event)
            attach_map(built, seed=seed)
            content = render(built, fmt, upload_dir=settings.uploads_path)
        seconds = time.perf_counter() - started
        cpu_seconds = time.process_time() - cpu_started
    output.write_bytes(content)
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(
        json.dumps(
            {
                "format": fmt,
                "seconds": round(seconds, 2),
                "cpu_seconds": round(cpu_seconds, 2),
                "peak_mb": round(peak_mb),
                "bytes": len(content),
            }
        )
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--formats", default=",".join(FORMATS))
    parser.add_argument("--participants", type=int, default=300)
    parser.add_argument("--photos", type=int, default=200)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--keep", type=Path, help="Folder for the data and files (kept).")
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    parser.add_argument("--output", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        worker(args.keep, args.worker, seed=args.seed, output=args.output)
        return
    with tempfile.TemporaryDirectory() as scratch:
        folder = args.keep or Path(scratch)
        folder.mkdir(parents=True, exist_ok=True)
        if not (folder / "bench.db").exists():
            started = time.perf_counter()
            generate(folder, participants=args.participants, photos=args.photos, seed=args.seed)
            print(json.dumps({"generated_seconds": round(time.perf_counter() - started, 1)}))
        for fmt in args.formats.split(","):
            subprocess.run(
                [
                    sys.executable,
                    __file__,
                    "--worker",
                    fmt,
                    "--keep",
                    str(folder),
                    "--seed",
                    str(args.seed),
                    "--output",
                    str(folder / f"report.{fmt}"),
                ],
                check=True,
            )


if __name__ == "__main__":
    main()
