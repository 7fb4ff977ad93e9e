"""The proceedings for organisers and facilitators: the report page and its downloads."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response

from app.db import SessionDep
from app.deps import AccessDep, SettingsDep, verify_csrf
from app.realtime.notify import EventRoute
from app.services.proceedings import build, exports
from app.services.proceedings.render.html import render_body
from app.templating import render

router = APIRouter(prefix="/o", dependencies=[Depends(verify_csrf)], route_class=EventRoute)

FORMAT_LABELS = {
    "html": "HTML",
    "pdf": "PDF",
    "docx": "Word (DOCX)",
    "md": "Markdown",
    "json": "JSON",
    "csv": "CSV (zip)",
}


@router.get("/{slug}/report")
def report_page(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    access: AccessDep,
    lang: str = "",
) -> Response:
    # The page speaks the reader's language; the report in it, and its downloads, ``lang``.
    proceedings = build.build(session, access=access, locale=lang or None)
    return render(
        request,
        "proceedings/report.html",
        {
            "access": access,
            "event": access.event,
            "user": access.user,
            "body": render_body(proceedings, upload_dir=settings.uploads_path),
            "formats": exports.FORMATS,
            "format_labels": FORMAT_LABELS,
            "report_languages": build.report_locales(access.event),
            "report_language": proceedings.locale,
        },
    )


@router.get("/{slug}/report.{fmt}")
def download(
    session: SessionDep, settings: SettingsDep, access: AccessDep, fmt: str, lang: str = ""
) -> Response:
    # A GET: it changes nothing. The PDF takes a few seconds on a large event, in this thread.
    result = exports.export(
        session, access=access, fmt=fmt, upload_dir=settings.uploads_path, locale=lang or None
    )
    return Response(
        result.content,
        media_type=result.media_type,
        headers={
            "Content-Disposition": f'attachment; filename="{result.filename}"',
            "Cache-Control": "no-store",
        },
    )
