"""Topics. On the phone, the marketplace: propose, edit, co-host, place dots, line up to pitch.
For facilitators: the pitch queue, topics added on someone's behalf, moderation and co-host
requests. Staff actions come back to the control panel (``/o/<event>/live``)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Form, Header, Request
from fastapi.responses import RedirectResponse, Response

from app.db import SessionDep
from app.deps import AccessDep, verify_csrf
from app.errors import Conflict, Invalid, NotFound
from app.forms import parse_int
from app.i18n import _
from app.models.base import id_of
from app.models.events import Role
from app.models.topics import Topic, TopicStatus
from app.pages import control_panel, my_state, own_parts, participant_page
from app.realtime.notify import EventRoute, nudge, unchanged
from app.services.access import EventAccess
from app.services.topics import cohosting, hints, home, merging, pitches, topics, votes
from app.services.topics.votes import VoteResult
from app.templating import render

router = APIRouter(dependencies=[Depends(verify_csrf)], route_class=EventRoute)


def _home(access: EventAccess, anchor: str = "") -> RedirectResponse:
    return RedirectResponse(f"/e/{access.event.slug}{anchor}", status_code=303)


def _topic_form(title: str, description: str, language: str) -> dict[str, str]:
    return {"title": title, "description": description, "language": language}


# --- phones: proposing, editing, co-hosting ----------------------------------------------


@router.post("/e/{slug}/topics")
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
        form = _topic_form(title, description, language)
        return participant_page(
            request, session, access, form=form, errors=error.errors, status=422
        )
    return _home(access, "#my-topics")


@router.get("/e/{slug}/topics/similar")
def similar(request: Request, session: SessionDep, access: AccessDep, title: str = "") -> Response:
    access.require(Role.PARTICIPANT, Role.ORGANISER, Role.FACILITATOR)
    return render(
        request,
        "partials/topics/similar.html",
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
        "topics/phone_edit.html",
        {
            "event": access.event,
            "topic": topic,
            "form": form or _topic_form(topic.title, topic.description, topic.language),
            "errors": errors or {},
            "conveners": topics.conveners(session, topic_id=topic_id),
            "can_withdraw": access.participant is not None
            and topic.proposed_by == access.participant.id,
        },
        status_code=status,
    )


@router.get("/e/{slug}/topics/{topic_id}/edit")
def edit_form(request: Request, session: SessionDep, access: AccessDep, topic_id: int) -> Response:
    access.require(Role.PARTICIPANT)
    return _edit_page(request, session, access, topic_id)


@router.post("/e/{slug}/topics/{topic_id}/edit")
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
        form = _topic_form(title, description, language)
        return _edit_page(request, session, access, topic_id, form, error.errors, 422)
    return _home(access, "#my-topics")


@router.post("/e/{slug}/topics/{topic_id}/withdraw")
def withdraw(session: SessionDep, access: AccessDep, topic_id: int) -> Response:
    topics.withdraw(session, access=access, topic_id=topic_id)
    return _home(access, "#my-topics")


def _asker(access: EventAccess) -> tuple[int, int]:
    """(participant, device) of the phone asking: whose other devices a change nudges."""
    participant = access.participant.id if access.participant else None
    return participant or 0, access.device_id or 0


@router.post("/e/{slug}/topics/{topic_id}/cohost")
def request_cohost(
    request: Request, session: SessionDep, access: AccessDep, topic_id: int
) -> Response:
    """From the topic card (htmx: the request's state and a message) or from the similar
    topics under the propose form (a page load)."""
    cohosting.request_cohost(session, access=access, topic_id=topic_id)
    asker, device = _asker(access)
    hosts = [id_of(person) for person in topics.conveners(session, topic_id=topic_id)]
    nudge(request, hosts)  # the conveners' phones show the request to answer
    nudge(request, [asker], except_device=device)
    if request.headers.get("hx-request") != "true":
        return _home(access, "#my-requests")
    response = render(
        request,
        "partials/topics/cohost_result.html",
        {
            "event": access.event,
            "my_requests": cohosting.my_requests(session, access=access),
            "message": _("Request sent: the conveners decide."),
        },
    )
    response.headers["Vary"] = "HX-Request"
    return response


@router.post("/e/{slug}/topics/{topic_id}/cohost/cancel")
def cancel_cohost(
    request: Request, session: SessionDep, access: AccessDep, topic_id: int
) -> Response:
    cohosting.cancel_cohost_request(session, access=access, topic_id=topic_id)
    asker, device = _asker(access)
    nudge(request, [id_of(person) for person in topics.conveners(session, topic_id=topic_id)])
    nudge(request, [asker], except_device=device)
    return _home(access, "#my-requests")


@router.post("/e/{slug}/cohost-requests/{request_id}/accept")
def accept_cohost(
    request: Request, session: SessionDep, access: AccessDep, request_id: int
) -> Response:
    asker = cohosting.asker_of(session, access=access, request_id=request_id)
    cohosting.accept_cohost(session, access=access, request_id=request_id)
    nudge(request, [asker or 0])  # their phone shows the answer
    return _home(access, "#my-topics")


@router.post("/e/{slug}/cohost-requests/{request_id}/decline")
def decline_cohost(
    request: Request, session: SessionDep, access: AccessDep, request_id: int
) -> Response:
    asker = cohosting.asker_of(session, access=access, request_id=request_id)
    cohosting.decline_cohost(session, access=access, request_id=request_id)
    nudge(request, [asker or 0])
    return _home(access, "#my-topics")


# --- phones: dots ------------------------------------------------------------------------


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
    else:
        asker, device = _asker(access)
        nudge(request, [asker], except_device=device)  # their other phone's dots follow
    return render(
        request,
        "partials/topics/vote_result.html",
        {**my_state(home.dots(session, access=access, mine=result.mine)), "message": message},
    )


@router.get("/e/{slug}/dots")
def my_dots(request: Request, session: SessionDep, access: AccessDep) -> Response:
    """This phone's own dots, asked for when a topic it had dots on left the list (merged or
    hidden): the shared frame cannot say where one person's dots went."""
    access.require(Role.PARTICIPANT)
    return render(
        request, "partials/topics/my_state.html", my_state(home.dots(session, access=access))
    )


