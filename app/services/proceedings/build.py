"""The proceedings: one ``Report`` built from the database, rendered per format elsewhere.

``build`` reads an event in a fixed number of queries, whatever its size (the agenda, the
organisers, the participants, the topics with conveners, votes and check-ins), and returns
plain dataclasses with every label already translated into the report's language. The
renderers in ``app/services/proceedings/render/`` only lay them out.

Consent: figures count everyone (they are aggregates a funder asks for), but a person is
named only if they agreed to appear in the report (``Participant.consent_report``), in every
section and every format. Rows about people who did not agree keep an empty name.

Parts of the day that other areas own are read by their services and filled into fields,
and every renderer shows them only when they hold something:

- ``ReportSession.notes`` (``SessionNotesView``) and ``ReportSession.photos`` (``PhotoView``):
  session notes and flipchart photos (``attach_part_a``);
- ``Report.priorities`` (``PriorityView``) and ``Report.actions`` (``ActionView``): the
  convergence vote on proposals, the sessions' next steps and the commitments
  (``attach_part_a``);
- ``Report.maps`` (``MapView``): the mapping exercise (``attach_maps``).
"""

from __future__ import annotations

import datetime as dt
import re
from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field

from babel.dates import format_date
from sqlmodel import Session, col, select

from app.i18n import LOCALES, N_, _, use_locale
from app.models.base import utcnow
from app.models.events import BLOCK_KIND_LABELS, BlockKind, Event, EventMember, Role
from app.models.notes import Commitment
from app.models.people import ORG_TYPE_LABELS, Participant, User
from app.models.schedule import CheckIn
from app.models.topics import Topic, TopicStatus, Vote
from app.services.access import EventAccess
from app.services.convergence import convergence
from app.services.maps import export as map_export
from app.services.maps import views as map_views
from app.services.notes import photos, reading
from app.services.proceedings.report import (
    ActionView,
    AttendanceRow,
    Figure,
    MapCardView,
    MapCategoryView,
    MapGroupView,
    MapTable,
    MapView,
    NoteField,
    OrganisationView,
    PersonView,
    PhotoView,
    Presence,
    PriorityView,
    ProgrammeDay,
    ProgrammeRow,
    ProposalView,
    Report,
    ReportSession,
    SessionNotesView,
    TopicRow,
    VoteRow,
)
from app.services.schedule import agenda as agenda_service
from app.services.topics import conveners as convener_queries


def report_locale(event: Event) -> str:
    """Interface strings of the report: the event's main language when we ship it."""
    main = event.languages[0] if event.languages else "en"
    return main if main in LOCALES else "en"


def _hhmm(value: dt.time) -> str:
    return value.strftime("%H:%M")


def _date_label(date: dt.date, locale: str) -> str:
    return format_date(date, format="long", locale=locale)


def _dates(days: list[dt.date], locale: str) -> str:
    if not days:
        return ""
    first, last = min(days), max(days)
    if first == last:
        return _date_label(first, locale)
    return f"{_date_label(first, locale)} – {_date_label(last, locale)}"


def build(session: Session, *, access: EventAccess) -> Report:
    """The event's proceedings, for its organisers and facilitators."""
    access.require_staff()
    return build_for_event(session, event=access.event)


def build_for_event(session: Session, *, event: Event) -> Report:
    """The proceedings without an access check: for the command line, run by the server's
    administrator."""
    locale = report_locale(event)
    with use_locale(locale):
        report = _build(session, event=event, locale=locale)
    attach_part_a(session, report=report, event=event)
    attach_maps(session, report=report, event=event)
    return report


# The notes' fields in the order of the notes form, labelled as there.
NOTE_FIELDS = (
    ("outcome", N_("Outcome")),
    ("discussion", N_("Key discussion points")),
    ("ideas", N_("Ideas and proposals")),
    ("recommendations", N_("Recommendations")),
    ("questions", N_("Open questions")),
)


# Where a "who" typed by hand lists several: "Mira, Ivo", "Mira and Ivo", "Мира и Иво".
_WHO_PARTS = re.compile(r"(\s*[,;/&+]\s*|\s+(?:and|и)\s+)", re.IGNORECASE)


def _fold(name: str) -> str:
    return " ".join(name.split()).casefold()


