"""The demo event: a two-day "Laboratory for Cooperation" that a new user can explore at once.

It imitates the real event this project started from (a national coalition meeting on refugee
integration held in Sofia, see ``PRODUCT.md``). The organisations and people are invented; the
municipalities carry real town names only so that the spread across the country feels right.

The seed data are plain module-level tuples, and ``load_demo`` adds each part in a function of its
own, so later features (topics, votes, sessions, notes, the map) extend the demo the same way.
"""

from __future__ import annotations

import datetime as dt
from typing import NamedTuple

from sqlmodel import Session, col, delete, select

from app.config import Settings
from app.demo import hosts, maps, notes
from app.errors import Invalid, PermissionDenied
from app.models.base import id_of
from app.models.events import BlockKind, Event, EventCreate, Phase, RoomCreate, TimeBlockCreate
from app.models.people import OrgType, Participant, ParticipantCreate, User
from app.models.schedule import CheckIn
from app.models.topics import Announcement, Topic, TopicConvener, Vote
from app.security import new_token
from app.services.access import EventAccess, resolve
from app.services.events import events, programme, team
from app.services.people import accounts
from app.services.schedule import agenda, optimise, publishing

DEMO_SLUG = "demo"
DEMO_EMAIL = "organiser@demo.openspace.invalid"
FACILITATOR_EMAIL = "facilitator@demo.openspace.invalid"
# A public demo credential, printed by `openspace demo` and shown in the README; load_demo
# refuses to create accounts with it in production.
DEMO_PASSWORD = "open-space-demo"  # noqa: S105
ORGANISER_NAME = "Demo organiser"
FACILITATOR_NAME = "Demo facilitator"

EVENT_NAME = "Laboratory for Cooperation — Лаборатория за сътрудничество"
EVENT_LANGUAGES = ("bg", "en")
EVENT_TIMEZONE = "Europe/Sofia"
EVENT_VENUE = "Community Centre Zaedno / Общностен център „Заедно“, Sofia"
EVENT_DESCRIPTION = (
    "A national coalition meeting of civil-society organisations and municipalities working on "
    "the integration of refugees and migrants. We look at the current picture, map the "
    "opportunities, initiatives and needs of the civil sector, hear good practices from European "
    "NGOs, and then, in Open Space, develop our own ideas on the topics that matter to us and "
    "present them back to everyone.\n\n"
    "Национална среща на граждански организации и общини, работещи за интеграцията на бежанци и "
    "мигранти: актуална картина, карта на възможностите, инициативите и нуждите, добри практики "
    "от Европа и работа по метода „Отворено пространство“."
)
FIRST_DAY = dt.date(2026, 6, 9)

FACILITATION_TEAM = "Facilitation team"


class DemoRoom(NamedTuple):
    name: str
    capacity: int
    notes: str


ROOMS: tuple[DemoRoom, ...] = (
    DemoRoom("Big hall", 60, "Step-free; projector, microphones, four flipcharts."),
    DemoRoom("Room Vitosha", 25, "Step-free; projector and screen."),
    DemoRoom("Room Rila", 20, "First floor, lift available; two flipcharts."),
    DemoRoom("Library", 12, "Quiet, step-free; no projector."),
    DemoRoom("Garden", 15, "Outdoors in the shade; moves to the foyer if it rains."),
)


class DemoBlock(NamedTuple):
    kind: BlockKind
    starts_at: str  # "HH:MM", wall-clock time in the event's time zone
    ends_at: str
    title: str = ""
    presenter: str = ""


class DemoDay(NamedTuple):
    title: str
    blocks: tuple[DemoBlock, ...]


P, S, B = BlockKind.PLENARY, BlockKind.SLOT, BlockKind.BREAK

