"""An event with one of everything the proceedings show, for the report and archive tests.

Topics, dots and people go through the services; the published grid, check-ins and grid
history are written as rows (their services live on other branches and have their own tests).
``add_notes`` then writes session notes, a photo, dots on proposals and commitments through
the notes, photos and convergence services, as people would.
"""

from __future__ import annotations

import datetime as dt
import io
from dataclasses import dataclass
from pathlib import Path

from PIL import Image, ImageDraw
from sqlmodel import Session, select

from app.config import Settings
from app.models.base import utcnow
from app.models.events import Event, EventUpdate, Phase, RoomCreate, TimeBlock, TimeBlockCreate
from app.models.notes import Proposal
from app.models.people import Participant, User
from app.models.schedule import (
    BlockedCell,
    CheckIn,
    GridChange,
    Placement,
    PublishedPlacement,
    ScheduleVersion,
)
from app.models.topics import Topic
from app.services.access import EventAccess
from app.services.convergence import priorities
from app.services.events import events, hosts, programme
from app.services.notes import editing, items, photos
from app.services.topics import news, pitches, topics, votes
from tests.factories import access_as, make_participant
from tests.marketplace_helpers import cohost, set_phase

HOUSING = "Жилища за бежанци"
TRICKY = "*Roma* [kids](x) | jobs"
SECRET_NAME = "Ivo Secretov"  # never agrees to be named
SECRET_ORG = "Hidden Municipality"


@dataclass
class World:
    event: Event
    owner: User
    staff: EventAccess
    mira: EventAccess  # agrees to be named
    ivo: EventAccess  # does not
    petya: EventAccess  # agrees; her organisation looks like a spreadsheet formula
    dan: EventAccess  # does not; no organisation
    housing: Topic
    tricky: Topic
    unscheduled: Topic
    duplicate: Topic


def _participant(
    session: Session, settings: Settings, event: Event, name: str, **values: object
) -> EventAccess:
    _person, auth = make_participant(session, settings, event=event, name=name, **values)
    return access_as(session, event, auth=auth)