@dataclass
class _People:
    """The event's participants as far as the report may name them."""

    named: set[int] = field(default_factory=set)  # ids of those who agreed to be named
    names: set[str] = field(default_factory=set)  # their names, folded
    hidden: set[str] = field(default_factory=set)  # folded names of those who did not agree

    def may_name(self, name: str) -> bool:
        """A name recorded as text (a note taker's): only if a participant who agreed to be
        named has it, and none who did not."""
        folded = _fold(name)
        return folded in self.names and folded not in self.hidden

    def screen(self, who: str) -> str:
        """A "who" typed by hand, with every part that is the name of someone who did not
        agree to be named (exactly, case and spaces aside) replaced by "a participant"."""
        parts = _WHO_PARTS.split(who)
        return "".join(
            _("a participant") if index % 2 == 0 and _fold(part) in self.hidden else part
            for index, part in enumerate(parts)
        )

    def pledger(self, commitment: Commitment) -> str:
        """Who a commitment is by, as the report may say it. A participant who agreed to be
        named, or staff: what they typed. A participant who did not (or a commitment whose
        author is gone): "a participant", whatever they typed, since it may be their name or
        an organisation that would point to them; the report names neither."""
        participant = commitment.participant_id
        if participant in self.named or (participant is None and commitment.user_id):
            return self.screen(commitment.who)
        return _("a participant")


def _people(session: Session, *, event_id: int) -> _People:
    people = _People()
    for person_id, name, consent in session.exec(
        select(Participant.id, Participant.name, Participant.consent_report).where(
            Participant.event_id == event_id
        )
    ).all():
        if consent:
            people.named.add(person_id or 0)
            people.names.add(_fold(name))
        else:
            people.hidden.add(_fold(name))
    return people


def attach_part_a(session: Session, *, report: Report, event: Event) -> None:
    """Session notes, photos, priorities and action plans, in eight queries.

    Per session (found by ``topic_id``): the notes' non-empty fields, labelled as on the
    notes form; its proposals (oldest first) with their dots when the event had a
    convergence vote; the note takers, named only if their name is that of a participant who
    agreed to be named (a revision records a name, not a person); the note-taker's
    participant count when given (check-ins undercount people without phones); the photos,
    with paths inside the upload folder.

    ``report.priorities``: the convergence ranking, proposals with at least one dot (and any
    with a commitment), most dots first. ``report.actions``: each session's next steps in
    programme order, then the commitments in the priorities' order, each with the priority it
    is for. A "who" typed by hand never names a participant who did not agree to be named
    (``_People.screen`` and ``_People.pledger``).
    """
    event_id = event.id or 0
    people = _people(session, event_id=event_id)
    saved = reading.notes_by_topic(session, event_id=event_id)
    steps = reading.steps_by_topic(session, event_id=event_id)
    authors = reading.authors_by_topic(session, event_id=event_id)
    pictures = photos.of_event(session, event_id=event_id)
    ranked = convergence.priorities(session, event_id=event_id)
    voted = any(priority.dots for priority in ranked)
    proposals: dict[int, list[convergence.Priority]] = defaultdict(list)
    for priority in sorted(ranked, key=lambda item: item.proposal_id):
        proposals[priority.topic_id].append(priority)

    with use_locale(report.locale):
        for item in report.sessions:
            row = saved.get(item.topic_id)
            fields = [
                NoteField(_(label), text)
                for name, label in NOTE_FIELDS
                if row is not None and (text := getattr(row, name)).strip()
            ]
            offered = [
                ProposalView(priority.text, priority.dots if voted else None)
                for priority in proposals.get(item.topic_id, [])
            ]
            if fields or offered:
                item.notes = SessionNotesView(
                    fields=fields,
                    proposals=offered,
                    authors=[
                        name for name in authors.get(item.topic_id, []) if people.may_name(name)
                    ],
                )
            if row is not None and row.participant_count is not None:
                item.attendance = row.participant_count
            item.photos = [
                PhotoView(
                    path=photos.relative_path(photo),
                    caption=photo.caption,
                    thumbnail=photos.relative_path(photo, thumb=True),
                )
                for photo in pictures.get(item.topic_id, [])
            ]
        report.priorities = [
            PriorityView(priority.rank, priority.text, priority.dots, priority.session_title)
            for priority in ranked
            if priority.dots or priority.commitments
        ]
        report.actions = [
            ActionView(step.action, people.screen(step.who), step.by_when, item.title)
            for item in report.sessions
            for step in steps.get(item.topic_id, [])
        ]
        report.actions += [
            ActionView(
                commitment.action,
                people.pledger(commitment),
                commitment.by_when,
                priority.session_title,
                priority=priority.text,
            )
            for priority in ranked
            for commitment in priority.commitments
        ]


