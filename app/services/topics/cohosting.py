"""Co-hosting a topic: a participant asks, a convener of the topic (or staff) accepts or
declines, the asker may cancel, and a co-host may step down (who may do what: ``topics``)."""

from __future__ import annotations

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, delete, select

from app.errors import Conflict, NotFound, PermissionDenied
from app.i18n import _
from app.models.base import MAX_ID, id_of
from app.models.events import Role
from app.models.people import Participant
from app.models.topics import (
    CohostRequest,
    CohostRequestStatus,
    Topic,
    TopicConvener,
    TopicStatus,
)
from app.services.access import EventAccess
from app.services.events.phases import proposals_open
from app.services.topics.topics import active_topic, conveners, editable_by, get_topic, is_convener

# --- co-hosting --------------------------------------------------------------------------


def _asker_id(access: EventAccess) -> int:
    access.require(Role.PARTICIPANT)
    assert access.participant is not None and access.participant.id is not None
    return access.participant.id


def request_cohost(session: Session, *, access: EventAccess, topic_id: int) -> CohostRequest:
    """Ask to co-host a topic ("join this one instead" of proposing a duplicate). A double tap
    gets the same request back; a declined one is not asked again."""
    asker = _asker_id(access)
    topic = active_topic(session, access=access, topic_id=topic_id)
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
    topic = get_topic(session, access=access, topic_id=topic_id)
    request = _request_of(session, topic_id=id_of(topic), participant_id=asker)
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
    topic = active_topic(session, access=access, topic_id=request.topic_id)
    editable_by(session, access=access, topic=topic)
    return request, topic


def asker_of(session: Session, *, access: EventAccess, request_id: int) -> int | None:
    """Who sent a request of this event (to tell their phone of the answer), if it exists."""
    request = session.get(CohostRequest, request_id) if 0 < request_id <= MAX_ID else None
    if request is None or request.event_id != access.event_id:
        return None
    return request.participant_id


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
    topic = active_topic(session, access=access, topic_id=topic_id)
    if not is_convener(session, topic_id=topic_id, participant_id=id_of(access.participant)):
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
