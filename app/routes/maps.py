"""The mapping workshop: facilitators' map pages (laptop) and the participants' map (phones)."""

from __future__ import annotations

import re
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import RedirectResponse, Response

from app.db import SessionDep
from app.deps import AccessDep, verify_csrf
from app.errors import Invalid
from app.i18n import _
from app.models.base import MAX_ID
from app.models.events import Role
from app.models.maps import MAP_LAYOUT_LABELS
from app.realtime.notify import EventRoute
from app.services import navigation
from app.services.access import EventAccess, live_path
from app.services.maps import cards, clustering, colours, export, lookups, setup, views
from app.templating import render

router = APIRouter(dependencies=[Depends(verify_csrf)], route_class=EventRoute)

_DIGITS = re.compile(r"^\d{1,12}$")


def _id(raw: str) -> int | None:
    """An id chosen in a form (a select or a radio): anything else is "nothing chosen", and
    the service words the message for its field."""
    raw = raw.strip()
    number = int(raw) if _DIGITS.fullmatch(raw) else None
    return number if number is not None and 0 < number <= MAX_ID else None


def _map_form(question: str, uses_places: bool, uses_org_type: bool) -> dict[str, str]:
    """A map's settings as typed, for the form shown again."""
    return {
        "question": question,
        "uses_places": "true" if uses_places else "",
        "uses_org_type": "true" if uses_org_type else "",
    }


def _card_form(text: str, category: str, place: str) -> dict[str, str]:
    return {"text": text, "category": category, "place": place}


def _offset(raw: str) -> int:
    return 1 if raw.strip() == "1" else -1


# --- the facilitator's pages -------------------------------------------------------------


def _staff_context(access: EventAccess) -> dict[str, Any]:
    return {"access": access, "event": access.event, "user": access.user}


def _list_page(
    request: Request,
    session: SessionDep,
    access: EventAccess,
    *,
    form: dict[str, str] | None = None,
    errors: dict[str, str] | None = None,
    status: int = 200,
) -> Response:
    access.require_staff()  # error paths render this too, before any service checked who asks
    return render(
        request,
        "maps/staff_list.html",
        {
            **_staff_context(access),
            "maps": setup.event_maps(session, access=access),
            "counts": setup.card_counts(session, access=access),
            "form": form or {"question": "", "uses_places": "", "uses_org_type": ""},
            "errors": errors or {},
        },
        status_code=status,
    )


@router.get("/o/{slug}/maps")
def staff_list(request: Request, session: SessionDep, access: AccessDep) -> Response:
    return _list_page(request, session, access)


@router.post("/o/{slug}/maps")
def create_map(
    request: Request,
    session: SessionDep,
    access: AccessDep,
    question: Annotated[str, Form()] = "",
    uses_places: Annotated[bool, Form()] = False,
    uses_org_type: Annotated[bool, Form()] = False,
) -> Response:
    try:
        created = setup.create_map(
            session,
            access=access,
            question=question,
            uses_places=uses_places,
            uses_org_type=uses_org_type,
        )
    except Invalid as error:
        session.rollback()
        form = _map_form(question, uses_places, uses_org_type)
        return _list_page(request, session, access, form=form, errors=error.errors, status=422)
    return RedirectResponse(f"/o/{access.event.slug}/maps/{created.id}", status_code=303)


def _work_context(session: SessionDep, access: EventAccess, map_id: int) -> dict[str, Any]:
    view = views.map_view(session, access=access, map_id=map_id)
    return {**_staff_context(access), "m": view}


def _map_page(
    request: Request,
    session: SessionDep,
    access: EventAccess,
    map_id: int,
    *,
    errors: dict[str, str] | None = None,
    error_form: str = "",
    form: dict[str, str] | None = None,
    status: int = 200,
) -> Response:
    """The facilitator's page of one map: clustering, moderation, set-up. ``error_form`` says
    which of its forms the ``errors`` belong to."""
    map_ = setup.staff_map(session, access=access, map_id=map_id)
    settings = request.app.state.settings
    context = _work_context(session, access, map_id)
    return render(
        request,
        "maps/staff_map.html",
        {
            **context,
            "map": map_,
            "categories": lookups.categories(session, map_id=map_id),
            "places": lookups.places(session, map_id=map_id),
            "hidden": clustering.hidden_cards(session, access=access, map_id=map_id),
            "palette": colours.PALETTE,
            "layouts": MAP_LAYOUT_LABELS,
            "errors": errors or {},
            "error_form": error_form,
            "form": form or {},
            "live_url": live_path(access=access, audience="staff", secret=settings.secret),
        },
        status_code=status,
    )


