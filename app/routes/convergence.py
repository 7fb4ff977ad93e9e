"""Convergence and action planning: participants put dots on the sessions' proposals and commit
to them (``/e/<event>/priorities``); the facilitator sees the priorities and runs the closing
circle's presentation (``/o/<event>/…``)."""

from __future__ import annotations

import secrets
from typing import Annotated

from fastapi import APIRouter, Depends, Form, Header, Request
from fastapi.responses import RedirectResponse, Response

from app.db import SessionDep
from app.deps import AccessDep, verify_csrf
from app.errors import Conflict, Invalid
from app.forms import parse_int
from app.realtime.notify import EventRoute, unchanged
from app.services import navigation
from app.services.access import EventAccess
from app.services.convergence import closing, priorities
from app.templating import render

router = APIRouter(dependencies=[Depends(verify_csrf)], route_class=EventRoute)


# --- participants: dots and commitments --------------------------------------------------


def _priorities_page(
    request: Request,
    session: SessionDep,
    access: EventAccess,
    *,
    message: str = "",
    form: dict[str, str] | None = None,
    errors: dict[str, str] | None = None,
    error_proposal: int | None = None,
    status: int = 200,
) -> Response:
    page = priorities.page(session, access=access)
    template = (
        "convergence/staff_priorities.html"
        if access.is_staff
        else "convergence/phone_priorities.html"
    )
    return render(
        request,
        template,
        {
            "event": access.event,
            "access": access,
            "user": access.user,
            "priorities": page.priorities,
            "top": page.top,
            "mine": page.mine,
            "dots_left": page.dots_left,
            "voting": page.voting,
            "acting": page.acting,
            "phase_label": page.phase_label,
            "phone_nav": navigation.load(session, event=access.event),
            "nav_current": "priorities",
            "message": message,
            "form": form or {},
            "errors": errors or {},
            "error_proposal": error_proposal,
            "new_key": lambda: secrets.token_urlsafe(12),
        },
        status_code=status,
    )


def _priorities_refused(
    request: Request, session: SessionDep, access: EventAccess, error: Conflict
) -> Response:
    """The priorities page again (409), saying why the dot or commitment was refused."""
    session.rollback()
    return _priorities_page(request, session, access, message=error.message, status=409)


@router.get("/e/{slug}/priorities")
def priorities_page(request: Request, session: SessionDep, access: AccessDep) -> Response:
    return _priorities_page(request, session, access)


def _dot(
    request: Request,
    session: SessionDep,
    access: EventAccess,
    proposal_id: int,
    key: str,
    *,
    add: bool,
) -> Response:
    action = priorities.cast if add else priorities.retract
    try:
        result = action(session, access=access, proposal_id=proposal_id, key=key or None)
    except Conflict as error:
        return _priorities_refused(request, session, access, error)
    if result.replayed:
        unchanged(request)  # a retry of a dot already counted
    return RedirectResponse(
        f"/e/{access.event.slug}/priorities#proposal-{proposal_id}", status_code=303
    )


@router.post("/e/{slug}/proposals/{proposal_id}/vote")
def vote_proposal(
    request: Request,
    session: SessionDep,
    access: AccessDep,
    proposal_id: int,
    key: Annotated[str, Form()] = "",
    idempotency_key: Annotated[str | None, Header()] = None,
) -> Response:
    return _dot(request, session, access, proposal_id, idempotency_key or key, add=True)


@router.post("/e/{slug}/proposals/{proposal_id}/unvote")
def unvote_proposal(
    request: Request,
    session: SessionDep,
    access: AccessDep,
    proposal_id: int,
    key: Annotated[str, Form()] = "",
    idempotency_key: Annotated[str | None, Header()] = None,
) -> Response:
    return _dot(request, session, access, proposal_id, idempotency_key or key, add=False)


