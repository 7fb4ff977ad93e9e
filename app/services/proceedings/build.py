"""The proceedings: one ``Report`` built from the database, rendered per format elsewhere.

``build`` reads an event in a fixed number of queries, whatever its size (the agenda, the
organisers, the participants, the topics with conveners, votes and check-ins), and returns
plain dataclasses with every label already translated into the report's language. The
renderers in ``app/services/proceedings/render/`` only lay them out.

Consent: figures count everyone (they are aggregates a funder asks for), but a person is
named only as ``app/services/people/naming.py`` allows (only if they agreed to appear in the
report), in every section and every format. Rows about people who may not be named keep an
empty name.

Parts of the day that other areas own are read by their services and filled into fields,
and every renderer shows them only when they hold something (``parts``):

- ``ReportSession.notes`` (``SessionNotesView``) and ``ReportSession.photos`` (``PhotoView``):
  session notes and flipchart photos, and the same for ``Report.plenaries``
  (``ReportPlenary``, the programme's plenary items, made here) (``attach_part_a``);
- ``Report.priorities`` (``PriorityView``) and ``Report.actions`` (``ActionView``): the
  convergence vote on proposals, the sessions' next steps and the commitments
  (``attach_part_a``);
- ``Report.maps`` (``ReportMap``): the mapping exercise (``attach_maps``).
"""

from __future__ import annotations

import datetime as dt
from collections import Counter, defaultdict
from collections.abc import Sequence

from sqlmodel import Session, col, select

from app.errors import NotFound
from app.i18n import (
    LOCALES,
    _,
    format_day,
    format_days,
    format_list,
    language_name,
    use_locale,
)
from app.models.base import id_of, utcnow
from app.models.events import BLOCK_KIND_LABELS, BlockKind, Event, EventMember, Role
from app.models.people import ORG_TYPE_LABELS, Participant, User
from app.models.schedule import CheckIn
from app.models.topics import Topic, TopicStatus, Vote
from app.services.access import EventAccess
from app.services.events import hosts as event_hosts
from app.services.people import naming as people_naming
from app.services.people.naming import Naming
from app.services.proceedings import parts
from app.services.proceedings.report import (
    AttendanceRow,
    Figure,
    HostView,
    OrganisationView,
    PersonView,
    Presence,
    ProgrammeDay,
    ProgrammeRow,
    Report,
    ReportPlenary,
    ReportSession,
    TopicRow,
    VoteRow,
)
from app.services.schedule import agenda as agenda_service
from app.services.topics import conveners as convener_queries


def report_locales(event: Event) -> list[str]:
    """The languages the proceedings can be had in: every language we ship a catalogue for,
    the event's own first, in the event's order."""
    own = [code for code in event.languages if code in LOCALES]
    return own + [code for code in LOCALES if code not in own]


def report_locale(event: Event) -> str:
    """The report's language unless one is chosen: the event's first language that we ship,
    else English."""
    return report_locales(event)[0]


def choose_locale(event: Event, requested: str | None) -> str:
    """The report's language: ``requested`` (a download's ``?lang=``, the command's
    ``--lang``) if we ship it, the event's default when none is asked for."""
    if not requested:
        return report_locale(event)
    if requested not in LOCALES:
        names = format_list([language_name(code) for code in report_locales(event)])
        raise NotFound(
            _("The proceedings come in %(languages)s, not in that language.")
            % {"languages": names},
            field="lang",
        )
    return requested


def _hhmm(value: dt.time) -> str:
    return value.strftime("%H:%M")


def _date_label(date: dt.date, locale: str) -> str:
    return format_day(date, weekday=False, locale=locale)


def build(session: Session, *, access: EventAccess, locale: str | None = None) -> Report:
    """The event's proceedings, for its organisers and facilitators, in ``locale`` (one of
    ``app.i18n.LOCALES``; the event's default when ``None``)."""
    access.require_staff()
    return build_for_event(session, event=access.event, locale=locale)


def build_for_event(session: Session, *, event: Event, locale: str | None = None) -> Report:
    """The proceedings without an access check: for the command line, run by the server's
    administrator. A language we do not ship is refused (``NotFound``) before anything is
    read."""
    locale = choose_locale(event, locale)
    naming = people_naming.load(session, event_id=id_of(event))
    with use_locale(locale):
        report = _build(session, event=event, locale=locale, naming=naming)
    parts.attach_part_a(session, report=report, event=event, naming=naming)
    parts.attach_maps(session, report=report, event=event)
    return report