@router.get("/o/{slug}/maps/{map_id}")
def staff_map(request: Request, session: SessionDep, access: AccessDep, map_id: int) -> Response:
    return _map_page(request, session, access, map_id)


def _back(access: EventAccess, map_id: int, anchor: str = "") -> RedirectResponse:
    return RedirectResponse(f"/o/{access.event.slug}/maps/{map_id}{anchor}", status_code=303)


def _work_done(
    request: Request,
    session: SessionDep,
    access: EventAccess,
    map_id: int,
    anchor: str,
    *,
    message: str = "",
    status: int = 200,
) -> Response:
    """After a change to the clustering: htmx gets the work area again, a plain form a
    redirect to the page."""
    if request.headers.get("hx-request") != "true":
        return _back(access, map_id, anchor)
    context = {**_work_context(session, access, map_id), "message": message}
    return render(
        request,
        "partials/maps/work_response.html",
        context,
        status_code=status,
    )


def _form_refused(
    request: Request,
    session: SessionDep,
    access: EventAccess,
    map_id: int,
    error: Invalid,
    *,
    error_form: str,
    form: dict[str, str],
    work_area: bool = False,
) -> Response:
    """A form of the map's page that a service refused: nothing of it is kept, and the page
    comes again (422) with the form as typed and each message next to its field. A form of
    the work area (``work_area``) sent by htmx gets just the work area with the message."""
    session.rollback()
    if work_area and request.headers.get("hx-request") == "true":
        return _work_done(request, session, access, map_id, "", message=error.message, status=422)
    return _map_page(
        request,
        session,
        access,
        map_id,
        errors=error.errors,
        error_form=error_form,
        form=form,
        status=422,
    )


@router.post("/o/{slug}/maps/{map_id}/settings")
def update_settings(
    request: Request,
    session: SessionDep,
    access: AccessDep,
    map_id: int,
    question: Annotated[str, Form()] = "",
    uses_places: Annotated[bool, Form()] = False,
    uses_org_type: Annotated[bool, Form()] = False,
    layout: Annotated[str, Form()] = "columns",
) -> Response:
    try:
        setup.update_map(
            session,
            access=access,
            map_id=map_id,
            question=question,
            uses_places=uses_places,
            uses_org_type=uses_org_type,
            layout=layout,
        )
    except Invalid as error:
        form = {**_map_form(question, uses_places, uses_org_type), "layout": layout}
        return _form_refused(
            request, session, access, map_id, error, error_form="settings", form=form
        )
    return _back(access, map_id, "#settings")


@router.post("/o/{slug}/maps/{map_id}/board")
def show_on_board(session: SessionDep, access: AccessDep, map_id: int) -> Response:
    setup.show_on_board(session, access=access, map_id=map_id)
    return _back(access, map_id)


@router.post("/o/{slug}/maps/{map_id}/unboard")
def take_off_board(session: SessionDep, access: AccessDep, map_id: int) -> Response:
    setup.staff_map(session, access=access, map_id=map_id)
    setup.take_off_board(session, access=access)
    return _back(access, map_id)


@router.post("/o/{slug}/maps/{map_id}/freeze")
def freeze(session: SessionDep, access: AccessDep, map_id: int) -> Response:
    setup.set_frozen(session, access=access, map_id=map_id, frozen=True)
    return _back(access, map_id)


@router.post("/o/{slug}/maps/{map_id}/unfreeze")
def unfreeze(session: SessionDep, access: AccessDep, map_id: int) -> Response:
    setup.set_frozen(session, access=access, map_id=map_id, frozen=False)
    return _back(access, map_id)


@router.post("/o/{slug}/maps/{map_id}/delete")
def delete_map(session: SessionDep, access: AccessDep, map_id: int) -> Response:
    setup.delete_map(session, access=access, map_id=map_id)
    return RedirectResponse(f"/o/{access.event.slug}/maps", status_code=303)


# --- categories and places ---------------------------------------------------------------


