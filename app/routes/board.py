"""The projector: a secret, read-only link per event."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

from app.db import SessionDep
from app.deps import SettingsDep
from app.errors import NotFound
from app.i18n import _, board_locales, use_locale
from app.models.events import Role
from app.realtime.frames import live_context
from app.services import live
from app.services.access import (
    EventAccess,
    board_signature_ok,
    event_by_slug,
    live_path,
    unknown_event,
)
from app.services.qr import join_url, qr_svg
from app.templating import render
from app.web import BOARD_COOKIE

router = APIRouter()


@router.get("/board/{slug}/{signature}")
def board(
    request: Request,
    slug: str,
    signature: str,
    session: SessionDep,
    settings: SettingsDep,
    lang: str = "",
) -> Response:
    try:
        event = event_by_slug(session, slug)
    except NotFound:
        event = unknown_event(slug)  # answered like a wrong link: no slug probing
    if not board_signature_ok(event, signature, settings.secret):
        raise NotFound(_("This board link is not valid. Ask the organiser for the current one."))
    url = join_url(settings, event)
    live_sync = request.app.state.hub.current(event.id)
    state = live.load(session, event_id=event.id)  # type: ignore[arg-type]
    assert state is not None
    # The room reads the event's language, whatever the projector's browser is set to; the
    # socket is told too, so its frames come in the same one (app/routes/live.py).
    locale, _second = board_locales(event.languages, lang)
    with use_locale(locale):
        access = EventAccess(event=event, role=Role.BOARD)
        socket = live_path(access=access, audience="board", secret=settings.secret)
        response = render(
            request,
            "board/board.html",
            {
                **live_context(state, "board"),
                "locale": locale,
                "live_sync": live_sync,
                "join_url": url,
                "qr": qr_svg(url, scale=8),
                "live_url": f"{socket}&lang={locale}",
            },
        )
    # The closing circle shows session photos, which only members of the event may see: the
    # board proves it is the board with its link's signature (app/routes/notes.py).
    response.set_cookie(
        BOARD_COOKIE.format(event_id=event.id),
        signature,
        max_age=2 * 86400,
        httponly=True,
        samesite="lax",
        secure=settings.secure_cookies,
    )
    return response