# Day one follows the real event: the picture, the map, good practices, then Open Space begins.
# Day two is mostly Open Space and ends with every session's ideas presented in the circle.
PROGRAMME: tuple[DemoDay, ...] = (
    DemoDay(
        "Day 1 — The picture and the map",
        (
            DemoBlock(P, "09:00", "09:30", "Opening circle", FACILITATION_TEAM),
            DemoBlock(
                P,
                "09:30",
                "10:15",
                "Current picture of refugee integration",
                "Sophie Laurent, International Refugee Support Agency",
            ),
            DemoBlock(
                P,
                "10:15",
                "11:15",
                "Mapping workshop: opportunities, initiatives and needs",
                "Mozaika Collective",
            ),
            DemoBlock(B, "11:15", "11:30", "Coffee break"),
            DemoBlock(
                P,
                "11:30",
                "12:15",
                "Good practices from European NGOs",
                "Ingrid Halvorsen, Nordic Welcome Network",
            ),
            DemoBlock(B, "12:15", "13:15", "Lunch"),
            DemoBlock(P, "13:15", "14:00", "Open Space marketplace", FACILITATION_TEAM),
            DemoBlock(S, "14:00", "15:00", "Open Space round 1"),
            DemoBlock(B, "15:00", "15:20", "Coffee break"),
            DemoBlock(S, "15:20", "16:20", "Open Space round 2"),
            DemoBlock(S, "16:30", "17:30", "Open Space round 3"),
            DemoBlock(P, "17:30", "18:00", "News and reflections of the day", FACILITATION_TEAM),
        ),
    ),
    DemoDay(
        "Day 2 — Open Space",
        (
            DemoBlock(P, "09:30", "10:00", "Morning news and new topics", FACILITATION_TEAM),
            DemoBlock(S, "10:00", "11:00", "Open Space round 4"),
            DemoBlock(B, "11:00", "11:20", "Coffee break"),
            DemoBlock(S, "11:20", "12:20", "Open Space round 5"),
            DemoBlock(B, "12:20", "13:20", "Lunch"),
            DemoBlock(
                P, "13:20", "15:00", "Closing circle: the ideas of every session", FACILITATION_TEAM
            ),
        ),
    ),
)


class DemoParticipant(NamedTuple):
    name: str
    organisation: str
    org_type: OrgType | None  # None: the person left the organisation out
    locale: str
    consent_report: bool


NGO, CITY, STATE = OrgType.NGO, OrgType.MUNICIPALITY, OrgType.STATE
INTL, COMMUNITY = OrgType.INTERNATIONAL, OrgType.COMMUNITY

# Some refugee participants use a pseudonym, give no organisation and keep their name out of the
# report, as real ones may: the demo should show what that looks like.
PARTICIPANTS: tuple[DemoParticipant, ...] = (
    DemoParticipant("Мария Петрова", "Mozaika Collective", NGO, "bg", True),
    DemoParticipant("Lina Sabbagh", "Mozaika Collective", NGO, "en", True),
    DemoParticipant(
        "Georgi Ivanov", "Coalition Council for Refugees and Migrants", NGO, "bg", True
    ),
    DemoParticipant("Radostina Hristova", "Nov Dom Foundation", NGO, "en", True),
    DemoParticipant("Iryna Bondarenko", "Nov Dom Foundation", NGO, "en", False),
    DemoParticipant("Ivan Todorov", "Mostove Association, Burgas", NGO, "bg", False),
    DemoParticipant("Petya Angelova", "Legal Aid for Newcomers Network", NGO, "en", True),
    DemoParticipant("Hamid Noori", "Legal Aid for Newcomers Network", NGO, "en", False),
    DemoParticipant("Kalina Georgieva", "Youth Hub Stara Zagora", NGO, "bg", True),
    DemoParticipant("Dilan Aziz", "Women's Circle Varna", NGO, "en", True),
    DemoParticipant("Ingrid Halvorsen", "Nordic Welcome Network", NGO, "en", True),
    DemoParticipant("Елена Димитрова", "Sofia Municipality, social services", CITY, "bg", True),
    DemoParticipant("Stefan Kolev", "Plovdiv Municipality", CITY, "bg", True),
    DemoParticipant("Десислава Маринова", "Varna Municipality", CITY, "bg", False),
    DemoParticipant("Оксана Мельник", "Burgas Municipality, integration desk", CITY, "bg", True),
    DemoParticipant("Teodora Vasileva", "Stara Zagora Municipality", CITY, "bg", True),
    DemoParticipant("Николай Стоянов", "National Integration Agency", STATE, "bg", True),
    DemoParticipant("Борислав Генов", "National Integration Agency", STATE, "bg", False),
    DemoParticipant("Sophie Laurent", "International Refugee Support Agency", INTL, "en", True),
    DemoParticipant("Daniel Okafor", "International Refugee Support Agency", INTL, "en", True),
    DemoParticipant("Rania Haddad", "Voices of Newcomers", COMMUNITY, "en", True),
    DemoParticipant("Mo", "Voices of Newcomers", COMMUNITY, "en", False),
    DemoParticipant("Omar Darwish", "Jasmine Community Centre", COMMUNITY, "en", False),
    DemoParticipant("Amal Yousef", "Jasmine Community Centre", COMMUNITY, "en", True),
    DemoParticipant("Farid Ahmadi", "Afghan Community Circle Sofia", COMMUNITY, "en", True),
    DemoParticipant("Zahra Rahimi", "Afghan Community Circle Sofia", COMMUNITY, "en", False),
    DemoParticipant("Олена Коваленко", "Ukrainian Mothers' Network Varna", COMMUNITY, "bg", True),
    DemoParticipant("Andriy Shevchuk", "Ukrainian Mothers' Network Varna", COMMUNITY, "en", True),
    DemoParticipant("سامر", "", None, "en", False),
    DemoParticipant("Nargis H.", "", None, "en", False),
)


