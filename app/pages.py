"""Pages that more than one router renders.

The participant's home is shown by ``GET /e/<event>`` (app/routes/people.py) and shown again,
with the form's errors, when a proposal is refused (app/routes/topics.py). The facilitator's
control panel is shown by ``GET /o/<event>/live`` (app/routes/events.py) and again, with the
form's errors, by a refused rule change (events), topic added on someone's behalf (topics) or
announcement (news). Routers never import each other, so what they share lives here, beside
``render``.
"""

from __future__ import annotations

import json
from typing import Any

from fastapi import Request
from fastapi.responses import Response
from sqlmodel import Session

from app.models.events import PHASE_LABELS, Phase
from app.models.topics import TopicStatus
from app.realtime.frames import live_context
from app.services import live
from app.services.access import EventAccess, live_path
from app.services.events.phases import proposals_open, voting_open
from app.services.people import participants
from app.services.schedule import agenda
from app.services.topics import cohosting, topics, votes
from app.templating import render


def my_state(
    session: Session, access: EventAccess, mine: dict[int, int] | None = None
) -> dict[str, Any]:
    if mine is None:
        mine = votes.my_votes(session, access=access)
    used = sum(mine.values())
    return {
        "my_votes_json": json.dumps({str(key): value for key, value in mine.items()}),
        "dots_left": max(access.event.dots_per_participant - used, 0),
        "dots_total": access.event.dots_per_participant,
        "max_per_topic": access.event.max_dots_per_topic,
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
    state = live.load(session, event_id=access.event_id)
    assert state is not None and access.participant is not None
    settings = request.app.state.settings
    follows = agenda.followed(session, participant_id=access.participant.id or 0)
    mine = topics.my_topics(session, access=access)
    return render(
        request,
        "topics/marketplace.html",
        {
            **live_context(state, "phones"),
            "follows": follows,
            "mine": agenda.mine(state.agenda, follows) if state.agenda else [],
            "live_sync": live_sync,
            **my_state(session, access),
            "participant": access.participant,
            "phase_label": PHASE_LABELS.get(access.event.phase, access.event.phase),
            "my_topics": mine,
            "cohost_requests": cohosting.pending_requests(
                session, access=access, topic_ids=[t.id or 0 for t in mine]
            ),
            "my_requests": cohosting.my_requests(session, access=access),
            "can_propose": proposals_open(access.event),
            "can_vote": voting_open(access.event),
            "form": form or {"title": "", "description": "", "language": ""},
            "errors": errors or {},
            "live_url": live_path(access=access, audience="phones", secret=settings.secret),
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
    access.require_staff()
    live_sync = request.app.state.hub.current(access.event_id)
    state = live.load(session, event_id=access.event_id)
    assert state is not None
    settings = request.app.state.settings
    all_topics = topics.staff_topics(session, access=access)
    return render(
        request,
        "events/live.html",
        {
            **live_context(state, "staff"),
            "live_sync": live_sync,
            "access": access,
            "user": access.user,
            "phases": [(phase.value, PHASE_LABELS[phase]) for phase in Phase],
            "participants": participants.participants(session, access=access),
            "hidden_topics": [t for t in all_topics if t.status == TopicStatus.HIDDEN],
            "withdrawn_topics": [t for t in all_topics if t.status == TopicStatus.WITHDRAWN],
            "cohost_requests": cohosting.pending_requests(session, access=access),
            "topic_titles": {t.id: t.title for t in all_topics},
            "errors": errors or {},
            "form": form or {},
            "live_url": live_path(access=access, audience="staff", secret=settings.secret),
        },
        status_code=status,
    )
