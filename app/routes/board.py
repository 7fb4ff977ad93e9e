"""The projector: a secret, read-only link per event."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

from app.db import SessionDep
from app.deps import SettingsDep
from app.errors import NotFound
from app.i18n import _
from app.models.events import PHASE_LABELS
from app.services import events
from app.services.access import board_signature_ok, event_by_slug
from app.services.qr import join_url, qr_svg
from app.templating import render

router = APIRouter()


@router.get("/board/{slug}/{signature}")
def board(
    request: Request, slug: str, signature: str, session: SessionDep, settings: SettingsDep
) -> Response:
    event = event_by_slug(session, slug)
    if not board_signature_ok(event, signature, settings.secret):
        raise NotFound(_("This board link is not valid. Ask the organiser for the current one."))
    url = join_url(settings, event)
    return render(
        request,
        "board/board.html",
        {
            "event": event,
            "join_url": url,
            "qr": qr_svg(url, scale=8),
            "phase_label": PHASE_LABELS.get(event.phase, event.phase),
            "participant_count": events.participant_count(session, event_id=event.id),  # type: ignore[arg-type]
        },
    )
