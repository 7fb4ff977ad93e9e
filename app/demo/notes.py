"""The demo event's session and plenary notes, flipchart photos, priorities and commitments, so
that its proceedings read like a real example. Part of ``openspace demo`` (see ``event.py``).
Plenary notes are in the event's main language (Bulgarian), as its note takers wrote them.

Notes need sessions, i.e. topics in a published agenda: when the demo has none yet, the first
topics are published into the open-space slots here, room by room. Photos are drawn with
Pillow at load time (small flipchart-like pictures) and go through the same pipeline as
uploads; no image is kept in the repository.
"""

from __future__ import annotations

import io
import secrets
from pathlib import Path
from typing import NamedTuple

from PIL import Image, ImageDraw
from sqlmodel import Session, col, select

from app.models.base import id_of, utcnow
from app.models.events import BlockKind, Event, TimeBlock
from app.models.notes import (
    Commitment,
    NextStep,
    NotesRevision,
    Photo,
    Proposal,
    ProposalVote,
    SessionNotes,
)
from app.models.people import Participant
from app.models.schedule import CheckIn, PublishedPlacement, ScheduleVersion
from app.models.topics import Topic
from app.services.notes import photos, shared
from app.services.schedule import agenda


class DemoNotes(NamedTuple):
    topic: int  # index into demo.TOPICS
    outcome: str
    discussion: str
    ideas: str
    recommendations: str
    questions: str
    proposals: tuple[str, ...]
    steps: tuple[tuple[str, str, str], ...]  # action, who, by when
    photos: tuple[str, ...]  # captions; each becomes a drawn flipchart
    attendees: tuple[int, ...]  # indexes into demo.PARTICIPANTS who checked in


NOTES: tuple[DemoNotes, ...] = (
    DemoNotes(
        0,
        "A rent-guarantee fund run jointly by municipalities and NGOs, piloted in two towns.",
        "- Landlords outside Sofia fear **unpaid rent** more than they fear newcomers.\n"
        "- Families lose flats when the *integration agreement* ends.\n"
        "- Burgas already vouches for tenants through its integration desk.",
        "A shared guarantee fund; a list of landlords who have rented to refugees before.",
        "1. Start with two municipalities.\n2. Let NGOs do the matching, the municipality "
        "the guarantee.",
        "Who covers repairs? Can EU integration funds pay a guarantee?",
        (
            "Rent-guarantee fund run by municipalities with NGOs",
            "A shared list of landlords open to renting to refugee families",
        ),
        (
            ("Draft the guarantee scheme", "Nov Dom Foundation", "end of September"),
            ("Ask the city council for a pilot budget", "Plovdiv Municipality", "October"),
        ),
        ("Landlords: fears and answers", "The pilot in two towns"),
        (3, 4, 12, 14, 20, 24),
    ),
    DemoNotes(
        1,
        "Кратко ръководство за личните лекари и горещ телефон за здравно осигуряване.",
        "- Между решението за статут и личната карта минават **месеци** без личен лекар.\n"
        "- Много лекари не знаят, че *могат* да регистрират хора с временен документ.",
        "Кратко ръководство за личните лекари; преводачи по телефона.",
        "Общините да разпространят ръководството чрез районните здравни инспекции.",
        "Кой плаща здравните вноски в първите месеци?",
        ("Ръководство за личните лекари за регистриране на бежанци",),
        (("Подготовка на ръководството", "Sofia Municipality, social services", "юли"),),
        ("Пътят до личния лекар",),
        (11, 16, 22, 29),
    ),
    DemoNotes(
        2,
        "Evening and online Bulgarian classes, with childcare during the lessons.",
        "- Parents who work shifts miss daytime classes.\n- Childcare is the real barrier.",
        "Online classes with a weekly meeting in person; volunteers look after the children.",
        "Recognise online courses for the integration agreement.",
        "",
        ("Evening Bulgarian classes with childcare",),
        (("Run a pilot evening course", "Women's Circle Varna", "November"),),
        (),
        (9, 26, 27),
    ),
    DemoNotes(
        5,
        "A network of therapists who speak Arabic, Dari, Farsi and Ukrainian.",
        "People wait for months; interpreters in therapy are hard to find.",
        "A shared roster of therapists and trained interpreters.",
        "",
        "How do we keep it free for the people who need it?",
        ("A roster of therapists in the mother tongue",),
        (("Collect the names of therapists", "Voices of Newcomers", "August"),),
        ("The roster on the flipchart",),
        (20, 10, 21),
    ),
    DemoNotes(
        7,
        "Модел на споразумение между община и НПО, който може да се подпише за месец.",
        "- Споразуменията се бавят с **години**.\n- Нужен е прост образец с ясни роли.",
        "Образец на споразумение; обмен на опит между общините.",
        "Национална среща на общините всяка година.",
        "Как да се финансират дейностите след края на проекта?",
        (
            "Образец на споразумение между община и НПО",
            "Годишна среща на общините за интеграцията",
        ),
        (
            ("Образец на споразумение", "Mozaika Collective", "септември"),
            ("Покана за годишна среща", "National Integration Agency", "2027"),
        ),
        (),
        (0, 1, 13, 15),
    ),
)