def demo_event(session: Session) -> Event | None:
    return session.exec(select(Event).where(Event.slug == DEMO_SLUG)).first()


def load_demo(session: Session, *, settings: Settings) -> tuple[Event, bool]:
    """Load the demo event unless an event with its slug exists; return it and whether it is new.

    An existing demo event is returned untouched, so this is safe to run on every start. The
    demo accounts share a password that is public, so they are never created in production.
    If a step fails, the half-built event is removed, so the next run starts over cleanly.
    """
    existing = demo_event(session)
    if existing is not None:
        return existing, False
    organiser, facilitator = _accounts(session, settings=settings)
    try:
        event = _event(session, organiser=organiser)
    except Invalid as error:
        # Another process loaded the demo between our check and our insert: use theirs.
        if "slug" in error.errors and (existing := demo_event(session)) is not None:
            return existing, False
        raise
    try:
        access = resolve(session, event=event, user=organiser, session_id=None)
        _day_titles(session, access=access)
        _team(session, access=access, facilitator=facilitator)
        hosts.load(session, access=access, upload_dir=settings.uploads_path)
        _rooms(session, access=access)
        _programme(session, access=access)
        _participants(session, event=event)
        _marketplace(session, event=event)
        _agenda(session, access=access)
        maps.load(session, access=access)
        notes.load(session, event=event, upload_dir=settings.uploads_path)
    except BaseException:
        session.rollback()
        # The foreign keys cascade, so this takes the rooms, blocks and people with it.
        session.execute(delete(Event).where(col(Event.id) == event.id))
        session.commit()
        raise
    return event, True


def _account(session: Session, *, email: str) -> User | None:
    return session.exec(select(User).where(User.email == email)).first()


def _accounts(session: Session, *, settings: Settings) -> tuple[User, User]:
    """The demo organiser and facilitator, created when missing (never in production)."""
    organiser = _account(session, email=DEMO_EMAIL)
    facilitator = _account(session, email=FACILITATOR_EMAIL)
    if settings.environment == "production" and (organiser is None or facilitator is None):
        # An operator message from the command line, not a page, so it is not translated.
        raise PermissionDenied(
            "The demo event is not loaded in production: its accounts use a published password "
            f"({DEMO_EMAIL}). Load it into a development or test database instead."
        )
    if organiser is None:
        organiser = accounts.create_user(
            session,
            email=DEMO_EMAIL,
            name=ORGANISER_NAME,
            password=DEMO_PASSWORD,
            can_create_events=True,
        )
    if facilitator is None:
        facilitator = accounts.create_user(
            session, email=FACILITATOR_EMAIL, name=FACILITATOR_NAME, password=DEMO_PASSWORD
        )
    return organiser, facilitator


