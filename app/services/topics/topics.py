"""The marketplace: proposing topics, co-hosting, similar-topic hints, and moderation.

Who may do what to a topic (the audit's "topic takeover", issue #10 item 2):

- Co-hosting is a request (``CohostRequest``). Only a convener of the topic, or staff, accepts
  or declines it; only an accepted request makes the asker a convener. The asker may cancel.
- Conveners (accepted co-hosts included) edit the topic while proposals are open.
- Only the proposer, while still a convener, withdraws it (staff any time); a topic staff typed
  in for nobody in particular is withdrawn by staff only. A co-host leaves instead.
- Withdrawing is a state, not a deletion: the dots stay in the table, uncounted, and staff may
  restore the topic with them (``votes.restore_dots`` says how budgets are kept).
"""

from __future__ import annotations

import re
import unicodedata
from typing import Any

from rapidfuzz import fuzz
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, delete, func, select, update

from app.errors import Conflict, Invalid, NotFound, PermissionDenied
from app.i18n import _
from app.models.base import MAX_ID, utcnow
from app.models.events import Role
from app.models.people import Participant
from app.models.topics import (
    DESCRIPTION_MAX,
    HIDDEN_REASON_MAX,
    TITLE_MAX,
    CohostRequest,
    CohostRequestStatus,
    PitchEntry,
    Topic,
    TopicConvener,
    TopicStatus,
    Vote,
)
from app.services.access import EventAccess
from app.services.events.phases import proposals_open
from app.services.schedule import grid
from app.services.text import check_length, too_long
from app.services.topics import votes

MAX_TOPICS_PER_EVENT = 1000
# Two titles are similar when most words of the shorter one are found in the other. Words that
# say nothing about a topic do not count: in a refugee-integration lab almost every title says
# "for refugees" / "за бежанци", and "Jobs for refugees" is no duplicate of "Housing for
# refugees". Words of one or two letters ("за", "of", "to") are left out by their length.
# fmt: off
STOP_WORDS = frozenset({
    "the", "and", "for", "with", "from", "about", "into", "how", "what", "why", "our", "your",
    "are", "can", "new", "във", "със", "към", "при", "през", "как", "или", "чрез", "като",
})
# fmt: on
WORD_CUTOFF = 70  # fuzz.ratio of two words: inflections and typos (жилища/жилище, hosuing)
SIMILAR_SHARE = 0.6


def _normalise(text: str) -> str:
    folded = unicodedata.normalize("NFKC", text).casefold()
    return " ".join(re.sub(r"[^\w\s]", " ", folded).split())


def _clean(
    *, title: str, description: str, language: str, event_languages: list[str]
) -> dict[str, Any]:
    title = " ".join(title.split())
    description = description.strip()
    errors: dict[str, str] = {}
    if not title:
        errors["title"] = _("Give your topic a title.")
    elif message := too_long(title, TITLE_MAX):
        errors["title"] = message
    if message := too_long(description, DESCRIPTION_MAX):
        errors["description"] = message
    if language and language not in event_languages:
        errors["language"] = _("Choose one of the event's languages.")
    if errors:
        raise Invalid(errors)
    return {"title": title, "description": description, "language": language}


def _topic(session: Session, *, access: EventAccess, topic_id: int) -> Topic:
    # Ids typed into forms (a merge target) may be any number; the column holds only these.
    topic = session.get(Topic, topic_id) if 0 < topic_id <= MAX_ID else None
    if topic is None or topic.event_id != access.event_id:
        raise NotFound(_("There is no such topic."))
    return topic


def _active_topic(session: Session, *, access: EventAccess, topic_id: int) -> Topic:
    topic = _topic(session, access=access, topic_id=topic_id)
    if topic.status == TopicStatus.MERGED:
        raise Conflict(_("This topic was merged into another one."))
    if topic.status != TopicStatus.ACTIVE:
        raise Conflict(_("This topic is not on the list any more."))
    return topic


def conveners(session: Session, *, topic_id: int) -> list[Participant]:
    return list(
        session.exec(
            select(Participant)
            .join(TopicConvener, TopicConvener.participant_id == Participant.id)  # type: ignore[arg-type]
            .where(TopicConvener.topic_id == topic_id)
            .order_by(col(TopicConvener.id))
        ).all()
    )


def is_convener(session: Session, *, topic_id: int, participant_id: int) -> bool:
    return (
        session.exec(
            select(TopicConvener.id).where(
                TopicConvener.topic_id == topic_id, TopicConvener.participant_id == participant_id
            )
        ).first()
        is not None
    )