# Dots on proposals (participant index → proposal numbers in the order created above).
PROPOSAL_DOTS = {n: (n % 3, (n + 2) % 7, (n * 3) % 7) for n in range(24)}
COMMITMENTS = (
    (0, 3, "Nov Dom Foundation", "Our foundation will draft the rent-guarantee scheme", "Sept"),
    (2, 11, "Sofia Municipality, social services", "We will print the GP guide", "July 2026"),
    (0, 12, "Plovdiv Municipality", "We will propose a pilot budget to the council", "Oct"),
)


class DemoPlenaryNotes(NamedTuple):
    title: str  # of the programme's plenary item (demo.PROGRAMME)
    outcome: str
    discussion: str
    recommendations: str
    photos: tuple[str, ...] = ()  # captions; each becomes a drawn flipchart


PLENARY_NOTES: tuple[DemoPlenaryNotes, ...] = (
    DemoPlenaryNotes(
        "Opening circle",
        "Два дни, за да свържем общините и организациите, които вече работят с бежанци.",
        "- Участници от **14 града**: общини, НПО, УВКБ на ООН.\n"
        "- Правилата на Отвореното пространство: законът на двата крака, водещият "
        "пише бележките.",
        "",
    ),
    DemoPlenaryNotes(
        "Current picture of refugee integration",
        "Интеграционните споразумения се подписват рядко: повечето общини нямат план.",
        "- През 2020 г. са подписани **по-малко от 30** интеграционни споразумения.\n"
        "- Най-трудни остават жилището, здравното осигуряване и езиковите курсове.\n"
        "- Общините, които имат служител за интеграция, сключват споразумения.",
        "1. Всяка община да определи служител за интеграция.\n"
        "2. Данните за споразуменията да се публикуват всяко тримесечие.",
    ),
    DemoPlenaryNotes(
        "Good practices from European NGOs",
        "Менторски програми с доброволци работят, когато общината ги подкрепя с място и хора.",
        "- Норвегия: всяко семейство има **ментор доброволец** за първата година.\n"
        "- Германия: „езикови кафенета“ в читалищата, водени от местни жители.\n"
        "- Общото: малки, редовни срещи, а не еднократни събития.",
        "Пилотна менторска програма в две общини, с обучение за доброволците.",
        ("Добри практики: менторство",),
    ),
)


def load(session: Session, *, event: Event, upload_dir: Path) -> None:
    """Add notes, photos, check-ins, dots on proposals and commitments to the demo event."""
    event_id = id_of(event)
    people = session.exec(
        select(Participant).where(Participant.event_id == event_id).order_by(col(Participant.id))
    ).all()
    topics = session.exec(
        select(Topic).where(Topic.event_id == event_id).order_by(col(Topic.id))
    ).all()
    _publish_if_needed(session, event=event, topics=list(topics))
    version = agenda.latest_version(session, event_id=event_id)
    scheduled = agenda.published_cells(session, version_id=id_of(version)) if version else {}
    # The demo's agenda records who went where; check-ins are added only when it has none.
    attended = session.exec(select(CheckIn.id).where(CheckIn.event_id == event_id)).first()
    created: list[Proposal] = []
    for seed in NOTES:
        topic_id = id_of(topics[seed.topic])
        if topic_id not in scheduled:
            continue
        created += _notes(session, event_id=event_id, topic_id=topic_id, seed=seed)
        for index in seed.attendees if attended is None else ():
            session.add(
                CheckIn(event_id=event_id, participant_id=id_of(people[index]), topic_id=topic_id)
            )
        for number, caption in enumerate(seed.photos):
            _photo(session, event_id=event_id, topic_id=topic_id, caption=caption,
                   upload_dir=upload_dir, seed=number + seed.topic)  # fmt: skip
    _plenary_notes(session, event_id=event_id, upload_dir=upload_dir)
    if not created:
        session.commit()
        return
    for person, chosen in PROPOSAL_DOTS.items():
        for number in sorted({n % len(created) for n in chosen})[: event.dots_per_participant]:
            session.add(
                ProposalVote(
                    event_id=event_id,
                    participant_id=id_of(people[person]),
                    proposal_id=id_of(created[number % len(created)]),
                )
            )
    for number, person, who, action, by_when in COMMITMENTS:
        session.add(
            Commitment(
                event_id=event_id,
                proposal_id=id_of(created[number % len(created)]),
                participant_id=people[person].id,
                who=who,
                action=action,
                by_when=by_when,
            )
        )
    session.commit()