def attach_maps(session: Session, *, report: Report, event: Event) -> None:
    """The mapping exercise: each map's cards by category and cluster, and its counts by
    category, place and organisation type (a fixed number of queries per map)."""
    with use_locale(report.locale):
        for found in map_export.report_tables(session, event_id=event.id or 0):
            categories = [category.name for category in found.categories]
            view = MapView(question=found.map.question)
            for category in found.categories:
                groups = [
                    MapGroupView(
                        name=cluster.name,
                        cards=[_map_card(card) for card in cluster.ranked],
                    )
                    for cluster in category.clusters
                ]
                if category.loose:
                    loose = [_map_card(card) for card in category.ranked_loose]
                    groups.append(MapGroupView(name="", cards=loose))
                view.categories.append(MapCategoryView(name=category.name, groups=groups))
            view.tables.append(
                MapTable(
                    title=_("Cards by category"),
                    header=[_("Category"), _("Cards"), _("+1s"), _("Clusters")],
                    rows=[[row.label, *row.counts] for row in found.by_category],
                )
            )
            for title, first, rows in (
                (_("Cards by place"), _("Place"), found.by_place),
                (_("Cards by organisation type"), _("Organisation type"), found.by_org_type),
            ):
                if rows:
                    view.tables.append(
                        MapTable(
                            title=title,
                            header=[first, *categories, _("Total")],
                            rows=[[row.label, *row.counts, row.total] for row in rows],
                        )
                    )
            if found.clusters:
                view.tables.append(
                    MapTable(
                        title=_("Clusters"),
                        header=[_("Category"), _("Cluster"), _("Cards"), _("+1s")],
                        rows=[[c.category, c.name, c.cards, c.plus_ones] for c in found.clusters],
                    )
                )
            report.maps.append(view)


def _map_card(card: map_views.CardView) -> MapCardView:
    return MapCardView(text=card.text, place=card.place, votes=card.plus_ones)


def _build(session: Session, *, event: Event, locale: str) -> Report:
    event_id = event.id or 0
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
    named = {p.id: p.name for p in participants if p.consent_report}
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
    voters: dict[int, set[int]] = defaultdict(set)
    titles = {topic.id or 0: topic.title for topic in topics}
    votes: list[VoteRow] = []
    for topic_id, participant_id, cast_at in vote_rows:
        if topic_id not in active:
            continue
        dots[topic_id] += 1
        voters[topic_id].add(participant_id)
        votes.append(VoteRow(topic_id, titles[topic_id], named.get(participant_id, ""), cast_at))

    sessions = _sessions(
        grid, conveners=conveners, named=named, dots=dots, checkins=checkins, locale=locale
    )
    number_of = {item.topic_id: item.number for item in sessions}
    attendance = [
        AttendanceRow(
            topic_id=row.topic_id,
            session=titles.get(row.topic_id, ""),
            participant=named.get(row.participant_id, ""),
            arrived_at=row.arrived_at,
            left_at=row.left_at,
        )
        for row in checkins
        if row.topic_id in number_of
    ]
    topic_rows = [
        TopicRow(
            topic_id=topic.id or 0,
            title=topic.title,
            description=topic.description,
            language=topic.language,
            conveners=[named[p] for p in conveners[topic.id or 0] if p in named],
            dots=dots[topic.id or 0],
            voters=len(voters[topic.id or 0]),
            session_number=number_of.get(topic.id or 0),
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

    consenting = [person for person in participants if person.consent_report]
    consenting.sort(key=lambda person: (person.name.casefold(), person.id or 0))
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
        dates=_dates([day.day.date for day in grid.days], locale),
        venue=event.venue,
        description=event.description,
        organisers=list(organisers),
        acknowledgement=event.report_acknowledgement,
        generated_at=utcnow(),
        rooms=[room.name for room in grid.rooms],
        days=_programme(grid, sessions, locale),
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
    )


def _type_label(kind: str) -> str:
    label = ORG_TYPE_LABELS.get(kind)
    return _(label) if label else ""


def _sessions(
    grid: agenda_service.Agenda,
    *,
    conveners: dict[int, list[int]],
    named: dict[int | None, str],
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
        host_ids = conveners.get(item.topic_id, [])
        attendees = present.get(item.topic_id, [])
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
                conveners=[named[p] for p in host_ids if p in named],
                other_conveners=sum(1 for p in host_ids if p not in named),
                dots=dots[item.topic_id],
                attendance=len(attendees),
                attendees=sorted((named[p] for p in attendees if p in named), key=str.casefold),
            )
        )
    return result


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
            )
            if block.kind == BlockKind.SLOT:
                row.cells = [by_cell.get((block.id or 0, room.id or 0)) for room in grid.rooms]
            rows.append(row)
        label = _date_label(day.day.date, locale)
        days.append(ProgrammeDay(label=label, title=day.day.title, rows=rows))
    return days