def _build(session: Session, *, event: Event, locale: str, naming: Naming) -> Report:
    event_id = id_of(event)
    grid = agenda_service.load_published(session, event=event)
    organisers = session.exec(
        select(User.name)
        .join(EventMember, EventMember.user_id == User.id)  # type: ignore[arg-type]
        .where(EventMember.event_id == event_id, EventMember.role == Role.ORGANISER)
        .order_by(col(EventMember.id))
    ).all()
    participants = session.exec(
        select(Participant).where(Participant.event_id == event_id).order_by(col(Participant.id))
    ).all()
    topics = session.exec(
        select(Topic)
        .where(Topic.event_id == event_id, Topic.status == TopicStatus.ACTIVE)
        .order_by(col(Topic.id))
    ).all()
    topic_ids = [topic.id for topic in topics]
    active = set(topic_ids)
    convener_rows = [
        (topic_id, person.participant_id)
        for topic_id, people in convener_queries.by_topic(session, event_id=event_id).items()
        if topic_id in active  # the active topics
        for person in people
    ]
    vote_rows = session.exec(
        select(Vote.topic_id, Vote.participant_id, Vote.created_at)
        .where(Vote.event_id == event_id)
        .order_by(col(Vote.created_at), col(Vote.id))
    ).all()
    # Columns, not ORM objects: a large event has thousands of check-ins.
    checkins = [
        Presence(*row)
        for row in session.exec(
            select(CheckIn.participant_id, CheckIn.topic_id, CheckIn.arrived_at, CheckIn.left_at)
            .where(CheckIn.event_id == event_id)
            .order_by(col(CheckIn.arrived_at), col(CheckIn.id))
        ).all()
    ]

    conveners: dict[int, list[int]] = defaultdict(list)
    for topic_id, participant_id in convener_rows:
        conveners[topic_id].append(participant_id)
    active = set(topic_ids)
    dots: Counter[int] = Counter()
    # An anonymous dot (a forgotten voter's) counts as a voter of its own: one dot per topic
    # each, unless the event allowed more.
    voters: dict[int, list[object]] = defaultdict(list)
    titles = {id_of(topic): topic.title for topic in topics}
    votes: list[VoteRow] = []
    for topic_id, voter, cast_at in vote_rows:
        if topic_id not in active:
            continue
        dots[topic_id] += 1
        if voter is None or voter not in voters[topic_id]:
            voters[topic_id].append(voter)
        votes.append(VoteRow(topic_id, titles[topic_id], naming.name(voter) or "", cast_at))

    sessions = _sessions(
        grid, conveners=conveners, naming=naming, dots=dots, checkins=checkins, locale=locale
    )
    number_of = {item.topic_id: item.number for item in sessions}
    attendance = [
        AttendanceRow(
            topic_id=row.topic_id,
            session=titles.get(row.topic_id, ""),
            participant=naming.name(row.participant_id) or "",
            arrived_at=row.arrived_at,
            left_at=row.left_at,
        )
        for row in checkins
        if row.topic_id in number_of
    ]
    topic_rows = [
        TopicRow(
            topic_id=id_of(topic),
            title=topic.title,
            description=topic.description,
            language=topic.language,
            conveners=naming.split(conveners[id_of(topic)])[0],
            dots=dots[id_of(topic)],
            voters=len(voters[id_of(topic)]),
            session_number=number_of.get(id_of(topic)),
        )
        for topic in topics
    ]
    topic_rows.sort(key=lambda row: (-row.dots, row.title.casefold(), row.topic_id))

    org_types: dict[str, str] = {}  # organisation (folded) → its type, first seen
    org_names: dict[str, str] = {}
    for person in participants:
        key = person.organisation.casefold()
        if key:
            org_names.setdefault(key, person.organisation)
            if person.org_type:
                org_types.setdefault(key, person.org_type)
    by_type = Counter(org_types.get(key, "") for key in org_names)
    organisations_by_type = [
        Figure(_(label), by_type[kind]) for kind, label in ORG_TYPE_LABELS.items() if by_type[kind]
    ]
    if by_type[""]:
        organisations_by_type.append(Figure(_("Type not given"), by_type[""]))

    consenting = [person for person in participants if naming.name(person.id) is not None]
    consenting.sort(key=lambda person: (person.name.casefold(), id_of(person)))
    people_per_org: Counter[str] = Counter(
        person.organisation.casefold() for person in consenting if person.organisation
    )
    organisations = [
        OrganisationView(
            name=org_names[key],
            org_type=_type_label(org_types.get(key, "")),
            people=count,
        )
        for key, count in people_per_org.items()
    ]
    organisations.sort(key=lambda org: org.name.casefold())

    return Report(
        event_name=event.name,
        slug=event.slug,
        language=event.languages[0] if event.languages else "en",
        locale=locale,
        dates=format_days([day.day.date for day in grid.days], locale=locale),
        venue=event.venue,
        description=event.description,
        organisers=list(organisers),
        acknowledgement=event.report_acknowledgement,
        generated_at=utcnow(),
        time_zone=agenda_service.zone(event),
        rooms=[room.name for room in grid.rooms],
        days=_programme(grid, sessions, locale),
        plenaries=_plenaries(grid, locale),
        topics=topic_rows,
        sessions=sessions,
        votes=votes,
        attendance=attendance,
        participants=[
            PersonView(person.name, person.organisation, _type_label(person.org_type))
            for person in consenting
        ],
        organisations=organisations,
        participant_count=len(participants),
        organisation_count=len(org_names),
        organisations_by_type=organisations_by_type,
        vote_count=len(votes),
        hosts=[
            HostView(host.name, event_hosts.logo_relative_path(host))
            for host in event_hosts.of_event(session, event_id=event_id)
        ],
        summary=event.report_summary,
    )


