"""The marketplace on phones: propose, co-host, vote, line up to pitch."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Form, Header, Request
from fastapi.responses import RedirectResponse, Response

from app.db import SessionDep
from app.deps import AccessDep, verify_csrf
from app.errors import Invalid
from app.i18n import _
from app.models.events import Role
from app.pages import my_state, participant_page
from app.realtime.notify import EventRoute, unchanged
from app.services.access import EventAccess
from app.services.topics import cohosting, hints, pitches, topics, votes
from app.services.topics.votes import VoteResult
from app.templating import render

router = APIRouter(prefix="/e/{slug}", dependencies=[Depends(verify_csrf)], route_class=EventRoute)


def _home(access: EventAccess, anchor: str = "") -> RedirectResponse:
    return RedirectResponse(f"/e/{access.event.slug}{anchor}", status_code=303)


@router.post("/topics")
def propose(
    request: Request,
    session: SessionDep,
    access: AccessDep,
    title: Annotated[str, Form()] = "",
    description: Annotated[str, Form()] = "",
    language: Annotated[str, Form()] = "",
) -> Response:
    try:
        topics.propose(
            session, access=access, title=title, description=description, language=language
        )
    except Invalid as error:
        session.rollback()
        form = {"title": title, "description": description, "language": language}
        return participant_page(
            request, session, access, form=form, errors=error.errors, status=422
        )
    return _home(access, "#my-topics")


@router.get("/topics/similar")
def similar(request: Request, session: SessionDep, access: AccessDep, title: str = "") -> Response:
    access.require(Role.PARTICIPANT, Role.ORGANISER, Role.FACILITATOR)
    return render(
        request,
        "partials/phone/similar.html",
        {
            "event": access.event,
            "similar": hints.similar(session, access=access, title=title[:200]),
        },
    )


def _edit_page(
    request: Request,
    session: SessionDep,
    access: EventAccess,
    topic_id: int,
    form: dict[str, str] | None = None,
    errors: dict[str, str] | None = None,
    status: int = 200,
) -> Response:
    topic = next((t for t in topics.my_topics(session, access=access) if t.id == topic_id), None)
    if topic is None:
        return _home(access)
    return render(
        request,
        "participant/topic_edit.html",
        {
            "event": access.event,
            "topic": topic,
            "form": form
            or {"title": topic.title, "description": topic.description, "language": topic.language},
            "errors": errors or {},
            "conveners": topics.conveners(session, topic_id=topic_id),
            "can_withdraw": access.participant is not None
            and topic.proposed_by == access.participant.id,
        },
        status_code=status,
    )


@router.get("/topics/{topic_id}/edit")
def edit_form(request: Request, session: SessionDep, access: AccessDep, topic_id: int) -> Response:
    access.require(Role.PARTICIPANT)
    return _edit_page(request, session, access, topic_id)


@router.post("/topics/{topic_id}/edit")
def edit(
    request: Request,
    session: SessionDep,
    access: AccessDep,
    topic_id: int,
    title: Annotated[str, Form()] = "",
    description: Annotated[str, Form()] = "",
    language: Annotated[str, Form()] = "",
) -> Response:
    try:
        topics.edit(
            session,
            access=access,
            topic_id=topic_id,
            title=title,
            description=description,
            language=language,
        )
    except Invalid as error:
        session.rollback()
        form = {"title": title, "description": description, "language": language}
        return _edit_page(request, session, access, topic_id, form, error.errors, 422)
    return _home(access, "#my-topics")


@router.post("/topics/{topic_id}/withdraw")
def withdraw(session: SessionDep, access: AccessDep, topic_id: int) -> Response:
    topics.withdraw(session, access=access, topic_id=topic_id)
    return _home(access, "#my-topics")


@router.post("/topics/{topic_id}/cohost")
def request_cohost(session: SessionDep, access: AccessDep, topic_id: int) -> Response:
    cohosting.request_cohost(session, access=access, topic_id=topic_id)
    return _home(access, "#my-requests")


@router.post("/topics/{topic_id}/cohost/cancel")
def cancel_cohost(session: SessionDep, access: AccessDep, topic_id: int) -> Response:
    cohosting.cancel_cohost_request(session, access=access, topic_id=topic_id)
    return _home(access, "#my-requests")


@router.post("/cohost-requests/{request_id}/accept")
def accept_cohost(session: SessionDep, access: AccessDep, request_id: int) -> Response:
    cohosting.accept_cohost(session, access=access, request_id=request_id)
    return _home(access, "#my-topics")


@router.post("/cohost-requests/{request_id}/decline")
def decline_cohost(session: SessionDep, access: AccessDep, request_id: int) -> Response:
    cohosting.decline_cohost(session, access=access, request_id=request_id)
    return _home(access, "#my-topics")


def _vote_response(
    request: Request,
    session: SessionDep,
    access: EventAccess,
    result: VoteResult,
    message: str,
) -> Response:
    """Answer the phone; a retry of a dot already counted tells the live screens nothing."""
    if result.replayed:
        unchanged(request)
    return render(
        request,
        "partials/phone/vote_result.html",
        {**my_state(session, access, result.mine), "message": message},
    )


@router.get("/dots")
def my_dots(request: Request, session: SessionDep, access: AccessDep) -> Response:
    """This phone's own dots, asked for when a topic it had dots on left the list (merged or
    hidden): the shared frame cannot say where one person's dots went."""
    access.require(Role.PARTICIPANT)
    return render(request, "partials/phone/my_state.html", my_state(session, access))


@router.post("/topics/{topic_id}/leave")
def leave_cohost(session: SessionDep, access: AccessDep, topic_id: int) -> Response:
    cohosting.leave_cohost(session, access=access, topic_id=topic_id)
    return _home(access, "#my-topics")


@router.post("/topics/{topic_id}/vote")
def vote(
    request: Request,
    session: SessionDep,
    access: AccessDep,
    topic_id: int,
    idempotency_key: Annotated[str | None, Header()] = None,
) -> Response:
    result = votes.cast(session, access=access, topic_id=topic_id, key=idempotency_key)
    return _vote_response(request, session, access, result, _("Dot placed."))


@router.post("/topics/{topic_id}/unvote")
def unvote(
    request: Request,
    session: SessionDep,
    access: AccessDep,
    topic_id: int,
    idempotency_key: Annotated[str | None, Header()] = None,
) -> Response:
    result = votes.retract(session, access=access, topic_id=topic_id, key=idempotency_key)
    return _vote_response(request, session, access, result, _("Dot taken back."))


@router.post("/topics/{topic_id}/pitch")
def line_up(session: SessionDep, access: AccessDep, topic_id: int) -> Response:
    pitches.line_up(session, access=access, topic_id=topic_id)
    return _home(access, "#my-topics")


@router.post("/topics/{topic_id}/pitch/leave")
def leave_queue(session: SessionDep, access: AccessDep, topic_id: int) -> Response:
    pitches.leave(session, access=access, topic_id=topic_id)
    return _home(access, "#my-topics")