@router.post("/e/{slug}/proposals/{proposal_id}/commit")
def commit(
    request: Request,
    session: SessionDep,
    access: AccessDep,
    proposal_id: int,
    who: Annotated[str, Form()] = "",
    action: Annotated[str, Form()] = "",
    by_when: Annotated[str, Form()] = "",
) -> Response:
    try:
        priorities.commit(
            session,
            access=access,
            proposal_id=proposal_id,
            who=who,
            action=action,
            by_when=by_when,
        )
    except Invalid as error:
        session.rollback()
        return _priorities_page(
            request, session, access,
            form={"who": who, "action": action, "by_when": by_when},
            errors=error.errors, error_proposal=proposal_id, status=422,
        )  # fmt: skip
    except Conflict as error:
        return _priorities_refused(request, session, access, error)
    return _priorities_back(access, proposal_id)


def _priorities_back(access: EventAccess, proposal_id: int) -> RedirectResponse:
    where = (
        f"/o/{access.event.slug}/priorities"
        if access.is_staff
        else (f"/e/{access.event.slug}/priorities")
    )
    return RedirectResponse(f"{where}#proposal-{proposal_id}", status_code=303)


@router.post("/e/{slug}/commitments/{commitment_id}/withdraw")
def withdraw_commitment(session: SessionDep, access: AccessDep, commitment_id: int) -> Response:
    proposal_id = priorities.withdraw_commitment(
        session, access=access, commitment_id=commitment_id
    )
    return _priorities_back(access, proposal_id)


# --- the facilitator: presentation and priorities ----------------------------------------


@router.get("/o/{slug}/priorities")
def staff_priorities(request: Request, session: SessionDep, access: AccessDep) -> Response:
    access.require_staff()
    return _priorities_page(request, session, access)


def _closing_page(
    request: Request, session: SessionDep, access: EventAccess, *, status: int = 200
) -> Response:
    access.require_staff()
    slides = closing.slides(session, event_id=access.event_id)
    state = closing.closing_state(session, event_id=access.event_id)
    return render(
        request,
        "convergence/closing.html",
        {
            "event": access.event,
            "access": access,
            "user": access.user,
            "slides": slides,
            "current": closing.current_index(state, len(slides)),
            "state": state,
            "auto_choices": closing.AUTO_CHOICES,
        },
        status_code=status,
    )


@router.get("/o/{slug}/closing")
def closing_page(request: Request, session: SessionDep, access: AccessDep) -> Response:
    return _closing_page(request, session, access)


def _slide_count(session: SessionDep, access: EventAccess) -> int:
    access.require_staff()
    return len(closing.slides(session, event_id=access.event_id))


def _closing_back(access: EventAccess) -> RedirectResponse:
    return RedirectResponse(f"/o/{access.event.slug}/closing", status_code=303)


@router.post("/o/{slug}/closing/next")
def closing_next(session: SessionDep, access: AccessDep) -> Response:
    closing.move(session, access=access, step=1, count=_slide_count(session, access))
    return _closing_back(access)


@router.post("/o/{slug}/closing/previous")
def closing_previous(session: SessionDep, access: AccessDep) -> Response:
    closing.move(session, access=access, step=-1, count=_slide_count(session, access))
    return _closing_back(access)


@router.post("/o/{slug}/closing/show")
def closing_show(
    session: SessionDep, access: AccessDep, index: Annotated[str, Form()] = ""
) -> Response:
    count = _slide_count(session, access)
    number = parse_int(index, field="index")
    closing.show(session, access=access, index=number, count=count)
    return _closing_back(access)


@router.post("/o/{slug}/closing/auto")
def closing_auto(
    session: SessionDep,
    access: AccessDep,
    auto_seconds: Annotated[str, Form()] = "",
) -> Response:
    count = _slide_count(session, access)
    seconds = parse_int(auto_seconds, field="auto_seconds")
    closing.set_auto(session, access=access, seconds=seconds, count=count)
    return _closing_back(access)