@router.get("/e/{slug}/own")
def own(request: Request, session: SessionDep, access: AccessDep) -> Response:
    """This phone's person's own parts of the home page, asked for when the socket nudged it
    (their dots changed on another device, a convener answered): frames carry nobody's."""
    return render(
        request,
        "partials/topics/own.html",
        {"event": access.event, **own_parts(home.own(session, access=access))},
    )


@router.post("/e/{slug}/topics/{topic_id}/leave")
def leave_cohost(session: SessionDep, access: AccessDep, topic_id: int) -> Response:
    cohosting.leave_cohost(session, access=access, topic_id=topic_id)
    return _home(access, "#my-topics")


@router.post("/e/{slug}/topics/{topic_id}/vote")
def vote(
    request: Request,
    session: SessionDep,
    access: AccessDep,
    topic_id: int,
    idempotency_key: Annotated[str | None, Header()] = None,
) -> Response:
    result = votes.cast(session, access=access, topic_id=topic_id, key=idempotency_key)
    return _vote_response(request, session, access, result, _("Dot placed."))


@router.post("/e/{slug}/topics/{topic_id}/unvote")
def unvote(
    request: Request,
    session: SessionDep,
    access: AccessDep,
    topic_id: int,
    idempotency_key: Annotated[str | None, Header()] = None,
) -> Response:
    result = votes.retract(session, access=access, topic_id=topic_id, key=idempotency_key)
    return _vote_response(request, session, access, result, _("Dot taken back."))


# --- the pitch queue: phones line up, facilitators run it --------------------------------


@router.post("/e/{slug}/topics/{topic_id}/pitch")
def line_up(session: SessionDep, access: AccessDep, topic_id: int) -> Response:
    pitches.line_up(session, access=access, topic_id=topic_id)
    return _home(access, "#my-topics")


@router.post("/e/{slug}/topics/{topic_id}/pitch/leave")
def leave_queue(session: SessionDep, access: AccessDep, topic_id: int) -> Response:
    pitches.leave(session, access=access, topic_id=topic_id)
    return _home(access, "#my-topics")