@router.post("/o/{slug}/maps/{map_id}/categories")
def add_category(
    request: Request,
    session: SessionDep,
    access: AccessDep,
    map_id: int,
    name: Annotated[str, Form()] = "",
    colour: Annotated[str, Form()] = "",
) -> Response:
    try:
        setup.add_category(session, access=access, map_id=map_id, name=name, colour=colour)
    except Invalid as error:
        form = {"name": name, "colour": colour}
        return _form_refused(
            request, session, access, map_id, error, error_form="new-category", form=form
        )
    return _back(access, map_id, "#categories")


@router.post("/o/{slug}/map-categories/{category_id}")
def update_category(
    request: Request,
    session: SessionDep,
    access: AccessDep,
    category_id: int,
    name: Annotated[str, Form()] = "",
    colour: Annotated[str, Form()] = "",
) -> Response:
    map_id = setup.staff_category(session, access=access, category_id=category_id).map_id
    try:
        setup.update_category(
            session, access=access, category_id=category_id, name=name, colour=colour
        )
    except Invalid as error:
        form = {"name": name, "colour": colour}
        return _form_refused(
            request, session, access, map_id, error, error_form=f"category-{category_id}", form=form
        )
    return _back(access, map_id, "#categories")


@router.post("/o/{slug}/map-categories/{category_id}/move")
def move_category(
    session: SessionDep,
    access: AccessDep,
    category_id: int,
    offset: Annotated[str, Form()] = "",
) -> Response:
    map_id = setup.staff_category(session, access=access, category_id=category_id).map_id
    setup.move_category(session, access=access, category_id=category_id, offset=_offset(offset))
    return _back(access, map_id, "#categories")


@router.post("/o/{slug}/map-categories/{category_id}/delete")
def delete_category(session: SessionDep, access: AccessDep, category_id: int) -> Response:
    map_id = setup.staff_category(session, access=access, category_id=category_id).map_id
    setup.delete_category(session, access=access, category_id=category_id)
    return _back(access, map_id, "#categories")


@router.post("/o/{slug}/maps/{map_id}/places")
def add_place(
    request: Request,
    session: SessionDep,
    access: AccessDep,
    map_id: int,
    name: Annotated[str, Form()] = "",
) -> Response:
    try:
        setup.add_place(session, access=access, map_id=map_id, name=name)
    except Invalid as error:
        return _form_refused(
            request, session, access, map_id, error, error_form="new-place", form={"name": name}
        )
    return _back(access, map_id, "#places")


@router.post("/o/{slug}/map-places/{place_id}")
def rename_place(
    request: Request,
    session: SessionDep,
    access: AccessDep,
    place_id: int,
    name: Annotated[str, Form()] = "",
) -> Response:
    map_id = setup.staff_place(session, access=access, place_id=place_id).map_id
    try:
        setup.rename_place(session, access=access, place_id=place_id, name=name)
    except Invalid as error:
        form = {"name": name}
        return _form_refused(
            request, session, access, map_id, error, error_form=f"place-{place_id}", form=form
        )
    return _back(access, map_id, "#places")


@router.post("/o/{slug}/map-places/{place_id}/move")
def move_place(
    session: SessionDep,
    access: AccessDep,
    place_id: int,
    offset: Annotated[str, Form()] = "",
) -> Response:
    map_id = setup.staff_place(session, access=access, place_id=place_id).map_id
    setup.move_place(session, access=access, place_id=place_id, offset=_offset(offset))
    return _back(access, map_id, "#places")


@router.post("/o/{slug}/map-places/{place_id}/delete")
def delete_place(session: SessionDep, access: AccessDep, place_id: int) -> Response:
    map_id = setup.staff_place(session, access=access, place_id=place_id).map_id
    setup.delete_place(session, access=access, place_id=place_id)
    return _back(access, map_id, "#places")


# --- clustering --------------------------------------------------------------------------


@router.post("/o/{slug}/maps/{map_id}/move")
def move_card(
    request: Request,
    session: SessionDep,
    access: AccessDep,
    map_id: int,
    card: Annotated[str, Form()] = "",
    target: Annotated[str, Form()] = "",
    name: Annotated[str, Form()] = "",
) -> Response:
    """The keyboard path and drag and drop alike: a selected card and where it goes."""
    setup.staff_map(session, access=access, map_id=map_id)
    card_id = _id(card)
    try:
        if card_id is None:
            raise Invalid({"card": _("Select a card first, then where it goes.")})
        moved = clustering.move_card(
            session, access=access, card_id=card_id, target=target, name=name
        )
    except Invalid as error:
        form = {"name": name}
        return _form_refused(
            request, session, access, map_id, error, error_form="move", form=form, work_area=True
        )
    return _work_done(
        request, session, access, map_id, f"#work-card-{moved.id}", message=_("Card moved.")
    )