def make_world(session: Session, settings: Settings, *, event: Event, owner: User) -> World:
    staff = access_as(session, event, user=owner)
    events.update_event(
        session,
        access=staff,
        data=EventUpdate(venue="Zaedno Centre", report_acknowledgement="Funded by AMIF."),
    )
    hall = programme.add_room(session, access=staff, data=RoomCreate(name="Hall"))
    vitosha = programme.add_room(session, access=staff, data=RoomCreate(name="Зала Витоша"))
    day = events.days(session, event_id=staff.event_id)[0]
    blocks = {}
    for hour, minute, end, kind, title, presenter in (
        (9, 0, dt.time(9, 30), "plenary", "Opening", "Olga"),
        (9, 30, dt.time(10, 30), "slot", "", ""),
        (10, 30, dt.time(11), "break", "", ""),
        (11, 0, dt.time(12), "slot", "", ""),
    ):
        blocks[(hour, minute)] = programme.add_block(
            session,
            access=staff,
            day_id=day.id,  # type: ignore[arg-type]
            data=TimeBlockCreate(
                kind=kind,
                starts_at=dt.time(hour, minute),
                ends_at=end,
                title=title,
                presenter=presenter,
            ),
        )
    mira = _participant(
        session, settings, event, "Mira", organisation="Zaedno", org_type="ngo", consent_report=True
    )
    ivo = _participant(
        session,
        settings,
        event,
        SECRET_NAME,
        organisation=SECRET_ORG,
        org_type="municipality",
    )
    petya = _participant(
        session,
        settings,
        event,
        "Petya",
        organisation="=1+2",
        org_type="other",
        consent_report=True,
    )
    dan = _participant(session, settings, event, "Dan Hidden")

    set_phase(session, event, Phase.MARKETPLACE)
    housing = topics.propose(session, access=mira, title=HOUSING, description="Rents & rooms")
    cohost(session, topic_id=housing.id or 0, asker=ivo, answer=mira)
    tricky = topics.propose(session, access=ivo, title=TRICKY)
    unscheduled = topics.propose(session, access=petya, title="Unscheduled idea")
    duplicate = topics.propose(session, access=dan, title="Housing again")
    topics.merge(session, access=staff, source_id=duplicate.id, target_id=housing.id)  # type: ignore[arg-type]
    pitches.line_up(session, access=staff, topic_id=housing.id)  # type: ignore[arg-type]
    news.announce(session, access=staff, text="Lunch at one")

    set_phase(session, event, Phase.VOTING, dots_per_participant=5, max_dots_per_topic=1)
    for who, topic in (
        (mira, housing),
        (mira, tricky),
        (ivo, housing),
        (petya, housing),
        (petya, unscheduled),
        (dan, tricky),
    ):
        votes.cast(session, access=who, topic_id=topic.id, key=None)  # type: ignore[arg-type]
    set_phase(session, event, Phase.SESSIONS)

    first, second = blocks[(9, 30)], blocks[(11, 0)]
    cells = {housing.id: (first.id, hall.id), tricky.id: (second.id, vitosha.id)}
    version = ScheduleVersion(
        event_id=staff.event_id,
        number=1,
        published_by=owner.id,
        changes=[{"topic": t, "from": None, "to": list(c)} for t, c in cells.items()],
    )
    session.add(version)
    session.flush()
    for topic_id, (block_id, room_id) in cells.items():
        session.add(
            PublishedPlacement(
                version_id=version.id,  # type: ignore[arg-type]
                event_id=staff.event_id,
                topic_id=topic_id,  # type: ignore[arg-type]
                block_id=block_id,  # type: ignore[arg-type]
                room_id=room_id,  # type: ignore[arg-type]
            )
        )
        session.add(
            Placement(
                event_id=staff.event_id,
                topic_id=topic_id,  # type: ignore[arg-type]
                block_id=block_id,  # type: ignore[arg-type]
                room_id=room_id,  # type: ignore[arg-type]
                locked=topic_id == housing.id,
            )
        )
    session.add(BlockedCell(event_id=staff.event_id, block_id=first.id, room_id=vitosha.id))  # type: ignore[arg-type]
    session.add(
        GridChange(
            event_id=staff.event_id,
            user_id=owner.id,
            kind="move",
            before={str(tricky.id): None},
            after={str(tricky.id): [second.id, vitosha.id, False]},
        )
    )
    start = utcnow().replace(microsecond=0)
    for who, topic, minutes, left in (
        (mira, housing, 0, 20),
        (ivo, housing, 1, None),
        (petya, tricky, 90, None),
        (mira, tricky, 91, None),
    ):
        session.add(
            CheckIn(
                event_id=staff.event_id,
                participant_id=_id(who),
                topic_id=topic.id,  # type: ignore[arg-type]
                arrived_at=start + dt.timedelta(minutes=minutes),
                left_at=None if left is None else start + dt.timedelta(minutes=left),
            )
        )
    session.commit()
    return World(
        event=event,
        owner=owner,
        staff=staff,
        mira=mira,
        ivo=ivo,
        petya=petya,
        dan=dan,
        housing=housing,
        tricky=tricky,
        unscheduled=unscheduled,
        duplicate=duplicate,
    )


def _id(access: EventAccess) -> int:
    participant: Participant | None = access.participant
    assert participant is not None and participant.id is not None
    return participant.id


# --- notes, a photo, priorities and action plans ---------------------------------------------

DESK = "Open a housing desk"
FORMULA = "=SUM(A1)"  # a proposal a spreadsheet would run
MEDIATORS = "Roma mediators in schools"


@dataclass
class Notes:
    desk: Proposal  # housing: 2 dots, two commitments
    formula: Proposal  # housing: 1 dot, one commitment
    mediators: Proposal  # tricky: no dot
    photo_path: str  # inside the upload folder
    thumb_path: str


def logo_png(side: int = 200) -> bytes:
    """A small transparent PNG with a coloured disc: a logo as an organiser uploads one."""
    image = Image.new("RGBA", (side, side), (0, 0, 0, 0))
    ImageDraw.Draw(image).ellipse((10, 10, side - 10, side - 10), fill=(176, 58, 46, 255))
    out = io.BytesIO()
    image.save(out, "PNG")
    return out.getvalue()


def add_hosts(session: Session, world: World, *, upload_dir: Path) -> None:
    """The organisations that ran the event: the first with a logo, the second without one."""
    hosts.add(
        session,
        access=world.staff,
        name="Council for Refugees",
        logo=logo_png(),
        upload_dir=upload_dir,
    )
    hosts.add(session, access=world.staff, name="UNHCR Bulgaria", upload_dir=upload_dir)


