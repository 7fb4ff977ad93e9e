"""The marketplace: proposing topics, editing, withdrawing, and moderation (co-hosting is in
``cohosting``, similar-topic hints in ``hints``).

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

from typing import Any

from sqlmodel import Session, col, delete, func, select

from app.errors import Conflict, Invalid, NotFound, PermissionDenied
from app.i18n import _
from app.models.base import MAX_ID, id_of, utcnow
from app.models.events import Role
from app.models.people import Participant
from app.models.topics import (
    DESCRIPTION_MAX,
    HIDDEN_REASON_MAX,
    TITLE_MAX,
    PitchEntry,
    Topic,
    TopicConvener,
    TopicCreate,
    TopicStatus,
    TopicUpdate,
    Vote,
)
from app.services.access import EventAccess
from app.services.events.phases import proposals_open
from app.services.schedule import grid
from app.services.text import check_length, too_long
from app.services.topics import merging, votes

MAX_TOPICS_PER_EVENT = 1000


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


def get_topic(session: Session, *, access: EventAccess, topic_id: int) -> Topic:
    # Ids typed into forms (a merge target) may be any number; the column holds only these.
    topic = session.get(Topic, topic_id) if 0 < topic_id <= MAX_ID else None
    if topic is None or topic.event_id != access.event_id:
        raise NotFound(_("There is no such topic."))
    return topic


def active_topic(session: Session, *, access: EventAccess, topic_id: int) -> Topic:
    topic = get_topic(session, access=access, topic_id=topic_id)
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
    topic = Topic.model_validate(
        TopicCreate(**values),
        update={"event_id": access.event_id, "proposed_by": access.participant.id},
    )
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
    topic = Topic.model_validate(
        TopicCreate(**values),
        update={
            "event_id": access.event_id,
            "entered_by_user": access.user.id if access.user else None,
            "proposed_by": convener.id if convener else None,
        },
    )
    session.add(topic)
    session.flush()
    if convener is not None:
        session.add(TopicConvener(topic_id=topic.id, participant_id=convener.id))  # type: ignore[arg-type]
    session.commit()
    session.refresh(topic)
    return topic


def editable_by(session: Session, *, access: EventAccess, topic: Topic) -> None:
    if access.is_staff:
        return
    access.require(Role.PARTICIPANT)
    assert access.participant is not None and access.participant.id is not None
    if not is_convener(session, topic_id=id_of(topic), participant_id=access.participant.id):
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
    topic = active_topic(session, access=access, topic_id=topic_id)
    editable_by(session, access=access, topic=topic)
    values = _clean(
        title=title,
        description=description,
        language=language,
        event_languages=access.event.languages,
    )
    topic.sqlmodel_update(TopicUpdate(**values).model_dump(exclude_unset=True))
    topic.updated_at = utcnow()
    session.add(topic)
    session.commit()
    return topic


def _withdrawable_by(session: Session, *, access: EventAccess, topic: Topic) -> None:
    if access.is_staff:
        return
    editable_by(session, access=access, topic=topic)
    assert access.participant is not None
    # A co-host was let in to help, not to take the topic off the list.
    if topic.proposed_by != access.participant.id:
        raise PermissionDenied(_("Only the person who proposed this topic can withdraw it."))


def withdraw(session: Session, *, access: EventAccess, topic_id: int) -> Topic:
    """The proposer (or staff) takes the topic off the list; its dots return to the voters.

    The dots are kept, uncounted, so that staff can restore the topic with them; the pitch
    queue entry and the draft grid placement go, as for a hidden topic.
    """
    topic = active_topic(session, access=access, topic_id=topic_id)
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
    topic = get_topic(session, access=access, topic_id=topic_id)
    if topic.status != TopicStatus.WITHDRAWN:
        raise Conflict(_("This topic is not withdrawn."))
    removed = votes.restore_dots(session, event=access.event, topic_id=topic_id)
    topic.status = TopicStatus.ACTIVE
    topic.updated_at = utcnow()
    session.add(topic)
    session.commit()
    return removed


# --- moderation --------------------------------------------------------------------------


def hide(session: Session, *, access: EventAccess, topic_id: int, reason: str) -> Topic:
    """Hide a topic (abuse, off-topic). Reversible, but its dots go back to the voters at once:
    they may spend them elsewhere, and a budget is never exceeded when the topic returns."""
    access.require_staff()
    topic = active_topic(session, access=access, topic_id=topic_id)
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
    topic = get_topic(session, access=access, topic_id=topic_id)
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
    rest return to their budget, so nobody is counted twice. The latest merge can be undone
    (``merging.undo``).
    """
    source, target = merge_pair(session, access=access, source_id=source_id, target_id=target_id)
    return merging.merge(session, access=access, source=source, target=target)


def merge_pair(
    session: Session, *, access: EventAccess, source_id: int, target_id: int
) -> tuple[Topic, Topic]:
    """The duplicate and the topic it may be merged into, or why not (staff only)."""
    access.require_staff()
    if source_id == target_id:
        raise Invalid({"target": _("Choose a different topic to merge into.")})
    source = active_topic(session, access=access, topic_id=source_id)
    target = active_topic(session, access=access, topic_id=target_id)
    return source, target


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