@router.post("/o/{slug}/maps/{map_id}/clusters")
def create_cluster(
    request: Request,
    session: SessionDep,
    access: AccessDep,
    map_id: int,
    category: Annotated[str, Form()] = "",
    name: Annotated[str, Form()] = "",
) -> Response:
    try:
        cluster = clustering.create_cluster(
            session, access=access, map_id=map_id, category_id=_id(category) or 0, name=name
        )
    except Invalid as error:
        form = {"name": name, "category": category}
        return _form_refused(
            request, session, access, map_id, error, error_form="new-cluster", form=form
        )
    return _work_done(request, session, access, map_id, f"#work-cluster-{cluster.id}")


@router.post("/o/{slug}/map-clusters/{cluster_id}")
def rename_cluster(
    request: Request,
    session: SessionDep,
    access: AccessDep,
    cluster_id: int,
    name: Annotated[str, Form()] = "",
) -> Response:
    map_id = setup.staff_cluster(session, access=access, cluster_id=cluster_id).map_id
    try:
        clustering.rename_cluster(session, access=access, cluster_id=cluster_id, name=name)
    except Invalid as error:
        form = {"name": name}
        return _form_refused(
            request,
            session,
            access,
            map_id,
            error,
            error_form=f"cluster-{cluster_id}",
            form=form,
            work_area=True,
        )
    return _work_done(
        request, session, access, map_id, f"#work-cluster-{cluster_id}", message=_("Saved.")
    )


@router.post("/o/{slug}/map-clusters/{cluster_id}/delete")
def dissolve_cluster(
    request: Request, session: SessionDep, access: AccessDep, cluster_id: int
) -> Response:
    map_id = setup.staff_cluster(session, access=access, cluster_id=cluster_id).map_id
    clustering.dissolve_cluster(session, access=access, cluster_id=cluster_id)
    return _work_done(request, session, access, map_id, "#map-work")


@router.post("/o/{slug}/maps/{map_id}/cards")
def add_card_on_behalf(
    request: Request,
    session: SessionDep,
    access: AccessDep,
    map_id: int,
    text: Annotated[str, Form()] = "",
    category: Annotated[str, Form()] = "",
    place: Annotated[str, Form()] = "",
) -> Response:
    access.require_staff()
    try:
        card = cards.post_card(
            session,
            access=access,
            map_id=map_id,
            text=text,
            category_id=_id(category),
            place_id=_id(place),
        )
    except Invalid as error:
        form = _card_form(text, category, place)
        return _form_refused(
            request, session, access, map_id, error, error_form="add-card", form=form
        )
    return _back(access, map_id, f"#work-card-{card.id}")


# --- moderating one card -----------------------------------------------------------------


def _card_page(
    request: Request,
    session: SessionDep,
    access: EventAccess,
    card_id: int,
    *,
    errors: dict[str, str] | None = None,
    status: int = 200,
) -> Response:
    detail = clustering.card_detail(session, access=access, card_id=card_id)
    return render(
        request,
        "maps/staff_card.html",
        {
            **_staff_context(access),
            "d": detail,
            "map": setup.staff_map(session, access=access, map_id=detail.card.map_id),
            "errors": errors or {},
        },
        status_code=status,
    )


def _card_refused(
    request: Request, session: SessionDep, access: EventAccess, card_id: int, error: Invalid
) -> Response:
    """The card's page again (422) with why the service refused; nothing of it is kept."""
    session.rollback()
    return _card_page(request, session, access, card_id, errors=error.errors, status=422)


@router.get("/o/{slug}/cards/{card_id}")
def card_page(request: Request, session: SessionDep, access: AccessDep, card_id: int) -> Response:
    return _card_page(request, session, access, card_id)


@router.post("/o/{slug}/cards/{card_id}/merge")
def merge_card(
    request: Request,
    session: SessionDep,
    access: AccessDep,
    card_id: int,
    target: Annotated[str, Form()] = "",
) -> Response:
    try:
        kept = clustering.merge_cards(
            session, access=access, source_id=card_id, target_id=_id(target) or 0
        )
    except Invalid as error:
        return _card_refused(request, session, access, card_id, error)
    return _back(access, kept.map_id, f"#work-card-{kept.id}")