def flipchart_jpeg(width: int = 640, height: int = 480) -> bytes:
    image = Image.new("RGB", (width, height), (246, 244, 236))
    ImageDraw.Draw(image).line((40, 60, width - 40, 80), fill=(24, 80, 160), width=9)
    out = io.BytesIO()
    image.save(out, "JPEG", quality=80)
    return out.getvalue()


def add_notes(session: Session, world: World, *, upload_dir: Path) -> Notes:
    """Notes on the housing session by Mira, Ivo and the organiser; next steps that name
    people who did or did not agree to be named; a photo; dots; commitments by Mira, Ivo and
    Dan. The tricky session gets one next step and a proposal without dots."""
    housing, tricky = world.housing.id or 0, world.tricky.id or 0
    first = editing.save(
        session,
        access=world.mira,
        topic_id=housing,
        base_revision=0,
        changes={
            "outcome": "A housing desk in every town",
            "discussion": "- **Rents** are high\n- Deposits",
            "questions": "   ",
            "participant_count": "12",
        },
    )
    second = editing.save(
        session,
        access=world.ivo,
        topic_id=housing,
        base_revision=first.revision,
        changes={"ideas": "Shared flats"},
    )
    editing.save(
        session,
        access=world.staff,
        topic_id=housing,
        base_revision=second.revision,
        changes={"recommendations": "Ask the ministry"},
    )
    desk = items.add_proposal(session, access=world.mira, topic_id=housing, text=DESK)
    formula = items.add_proposal(session, access=world.ivo, topic_id=housing, text=FORMULA)
    mediators = items.add_proposal(session, access=world.staff, topic_id=tricky, text=MEDIATORS)
    for access, topic_id, action, who, by_when in (
        (world.mira, housing, "=Write to the mayor", SECRET_NAME, "July"),
        (world.mira, housing, "Map the landlords", "Zaedno, dan hidden", ""),
        (world.staff, tricky, "Train mediators", "Mira and Petya", "2027"),
    ):
        items.add_step(
            session, access=access, topic_id=topic_id, action=action, who=who, by_when=by_when
        )
    photo = photos.add(
        session,
        access=world.petya,
        topic_id=housing,
        data=flipchart_jpeg(),
        caption="Флипчарт",
        upload_dir=upload_dir,
    )

    set_phase(session, world.event, Phase.CONVERGENCE)
    for who, proposal in ((world.mira, desk), (world.petya, desk), (world.dan, formula)):
        priorities.cast(session, access=who, proposal_id=proposal.id or 0)
    set_phase(session, world.event, Phase.ACTIONS)
    for who, proposal, name, action, by_when in (
        (world.mira, desk, "Mira", "Zaedno will host the desk", "September"),
        (world.ivo, desk, SECRET_NAME, "I will ask the mayor", ""),
        (world.dan, formula, "Dan", "Bring two lawyers", "soon"),
    ):
        priorities.commit(
            session,
            access=who,
            proposal_id=proposal.id or 0,
            who=name,
            action=action,
            by_when=by_when,
        )
    return Notes(
        desk=desk,
        formula=formula,
        mediators=mediators,
        photo_path=f"{photo.event_id}/{photo.key}.jpg",
        thumb_path=f"{photo.event_id}/{photo.key}-thumb.jpg",
    )


def add_plenary_notes(session: Session, world: World, *, upload_dir: Path) -> TimeBlock:
    """Notes on the "Opening" plenary item by Mira (named) and Ivo (not), a photo by Petya."""
    opening = session.exec(select(TimeBlock).where(TimeBlock.title == "Opening")).one()
    first = editing.save(
        session,
        access=world.mira,
        block_id=opening.id,
        base_revision=0,
        changes={"outcome": "Welcome to the lab", "discussion": "- **Two** days"},
    )
    editing.save(
        session,
        access=world.ivo,
        block_id=opening.id,
        base_revision=first.revision,
        changes={"recommendations": "Ask early", "questions": "  "},
    )
    photos.add(
        session,
        access=world.petya,
        block_id=opening.id,
        data=flipchart_jpeg(),
        caption="Welcome",
        upload_dir=upload_dir,
    )
    return opening