def _check_room_for_more(session: Session, *, event_id: int) -> None:
    count = session.exec(
        select(func.count()).select_from(Topic).where(Topic.event_id == event_id)
    ).one()
    if count >= MAX_TOPICS_PER_EVENT:
        raise Invalid({"title": _("This event has reached its limit of topics.")})


def propose(
    session: Session, *, access: EventAccess, title: str, description: str = "", language: str = ""
) -> Topic:
    """A participant proposes a topic and becomes its convener."""
    access.require(Role.PARTICIPANT)
    assert access.participant is not None
    if not proposals_open(access.event):
        raise Conflict(_("Proposals are closed right now."))
    values = _clean(
        title=title,
        description=description,
        language=language,
        event_languages=access.event.languages,
    )
    _check_room_for_more(session, event_id=access.event_id)
    topic = Topic(event_id=access.event_id, proposed_by=access.participant.id, **values)
    session.add(topic)
    session.flush()
    session.add(TopicConvener(topic_id=topic.id, participant_id=access.participant.id))  # type: ignore[arg-type]
    session.commit()
    session.refresh(topic)
    return topic


def propose_on_behalf(
    session: Session,
    *,
    access: EventAccess,
    title: str,
    description: str = "",
    language: str = "",
    convener_id: int | None = None,
) -> Topic:
    """A facilitator types in a proposal written at the wall, optionally naming its convener."""
    access.require_staff()
    values = _clean(
        title=title,
        description=description,
        language=language,
        event_languages=access.event.languages,
    )
    convener = None
    if convener_id is not None:
        convener = session.get(Participant, convener_id) if 0 < convener_id <= MAX_ID else None
        if convener is None or convener.event_id != access.event_id:
            raise Invalid({"convener": _("Choose a participant of this event.")})
    _check_room_for_more(session, event_id=access.event_id)
    topic = Topic(
        event_id=access.event_id,
        entered_by_user=access.user.id if access.user else None,
        proposed_by=convener.id if convener else None,
        **values,
    )
    session.add(topic)
    session.flush()
    if convener is not None:
        session.add(TopicConvener(topic_id=topic.id, participant_id=convener.id))  # type: ignore[arg-type]
    session.commit()
    session.refresh(topic)
    return topic


def _editable_by(session: Session, *, access: EventAccess, topic: Topic) -> None:
    if access.is_staff:
        return
    access.require(Role.PARTICIPANT)
    assert access.participant is not None and access.participant.id is not None
    if not is_convener(session, topic_id=topic.id or 0, participant_id=access.participant.id):
        raise PermissionDenied(_("Only the topic's conveners can change it."))
    if not proposals_open(access.event):
        raise Conflict(_("Topics can no longer be changed."))


def edit(
    session: Session,
    *,
    access: EventAccess,
    topic_id: int,
    title: str,
    description: str,
    language: str = "",
) -> Topic:
    """Change a topic's text: its conveners while proposals are open, facilitators any time."""
    topic = _active_topic(session, access=access, topic_id=topic_id)
    _editable_by(session, access=access, topic=topic)
    values = _clean(
        title=title,
        description=description,
        language=language,
        event_languages=access.event.languages,
    )
    for key, value in values.items():
        setattr(topic, key, value)
    topic.updated_at = utcnow()
    session.add(topic)
    session.commit()
    return topic


def _withdrawable_by(session: Session, *, access: EventAccess, topic: Topic) -> None:
    if access.is_staff:
        return
    _editable_by(session, access=access, topic=topic)
    assert access.participant is not None
    # A co-host was let in to help, not to take the topic off the list.
    if topic.proposed_by != access.participant.id:
        raise PermissionDenied(_("Only the person who proposed this topic can withdraw it."))


def withdraw(session: Session, *, access: EventAccess, topic_id: int) -> Topic:
    """The proposer (or staff) takes the topic off the list; its dots return to the voters.

    The dots are kept, uncounted, so that staff can restore the topic with them; the pitch
    queue entry and the draft grid placement go, as for a hidden topic.
    """
    topic = _active_topic(session, access=access, topic_id=topic_id)
    _withdrawable_by(session, access=access, topic=topic)
    topic.status = TopicStatus.WITHDRAWN
    grid.remove_inactive(session, event_id=access.event_id, topic_id=topic_id)
    topic.updated_at = utcnow()
    session.execute(delete(PitchEntry).where(col(PitchEntry.topic_id) == topic.id))
    session.add(topic)
    session.commit()
    return topic


