"""The proceedings as data: the ``Report`` and its parts, plain dataclasses with every label
already translated. ``build`` fills them from the database; the renderers in ``render/`` only
lay them out."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import NamedTuple

from app.i18n import _, ngettext
from app.models.events import BlockKind
from app.services.people import naming

# --- notes, photos, convergence and action plans (attach_part_a) -----------------------------


@dataclass
class NoteField:
    """One field of a session's notes (discussion, recommendations, next steps...).

    ``label`` is already translated; ``text`` is what the note takers wrote: Markdown, or
    plain text (the one-line outcome, plain on the notes page too) when not ``markdown``."""

    label: str
    text: str
    markdown: bool = True


@dataclass
class ProposalView:
    """An outcome a session proposes; ``dots`` from the convergence vote, if there was one."""

    text: str
    dots: int | None = None


@dataclass
class SessionNotesView:
    fields: list[NoteField] = field(default_factory=list)
    proposals: list[ProposalView] = field(default_factory=list)
    authors: list[str] = field(default_factory=list)  # consenting note takers only

    @property
    def is_empty(self) -> bool:
        return not (any(item.text.strip() for item in self.fields) or self.proposals)


@dataclass
class PhotoView:
    """A flipchart photo: paths are relative to the upload folder (files elsewhere are never
    read). ``thumbnail``, if the upload stored one (≤ 400 px), is shown on screen instead of
    shrinking the photo on every export."""

    path: str
    caption: str = ""
    thumbnail: str = ""

    @property
    def screen_path(self) -> str:
        return self.thumbnail or self.path


@dataclass
class PriorityView:
    rank: int
    text: str
    dots: int = 0
    session_title: str = ""


@dataclass
class ActionView:
    """A session's next step, or a commitment made in action planning (``priority`` is then
    the priority it is for; empty for a next step)."""

    what: str
    who: str = ""  # consenting names, or an organisation, as the plan says
    when: str = ""
    session_title: str = ""
    priority: str = ""


# --- what the mapping workshop fills -------------------------------------------------------


@dataclass
class MapCardView:
    text: str
    place: str = ""
    votes: int = 0


@dataclass
class MapGroupView:
    """A cluster of cards the facilitator made; ``name`` is empty for cards in no cluster."""

    name: str
    cards: list[MapCardView] = field(default_factory=list)


@dataclass
class MapCategoryView:
    name: str
    groups: list[MapGroupView] = field(default_factory=list)

    @property
    def card_count(self) -> int:
        return sum(len(group.cards) for group in self.groups)


@dataclass
class MapTable:
    """Counts of a map's cards: rows (places, organisation types, clusters) × columns."""

    title: str
    header: list[str]
    rows: list[list[str | int]] = field(default_factory=list)


@dataclass
class ReportMap:
    """One map of the mapping workshop as the proceedings show it (the live board has its own
    view, ``maps.views.MapView``)."""

    question: str
    categories: list[MapCategoryView] = field(default_factory=list)
    tables: list[MapTable] = field(default_factory=list)

    @property
    def card_count(self) -> int:
        return sum(category.card_count for category in self.categories)


# --- who ran the event, what the organiser wrote, the plenaries ---------------------------


@dataclass
class HostView:
    """An organisation that ran the event, as the cover names it. ``logo``: the path of its
    logo (re-encoded on upload) inside the upload folder, or empty."""

    name: str
    logo: str = ""


@dataclass
class ReportPlenary:
    """A plenary item of the programme (a welcome, a good-practice presentation) with what was
    recorded of it, like a session: its notes and photos."""

    block_id: int
    title: str
    presenter: str
    day: str
    starts: str
    ends: str
    notes: SessionNotesView | None = None
    photos: list[PhotoView] = field(default_factory=list)

    @property
    def when(self) -> str:
        return f"{self.day}, {self.starts}–{self.ends}"

    @property
    def has_record(self) -> bool:
        return bool((self.notes and not self.notes.is_empty) or self.photos)


# --- built here --------------------------------------------------------------------------


@dataclass
class ReportSession:
    topic_id: int
    number: int  # 1, 2, 3 ... in programme order: the grid refers to sessions by number
    title: str
    description: str
    language: str
    day: str
    starts: str
    ends: str
    room: str
    conveners: list[str] = field(default_factory=list)  # consenting conveners only
    other_conveners: int = 0  # conveners who did not agree to be named
    dots: int = 0
    # The note-taker's count when given, else the distinct participants who checked in.
    attendance: int = 0
    attendees: list[str] = field(default_factory=list)  # the consenting ones among them
    notes: SessionNotesView | None = None  # None: nothing written, no proposal
    photos: list[PhotoView] = field(default_factory=list)
    date: dt.date | None = None  # the day's date, for data formats (``day`` is its label)

    @property
    def when(self) -> str:
        return f"{self.day}, {self.starts}–{self.ends}"

    @property
    def has_record(self) -> bool:
        """Whether the report gives the session an entry of its own: notes or photos."""
        return bool((self.notes and not self.notes.is_empty) or self.photos)