@router.post("/o/{slug}/cards/{card_id}/hide")
def hide_card(
    request: Request,
    session: SessionDep,
    access: AccessDep,
    card_id: int,
    reason: Annotated[str, Form()] = "",
) -> Response:
    try:
        card = clustering.hide_card(session, access=access, card_id=card_id, reason=reason)
    except Invalid as error:
        return _card_refused(request, session, access, card_id, error)
    return _back(access, card.map_id, "#hidden-cards")


@router.post("/o/{slug}/cards/{card_id}/unhide")
def unhide_card(session: SessionDep, access: AccessDep, card_id: int) -> Response:
    card = clustering.unhide_card(session, access=access, card_id=card_id)
    return _back(access, card.map_id, f"#work-card-{card.id}")


# --- summary and export ------------------------------------------------------------------


@router.get("/o/{slug}/maps/{map_id}/summary")
def summary(request: Request, session: SessionDep, access: AccessDep, map_id: int) -> Response:
    report = export.summary(session, access=access, map_id=map_id)
    return render(
        request,
        "maps/summary.html",
        {**_staff_context(access), "report": report},
    )


@router.get("/o/{slug}/maps/{map_id}/cards.csv")
def cards_csv(session: SessionDep, access: AccessDep, map_id: int) -> Response:
    text = export.cards_csv(session, access=access, map_id=map_id)
    filename = f"{access.event.slug}-map-{map_id}-cards.csv"
    return Response(
        # A byte-order mark, so that spreadsheet programs read the Cyrillic as UTF-8.
        "\ufeff" + text,
        media_type="text/csv; charset=utf-8",
        headers={
            "Content-Disposition": f'attachment; filename="{filename}"',
            "Cache-Control": "no-store",
        },
    )


# --- participants' phones ----------------------------------------------------------------


def _not_joined(access: EventAccess, staff_page: str) -> RedirectResponse | None:
    """Staff go to their own page of the map; someone who has not joined (a shared link) to
    the event's page, which asks for the code."""
    if access.participant is not None:
        return None
    if access.is_staff:
        return RedirectResponse(f"/o/{access.event.slug}{staff_page}", status_code=303)
    return RedirectResponse(f"/e/{access.event.slug}", status_code=303)


@router.get("/e/{slug}/maps")
def phone_list(request: Request, session: SessionDep, access: AccessDep) -> Response:
    if (elsewhere := _not_joined(access, "/maps")) is not None:
        return elsewhere
    return render(
        request,
        "maps/phone_list.html",
        {
            "event": access.event,
            "maps": setup.event_maps(session, access=access),
            "phone_nav": navigation.load(session, event=access.event),
            "nav_current": "map",
        },
    )


def _phone_page(
    request: Request,
    session: SessionDep,
    access: EventAccess,
    map_id: int,
    *,
    form: dict[str, str] | None = None,
    errors: dict[str, str] | None = None,
    status: int = 200,
) -> Response:
    access.require(Role.PARTICIPANT)
    assert access.participant is not None
    live_sync = request.app.state.hub.current(access.event_id)
    view = views.map_view(session, access=access, map_id=map_id)
    mine = cards.my_cards(session, access=access, map_id=map_id)
    settings = request.app.state.settings
    return render(
        request,
        "maps/phone_map.html",
        {
            "event": access.event,
            "m": view,
            "live_sync": live_sync,
            "my_cards": mine,
            "my_card_ids": [card.id for card in mine],
            "my_plus": sorted(cards.my_plus_ones(session, access=access, map_id=map_id)),
            "form": form or {"text": "", "category": "", "place": ""},
            "errors": errors or {},
            "live_url": live_path(access=access, audience="phones", secret=settings.secret),
            "phone_nav": navigation.load(session, event=access.event),
            "nav_current": "map",
        },
        status_code=status,
    )


@router.get("/e/{slug}/maps/{map_id}")
def phone_map(request: Request, session: SessionDep, access: AccessDep, map_id: int) -> Response:
    if (elsewhere := _not_joined(access, f"/maps/{map_id}")) is not None:
        return elsewhere
    return _phone_page(request, session, access, map_id)


