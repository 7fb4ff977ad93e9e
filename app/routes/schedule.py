"""The facilitator's agenda grid: drag and drop (or select, then place), locks, blocked cells,
scheduling from votes, undo, publish. Every answer to htmx is the grid itself, as it is now."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import RedirectResponse, Response

from app.db import SessionDep
from app.deps import AccessDep, verify_csrf
from app.errors import DomainError, Invalid
from app.forms import parse_int
from app.i18n import _, ngettext
from app.models.base import MAX_ID
from app.models.topics import TITLE_MAX
from app.realtime.notify import EventRoute
from app.services.access import EventAccess
from app.services.schedule import drafting, grid, optimise, publishing
from app.services.schedule.agenda import Cell
from app.templating import render

router = APIRouter(
    prefix="/o/{slug}/grid", dependencies=[Depends(verify_csrf)], route_class=EventRoute
)


def _id(raw: str, *, field: str) -> int:
    number = parse_int(raw, field=field)
    if not 0 < number <= MAX_ID:
        raise Invalid({field: _("There is nothing with this number.")})
    return number


def _cell(block: str, room: str, *, field: str) -> Cell | None:
    if not block.strip() and not room.strip():
        return None
    return (_id(block, field=field), _id(room, field=field))


def _holder(raw: str) -> int | None:
    return _id(raw, field="holds") if raw.strip() else None


def grid_context(
    session: SessionDep,
    access: EventAccess,
    *,
    query: str = "",
    message: str = "",
    reasons: dict[int, str] | None = None,
    selected: int | None = None,
) -> dict[str, object]:
    """The grid page's data (drafting.page) and what this request adds: the search, the
    message and reasons of what was just done, the topic picked in the address."""
    page = drafting.page(session, access=access, query=query)
    return {
        "access": access,
        "event": access.event,
        "user": access.user,
        "draft": page.draft,
        "problems": page.problems,
        "waiting": page.waiting,
        "topic_conveners": page.topic_conveners,
        "query": query,
        "message": message,
        "reasons": reasons or {},
        "selected": selected,
        "version": page.version,
        "unpublished": page.unpublished,
        "revision": page.revision,
        "attendance": page.attendance,
        "all_started": page.all_started,
    }


def _answer(
    request: Request,
    session: SessionDep,
    access: EventAccess,
    *,
    message: str,
    status: int = 200,
    reasons: dict[int, str] | None = None,
) -> Response:
    """htmx gets the fresh grid with the message; a plain form post gets the page."""
    context = grid_context(session, access, message=message, reasons=reasons)
    if request.headers.get("hx-request") == "true":
        return render(
            request,
            "partials/schedule/grid.html",
            context,
            status_code=status,
            headers={"Vary": "HX-Request"},
        )
    if status == 200 and not reasons:
        return RedirectResponse(f"/o/{access.event.slug}/grid", status_code=303)
    return render(request, "schedule/grid.html", context, status_code=status)


def _failed(
    request: Request, session: SessionDep, access: EventAccess, error: DomainError
) -> Response:
    session.rollback()
    return _answer(request, session, access, message=error.message, status=error.status_code)


@router.get("")
def page(
    request: Request, session: SessionDep, access: AccessDep, q: str = "", topic: str = ""
) -> Response:
    selected = None
    if topic.strip():
        try:
            selected = _id(topic, field="topic")
        except Invalid:
            selected = None
    live_sync = request.app.state.hub.current(access.event_id)
    context = grid_context(session, access, query=q[:TITLE_MAX], selected=selected)
    return render(request, "schedule/grid.html", {**context, "live_sync": live_sync})


@router.get("/fragment")
def fragment(
    request: Request, session: SessionDep, access: AccessDep, q: str = "", changed: str = ""
) -> Response:
    """The grid alone: what another facilitator's screen fetches when this one changed."""
    message = _("Another facilitator changed the grid.") if changed else ""
    return render(
        request,
        "partials/schedule/grid.html",
        grid_context(session, access, query=q[:TITLE_MAX], message=message),
        headers={"Vary": "HX-Request"},
    )