@dataclass
class ProgrammeRow:
    """One time block of a day: an open-space slot has a cell per room (a session or None)."""

    kind: str
    kind_label: str
    starts: str
    ends: str
    title: str = ""
    presenter: str = ""
    cells: list[ReportSession | None] = field(default_factory=list)
    block_id: int = 0  # a plenary's entry is ``plenary-{block_id}``

    @property
    def is_slot(self) -> bool:
        return self.kind == BlockKind.SLOT


@dataclass
class ProgrammeDay:
    label: str
    title: str
    rows: list[ProgrammeRow] = field(default_factory=list)


@dataclass
class TopicRow:
    topic_id: int
    title: str
    description: str
    language: str
    conveners: list[str]
    dots: int
    voters: int
    session_number: int | None


@dataclass
class VoteRow:
    topic_id: int
    topic: str
    participant: str  # empty unless the voter agreed to be named
    cast_at: dt.datetime


@dataclass
class AttendanceRow:
    topic_id: int
    session: str
    participant: str  # empty unless the participant agreed to be named
    arrived_at: dt.datetime
    left_at: dt.datetime | None


@dataclass
class PersonView:
    name: str
    organisation: str
    org_type: str  # translated label, or ""


@dataclass
class OrganisationView:
    name: str
    org_type: str
    people: int  # consenting participants from it


@dataclass
class Figure:
    """A key figure; ``note`` says how it relates to the tables ("1 not named")."""

    label: str
    value: int
    note: str = ""


@dataclass
class ContentsEntry:
    """A line of the table of contents: the section's anchor (the HTML id, the Markdown
    anchor) and its heading, with its entries (sessions, plenaries) one level down."""

    anchor: str
    label: str
    children: list[ContentsEntry] = field(default_factory=list)


# The key outcomes show the priorities with the most dots; the full list comes later.
TOP_PRIORITIES = 5
# More rooms than this and the programme's grid gets landscape pages in print.
PORTRAIT_ROOMS = 4


