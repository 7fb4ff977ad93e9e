"""News for everyone's screens: facilitators announce from the control panel, and withdraw."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import RedirectResponse, Response

from app.db import SessionDep
from app.deps import AccessDep, verify_csrf
from app.errors import Invalid
from app.pages import control_panel
from app.realtime.notify import EventRoute
from app.services.access import EventAccess
from app.services.topics import news

router = APIRouter(prefix="/o/{slug}", dependencies=[Depends(verify_csrf)], route_class=EventRoute)


def _back(access: EventAccess, anchor: str = "") -> RedirectResponse:
    return RedirectResponse(f"/o/{access.event.slug}/live{anchor}", status_code=303)


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
        return control_panel(
            request, session, access, errors=error.errors, form={"text": text}, status=422
        )
    return _back(access, "#news-form")


@router.post("/news/{announcement_id}/withdraw")
def withdraw_news(session: SessionDep, access: AccessDep, announcement_id: int) -> Response:
    news.withdraw(session, access=access, announcement_id=announcement_id)
    return _back(access, "#news-form")
