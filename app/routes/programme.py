"""An event's programme for organisers (laptop): its rooms, its days and their time blocks."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import Response

from app.db import SessionDep
from app.deps import AccessDep, SettingsDep, verify_csrf
from app.errors import Conflict, Invalid
from app.forms import parse_date, parse_int, parse_time
from app.models.events import (
    BLOCK_KIND_LABELS,
    RoomCreate,
    RoomUpdate,
    TimeBlock,
    TimeBlockCreate,
)
from app.pages import staff, staff_back, staff_context
from app.realtime.notify import EventRoute
from app.services.access import EventAccess
from app.services.events import programme
from app.templating import render

router = APIRouter(prefix="/o", dependencies=[Depends(verify_csrf)], route_class=EventRoute)


# --- rooms -------------------------------------------------------------------------------


def _rooms_page(
    request: Request,
    session: SessionDep,
    access: EventAccess,
    *,
    errors: dict[str, str] | None = None,
    form: dict[str, str] | None = None,
    room_errors: dict[int, dict[str, str]] | None = None,
    status: int = 200,
) -> Response:
    return render(
        request,
        "programme/rooms.html",
        {
            **staff_context(access),
            "rooms": programme.rooms(session, event_id=access.event_id),
            "errors": errors or {},
            "form": form or {"name": "", "capacity": "20", "notes": ""},
            "room_errors": room_errors or {},
        },
        status_code=status,
    )


@router.get("/{slug}/rooms")
def rooms_page(request: Request, session: SessionDep, access: AccessDep) -> Response:
    return _rooms_page(request, session, staff(access))


@router.post("/{slug}/rooms")
def add_room(
    request: Request,
    session: SessionDep,
    access: AccessDep,
    name: Annotated[str, Form()] = "",
    capacity: Annotated[str, Form()] = "",
    notes: Annotated[str, Form()] = "",
) -> Response:
    try:
        # Not validated here: the service checks every field and words the messages.
        data = RoomCreate.model_construct(
            name=name, capacity=parse_int(capacity, field="capacity"), notes=notes
        )
        programme.add_room(session, access=access, data=data)
    except Invalid as error:
        form = {"name": name, "capacity": capacity, "notes": notes}
        return _rooms_page(request, session, access, errors=error.errors, form=form, status=422)
    return staff_back(access, "/rooms")


@router.post("/{slug}/rooms/{room_id}")
def update_room(
    request: Request,
    session: SessionDep,
    access: AccessDep,
    room_id: int,
    name: Annotated[str, Form()] = "",
    capacity: Annotated[str, Form()] = "",
    notes: Annotated[str, Form()] = "",
) -> Response:
    try:
        data = RoomUpdate(name=name, capacity=parse_int(capacity, field="capacity"), notes=notes)
        programme.update_room(session, access=access, room_id=room_id, data=data)
    except Invalid as error:
        session.rollback()
        return _rooms_page(
            request, session, access, room_errors={room_id: error.errors}, status=422
        )
    return staff_back(access, "/rooms")


@router.post("/{slug}/rooms/{room_id}/move")
def move_room(
    session: SessionDep, access: AccessDep, room_id: int, offset: Annotated[int, Form()] = 0
) -> Response:
    programme.move_room(session, access=access, room_id=room_id, offset=max(-1, min(1, offset)))
    return staff_back(access, "/rooms")


@router.post("/{slug}/rooms/{room_id}/delete")
def delete_room(session: SessionDep, access: AccessDep, room_id: int) -> Response:
    programme.delete_room(session, access=access, room_id=room_id)
    return staff_back(access, "/rooms")


# --- days and time blocks ----------------------------------------------------------------


def _programme_page(
    request: Request,
    session: SessionDep,
    access: EventAccess,
    *,
    errors: dict[str, str] | None = None,
    error_day: int | None = None,
    error_block: int | None = None,
    form: dict[str, str] | None = None,
    status: int = 200,
) -> Response:
    return render(
        request,
        "programme/days.html",
        {
            **staff_context(access),
            "days": programme.programme(session, event_id=access.event_id),
            "kind_labels": BLOCK_KIND_LABELS,
            "errors": errors or {},
            "error_day": error_day,
            "error_block": error_block,
            "form": form or {},
        },
        status_code=status,
    )


@router.get("/{slug}/programme")
def programme_page(request: Request, session: SessionDep, access: AccessDep) -> Response:
    return _programme_page(request, session, staff(access))


@router.post("/{slug}/days")
def add_day(
    request: Request,
    session: SessionDep,
    access: AccessDep,
    date: Annotated[str, Form()] = "",
    title: Annotated[str, Form()] = "",
) -> Response:
    try:
        programme.add_day(session, access=access, date=parse_date(date, field="date"), title=title)
    except Invalid as error:
        return _programme_page(
            request,
            session,
            access,
            errors=error.errors,
            form={"date": date, "title": title},
            status=422,
        )
    return staff_back(access, "/programme")


@router.post("/{slug}/days/{day_id}")
def rename_day(
    request: Request,
    session: SessionDep,
    access: AccessDep,
    day_id: int,
    day_title: Annotated[str, Form()] = "",
) -> Response:
    try:
        programme.rename_day(session, access=access, day_id=day_id, title=day_title)
    except Invalid as error:
        session.rollback()
        return _programme_page(
            request,
            session,
            access,
            errors=error.errors,
            error_day=day_id,
            form={"day_title": day_title},
            status=422,
        )
    return staff_back(access, f"/programme#day-{day_id}")


@router.post("/{slug}/days/{day_id}/delete")
def delete_day(request: Request, session: SessionDep, access: AccessDep, day_id: int) -> Response:
    try:
        programme.delete_day(session, access=access, day_id=day_id)
    except Conflict as error:
        session.rollback()
        errors = {"delete_day": error.message}
        return _programme_page(
            request, session, access, errors=errors, error_day=day_id, status=409
        )
    return staff_back(access, "/programme")


def _block_data(
    kind: str, starts_at: str, ends_at: str, title: str, presenter: str
) -> TimeBlockCreate:
    errors: dict[str, str] = {}
    times = {}
    for field, raw in (("starts_at", starts_at), ("ends_at", ends_at)):
        try:
            times[field] = parse_time(raw, field=field)
        except Invalid as error:
            errors.update(error.errors)
    if errors:
        raise Invalid(errors)
    # Not validated here: the service checks every field and words the messages.
    return TimeBlockCreate.model_construct(
        kind=kind,
        starts_at=times["starts_at"],
        ends_at=times["ends_at"],
        title=title,
        presenter=presenter,
    )


@router.post("/{slug}/days/{day_id}/blocks")
def add_block(
    request: Request,
    session: SessionDep,
    access: AccessDep,
    day_id: int,
    kind: Annotated[str, Form()] = "slot",
    starts_at: Annotated[str, Form()] = "",
    ends_at: Annotated[str, Form()] = "",
    title: Annotated[str, Form()] = "",
    presenter: Annotated[str, Form()] = "",
) -> Response:
    try:
        data = _block_data(kind, starts_at, ends_at, title, presenter)
        programme.add_block(session, access=access, day_id=day_id, data=data)
    except Invalid as error:
        form = {
            "kind": kind,
            "starts_at": starts_at,
            "ends_at": ends_at,
            "title": title,
            "presenter": presenter,
        }
        return _programme_page(
            request, session, access, errors=error.errors, error_day=day_id, form=form, status=422
        )
    return staff_back(access, "/programme")


def _block_form(
    kind: str, starts_at: str, ends_at: str, title: str, presenter: str
) -> dict[str, str]:
    return {
        "kind": kind,
        "starts_at": starts_at,
        "ends_at": ends_at,
        "title": title,
        "presenter": presenter,
    }


def _block_page(
    request: Request,
    access: EventAccess,
    block: TimeBlock,
    *,
    form: dict[str, str],
    errors: dict[str, str] | None = None,
    status: int = 200,
) -> Response:
    return render(
        request,
        "programme/block_edit.html",
        {
            **staff_context(access),
            "block": block,
            "kind_labels": BLOCK_KIND_LABELS,
            "form": form,
            "errors": errors or {},
        },
        status_code=status,
    )


@router.get("/{slug}/blocks/{block_id}/edit")
def edit_block_page(
    request: Request, session: SessionDep, access: AccessDep, block_id: int
) -> Response:
    block = programme.block(session, access=access, block_id=block_id)
    form = _block_form(
        block.kind,
        block.starts_at.strftime("%H:%M"),
        block.ends_at.strftime("%H:%M"),
        block.title,
        block.presenter,
    )
    return _block_page(request, access, block, form=form)


@router.post("/{slug}/blocks/{block_id}")
def update_block(
    request: Request,
    session: SessionDep,
    access: AccessDep,
    block_id: int,
    kind: Annotated[str, Form()] = "slot",
    starts_at: Annotated[str, Form()] = "",
    ends_at: Annotated[str, Form()] = "",
    title: Annotated[str, Form()] = "",
    presenter: Annotated[str, Form()] = "",
) -> Response:
    block = programme.block(session, access=access, block_id=block_id)
    try:
        data = _block_data(kind, starts_at, ends_at, title, presenter)
        programme.update_block(session, access=access, block_id=block_id, data=data)
    except Invalid as error:
        session.rollback()
        form = _block_form(kind, starts_at, ends_at, title, presenter)
        return _block_page(request, access, block, form=form, errors=error.errors, status=422)
    return staff_back(access, f"/programme#block-{block_id}")


@router.post("/{slug}/blocks/{block_id}/delete")
def delete_block(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    access: AccessDep,
    block_id: int,
    with_notes: Annotated[str, Form()] = "",
) -> Response:
    """A plenary item with notes is deleted only once asked: the page says so next to the
    item, with a button that deletes it with its notes."""
    try:
        programme.delete_block(
            session,
            access=access,
            block_id=block_id,
            upload_dir=settings.uploads_path,
            with_notes=with_notes == "yes",
        )
    except Conflict as error:
        session.rollback()
        errors = {"delete_block": error.message}
        return _programme_page(
            request, session, access, errors=errors, error_block=block_id, status=409
        )
    return staff_back(access, "/programme")