def _event(session: Session, *, organiser: User) -> Event:
    """Create the event with its (untitled) days, a join code and a board link."""
    return events.create_event(
        session,
        owner=organiser,
        data=EventCreate(
            name=EVENT_NAME,
            slug=DEMO_SLUG,
            description=EVENT_DESCRIPTION,
            languages=list(EVENT_LANGUAGES),
            timezone=EVENT_TIMEZONE,
            venue=EVENT_VENUE,
            first_day=FIRST_DAY,
            day_count=len(PROGRAMME),
        ),
    )


def _day_titles(session: Session, *, access: EventAccess) -> None:
    """Give each day its title; no service renames a day yet, so the rows are set here."""
    for day, seed in zip(events.days(session, event_id=access.event_id), PROGRAMME, strict=True):
        day.title = seed.title
        session.add(day)
    session.commit()


def _team(session: Session, *, access: EventAccess, facilitator: User) -> None:
    """Bring the facilitator in the way a real one arrives: by an accepted invitation."""
    token = team.invite_facilitator(session, access=access, note=FACILITATOR_NAME)
    team.accept_invitation(session, token=token, user=facilitator)


def _rooms(session: Session, *, access: EventAccess) -> None:
    """Add the rooms, in grid order, through the same checks as the organiser's form."""
    for room in ROOMS:
        programme.add_room(session, access=access, data=RoomCreate(**room._asdict()))


def _programme(session: Session, *, access: EventAccess) -> None:
    """Add each day's slots, plenaries and breaks (the service refuses overlaps)."""
    days = events.days(session, event_id=access.event_id)
    for day, seed in zip(days, PROGRAMME, strict=True):
        assert day.id is not None
        for block in seed.blocks:
            programme.add_block(
                session,
                access=access,
                day_id=day.id,
                data=TimeBlockCreate(
                    kind=block.kind,
                    starts_at=dt.time.fromisoformat(block.starts_at),
                    ends_at=dt.time.fromisoformat(block.ends_at),
                    title=block.title,
                    presenter=block.presenter,
                ),
            )


class DemoTopic(NamedTuple):
    title: str
    description: str
    language: str
    conveners: tuple[int, ...]  # indexes into PARTICIPANTS


TOPICS: tuple[DemoTopic, ...] = (
    DemoTopic(
        "Housing for refugee families outside Sofia",
        "Who rents to newcomers, and how municipalities and NGOs can vouch for tenants.",
        "en",
        (3, 12),
    ),
    DemoTopic(
        "Достъп до здравеопазване без лична карта",
        "Какво се случва между решението за статут и първия личен лекар.",
        "bg",
        (11,),
    ),
    DemoTopic(
        "Language courses that fit working parents",
        "Evening and online Bulgarian classes.",
        "en",
        (9, 26),
    ),
    DemoTopic("Recognition of diplomas and skills", "", "en", (18, 6)),
    DemoTopic(
        "Заетост: работодатели, които вече наемат бежанци",
        "Да съберем добрите примери и контактите на едно място.",
        "bg",
        (16,),
    ),
    DemoTopic("Mental health support in the mother tongue", "", "en", (20, 10)),
    DemoTopic(
        "School enrolment and mediators for refugee children",
        "Teaching assistants who speak Arabic, Dari, Ukrainian.",
        "en",
        (8, 24),
    ),
    DemoTopic(
        "Общини и НПО: споразумения за сътрудничество",
        "Модел на споразумение, който може да се подпише за месец.",
        "bg",
        (1, 13),
    ),
    DemoTopic("Legal aid after a negative decision", "", "en", (7,)),
    DemoTopic(
        "Refugee-led organisations as partners, not beneficiaries",
        "How funders and NGOs can share decisions.",
        "en",
        (21, 23),
    ),
    DemoTopic(
        "Информационна кампания срещу дезинформацията",
        "Как да отговаряме на слуховете в местните медии.",
        "bg",
        (2,),
    ),
    DemoTopic("Ukrainian women entrepreneurs: first steps", "", "en", (27,)),
    DemoTopic("Translation and interpreting pool for municipalities", "", "en", (14, 19)),
    DemoTopic("Младежки клубове за местни и новодошли", "", "bg", (0, 8)),
    DemoTopic(
        "Data on integration: what should we measure?",
        "The evaluation mechanism asks for indicators: which ones help us?",
        "en",
        (17, 4),
    ),
)