def _publish_if_needed(session: Session, *, event: Event, topics: list[Topic]) -> None:
    """Publish the first topics into the open-space slots, unless an agenda is published."""
    event_id = id_of(event)
    if agenda.latest_version(session, event_id=event_id) is not None:
        return
    plan = agenda.load_published(session, event=event)
    cells = [(id_of(slot), id_of(room)) for slot in plan.slots for room in plan.rooms]
    version = ScheduleVersion(event_id=event_id, number=1)
    session.add(version)
    session.flush()
    for topic, (block_id, room_id) in zip(topics, cells, strict=False):
        session.add(
            PublishedPlacement(
                version_id=id_of(version),
                event_id=event_id,
                topic_id=id_of(topic),
                block_id=block_id,
                room_id=room_id,
            )
        )
    session.flush()


def _plenary_notes(session: Session, *, event_id: int, upload_dir: Path) -> None:
    """Notes, and a flipchart photo, for the plenary items that ``PLENARY_NOTES`` names."""
    blocks = {
        block.title: id_of(block)
        for block in session.exec(
            select(TimeBlock).where(
                TimeBlock.event_id == event_id, TimeBlock.kind == BlockKind.PLENARY
            )
        ).all()
    }
    written = set(
        session.exec(
            select(SessionNotes.block_id).where(
                SessionNotes.event_id == event_id, col(SessionNotes.block_id).is_not(None)
            )
        ).all()
    )
    for number, seed in enumerate(PLENARY_NOTES):
        block_id = blocks.get(seed.title)
        if block_id is None or block_id in written:
            continue
        _saved(
            session,
            SessionNotes(
                event_id=event_id,
                block_id=block_id,
                revision=1,
                outcome=seed.outcome,
                discussion=seed.discussion,
                recommendations=seed.recommendations,
                updated_at=utcnow(),
                updated_by="Demo",
            ),
        )
        for caption in seed.photos:
            _photo(session, event_id=event_id, block_id=block_id, caption=caption,
                   upload_dir=upload_dir, seed=number)  # fmt: skip


def _saved(session: Session, row: SessionNotes) -> None:
    """A notes row and its first revision, as a save makes them."""
    session.add(row)
    session.flush()
    session.add(
        NotesRevision(
            event_id=row.event_id,
            notes_id=id_of(row),
            revision=1,
            fields=shared.values_of(row, shared.Subject.of(row).fields),
            author="Demo",
        )
    )


def _notes(session: Session, *, event_id: int, topic_id: int, seed: DemoNotes) -> list[Proposal]:
    _saved(
        session,
        SessionNotes(
            event_id=event_id,
            topic_id=topic_id,
            revision=1,
            outcome=seed.outcome,
            discussion=seed.discussion,
            ideas=seed.ideas,
            recommendations=seed.recommendations,
            questions=seed.questions,
            updated_at=utcnow(),
            updated_by="Demo",
        ),
    )
    proposals = [
        Proposal(event_id=event_id, topic_id=topic_id, text=text) for text in seed.proposals
    ]
    session.add_all(proposals)
    for action, who, by_when in seed.steps:
        session.add(
            NextStep(event_id=event_id, topic_id=topic_id, action=action, who=who, by_when=by_when)
        )
    session.flush()
    return proposals


def flipchart(caption: str, seed: int) -> bytes:
    """A small flipchart-like JPEG: a sheet with a heading, bullet lines and a sketch."""
    image = Image.new("RGB", (900, 1200), (246, 244, 236))
    draw = ImageDraw.Draw(image)
    colours = [(24, 80, 160), (180, 40, 40), (30, 120, 60), (20, 20, 20)]
    ink = colours[seed % len(colours)]
    draw.rectangle((40, 40, 860, 1160), outline=(200, 200, 200), width=6)
    draw.text((80, 80), caption[:40], fill=ink, font_size=48)
    for line in range(8):
        y = 220 + line * 95
        draw.ellipse((90, y + 10, 110, y + 30), fill=ink)
        length = 420 + ((seed * 37 + line * 53) % 300)
        draw.line((140, y + 20, 140 + length, y + 20 + (line % 3) * 4), fill=ink, width=9)
    draw.ellipse((560, 900, 820, 1100), outline=colours[(seed + 1) % len(colours)], width=10)
    out = io.BytesIO()
    image.save(out, "JPEG", quality=80)
    return out.getvalue()


def _photo(
    session: Session,
    *,
    event_id: int,
    topic_id: int | None = None,
    block_id: int | None = None,
    caption: str,
    upload_dir: Path,
    seed: int,
) -> None:
    processed = photos.process(flipchart(caption, seed))
    photo = Photo(
        event_id=event_id,
        topic_id=topic_id,
        block_id=block_id,
        key=secrets.token_urlsafe(24),
        caption=caption,
        width=processed.width,
        height=processed.height,
        thumb_width=processed.thumb_width,
        thumb_height=processed.thumb_height,
        size_bytes=len(processed.full),
    )
    folder = photos.folder(upload_dir, event_id)
    folder.mkdir(parents=True, exist_ok=True)
    photos.path_of(upload_dir, photo).write_bytes(processed.full)
    photos.path_of(upload_dir, photo, thumb=True).write_bytes(processed.thumb)
    session.add(photo)
