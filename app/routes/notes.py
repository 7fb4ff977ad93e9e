"""Session notes and flipchart photos.

Participants and staff read and write notes at ``/e/<event>/sessions/<topic>/notes``, and a
plenary item's at ``/e/<event>/plenaries/<block>/notes`` (the same handlers, for another
``Subject``); the board sees the photos by its link's cookie. What the notes lead to
(priorities, commitments, the closing circle) is app/routes/convergence.py.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, File, Form, Request, UploadFile
from fastapi.responses import FileResponse, JSONResponse, RedirectResponse, Response

from app.db import SessionDep
from app.deps import AccessDep, SettingsDep, get_visitor_access, verify_csrf
from app.errors import Conflict, DomainError, Invalid, NotFound, PermissionDenied, RateLimited
from app.i18n import _
from app.models.base import MAX_ID
from app.models.events import Role
from app.realtime.notify import EventRoute, unchanged
from app.security import token_hash
from app.services import navigation
from app.services.access import EventAccess, board_signature_ok, live_path
from app.services.notes import editing, items, photos, reading
from app.services.notes.shared import Subject
from app.services.schedule import agenda
from app.templating import render
from app.web import BOARD_COOKIE

router = APIRouter(dependencies=[Depends(verify_csrf)], route_class=EventRoute)


def _base_url(access: EventAccess, subject: Subject) -> str:
    """The address the subject's notes, photos, proposals and steps hang off."""
    if subject.block_id is not None:
        return f"/e/{access.event.slug}/plenaries/{subject.block_id}"
    return f"/e/{access.event.slug}/sessions/{subject.topic_id}"


def _back(access: EventAccess, about: int | Subject, anchor: str = "") -> RedirectResponse:
    """Back to the notes of a session (its topic id) or of a subject."""
    subject = about if isinstance(about, Subject) else Subject(topic_id=about)
    return RedirectResponse(f"{_base_url(access, subject)}/notes{anchor}", status_code=303)


def _live_url(request: Request, access: EventAccess) -> str:
    audience = "staff" if access.is_staff else "phones"
    return live_path(access=access, audience=audience, secret=request.app.state.settings.secret)


def _read(session: SessionDep, access: EventAccess, subject: Subject) -> reading.NotesPage:
    if subject.block_id is not None:
        return reading.plenary_page(session, access=access, block_id=subject.block_id)
    assert subject.topic_id is not None
    return reading.page(session, access=access, topic_id=subject.topic_id)


def _page(
    request: Request,
    session: SessionDep,
    access: EventAccess,
    about: int | Subject,
    *,
    form: dict[str, str] | None = None,
    errors: dict[str, str] | None = None,
    status: int = 200,
) -> Response:
    """The notes page of a session (its topic id) or of a subject."""
    subject = about if isinstance(about, Subject) else Subject(topic_id=about)
    page = _read(session, access, subject)
    return render(
        request,
        "notes/page.html",
        {
            **_page_context(access, page),
            "form": {**page.values, **(form or {})},
            "errors": errors or {},
            "live_sync": request.app.state.hub.current(access.event_id),
            "live_url": _live_url(request, access),
            "notes_live": reading.live_json(session, event_id=access.event_id),
            "phone_nav": navigation.load(session, event=access.event),
            "nav_current": "notes",
        },
        status_code=status,
    )


def _notes_refused(
    request: Request,
    session: SessionDep,
    access: EventAccess,
    about: int | Subject,
    error: Invalid,
    form: dict[str, str],
) -> Response:
    """The notes page again (422), with what was typed and why it was refused."""
    session.rollback()
    return _page(request, session, access, about, form=form, errors=error.errors, status=422)


def _page_context(access: EventAccess, page: reading.NotesPage) -> dict[str, Any]:
    return {
        "event": access.event,
        "access": access,
        "page": page,
        "base": _base_url(access, page.subject),
        "zone": agenda.zone(access.event),
        "may_delete_photo": {photo.id: photos.may_delete(access, photo) for photo in page.photos},
    }


