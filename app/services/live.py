"""Everything a live frame shows, loaded in a handful of queries (never one per client)."""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlmodel import Session, col, func, select

from app.models.base import id_of
from app.models.events import Event, Phase
from app.models.people import Participant
from app.models.topics import Announcement, Topic, TopicStatus
from app.services.convergence import closing, priorities
from app.services.convergence.priorities import Priority
from app.services.events import phases
from app.services.maps import views as maps_views
from app.services.notes import reading
from app.services.people import naming as people_naming
from app.services.people.naming import Naming
from app.services.schedule import agenda, checkins, grid
from app.services.schedule.agenda import Agenda, Move
from app.services.topics import conveners, news, pitches, votes


@dataclass
class TopicView:
    id: int
    title: str
    description: str
    language: str
    votes: int = 0
    conveners: list[str] = field(default_factory=list)
    convener_ids: list[int] = field(default_factory=list)


@dataclass
class PitchView:
    topic: TopicView
    ends_at: float | None = None  # unix time the countdown reaches zero


@dataclass
class ClosingView:
    """The closing circle's slides and which one shows (see closing.current_index)."""

    slides: list[closing.Slide]
    position: int
    auto_seconds: int
    since: float  # unix time the position was set
    current: int


@dataclass
class LiveState:
    event: Event
    topics: list[TopicView]
    participant_count: int
    total_votes: int
    announcements: list[Announcement]
    pitch_current: PitchView | None
    pitch_waiting: list[TopicView]
    # The agenda participants see, live attendance, and how far the facilitators' draft got.
    agenda: Agenda | None = None
    moves: list[Move] = field(default_factory=list)
    attendance: dict[int, int] = field(default_factory=dict)
    grid_revision: int = 0
    # The map on the board (the mapping workshop), shown there instead of the topics.
    map: maps_views.MapView | None = None
    # Session notes and what follows them (app/services/notes/, convergence/).
    notes_json: str = "{}"
    closing: ClosingView | None = None
    priorities: list[Priority] = field(default_factory=list)
    # Who the board may name (it is projected): conveners, commitments, the closing slides.
    naming: Naming = field(default_factory=Naming)

    @property
    def ranked(self) -> list[TopicView]:
        return sorted(self.topics, key=lambda topic: (-topic.votes, topic.id))

    def board_topics(self, *, show_tallies: bool) -> list[TopicView]:
        """The topics as the board lists them: most dots first from dot voting on (while
        voting only if the tallies are shown, or the order would give them away), else in
        the order they were proposed."""
        if show_tallies and phases.reached(self.event, Phase.VOTING):
            return self.ranked
        return self.topics

    @property
    def unplaced(self) -> list[TopicView]:
        """Topics the published agenda has no slot for, most dots first: the room asks
        about them, and their conveners may still find a slot or join another session."""
        if self.agenda is None or self.agenda.version is None:
            return []
        placed = self.agenda.by_topic
        return [topic for topic in self.ranked if topic.id not in placed]


def load(session: Session, *, event_id: int) -> LiveState | None:
    event = session.get(Event, event_id)
    if event is None:
        return None
    topics = session.exec(
        select(Topic)
        .where(Topic.event_id == event_id, Topic.status == TopicStatus.ACTIVE)
        .order_by(col(Topic.id))
    ).all()
    views = {
        topic.id: TopicView(
            id=id_of(topic),
            title=topic.title,
            description=topic.description,
            language=topic.language,
        )
        for topic in topics
    }
    for topic_id, people in conveners.by_topic(session, event_id=event_id).items():
        if topic_id in views:  # the active topics
            views[topic_id].conveners.extend(person.name for person in people)
            views[topic_id].convener_ids.extend(person.participant_id for person in people)
    public = _naming(session, event=event)
    tallies = votes.tallies(session, event_id=event_id)
    for topic_id, count in tallies.items():
        if topic_id in views:
            views[topic_id].votes = count
    participant_count = session.exec(
        select(func.count()).select_from(Participant).where(Participant.event_id == event_id)
    ).one()
    queue = pitches.queue(session, event_id=event_id)
    current = None
    if queue.current is not None and queue.current[1].id in views:
        entry, topic = queue.current
        ends_at = entry.started_at.timestamp() + event.pitch_seconds if entry.started_at else None
        current = PitchView(topic=views[topic.id], ends_at=ends_at)
    waiting = [views[topic.id] for _entry, topic in queue.waiting if topic.id in views]
    published = agenda.load_published(session, event=event)
    closing_view, top = _after_sessions(session, event=event, naming=public)
    counts = checkins.headcounts(session, event_id=event_id)  # one count: board and notes
    return LiveState(
        event=event,
        topics=list(views.values()),
        participant_count=int(participant_count),
        total_votes=sum(tallies.values()),
        announcements=news.recent(session, event_id=event_id),
        pitch_current=current,
        pitch_waiting=waiting,
        agenda=published,
        moves=published.moves({view.id: view.title for view in views.values()}),
        attendance=checkins.attendance_of(counts),
        grid_revision=grid.revision(session, event_id=event_id),
        map=maps_views.board_state(session, event_id=event_id),
        notes_json=reading.live_json(session, event_id=event_id, counts=counts),
        closing=closing_view,
        priorities=top,
        naming=public,
    )


# Phases in which the board shows what people typed about people: the closing slides (the
# notes' conveners line, next steps) and the commitments. Only then does it need everyone of
# the event to screen the text; otherwise it names conveners only, and reads only them.
SCREENING_PHASES = (Phase.CLOSING, Phase.ACTIONS)


def _naming(session: Session, *, event: Event) -> Naming:
    """Who the board may name (it is projected), reading as few people as its phase allows:
    a large event has thousands of participants, and a frame is loaded four times a second."""
    if event.phase in SCREENING_PHASES:
        return people_naming.load(session, event_id=id_of(event))
    return people_naming.load_conveners(session, event_id=id_of(event))


def _after_sessions(
    session: Session, *, event: Event, naming: Naming
) -> tuple[ClosingView | None, list[Priority]]:
    """The closing presentation, or the ranked priorities: loaded only in their phases."""
    event_id = id_of(event)
    if event.phase == Phase.CLOSING:
        slides = closing.slides(session, event_id=event_id, naming=naming)
        state = closing.closing_state(session, event_id=event_id)
        view = ClosingView(
            slides=slides,
            position=state.position,
            auto_seconds=state.auto_seconds,
            since=state.changed_at.timestamp(),
            current=closing.current_index(state, len(slides)),
        )
        return view, []
    if event.phase in (Phase.CONVERGENCE, Phase.ACTIONS):
        return None, priorities.priorities(session, event_id=event_id)[: priorities.TOP]
    return None, []