@dataclass
class Report:
    event_name: str
    slug: str
    language: str  # the event's main language: most of what people typed is in it
    # The report's language, chosen at export (``build.choose_locale``): every label and
    # generated sentence is in it, and documents declare it as theirs (``lang``).
    locale: str
    dates: str
    venue: str
    description: str
    organisers: list[str]
    acknowledgement: str
    generated_at: dt.datetime
    rooms: list[str] = field(default_factory=list)
    days: list[ProgrammeDay] = field(default_factory=list)
    topics: list[TopicRow] = field(default_factory=list)
    sessions: list[ReportSession] = field(default_factory=list)
    votes: list[VoteRow] = field(default_factory=list)
    attendance: list[AttendanceRow] = field(default_factory=list)
    participants: list[PersonView] = field(default_factory=list)  # consenting only
    organisations: list[OrganisationView] = field(default_factory=list)  # of those
    participant_count: int = 0
    organisation_count: int = 0
    organisations_by_type: list[Figure] = field(default_factory=list)
    vote_count: int = 0
    priorities: list[PriorityView] = field(default_factory=list)  # convergence
    actions: list[ActionView] = field(default_factory=list)  # next steps, then commitments
    maps: list[ReportMap] = field(default_factory=list)  # the mapping workshop
    # The organisations that ran the event (the cover names them, with their logos), and the
    # executive summary the organiser wrote (Markdown, shown first).
    hosts: list[HostView] = field(default_factory=list)
    summary: str = ""
    # The programme's plenary items in programme order, with their notes and photos.
    plenaries: list[ReportPlenary] = field(default_factory=list)
    # The event's time zone: data formats write timestamps in it, with their offset.
    time_zone: dt.tzinfo = dt.UTC

    @property
    def notes_count(self) -> int:
        return sum(1 for item in self.sessions if item.notes and not item.notes.is_empty)

    @property
    def photos(self) -> list[PhotoView]:
        """Every photo the report shows: the sessions', then the plenaries'."""
        return [photo for item in self.sessions for photo in item.photos] + [
            photo for item in self.plenaries for photo in item.photos
        ]

    @property
    def photo_count(self) -> int:
        return len(self.photos)

    @property
    def has_programme(self) -> bool:
        return any(day.rows for day in self.days)

    @property
    def wide_programme(self) -> bool:
        """A grid too wide for a portrait page: only then does print turn the page."""
        return len(self.rooms) > PORTRAIT_ROOMS

    @property
    def entries(self) -> list[ReportSession]:
        """The sessions shown with an entry of their own: those with notes or photos."""
        return [item for item in self.sessions if item.has_record]

    @property
    def unreported(self) -> list[ReportSession]:
        """The sessions no one wrote a report for: listed together in one short table."""
        return [item for item in self.sessions if not item.has_record]

    @property
    def recorded_plenaries(self) -> list[ReportPlenary]:
        return [item for item in self.plenaries if item.has_record]

    @property
    def plenary_anchors(self) -> set[int]:
        """The plenary rows of the programme that link to an entry."""
        return {item.block_id for item in self.recorded_plenaries}

    @property
    def top_priorities(self) -> list[PriorityView]:
        return self.priorities[:TOP_PRIORITIES]

    @property
    def more_priorities(self) -> bool:
        """More priorities than the key outcomes show: the full list gets its own section."""
        return len(self.priorities) > TOP_PRIORITIES

    @property
    def commitments(self) -> list[ActionView]:
        """The commitments of the action planning (each for a priority), not next steps."""
        return [action for action in self.actions if action.priority]

    @property
    def has_outcomes(self) -> bool:
        return bool(self.priorities or self.commitments)

    @property
    def unnamed_organisations(self) -> int:
        """Organisations counted but not listed: only people who did not agree to be named
        gave them (``organisations`` holds those a consenting participant gave)."""
        return max(self.organisation_count - len(self.organisations), 0)

    def figures(self) -> list[Figure]:
        """The key figures, labelled in the current locale (renderers call this inside
        ``use_locale(report.locale)``). Where a table lists fewer than a figure counts, the
        figure says so, so that the two agree."""
        named = len(self.participants)
        unnamed = self.unnamed_organisations
        unreported = len(self.unreported)
        return [
            Figure(
                _("Participants"),
                self.participant_count,
                _count(ngettext("%(num)d named", "%(num)d named", named), named)
                if named < self.participant_count
                else "",
            ),
            Figure(
                _("Organisations"),
                self.organisation_count,
                _count(ngettext("%(num)d not named", "%(num)d not named", unnamed), unnamed)
                if unnamed
                else "",
            ),
            Figure(_("Topics proposed"), len(self.topics)),
            Figure(_("Dots cast"), self.vote_count),
            Figure(
                _("Sessions held"),
                len(self.sessions),
                _count(
                    ngettext("%(num)d without a report", "%(num)d without a report", unreported),
                    unreported,
                )
                if unreported
                else "",
            ),
            Figure(_("Sessions with notes"), self.notes_count),
            Figure(_("Photos"), self.photo_count),
        ]

    def contents(self) -> list[ContentsEntry]:
        """The table of contents, in the order every format lays the sections out, with only
        the sections that hold something (labels in the current locale)."""
        entry = ContentsEntry
        out = []
        if self.summary.strip():
            out.append(entry("summary", _("Executive summary")))
        out.append(entry("figures", _("Key figures")))
        if self.has_outcomes:
            out.append(entry("outcomes", _("Key outcomes")))
        if self.has_programme:
            out.append(entry("programme", _("Programme")))
        if self.recorded_plenaries:
            plenaries = [
                entry(f"plenary-{item.block_id}", item.title or _("Plenary"))
                for item in self.recorded_plenaries
            ]
            out.append(entry("plenaries", _("Plenaries"), plenaries))
        if self.topics:
            out.append(entry("topics", _("Topics and dots")))
        if self.sessions:
            sessions = [
                entry(f"session-{item.number}", f"{item.number}. {item.title}")
                for item in self.entries
            ]
            if self.unreported:
                sessions.append(entry("unreported", _("Sessions without a written report")))
            out.append(entry("sessions", _("Sessions"), sessions))
        if self.more_priorities:
            out.append(entry("priorities", _("Priorities")))
        if self.actions:
            out.append(entry("actions", _("Action plans")))
        if self.maps:
            out.append(entry("activities", _("Other activities of the day")))
        out.append(entry("participants", _("Participants and organisations")))
        return out


def _count(message: str, number: int) -> str:
    return message % {"num": number}


class Presence(NamedTuple):
    participant_id: int
    topic_id: int
    arrived_at: dt.datetime
    left_at: dt.datetime | None


def convener_text(item: ReportSession) -> str:
    """ "Mira, Ivo and 2 more": conveners who did not agree to be named are only counted."""
    return naming.counted(item.conveners, item.other_conveners)
