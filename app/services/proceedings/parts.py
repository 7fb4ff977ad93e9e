"""The parts of the proceedings that other areas own, read through their services and filled
into the ``Report`` that ``build`` made: session notes, photos, priorities and action plans
(``attach_part_a``), and the mapping exercise (``attach_maps``)."""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass, field

from sqlmodel import Session, select

from app.i18n import N_, _, use_locale
from app.models.base import id_of
from app.models.events import Event
from app.models.notes import MARKDOWN_FIELDS, Commitment
from app.models.people import Participant
from app.services.convergence import priorities
from app.services.maps import export as map_export
from app.services.maps import views as map_views
from app.services.notes import photos, reading
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
    event_id = id_of(event)
    people = _people(session, event_id=event_id)
    saved = reading.notes_by_topic(session, event_id=event_id)
    steps = reading.steps_by_topic(session, event_id=event_id)
    authors = reading.authors_by_topic(session, event_id=event_id)
    pictures = photos.of_event(session, event_id=event_id)
    ranked = priorities.priorities(session, event_id=event_id)
    voted = any(priority.dots for priority in ranked)
    proposals: dict[int, list[priorities.Priority]] = defaultdict(list)
    for priority in sorted(ranked, key=lambda item: item.proposal_id):
        proposals[priority.topic_id].append(priority)

    with use_locale(report.locale):
        for item in report.sessions:
            row = saved.get(item.topic_id)
            fields = [
                NoteField(_(label), text, markdown=name in MARKDOWN_FIELDS)
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