# --- the notes ---------------------------------------------------------------------------


@router.get("/e/{slug}/notes")
def sessions_index(request: Request, session: SessionDep, access: AccessDep) -> Response:
    """Every plenary item and every session of the published agenda, in programme order, with
    a link to its notes."""
    access.require(Role.PARTICIPANT, Role.ORGANISER, Role.FACILITATOR)
    plan = agenda.load_published(session, event=access.event)
    return render(
        request,
        "notes/index.html",
        {
            "event": access.event,
            "plan": plan,
            "entries": reading.index_entries(plan),
            "with_notes": reading.with_notes(session, event_id=access.event_id),
            "phone_nav": navigation.load(session, event=access.event),
            "nav_current": "notes",
        },
    )


@router.get("/e/{slug}/sessions/{topic_id}/notes")
def notes_page(request: Request, session: SessionDep, access: AccessDep, topic_id: int) -> Response:
    return _page(request, session, access, topic_id)


@router.get("/e/{slug}/plenaries/{block_id}/notes")
def plenary_notes_page(
    request: Request, session: SessionDep, access: AccessDep, block_id: int
) -> Response:
    return _page(request, session, access, Subject(block_id=block_id))


def _fresh(
    request: Request, session: SessionDep, access: EventAccess, subject: Subject
) -> Response:
    """The page's changing regions (out of band), fetched when the live frame says the notes
    have a new revision; text fields that someone is typing in are left alone by notes.js."""
    page = _read(session, access, subject)
    return render(request, "partials/notes/fresh.html", _page_context(access, page))


@router.get("/e/{slug}/sessions/{topic_id}/notes/fresh")
def notes_fresh(
    request: Request, session: SessionDep, access: AccessDep, topic_id: int
) -> Response:
    return _fresh(request, session, access, Subject(topic_id=topic_id))


@router.get("/e/{slug}/plenaries/{block_id}/notes/fresh")
def plenary_notes_fresh(
    request: Request, session: SessionDep, access: AccessDep, block_id: int
) -> Response:
    return _fresh(request, session, access, Subject(block_id=block_id))


def _wants_json(request: Request) -> bool:
    return "application/json" in request.headers.get("accept", "")


Text = Annotated[str | None, Form()]


def _save(
    request: Request,
    session: SessionDep,
    access: EventAccess,
    subject: Subject,
    base_revision: str,
    sent: dict[str, str | None],
) -> Response:
    # The fields sent are the ones saved: autosave sends one, the plain form sends all.
    changes = {name: value for name, value in sent.items() if value is not None}
    try:
        base = int(base_revision) if base_revision.isascii() and base_revision.isdigit() else -1
        if not 0 <= base <= MAX_ID:
            raise Invalid(
                {"base_revision": _("This page is out of date. Reload it and try again.")}
            )
        result = editing.save(
            session, access=access, **subject.values, base_revision=base, changes=changes
        )
    except Invalid as error:
        session.rollback()
        if _wants_json(request):
            return JSONResponse({"errors": error.errors}, status_code=422)
        return _page(
            request, session, access, subject, form=changes, errors=error.errors, status=422
        )
    except RateLimited as error:
        # Nothing was saved, and nothing is dropped: the phone keeps its draft and sends it
        # again after the wait; the plain form comes back with what was typed in it.
        session.rollback()
        wait = editing.save_wait()
        if _wants_json(request):
            return JSONResponse(
                {"message": error.message, "retry_after": wait},
                status_code=429,
                headers={"Retry-After": str(wait)},
            )
        page = _page(
            request, session, access, subject, form=changes,
            errors={"base_revision": error.message}, status=429,
        )  # fmt: skip
        page.headers["Retry-After"] = str(wait)
        return page
    except Conflict as error:
        session.rollback()
        if _wants_json(request):
            return JSONResponse({"reload": True, "message": error.message}, status_code=409)
        raise
    if _wants_json(request):
        return JSONResponse(
            {
                "revision": result.revision,
                "values": {name: result.values[name] for name in changes if name in result.values},
                "applied": result.applied,
                "merged": result.merged,
                "conflicts": result.conflicts,
            }
        )
    anchor = f"#notes-conflicts-{result.conflicts[0]}" if result.conflicts else "#notes-form"
    return _back(access, subject, anchor)