@router.post("/e/{slug}/maps/{map_id}/cards")
def post_card(
    request: Request,
    session: SessionDep,
    access: AccessDep,
    map_id: int,
    text: Annotated[str, Form()] = "",
    category: Annotated[str, Form()] = "",
    place: Annotated[str, Form()] = "",
) -> Response:
    access.require(Role.PARTICIPANT)
    try:
        cards.post_card(
            session,
            access=access,
            map_id=map_id,
            text=text,
            category_id=_id(category),
            place_id=_id(place),
        )
    except Invalid as error:
        session.rollback()
        form = _card_form(text, category, place)
        return _phone_page(
            request, session, access, map_id, form=form, errors=error.errors, status=422
        )
    return _my_cards(access, map_id)


def _edit_page(
    request: Request,
    session: SessionDep,
    access: EventAccess,
    card_id: int,
    *,
    form: dict[str, str] | None = None,
    errors: dict[str, str] | None = None,
    status: int = 200,
) -> Response:
    card = cards.own_card(session, access=access, card_id=card_id)
    view = views.map_view(session, access=access, map_id=card.map_id)
    return render(
        request,
        "maps/phone_card_edit.html",
        {
            "event": access.event,
            "m": view,
            "card": card,
            "form": form
            or {
                "text": card.text,
                "category": str(card.category_id),
                "place": str(card.place_id or ""),
            },
            "errors": errors or {},
        },
        status_code=status,
    )


@router.get("/e/{slug}/cards/{card_id}/edit")
def edit_card_form(
    request: Request, session: SessionDep, access: AccessDep, card_id: int
) -> Response:
    return _edit_page(request, session, access, card_id)


@router.post("/e/{slug}/cards/{card_id}/edit")
def edit_card(
    request: Request,
    session: SessionDep,
    access: AccessDep,
    card_id: int,
    text: Annotated[str, Form()] = "",
    category: Annotated[str, Form()] = "",
    place: Annotated[str, Form()] = "",
) -> Response:
    try:
        card = cards.edit_card(
            session,
            access=access,
            card_id=card_id,
            text=text,
            category_id=_id(category),
            place_id=_id(place),
        )
    except Invalid as error:
        session.rollback()
        form = _card_form(text, category, place)
        return _edit_page(
            request, session, access, card_id, form=form, errors=error.errors, status=422
        )
    return _my_cards(access, card.map_id)


@router.post("/e/{slug}/cards/{card_id}/delete")
def delete_card(session: SessionDep, access: AccessDep, card_id: int) -> Response:
    map_id = cards.delete_card(session, access=access, card_id=card_id)
    return _my_cards(access, map_id)


def _my_cards(access: EventAccess, map_id: int) -> RedirectResponse:
    return RedirectResponse(f"/e/{access.event.slug}/maps/{map_id}#my-cards", status_code=303)


def _plus_response(
    request: Request, access: EventAccess, result: cards.PlusResult, message: str
) -> Response:
    """Answer the phone: its own +1s for htmx, else the map again."""
    if request.headers.get("hx-request") != "true":
        return RedirectResponse(
            f"/e/{access.event.slug}/maps/{result.map_id}#map-card-{result.card_id}",
            status_code=303,
        )
    return render(
        request,
        "partials/maps/plus_result.html",
        {"event": access.event, "my_plus": sorted(result.mine), "message": message},
    )


@router.post("/e/{slug}/cards/{card_id}/plus")
def plus_one(request: Request, session: SessionDep, access: AccessDep, card_id: int) -> Response:
    result = cards.plus_one(session, access=access, card_id=card_id)
    return _plus_response(request, access, result, _("+1 given."))


@router.post("/e/{slug}/cards/{card_id}/unplus")
def remove_plus_one(
    request: Request, session: SessionDep, access: AccessDep, card_id: int
) -> Response:
    result = cards.remove_plus_one(session, access=access, card_id=card_id)
    return _plus_response(request, access, result, _("+1 taken back."))


@router.get("/e/{slug}/maps/{map_id}/mine")
def my_plus_ones(request: Request, session: SessionDep, access: AccessDep, map_id: int) -> Response:
    """This phone's own +1s, asked for when a card it supported left the map (merged or
    hidden): the shared frame cannot say where one person's +1 went."""
    access.require(Role.PARTICIPANT)
    views.map_view(session, access=access, map_id=map_id)  # the map must be this event's
    return render(
        request,
        "partials/maps/my_plus.html",
        {"my_plus": sorted(cards.my_plus_ones(session, access=access, map_id=map_id))},
    )