def restore(session: Session, *, access: EventAccess, topic_id: int) -> int:
    """Staff put a withdrawn topic back on the list with its dots; returns how many dots did
    not come back because their voters had spent them elsewhere meanwhile."""
    access.require_staff()
    topic = _topic(session, access=access, topic_id=topic_id)
    if topic.status != TopicStatus.WITHDRAWN:
        raise Conflict(_("This topic is not withdrawn."))
    removed = votes.restore_dots(session, event=access.event, topic_id=topic_id)
    topic.status = TopicStatus.ACTIVE
    topic.updated_at = utcnow()
    session.add(topic)
    session.commit()
    return removed


# --- co-hosting --------------------------------------------------------------------------


def _asker_id(access: EventAccess) -> int:
    access.require(Role.PARTICIPANT)
    assert access.participant is not None and access.participant.id is not None
    return access.participant.id


def request_cohost(session: Session, *, access: EventAccess, topic_id: int) -> CohostRequest:
    """Ask to co-host a topic ("join this one instead" of proposing a duplicate). A double tap
    gets the same request back; a declined one is not asked again."""
    asker = _asker_id(access)
    topic = _active_topic(session, access=access, topic_id=topic_id)
    if not proposals_open(access.event):
        raise Conflict(_("Proposals are closed right now."))
    if is_convener(session, topic_id=topic_id, participant_id=asker):
        raise Conflict(_("You host this topic already."))
    request = _request_of(session, topic_id=topic_id, participant_id=asker)
    if request is None:
        request = CohostRequest(event_id=topic.event_id, topic_id=topic_id, participant_id=asker)
        session.add(request)
        try:
            session.commit()
        except IntegrityError:  # the same request from a second device, a moment earlier
            session.rollback()
            request = _request_of(session, topic_id=topic_id, participant_id=asker)
            assert request is not None
    if request.status == CohostRequestStatus.DECLINED:
        raise Conflict(_("The conveners declined your request to co-host this topic."))
    return request


def _request_of(session: Session, *, topic_id: int, participant_id: int) -> CohostRequest | None:
    return session.exec(
        select(CohostRequest).where(
            CohostRequest.topic_id == topic_id, CohostRequest.participant_id == participant_id
        )
    ).first()


def cancel_cohost_request(session: Session, *, access: EventAccess, topic_id: int) -> None:
    """The asker takes back their pending request."""
    asker = _asker_id(access)
    topic = _topic(session, access=access, topic_id=topic_id)
    request = _request_of(session, topic_id=topic.id or 0, participant_id=asker)
    if request is None or request.status != CohostRequestStatus.PENDING:
        raise NotFound(_("You have no request to co-host this topic."))
    session.delete(request)
    session.commit()


def _pending_request(session: Session, *, access: EventAccess, request_id: int) -> CohostRequest:
    request = session.get(CohostRequest, request_id) if 0 < request_id <= MAX_ID else None
    if request is None or request.event_id != access.event_id:
        raise NotFound(_("There is no such request."))
    if request.status != CohostRequestStatus.PENDING:
        raise Conflict(_("This request was answered already."))
    return request


def _answerable(
    session: Session, *, access: EventAccess, request_id: int
) -> tuple[CohostRequest, Topic]:
    """The request and its topic, if the one asking may answer it: a convener, or staff."""
    request = _pending_request(session, access=access, request_id=request_id)
    topic = _active_topic(session, access=access, topic_id=request.topic_id)
    _editable_by(session, access=access, topic=topic)
    return request, topic


def accept_cohost(session: Session, *, access: EventAccess, request_id: int) -> Topic:
    """A convener (or staff) lets the asker co-host: they become a convener."""
    request, topic = _answerable(session, access=access, request_id=request_id)
    # A merge may have made the asker a convener of this topic already.
    if not is_convener(session, topic_id=request.topic_id, participant_id=request.participant_id):
        session.add(TopicConvener(topic_id=request.topic_id, participant_id=request.participant_id))
    session.delete(request)
    session.commit()
    return topic


def decline_cohost(session: Session, *, access: EventAccess, request_id: int) -> Topic:
    """A convener (or staff) says no; the request stays, declined, so it is not asked again."""
    request, topic = _answerable(session, access=access, request_id=request_id)
    request.status = CohostRequestStatus.DECLINED
    session.add(request)
    session.commit()
    return topic