@router.post("/move")
def move(
    request: Request,
    session: SessionDep,
    access: AccessDep,
    topic: Annotated[str, Form()] = "",
    from_block: Annotated[str, Form()] = "",
    from_room: Annotated[str, Form()] = "",
    to_block: Annotated[str, Form()] = "",
    to_room: Annotated[str, Form()] = "",
    holds: Annotated[str, Form()] = "",
) -> Response:
    try:
        grid.move(
            session,
            access=access,
            topic_id=_id(topic, field="topic"),
            expected=_cell(from_block, from_room, field="from"),
            target=_cell(to_block, to_room, field="to"),
            target_holds=_holder(holds),
        )
    except DomainError as error:
        return _failed(request, session, access, error)
    return _answer(request, session, access, message=_("Moved."))


@router.post("/lock")
def lock(
    request: Request,
    session: SessionDep,
    access: AccessDep,
    topic: Annotated[str, Form()] = "",
    locked: Annotated[bool, Form()] = False,
) -> Response:
    try:
        grid.set_locked(session, access=access, topic_id=_id(topic, field="topic"), locked=locked)
    except DomainError as error:
        return _failed(request, session, access, error)
    return _answer(request, session, access, message=_("Locked.") if locked else _("Unlocked."))


@router.post("/block")
def block(
    request: Request,
    session: SessionDep,
    access: AccessDep,
    block_id: Annotated[str, Form()] = "",
    room_id: Annotated[str, Form()] = "",
    blocked: Annotated[bool, Form()] = False,
) -> Response:
    try:
        grid.set_blocked(
            session,
            access=access,
            block_id=_id(block_id, field="cell"),
            room_id=_id(room_id, field="cell"),
            blocked=blocked,
        )
    except DomainError as error:
        return _failed(request, session, access, error)
    message = (
        _("The room is not available in this slot now.")
        if blocked
        else _("The room is available again.")
    )
    return _answer(request, session, access, message=message)


@router.post("/undo")
def undo(request: Request, session: SessionDep, access: AccessDep) -> Response:
    try:
        grid.undo(session, access=access)
    except DomainError as error:
        return _failed(request, session, access, error)
    return _answer(request, session, access, message=_("Undone."))


def _schedule(
    request: Request,
    session: SessionDep,
    access: EventAccess,
    mode: optimise.Mode,
    *,
    include_started: bool = False,
) -> Response:
    try:
        plan = optimise.prepare(session, access=access, mode=mode, include_started=include_started)
        session.commit()  # no transaction (and no SQLite write lock) while the scheduler thinks
        optimise.solve(plan)
        optimise.apply(session, access=access, plan=plan)
    except DomainError as error:
        return _failed(request, session, access, error)
    result = plan.result
    assert result is not None
    count = len(result.assignments)
    placed = ngettext("%(num)d session placed", "%(num)d sessions placed", count) % {"num": count}
    message = _("%(placed)s: %(votes)d attendable votes, %(moves)d moved.") % {
        "placed": placed,
        "votes": result.attendable_votes,
        "moves": result.moves,
    }
    return _answer(request, session, access, message=message, reasons=plan.reasons or None)


@router.post("/fill")
def fill(request: Request, session: SessionDep, access: AccessDep) -> Response:
    return _schedule(request, session, access, "fill")


@router.post("/fill-all")
def fill_all(request: Request, session: SessionDep, access: AccessDep) -> Response:
    """Fill from votes, slots that have started included: a rehearsal, a late start, an event
    entered afterwards."""
    return _schedule(request, session, access, "fill", include_started=True)


@router.post("/reoptimise")
def reoptimise(request: Request, session: SessionDep, access: AccessDep) -> Response:
    return _schedule(request, session, access, "reoptimise")


@router.post("/publish")
def publish(request: Request, session: SessionDep, access: AccessDep) -> Response:
    try:
        version = publishing.publish(session, access=access)
    except DomainError as error:
        return _failed(request, session, access, error)
    return _answer(
        request,
        session,
        access,
        message=_("Published as version %(number)d.") % {"number": version.number},
    )


@router.post("/freeze")
def freeze(
    request: Request,
    session: SessionDep,
    access: AccessDep,
    freeze_minutes: Annotated[str, Form()] = "",
) -> Response:
    try:
        grid.set_freeze_minutes(
            session, access=access, minutes=parse_int(freeze_minutes, field="freeze_minutes")
        )
    except DomainError as error:
        return _failed(request, session, access, error)
    return _answer(request, session, access, message=_("Saved."))
