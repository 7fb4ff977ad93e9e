"""Pages that more than one router renders.

The participant's home is shown by ``GET /e/<event>`` (app/routes/people.py) and shown again,
with the form's errors, when a proposal is refused (app/routes/topics.py). The facilitator's
control panel is shown by ``GET /o/<event>/live`` (app/routes/events.py) and again, with the
form's errors, by a refused rule change (events), topic added on someone's behalf (topics) or
announcement (news). Routers never import each other, so what they share lives here, beside
``render``. The pages' data comes from their services (``home.page``, ``panel.page``); what is
added here is the web's: the live frame's names, the socket's signed address, the form.
"""

from __future__ import annotations

import json
from typing import Any

from fastapi import Request
from fastapi.responses import RedirectResponse, Response
from sqlmodel import Session

from app.realtime.frames import live_context
from app.services.access import EventAccess, live_path
from app.services.events import panel
from app.services.topics import home
from app.templating import render


def my_state(dots: home.Dots) -> dict[str, Any]:
    """The names partials/topics/my_state.html shows the participant's dots by."""
    return {
        "my_votes_json": json.dumps({str(key): value for key, value in dots.mine.items()}),
        "dots_left": dots.left,
        "dots_total": dots.total,
        "max_per_topic": dots.max_per_topic,
    }


def own_parts(own: home.Own) -> dict[str, Any]:
    """The names partials/topics/own.html shows a participant's own parts by."""
    return {
        **my_state(own.dots),
        "my_topics": own.my_topics,
        "cohost_requests": own.cohost_requests,
        "my_requests": own.my_requests,
        "here": own.here,
        "waiting_ids": own.pitch_waiting,
        "pitching_id": own.pitch_current,
        "can_propose": own.can_propose,
    }


def participant_page(
    request: Request,
    session: Session,
    access: EventAccess,
    *,
    form: dict[str, str] | None = None,
    errors: dict[str, str] | None = None,
    status: int = 200,
) -> Response:
    """The participant's home: the live marketplace plus what is theirs."""
    live_sync = request.app.state.hub.current(access.event_id)
    page = home.page(session, access=access)
    secret = request.app.state.settings.secret
    return render(
        request,
        "topics/marketplace.html",
        {
            **live_context(page.live, "phones"),
            "live_sync": live_sync,
            "follows": page.follows,
            "mine": page.mine,
            **my_state(page.dots),
            "participant": page.participant,
            "phase_label": page.phase_label,
            "my_topics": page.my_topics,
            "cohost_requests": page.cohost_requests,
            "my_requests": page.my_requests,
            "can_propose": page.can_propose,
            "can_vote": page.can_vote,
            "here": page.here,
            "waiting_ids": [topic.id for topic in page.live.pitch_waiting],
            "pitching_id": page.live.pitch_current.topic.id if page.live.pitch_current else None,
            "nav_current": "home",
            "form": form or {"title": "", "description": "", "language": ""},
            "errors": errors or {},
            "live_url": live_path(access=access, audience="phones", secret=secret),
        },
        status_code=status,
    )


def control_panel(
    request: Request,
    session: Session,
    access: EventAccess,
    *,
    errors: dict[str, str] | None = None,
    form: dict[str, str] | None = None,
    status: int = 200,
) -> Response:
    """The facilitator's control panel: phase, rules, pitch queue, news, topics, participants."""
    live_sync = request.app.state.hub.current(access.event_id)
    page = panel.page(session, access=access)
    secret = request.app.state.settings.secret
    return render(
        request,
        "events/live.html",
        {
            **live_context(page.live, "staff"),
            "live_sync": live_sync,
            "access": access,
            "user": access.user,
            "phases": page.phases,
            "participants": page.participants,
            "hidden_topics": page.hidden_topics,
            "withdrawn_topics": page.withdrawn_topics,
            "cohost_requests": page.cohost_requests,
            "topic_titles": page.topic_titles,
            "errors": errors or {},
            "form": form or {},
            "live_url": live_path(access=access, audience="staff", secret=secret),
        },
        status_code=status,
    )


# --- the staff screens' common parts ------------------------------------------------------


def staff(access: EventAccess) -> EventAccess:
    access.require_staff()
    return access


def staff_context(access: EventAccess) -> dict[str, Any]:
    """What every staff screen's layout needs. It checks who asks first: error paths render
    these screens too, before any service has checked."""
    staff(access)
    return {"access": access, "event": access.event, "user": access.user}


def staff_back(access: EventAccess, page: str = "") -> RedirectResponse:
    """Back to a staff screen of the event after a change (POST, then redirect, then GET)."""
    return RedirectResponse(f"/o/{access.event.slug}{page}", status_code=303)