def _panel_back(access: EventAccess, anchor: str = "") -> RedirectResponse:
    return RedirectResponse(f"/o/{access.event.slug}/live{anchor}", status_code=303)


@router.post("/o/{slug}/pitch/next")
def next_pitch(session: SessionDep, access: AccessDep) -> Response:
    pitches.advance(session, access=access)
    return _panel_back(access, "#pitch")


@router.post("/o/{slug}/pitch/stop")
def stop_pitch(session: SessionDep, access: AccessDep) -> Response:
    pitches.stop(session, access=access)
    return _panel_back(access, "#pitch")


@router.post("/o/{slug}/pitch/{topic_id}/add")
def queue_pitch(session: SessionDep, access: AccessDep, topic_id: int) -> Response:
    access.require_staff()
    pitches.line_up(session, access=access, topic_id=topic_id)
    return _panel_back(access, "#pitch")


@router.post("/o/{slug}/pitch/{topic_id}/remove")
def unqueue_pitch(session: SessionDep, access: AccessDep, topic_id: int) -> Response:
    access.require_staff()
    pitches.leave(session, access=access, topic_id=topic_id)
    return _panel_back(access, "#pitch")


# --- facilitators: adding and moderating topics, co-host requests ------------------------


@router.post("/o/{slug}/topics")
def add_on_behalf(
    request: Request,
    session: SessionDep,
    access: AccessDep,
    title: Annotated[str, Form()] = "",
    description: Annotated[str, Form()] = "",
    language: Annotated[str, Form()] = "",
    convener: Annotated[str, Form()] = "",
) -> Response:
    try:
        topics.propose_on_behalf(
            session,
            access=access,
            title=title,
            description=description,
            language=language,
            convener_id=parse_int(convener, field="convener") if convener else None,
        )
    except Invalid as error:
        session.rollback()
        form = {**_topic_form(title, description, language), "convener": convener}
        return control_panel(request, session, access, errors=error.errors, form=form, status=422)
    return _panel_back(access, "#add-topic")


def _topic_page(
    request: Request,
    session: SessionDep,
    access: EventAccess,
    topic_id: int,
    *,
    errors: dict[str, str] | None = None,
    form: dict[str, str] | None = None,
    status: int = 200,
) -> Response:
    all_topics = topics.staff_topics(session, access=access)
    topic = next((t for t in all_topics if t.id == topic_id), None)
    if topic is None:
        return _panel_back(access)
    return render(
        request,
        "topics/staff_topic.html",
        {
            "access": access,
            "event": access.event,
            "user": access.user,
            "topic": topic,
            "conveners": topics.conveners(session, topic_id=topic_id),
            "cohost_requests": cohosting.pending_requests(session, access=access).get(topic_id, []),
            "merge_targets": [
                t for t in all_topics if t.status == TopicStatus.ACTIVE and t.id != topic_id
            ],
            "titles": {t.id: t.title for t in all_topics},
            "last_merge": merging.undoable(session, access=access, topic_id=topic_id),
            "errors": errors or {},
            "form": form or _topic_form(topic.title, topic.description, topic.language),
        },
        status_code=status,
    )


def _topic_refused(
    request: Request,
    session: SessionDep,
    access: EventAccess,
    topic_id: int,
    error: Invalid,
    form: dict[str, str] | None = None,
) -> Response:
    """The topic's page again (422) with why the service refused; nothing of it is kept."""
    session.rollback()
    return _topic_page(
        request, session, access, topic_id, errors=error.errors, form=form, status=422
    )


@router.get("/o/{slug}/topics/{topic_id}")
def topic_page(request: Request, session: SessionDep, access: AccessDep, topic_id: int) -> Response:
    return _topic_page(request, session, access, topic_id)


@router.post("/o/{slug}/topics/{topic_id}/edit")
def edit_topic(
    request: Request,
    session: SessionDep,
    access: AccessDep,
    topic_id: int,
    title: Annotated[str, Form()] = "",
    description: Annotated[str, Form()] = "",
    language: Annotated[str, Form()] = "",
) -> Response:
    access.require_staff()
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
        form = _topic_form(title, description, language)
        return _topic_refused(request, session, access, topic_id, error, form)
    return _panel_back(access, f"#staff-topic-{topic_id}")