@router.post("/e/{slug}/sessions/{topic_id}/notes")
def save_notes(
    request: Request,
    session: SessionDep,
    access: AccessDep,
    topic_id: int,
    base_revision: Annotated[str, Form()] = "",
    title: Text = None,
    conveners: Text = None,
    outcome: Text = None,
    discussion: Text = None,
    ideas: Text = None,
    recommendations: Text = None,
    questions: Text = None,
    participant_count: Text = None,
) -> Response:
    sent = {
        "title": title,
        "conveners": conveners,
        "outcome": outcome,
        "discussion": discussion,
        "ideas": ideas,
        "recommendations": recommendations,
        "questions": questions,
        "participant_count": participant_count,
    }
    return _save(request, session, access, Subject(topic_id=topic_id), base_revision, sent)


@router.post("/e/{slug}/plenaries/{block_id}/notes")
def save_plenary_notes(
    request: Request,
    session: SessionDep,
    access: AccessDep,
    block_id: int,
    base_revision: Annotated[str, Form()] = "",
    outcome: Text = None,
    discussion: Text = None,
    ideas: Text = None,
    recommendations: Text = None,
    questions: Text = None,
) -> Response:
    sent = {
        "outcome": outcome,
        "discussion": discussion,
        "ideas": ideas,
        "recommendations": recommendations,
        "questions": questions,
    }
    return _save(request, session, access, Subject(block_id=block_id), base_revision, sent)


def _presence(
    request: Request, session: SessionDep, access: EventAccess, subject: Subject, field: str
) -> Response:
    if not editing.heartbeat(session, access=access, **subject.values, field=field[:30]):
        unchanged(request)  # the same people in the same fields: nothing to redraw
    return Response(status_code=204)


@router.post("/e/{slug}/sessions/{topic_id}/notes/presence")
def presence(
    request: Request,
    session: SessionDep,
    access: AccessDep,
    topic_id: int,
    field: Annotated[str, Form()] = "",
) -> Response:
    return _presence(request, session, access, Subject(topic_id=topic_id), field)


@router.post("/e/{slug}/plenaries/{block_id}/notes/presence")
def plenary_presence(
    request: Request,
    session: SessionDep,
    access: AccessDep,
    block_id: int,
    field: Annotated[str, Form()] = "",
) -> Response:
    return _presence(request, session, access, Subject(block_id=block_id), field)


def _leave(
    request: Request, session: SessionDep, access: EventAccess, subject: Subject
) -> Response:
    if not editing.leave(session, access=access, **subject.values):
        unchanged(request)
    return Response(status_code=204)


@router.post("/e/{slug}/sessions/{topic_id}/notes/leave")
def leave(request: Request, session: SessionDep, access: AccessDep, topic_id: int) -> Response:
    return _leave(request, session, access, Subject(topic_id=topic_id))


@router.post("/e/{slug}/plenaries/{block_id}/notes/leave")
def plenary_leave(
    request: Request, session: SessionDep, access: AccessDep, block_id: int
) -> Response:
    return _leave(request, session, access, Subject(block_id=block_id))


@router.post("/e/{slug}/notes/conflicts/{conflict_id}/done")
def conflict_done(
    request: Request, session: SessionDep, access: AccessDep, conflict_id: int
) -> Response:
    """The box leaves: htmx gets the fresh regions (the other pages hear it from the live
    frame); a plain form goes back to the field."""
    subject = editing.subject_of_conflict(session, access=access, conflict_id=conflict_id)
    conflict = editing.resolve_conflict(session, access=access, conflict_id=conflict_id)
    if request.headers.get("hx-request") == "true":
        return _fresh(request, session, access, subject)
    return _back(access, subject, f"#notes-{conflict.field}")


# --- proposals and next steps ------------------------------------------------------------


