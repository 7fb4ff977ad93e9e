"""The parts of the proceedings that other areas own, read through their services and filled
into the ``Report`` that ``build`` made: session notes, photos, priorities and action plans
(``attach_part_a``), and the mapping exercise (``attach_maps``)."""

from __future__ import annotations

from collections import defaultdict

from sqlmodel import Session

from app.i18n import N_, _, use_locale
from app.models.base import id_of
from app.models.events import Event
from app.models.notes import MARKDOWN_FIELDS, SessionNotes
from app.services.convergence import priorities
from app.services.maps import export as map_export
from app.services.maps import views as map_views
from app.services.notes import photos, reading
from app.services.notes.shared import Subject
from app.services.people.naming import Naming
from app.services.proceedings.report import (
    ActionView,
    MapCardView,
    MapCategoryView,
    MapGroupView,
    MapTable,
    NoteField,
    PhotoView,
    PriorityView,
    ProposalView,
    Report,
    ReportMap,
    SessionNotesView,
)

# The notes' fields in the order of the notes form, labelled as there.
NOTE_FIELDS = (
    ("outcome", N_("Outcome")),
    ("discussion", N_("Key discussion points")),
    ("ideas", N_("Ideas and proposals")),
    ("recommendations", N_("Recommendations")),
    ("questions", N_("Open questions")),
)


def attach_part_a(session: Session, *, report: Report, event: Event, naming: Naming) -> None:
    """Session and plenary notes, photos, priorities and action plans, in seven queries.

    Per plenary item (found by ``block_id``): its notes' non-empty fields, labelled as on the
    notes form, with the note takers named as for sessions, and its photos.

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
    (``Naming.screen`` and ``Naming.pledger``).
    """
    event_id = id_of(event)
    saved = reading.notes_by_subject(session, event_id=event_id)
    steps = reading.steps_by_topic(session, event_id=event_id)
    authors = reading.authors_by_subject(session, event_id=event_id)
    pictures = photos.of_event(session, event_id=event_id)
    ranked = priorities.priorities(session, event_id=event_id)
    voted = any(priority.dots for priority in ranked)
    proposals: dict[int, list[priorities.Priority]] = defaultdict(list)
    for priority in sorted(ranked, key=lambda item: item.proposal_id):
        proposals[priority.topic_id].append(priority)

    def fields_of(row: SessionNotes | None) -> list[NoteField]:
        return [
            NoteField(_(label), text, markdown=name in MARKDOWN_FIELDS)
            for name, label in NOTE_FIELDS
            if row is not None and (text := getattr(row, name)).strip()
        ]

    def authors_of(subject: Subject) -> list[str]:
        return [name for name in authors.get(subject, []) if naming.may_name(name)]

    def photos_of(subject: Subject) -> list[PhotoView]:
        return [
            PhotoView(
                path=photos.relative_path(photo),
                caption=photo.caption,
                thumbnail=photos.relative_path(photo, thumb=True),
            )
            for photo in pictures.get(subject, [])
        ]

    with use_locale(report.locale):
        for plenary in report.plenaries:
            subject = Subject(block_id=plenary.block_id)
            if fields := fields_of(saved.get(subject)):
                plenary.notes = SessionNotesView(fields=fields, authors=authors_of(subject))
            plenary.photos = photos_of(subject)
        for item in report.sessions:
            subject = Subject(topic_id=item.topic_id)
            row = saved.get(subject)
            fields = fields_of(row)
            offered = [
                ProposalView(priority.text, priority.dots if voted else None)
                for priority in proposals.get(item.topic_id, [])
            ]
            if fields or offered:
                item.notes = SessionNotesView(
                    fields=fields, proposals=offered, authors=authors_of(subject)
                )
            if row is not None and row.participant_count is not None:
                item.attendance = row.participant_count
            item.photos = photos_of(subject)
        report.priorities = [
            PriorityView(priority.rank, priority.text, priority.dots, priority.session_title)
            for priority in ranked
            if priority.dots or priority.commitments
        ]
        report.actions = [
            ActionView(step.action, naming.screen(step.who), step.by_when, item.title)
            for item in report.sessions
            for step in steps.get(item.topic_id, [])
        ]
        report.actions += [
            ActionView(
                commitment.action,
                naming.pledger(commitment),
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
        for found in map_export.report_tables(session, event_id=id_of(event)):
            categories = [category.name for category in found.categories]
            view = ReportMap(question=found.map.question)
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