@router.post("/o/{slug}/topics/{topic_id}/hide")
def hide_topic(
    request: Request,
    session: SessionDep,
    access: AccessDep,
    topic_id: int,
    reason: Annotated[str, Form()] = "",
) -> Response:
    try:
        topics.hide(session, access=access, topic_id=topic_id, reason=reason)
    except Invalid as error:
        return _topic_refused(request, session, access, topic_id, error)
    return _panel_back(access)


@router.post("/o/{slug}/topics/{topic_id}/unhide")
def unhide_topic(session: SessionDep, access: AccessDep, topic_id: int) -> Response:
    topics.unhide(session, access=access, topic_id=topic_id)
    return _panel_back(access)


@router.get("/o/{slug}/topics/{topic_id}/merge")
def merge_confirmation(
    request: Request, session: SessionDep, access: AccessDep, topic_id: int, target: str = ""
) -> Response:
    """What the merge will do, with the button that does it (a GET changes nothing)."""
    try:
        source, kept = topics.merge_pair(
            session, access=access, source_id=topic_id, target_id=parse_int(target, field="target")
        )
    except Invalid as error:
        return _topic_refused(request, session, access, topic_id, error)
    preview = merging.preview(session, access=access, source=source, target=kept)
    return render(
        request,
        "topics/merge_confirm.html",
        {"access": access, "event": access.event, "user": access.user, "preview": preview},
    )


@router.post("/o/{slug}/topics/{topic_id}/merge")
def merge_topic(
    request: Request,
    session: SessionDep,
    access: AccessDep,
    topic_id: int,
    target: Annotated[str, Form()] = "",
) -> Response:
    try:
        merged = topics.merge(
            session, access=access, source_id=topic_id, target_id=parse_int(target, field="target")
        )
    except Invalid as error:
        return _topic_refused(request, session, access, topic_id, error)
    return RedirectResponse(
        f"/o/{access.event.slug}/topics/{merged.id}#undo-merge", status_code=303
    )


@router.post("/o/{slug}/topics/{topic_id}/unmerge")
def undo_merge(request: Request, session: SessionDep, access: AccessDep, topic_id: int) -> Response:
    try:
        restored = merging.undo(session, access=access, topic_id=topic_id)
    except (Conflict, NotFound) as error:
        session.rollback()
        return _topic_page(
            request,
            session,
            access,
            topic_id,
            errors={"undo": error.message},
            status=error.status_code,
        )
    return _topic_back(access, restored)


@router.post("/o/{slug}/topics/{topic_id}/withdraw")
def withdraw_topic(session: SessionDep, access: AccessDep, topic_id: int) -> Response:
    access.require_staff()
    topics.withdraw(session, access=access, topic_id=topic_id)
    return _panel_back(access, "#withdrawn-topics")


@router.post("/o/{slug}/topics/{topic_id}/restore")
def restore_topic(session: SessionDep, access: AccessDep, topic_id: int) -> Response:
    topics.restore(session, access=access, topic_id=topic_id)
    return _panel_back(access, f"#staff-topic-{topic_id}")


def _topic_back(access: EventAccess, topic: Topic) -> RedirectResponse:
    return RedirectResponse(f"/o/{access.event.slug}/topics/{topic.id}", status_code=303)


@router.post("/o/{slug}/cohost-requests/{request_id}/accept")
def staff_accept_cohost(
    request: Request, session: SessionDep, access: AccessDep, request_id: int
) -> Response:
    access.require_staff()
    asker = cohosting.asker_of(session, access=access, request_id=request_id)
    topic = cohosting.accept_cohost(session, access=access, request_id=request_id)
    nudge(request, [asker or 0])
    return _topic_back(access, topic)


@router.post("/o/{slug}/cohost-requests/{request_id}/decline")
def staff_decline_cohost(
    request: Request, session: SessionDep, access: AccessDep, request_id: int
) -> Response:
    access.require_staff()
    asker = cohosting.asker_of(session, access=access, request_id=request_id)
    topic = cohosting.decline_cohost(session, access=access, request_id=request_id)
    nudge(request, [asker or 0])
    return _topic_back(access, topic)