@router.post("/e/{slug}/sessions/{topic_id}/proposals")
def add_proposal(
    request: Request,
    session: SessionDep,
    access: AccessDep,
    topic_id: int,
    proposal: Annotated[str, Form()] = "",
) -> Response:
    try:
        items.add_proposal(session, access=access, topic_id=topic_id, text=proposal)
    except Invalid as error:
        return _notes_refused(request, session, access, topic_id, error, {"proposal": proposal})
    _touch_revision(session, access, topic_id)
    return _back(access, topic_id, "#notes-proposals")


def _row_refused(
    request: Request,
    session: SessionDep,
    access: EventAccess,
    topic_id: int,
    error: DomainError,
    where: str,
) -> Response:
    """The notes page again, saying next to the list (``where``) why a delete or restore was
    refused; nothing changed."""
    session.rollback()
    return _page(
        request, session, access, topic_id, errors={where: error.message},
        status=error.status_code,
    )  # fmt: skip


@router.post("/e/{slug}/proposals/{proposal_id}/delete")
def delete_proposal(
    request: Request, session: SessionDep, access: AccessDep, proposal_id: int
) -> Response:
    try:
        proposal = items.delete_proposal(session, access=access, proposal_id=proposal_id)
    except (PermissionDenied, Conflict) as error:
        topic_id = items.topic_of_proposal(session, access=access, proposal_id=proposal_id)
        return _row_refused(request, session, access, topic_id, error, "proposals")
    _touch_revision(session, access, proposal.topic_id)
    return _back(access, proposal.topic_id, "#notes-proposals")


@router.post("/e/{slug}/proposals/{proposal_id}/restore")
def restore_proposal(
    request: Request, session: SessionDep, access: AccessDep, proposal_id: int
) -> Response:
    try:
        proposal = items.restore_proposal(session, access=access, proposal_id=proposal_id)
    except PermissionDenied as error:
        topic_id = items.topic_of_proposal(session, access=access, proposal_id=proposal_id)
        return _row_refused(request, session, access, topic_id, error, "history")
    _touch_revision(session, access, proposal.topic_id)
    return _back(access, proposal.topic_id, "#notes-proposals")


@router.post("/e/{slug}/sessions/{topic_id}/steps")
def add_step(
    request: Request,
    session: SessionDep,
    access: AccessDep,
    topic_id: int,
    action: Annotated[str, Form()] = "",
    who: Annotated[str, Form()] = "",
    by_when: Annotated[str, Form()] = "",
) -> Response:
    try:
        items.add_step(
            session, access=access, topic_id=topic_id, action=action, who=who, by_when=by_when
        )
    except Invalid as error:
        form = {"action": action, "who": who, "by_when": by_when}
        return _notes_refused(request, session, access, topic_id, error, form)
    _touch_revision(session, access, topic_id)
    return _back(access, topic_id, "#notes-steps")


@router.post("/e/{slug}/steps/{step_id}/delete")
def delete_step(request: Request, session: SessionDep, access: AccessDep, step_id: int) -> Response:
    try:
        step = items.delete_step(session, access=access, step_id=step_id)
    except PermissionDenied as error:
        topic_id = items.topic_of_step(session, access=access, step_id=step_id)
        return _row_refused(request, session, access, topic_id, error, "steps")
    _touch_revision(session, access, step.topic_id)
    return _back(access, step.topic_id, "#notes-steps")


@router.post("/e/{slug}/steps/{step_id}/restore")
def restore_step(
    request: Request, session: SessionDep, access: AccessDep, step_id: int
) -> Response:
    try:
        step = items.restore_step(session, access=access, step_id=step_id)
    except PermissionDenied as error:
        topic_id = items.topic_of_step(session, access=access, step_id=step_id)
        return _row_refused(request, session, access, topic_id, error, "history")
    _touch_revision(session, access, step.topic_id)
    return _back(access, step.topic_id, "#notes-steps")


def _touch_revision(session: SessionDep, access: EventAccess, about: int | Subject) -> None:
    """Rows beside the text (proposals, steps, photos) changed: a new revision of the notes
    tells the screens showing them to fetch the fresh regions."""
    subject = about if isinstance(about, Subject) else Subject(topic_id=about)
    editing.bump(session, access=access, **subject.values)