def _marketplace(session: Session, *, event: Event) -> None:
    """Topics with their conveners, and dots from most participants, as after a marketplace."""
    people = session.exec(
        select(Participant).where(Participant.event_id == event.id).order_by(col(Participant.id))
    ).all()
    topics: list[Topic] = []
    for seed in TOPICS:
        topic = Topic(
            event_id=event.id,  # type: ignore[arg-type]
            title=seed.title,
            description=seed.description,
            language=seed.language,
            proposed_by=people[seed.conveners[0]].id,
        )
        session.add(topic)
        session.flush()
        topics.append(topic)
        for index in seed.conveners:
            session.add(TopicConvener(topic_id=topic.id, participant_id=people[index].id))  # type: ignore[arg-type]
    # A fixed pattern, not random: the demo must look the same on every machine. Popular topics
    # come first in TOPICS and collect more dots; a few people have not voted yet.
    for number, person in enumerate(people[: len(people) - 4]):
        chosen = {
            (number * step + offset) % len(topics) for step, offset in ((1, 0), (2, 1), (3, 0))
        }
        chosen |= {number % 4}
        for index in sorted(chosen)[: event.dots_per_participant]:
            vote = Vote(event_id=event.id, participant_id=person.id, topic_id=topics[index].id)  # type: ignore[arg-type]
            session.add(vote)
    session.add(
        Announcement(
            event_id=event.id,  # type: ignore[arg-type]
            text="Lunch is served in the garden at 13:00 · Обядът е в градината в 13:00.",
        )
    )
    event.phase = Phase.VOTING
    session.add(event)
    session.commit()


def _participants(session: Session, *, event: Event) -> None:
    """Add the participants as if each had joined from a phone (there is no phone to bind)."""
    for seed in PARTICIPANTS:
        data = ParticipantCreate(
            name=seed.name,
            organisation=seed.organisation,
            org_type=seed.org_type or "",
            locale=seed.locale,
            consent_report=seed.consent_report,
        )
        session.add(
            Participant(event_id=event.id, link_nonce=new_token(12), **data.model_dump())  # type: ignore[arg-type]
        )
    session.commit()


def _agenda(session: Session, *, access: EventAccess) -> None:
    """Schedule the topics from the dots, publish the agenda, and record who went where.

    The heuristic with a fixed seed, so the demo is the same everywhere; "now" is the evening
    before, so no slot is frozen. Every voter went to one of their topics in each slot; the
    last slot is still running (its check-ins are open).
    """
    eve = dt.datetime.combine(
        FIRST_DAY - dt.timedelta(days=1), dt.time(18), agenda.zone(access.event)
    )
    plan = optimise.prepare(session, access=access, mode="fill", now=eve)
    session.commit()
    optimise.apply(session, access=access, plan=optimise.solve(plan, seed=0, engine="heuristic"))
    publishing.publish(session, access=access)
    published = agenda.load_published(session, event=access.event)
    wanted: dict[int, list[int]] = {}
    for participant_id, topic_id in session.exec(
        select(Vote.participant_id, Vote.topic_id)
        .where(Vote.event_id == access.event_id)
        .order_by(col(Vote.id))
    ).all():
        if participant_id is not None:
            wanted.setdefault(participant_id, []).append(topic_id)
    last = published.slots[-1].id
    for participant_id, chosen in wanted.items():
        for block in published.slots:
            here = [
                item.topic_id
                for item in published.sessions.values()
                if item.block_id == block.id and item.topic_id in chosen
            ]
            if not here:
                continue
            session.add(
                CheckIn(
                    event_id=access.event_id,
                    participant_id=participant_id,
                    topic_id=here[0],
                    arrived_at=published.starts_at(id_of(block)),
                    left_at=None if block.id == last else published.ends_at(id_of(block)),
                )
            )
    access.event.phase = Phase.SESSIONS
    session.add(access.event)