def pending_requests(
    session: Session, *, access: EventAccess, topic_ids: list[int] | None = None
) -> dict[int, list[tuple[CohostRequest, Participant]]]:
    """Pending requests with their askers, per topic: of ``topic_ids`` (a convener's topics),
    or of the whole event for staff."""
    query = (
        select(CohostRequest, Participant)
        .join(Participant, Participant.id == CohostRequest.participant_id)  # type: ignore[arg-type]
        .join(Topic, Topic.id == CohostRequest.topic_id)  # type: ignore[arg-type]
        .where(
            CohostRequest.event_id == access.event_id,
            CohostRequest.status == CohostRequestStatus.PENDING,
            Topic.status == TopicStatus.ACTIVE,
        )
        .order_by(col(CohostRequest.id))
    )
    if topic_ids is not None:
        query = query.where(col(CohostRequest.topic_id).in_(topic_ids))
    else:
        access.require_staff()
    found: dict[int, list[tuple[CohostRequest, Participant]]] = {}
    for request, asker in session.exec(query).all():
        found.setdefault(request.topic_id, []).append((request, asker))
    return found


def my_requests(session: Session, *, access: EventAccess) -> list[tuple[CohostRequest, Topic]]:
    """This participant's requests to co-host topics still on the list, pending or declined."""
    if access.participant is None:
        return []
    return [
        (request, topic)
        for request, topic in session.exec(
            select(CohostRequest, Topic)
            .join(Topic, Topic.id == CohostRequest.topic_id)  # type: ignore[arg-type]
            .where(
                CohostRequest.participant_id == access.participant.id,
                CohostRequest.event_id == access.event_id,
                Topic.status == TopicStatus.ACTIVE,
            )
            .order_by(col(CohostRequest.id))
        ).all()
    ]


def leave_cohost(session: Session, *, access: EventAccess, topic_id: int) -> Topic:
    """Stop co-hosting; the last convener withdraws the topic instead."""
    access.require(Role.PARTICIPANT)
    assert access.participant is not None
    topic = _active_topic(session, access=access, topic_id=topic_id)
    if not is_convener(session, topic_id=topic_id, participant_id=access.participant.id or 0):
        raise PermissionDenied(_("Only the topic's conveners can change it."))
    if len(conveners(session, topic_id=topic_id)) <= 1:
        if topic.proposed_by == access.participant.id:
            raise Conflict(_("You are the only convener: withdraw the topic instead."))
        raise Conflict(_("You are the only convener: ask a facilitator to withdraw the topic."))
    session.execute(
        delete(TopicConvener).where(
            col(TopicConvener.topic_id) == topic_id,
            col(TopicConvener.participant_id) == access.participant.id,
        )
    )
    session.commit()
    return topic


def _words(text: str) -> list[str]:
    return [word for word in _normalise(text).split() if len(word) > 2 and word not in STOP_WORDS]


def _word_score(typed: str, other: str) -> float:
    if typed == other:
        return 100.0
    if other.startswith(typed) or typed.startswith(other):  # an inflection, or still typing
        return 90.0
    score = fuzz.ratio(typed, other)
    return score if score >= WORD_CUTOFF else 0.0


def _resemblance(typed: list[str], other: list[str]) -> float:
    """The share of the shorter list's words found in the other, each word used once."""
    if not typed or not other:
        return 0.0
    free = list(other)
    found = 0
    for word in typed:
        score, best = max((_word_score(word, candidate), candidate) for candidate in free)
        if score > 0:
            free.remove(best)
            found += 1
            if not free:
                break
    return found / min(len(typed), len(other))


def similar(session: Session, *, access: EventAccess, title: str, limit: int = 3) -> list[Topic]:
    """Active topics whose titles resemble ``title`` (Latin and Cyrillic alike), best first."""
    query = _normalise(title)
    words = _words(title)
    if len(query) < 4 or not words:
        return []
    topics = session.exec(
        select(Topic).where(Topic.event_id == access.event_id, Topic.status == TopicStatus.ACTIVE)
    ).all()
    ranked = []
    for topic in topics:
        share = _resemblance(words, _words(topic.title))
        if share >= SIMILAR_SHARE:
            ranked.append(
                (-share, -fuzz.ratio(query, _normalise(topic.title)), topic.id or 0, topic)
            )
    ranked.sort(key=lambda row: row[:3])
    return [row[3] for row in ranked[:limit]]