# --- photos ------------------------------------------------------------------------------


def _upload(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    access: EventAccess,
    subject: Subject,
    photo: UploadFile | None,
    caption: str,
) -> Response:
    # Read at most one byte past the limit: the size check needs no more.
    data = photo.file.read(photos.MAX_BYTES + 1) if photo is not None else b""
    try:
        photos.add(
            session,
            access=access,
            **subject.values,
            data=data,
            caption=caption,
            upload_dir=settings.uploads_path,
            browser_key=token_hash(request.state.sid),
        )
    except Invalid as error:
        return _notes_refused(request, session, access, subject, error, {"caption": caption})
    except RateLimited as error:
        session.rollback()
        errors = {error.field or "photo": error.message}
        form = {"caption": caption}
        return _page(request, session, access, subject, form=form, errors=errors, status=429)
    _touch_revision(session, access, subject)
    return _back(access, subject, "#notes-photos")


Upload = Annotated[UploadFile | None, File()]


@router.post("/e/{slug}/sessions/{topic_id}/photos")
def upload_photo(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    access: AccessDep,
    topic_id: int,
    photo: Upload = None,
    caption: Annotated[str, Form()] = "",
) -> Response:
    subject = Subject(topic_id=topic_id)
    return _upload(request, session, settings, access, subject, photo, caption)


@router.post("/e/{slug}/plenaries/{block_id}/photos")
def upload_plenary_photo(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    access: AccessDep,
    block_id: int,
    photo: Upload = None,
    caption: Annotated[str, Form()] = "",
) -> Response:
    subject = Subject(block_id=block_id)
    return _upload(request, session, settings, access, subject, photo, caption)


@router.post("/e/{slug}/photos/{photo_id}/delete")
def delete_photo(
    session: SessionDep, settings: SettingsDep, access: AccessDep, photo_id: int
) -> Response:
    photo = photos.delete(
        session, access=access, photo_id=photo_id, upload_dir=settings.uploads_path
    )
    subject = Subject.of(photo)
    _touch_revision(session, access, subject)
    return _back(access, subject, "#notes-photos")


def viewer_access(request: Request, slug: str, session: SessionDep) -> EventAccess:
    """Who may see a photo: someone of the event, or the event's board (by its cookie)."""
    access = get_visitor_access(request, slug, session)
    if access.role is None:
        signature = request.cookies.get(BOARD_COOKIE.format(event_id=access.event_id))
        secret = request.app.state.settings.secret
        if signature and board_signature_ok(access.event, signature, secret):
            return EventAccess(event=access.event, role=Role.BOARD, user=access.user)
    return access  # an outsider: the photos service refuses them before it looks anything up


ViewerDep = Annotated[EventAccess, Depends(viewer_access)]


def _photo_file(
    session: SessionDep, settings: SettingsDep, access: EventAccess, photo_id: int, *, thumb: bool
) -> Response:
    photo = photos.viewable(session, access=access, photo_id=photo_id)
    path = photos.path_of(settings.uploads_path, photo, thumb=thumb)
    if not path.is_file():
        raise NotFound(_("This photo's file is missing."))
    return FileResponse(
        path,
        media_type="image/jpeg",
        headers={
            "Content-Disposition": "inline",
            "Cache-Control": "private, max-age=86400",
            "X-Content-Type-Options": "nosniff",
        },
    )


@router.get("/e/{slug}/photos/{photo_id}/full")
def photo_full(
    session: SessionDep, settings: SettingsDep, access: ViewerDep, photo_id: int
) -> Response:
    return _photo_file(session, settings, access, photo_id, thumb=False)


@router.get("/e/{slug}/photos/{photo_id}/thumb")
def photo_thumb(
    session: SessionDep, settings: SettingsDep, access: ViewerDep, photo_id: int
) -> Response:
    return _photo_file(session, settings, access, photo_id, thumb=True)
