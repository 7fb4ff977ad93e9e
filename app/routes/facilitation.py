"""The facilitator's control panel: phases, rules, pitch queue, news, moderation."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import RedirectResponse, Response

from app.db import SessionDep
from app.deps import AccessDep, verify_csrf
from app.errors import Invalid
from app.forms import parse_int
from app.models.events import PHASE_LABELS, Phase
from app.models.topics import Topic, TopicStatus
from app.realtime.frames import live_context
from app.realtime.notify import EventRoute
from app.services import live
from app.services.access import EventAccess, live_path
from app.services.events import phases
from app.services.people import participants
from app.services.topics import cohosting, news, pitches, topics
from app.templating import render

router = APIRouter(prefix="/o/{slug}", dependencies=[Depends(verify_csrf)], route_class=EventRoute)


def _panel(
    request: Request,
    session: SessionDep,
    access: EventAccess,
    *,
    errors: dict[str, str] | None = None,
    form: dict[str, str] | None = None,
    status: int = 200,
) -> Response:
    access.require_staff()
    live_sync = request.app.state.hub.current(access.event_id)
    state = live.load(session, event_id=access.event_id)
    assert state is not None
    settings = request.app.state.settings
    all_topics = topics.staff_topics(session, access=access)
    return render(
        request,
        "organiser/live.html",
        {
            **live_context(state, "staff"),
            "live_sync": live_sync,
            "access": access,
            "user": access.user,
            "phases": [(phase.value, PHASE_LABELS[phase]) for phase in Phase],
            "participants": participants.participants(session, access=access),
            "hidden_topics": [t for t in all_topics if t.status == TopicStatus.HIDDEN],
            "withdrawn_topics": [t for t in all_topics if t.status == TopicStatus.WITHDRAWN],
            "cohost_requests": cohosting.pending_requests(session, access=access),
            "topic_titles": {t.id: t.title for t in all_topics},
            "errors": errors or {},
            "form": form or {},
            "live_url": live_path(access=access, audience="staff", secret=settings.secret),
        },
        status_code=status,
    )


def _back(access: EventAccess, anchor: str = "") -> RedirectResponse:
    return RedirectResponse(f"/o/{access.event.slug}/live{anchor}", status_code=303)


@router.get("/live")
def panel(request: Request, session: SessionDep, access: AccessDep) -> Response:
    return _panel(request, session, access)


@router.post("/phase")
def set_phase(
    session: SessionDep, access: AccessDep, phase: Annotated[str, Form()] = ""
) -> Response:
    phases.set_phase(session, access=access, phase=phase)
    return _back(access)


@router.post("/rules")
def update_rules(
    request: Request,
    session: SessionDep,
    access: AccessDep,
    dots_per_participant: Annotated[str, Form()] = "",
    max_dots_per_topic: Annotated[str, Form()] = "",
    pitch_seconds: Annotated[str, Form()] = "",
    blind_voting: Annotated[bool, Form()] = False,
    board_hides_tallies: Annotated[bool, Form()] = False,
    proposals_while_voting: Annotated[bool, Form()] = False,
) -> Response:
    try:
        phases.update_rules(
            session,
            access=access,
            dots_per_participant=parse_int(dots_per_participant, field="dots_per_participant"),
            max_dots_per_topic=parse_int(max_dots_per_topic, field="max_dots_per_topic"),
            pitch_seconds=parse_int(pitch_seconds, field="pitch_seconds"),
            blind_voting=blind_voting,
            board_hides_tallies=board_hides_tallies,
            proposals_while_voting=proposals_while_voting,
        )
    except Invalid as error:
        session.rollback()
        form = {
            "dots_per_participant": dots_per_participant,
            "max_dots_per_topic": max_dots_per_topic,
            "pitch_seconds": pitch_seconds,
            # Boxes come back as ticked, not as stored ("" is unticked).
            "blind_voting": "true" if blind_voting else "",
            "board_hides_tallies": "true" if board_hides_tallies else "",
            "proposals_while_voting": "true" if proposals_while_voting else "",
        }
        return _panel(request, session, access, errors=error.errors, form=form, status=422)
    return _back(access, "#rules")


@router.post("/news")
def announce(
    request: Request,
    session: SessionDep,
    access: AccessDep,
    text: Annotated[str, Form()] = "",
) -> Response:
    try:
        news.announce(session, access=access, text=text)
    except Invalid as error:
        session.rollback()
        return _panel(
            request, session, access, errors=error.errors, form={"text": text}, status=422
        )
    return _back(access, "#news-form")


@router.post("/news/{announcement_id}/withdraw")
def withdraw_news(session: SessionDep, access: AccessDep, announcement_id: int) -> Response:
    news.withdraw(session, access=access, announcement_id=announcement_id)
    return _back(access, "#news-form")


@router.post("/pitch/next")
def next_pitch(session: SessionDep, access: AccessDep) -> Response:
    pitches.advance(session, access=access)
    return _back(access, "#pitch")


@router.post("/pitch/stop")
def stop_pitch(session: SessionDep, access: AccessDep) -> Response:
    pitches.stop(session, access=access)
    return _back(access, "#pitch")


@router.post("/pitch/{topic_id}/add")
def queue_pitch(session: SessionDep, access: AccessDep, topic_id: int) -> Response:
    access.require_staff()
    pitches.line_up(session, access=access, topic_id=topic_id)
    return _back(access, "#pitch")


@router.post("/pitch/{topic_id}/remove")
def unqueue_pitch(session: SessionDep, access: AccessDep, topic_id: int) -> Response:
    access.require_staff()
    pitches.leave(session, access=access, topic_id=topic_id)
    return _back(access, "#pitch")


@router.post("/topics")
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
        form = {
            "title": title,
            "description": description,
            "language": language,
            "convener": convener,
        }
        return _panel(request, session, access, errors=error.errors, form=form, status=422)
    return _back(access, "#add-topic")


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
        return _back(access)
    return render(
        request,
        "organiser/topic.html",
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
            "errors": errors or {},
            "form": form
            or {"title": topic.title, "description": topic.description, "language": topic.language},
        },
        status_code=status,
    )


@router.get("/topics/{topic_id}")
def topic_page(request: Request, session: SessionDep, access: AccessDep, topic_id: int) -> Response:
    return _topic_page(request, session, access, topic_id)


@router.post("/topics/{topic_id}/edit")
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
        session.rollback()
        form = {"title": title, "description": description, "language": language}
        return _topic_page(
            request, session, access, topic_id, errors=error.errors, form=form, status=422
        )
    return _back(access, f"#staff-topic-{topic_id}")


@router.post("/topics/{topic_id}/hide")
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
        session.rollback()
        return _topic_page(request, session, access, topic_id, errors=error.errors, status=422)
    return _back(access)


@router.post("/topics/{topic_id}/unhide")
def unhide_topic(session: SessionDep, access: AccessDep, topic_id: int) -> Response:
    topics.unhide(session, access=access, topic_id=topic_id)
    return _back(access)


@router.post("/topics/{topic_id}/merge")
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
        session.rollback()
        return _topic_page(request, session, access, topic_id, errors=error.errors, status=422)
    return _back(access, f"#staff-topic-{merged.id}")


@router.post("/topics/{topic_id}/withdraw")
def withdraw_topic(session: SessionDep, access: AccessDep, topic_id: int) -> Response:
    access.require_staff()
    topics.withdraw(session, access=access, topic_id=topic_id)
    return _back(access, "#withdrawn-topics")


@router.post("/topics/{topic_id}/restore")
def restore_topic(session: SessionDep, access: AccessDep, topic_id: int) -> Response:
    topics.restore(session, access=access, topic_id=topic_id)
    return _back(access, f"#staff-topic-{topic_id}")


def _topic_back(access: EventAccess, topic: Topic) -> RedirectResponse:
    return RedirectResponse(f"/o/{access.event.slug}/topics/{topic.id}", status_code=303)


@router.post("/cohost-requests/{request_id}/accept")
def accept_cohost(session: SessionDep, access: AccessDep, request_id: int) -> Response:
    access.require_staff()
    topic = cohosting.accept_cohost(session, access=access, request_id=request_id)
    return _topic_back(access, topic)


@router.post("/cohost-requests/{request_id}/decline")
def decline_cohost(session: SessionDep, access: AccessDep, request_id: int) -> Response:
    access.require_staff()
    topic = cohosting.decline_cohost(session, access=access, request_id=request_id)
    return _topic_back(access, topic)