def _type_label(kind: str) -> str:
    label = ORG_TYPE_LABELS.get(kind)
    return _(label) if label else ""


def _sessions(
    grid: agenda_service.Agenda,
    *,
    conveners: dict[int, list[int]],
    naming: Naming,
    dots: Counter[int],
    checkins: Sequence[Presence],
    locale: str,
) -> list[ReportSession]:
    present: dict[int, list[int]] = defaultdict(list)
    for row in checkins:
        if row.participant_id not in present[row.topic_id]:
            present[row.topic_id].append(row.participant_id)
    order = {block.id: index for index, block in enumerate(b for d in grid.days for b in d.blocks)}
    room_order = {room.id: index for index, room in enumerate(grid.rooms)}
    rooms = grid.room_by_id
    blocks = grid.blocks
    placed = sorted(
        grid.sessions.values(),
        key=lambda item: (order.get(item.block_id, 0), room_order.get(item.room_id, 0)),
    )
    result = []
    for number, item in enumerate(placed, start=1):
        block = blocks[item.block_id]
        day = grid.day_of(item.block_id)
        named, others = naming.split(conveners.get(item.topic_id, []))
        attendees = naming.split(present.get(item.topic_id, []))[0]
        result.append(
            ReportSession(
                topic_id=item.topic_id,
                number=number,
                title=item.title,
                description=item.description,
                language=item.language,
                day=_date_label(day.date, locale) if day else "",
                starts=_hhmm(block.starts_at),
                ends=_hhmm(block.ends_at),
                room=rooms[item.room_id].name if item.room_id in rooms else "",
                conveners=named,
                other_conveners=others,
                dots=dots[item.topic_id],
                attendance=len(present.get(item.topic_id, [])),
                attendees=sorted(attendees, key=str.casefold),
                date=day.date if day else None,
            )
        )
    return result


def _plenaries(grid: agenda_service.Agenda, locale: str) -> list[ReportPlenary]:
    """The programme's plenary items in programme order; ``parts`` adds their notes."""
    return [
        ReportPlenary(
            block_id=id_of(block),
            title=block.title,
            presenter=block.presenter,
            day=_date_label(day.day.date, locale),
            starts=_hhmm(block.starts_at),
            ends=_hhmm(block.ends_at),
        )
        for day in grid.days
        for block in day.blocks
        if block.kind == BlockKind.PLENARY
    ]


def _programme(
    grid: agenda_service.Agenda, sessions: list[ReportSession], locale: str
) -> list[ProgrammeDay]:
    cell_of = grid.by_topic
    by_cell = {cell_of[item.topic_id].cell: item for item in sessions}
    days = []
    for day in grid.days:
        rows = []
        for block in day.blocks:
            row = ProgrammeRow(
                kind=block.kind,
                kind_label=_(BLOCK_KIND_LABELS.get(block.kind, block.kind)),
                starts=_hhmm(block.starts_at),
                ends=_hhmm(block.ends_at),
                title=block.title,
                presenter=block.presenter,
                block_id=id_of(block),
            )
            if block.kind == BlockKind.SLOT:
                row.cells = [by_cell.get((id_of(block), id_of(room))) for room in grid.rooms]
            rows.append(row)
        label = _date_label(day.day.date, locale)
        days.append(ProgrammeDay(label=label, title=day.day.title, rows=rows))
    return days