# --- moderation --------------------------------------------------------------------------


def hide(session: Session, *, access: EventAccess, topic_id: int, reason: str) -> Topic:
    """Hide a topic (abuse, off-topic). Reversible, but its dots go back to the voters at once:
    they may spend them elsewhere, and a budget is never exceeded when the topic returns."""
    access.require_staff()
    topic = _active_topic(session, access=access, topic_id=topic_id)
    reason = " ".join(reason.split())
    if not reason:
        raise Invalid({"reason": _("Say why, for the record.")})
    check_length(reason, HIDDEN_REASON_MAX, field="reason")
    topic.status = TopicStatus.HIDDEN
    grid.remove_inactive(session, event_id=access.event_id, topic_id=topic_id)
    topic.hidden_reason = reason
    topic.updated_at = utcnow()
    session.execute(delete(Vote).where(col(Vote.topic_id) == topic.id))
    session.execute(delete(PitchEntry).where(col(PitchEntry.topic_id) == topic.id))
    session.add(topic)
    session.commit()
    return topic


def unhide(session: Session, *, access: EventAccess, topic_id: int) -> Topic:
    access.require_staff()
    topic = _topic(session, access=access, topic_id=topic_id)
    if topic.status != TopicStatus.HIDDEN:
        raise Conflict(_("This topic is not hidden."))
    topic.status = TopicStatus.ACTIVE
    topic.hidden_reason = ""
    topic.updated_at = utcnow()
    session.add(topic)
    session.commit()
    return topic


def merge(session: Session, *, access: EventAccess, source_id: int, target_id: int) -> Topic:
    """Merge a duplicate into another topic: conveners and dots move over.

    A voter who had dots on both keeps at most the per-topic maximum on the merged topic; the
    rest return to their budget, so nobody is counted twice.
    """
    access.require_staff()
    if source_id == target_id:
        raise Invalid({"target": _("Choose a different topic to merge into.")})
    source = _active_topic(session, access=access, topic_id=source_id)
    target = _active_topic(session, access=access, topic_id=target_id)
    existing = {
        row
        for row in session.exec(
            select(TopicConvener.participant_id).where(TopicConvener.topic_id == target.id)
        ).all()
    }
    # New rows rather than moved ones: the target's own conveners stay first in the list.
    for convener in session.exec(
        select(TopicConvener)
        .where(TopicConvener.topic_id == source.id)
        .order_by(col(TopicConvener.id))
    ).all():
        session.delete(convener)
        if convener.participant_id not in existing:
            session.add(TopicConvener(topic_id=target.id, participant_id=convener.participant_id))  # type: ignore[arg-type]
    session.execute(update(Vote).where(col(Vote.topic_id) == source.id).values(topic_id=target.id))
    session.flush()
    limit = access.event.max_dots_per_topic
    votes = session.exec(
        select(Vote).where(Vote.topic_id == target.id).order_by(col(Vote.id))
    ).all()
    kept: dict[int, int] = {}
    for vote in votes:
        kept[vote.participant_id] = kept.get(vote.participant_id, 0) + 1
        if kept[vote.participant_id] > limit:
            session.delete(vote)
    session.execute(delete(PitchEntry).where(col(PitchEntry.topic_id) == source.id))
    source.status = TopicStatus.MERGED
    grid.remove_inactive(session, event_id=access.event_id, topic_id=source_id)
    source.merged_into_id = target.id
    source.updated_at = target.updated_at = utcnow()
    session.add_all([source, target])
    session.commit()
    return target


def staff_topics(session: Session, *, access: EventAccess) -> list[Topic]:
    """Every topic of the event, hidden and merged ones included, for the moderation screen."""
    access.require_staff()
    return list(
        session.exec(
            select(Topic).where(Topic.event_id == access.event_id).order_by(col(Topic.id))
        ).all()
    )


def my_topics(session: Session, *, access: EventAccess) -> list[Topic]:
    """Topics this participant convenes (active or hidden: they should see what happened)."""
    if access.participant is None:
        return []
    return list(
        session.exec(
            select(Topic)
            .join(TopicConvener, TopicConvener.topic_id == Topic.id)  # type: ignore[arg-type]
            .where(
                TopicConvener.participant_id == access.participant.id,
                Topic.event_id == access.event_id,
                col(Topic.status).in_([TopicStatus.ACTIVE, TopicStatus.HIDDEN]),
            )
            .order_by(col(Topic.id))
        ).all()
    )
