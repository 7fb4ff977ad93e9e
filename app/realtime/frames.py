"""Rendering live frames: the same partials the pages include, one render per channel."""

from __future__ import annotations

from typing import Any

import anyio
from sqlalchemy import Engine

from app.db import open_session
from app.i18n import board_locales, get_locale, use_locale
from app.models.base import utcnow
from app.models.events import Phase
from app.realtime.hub import ChannelKey
from app.services import live, navigation
from app.services.events.phases import proposals_open, reached, tallies_visible, voting_open
from app.services.schedule import agenda
from app.templating import templates

TEMPLATES = {
    "board": "partials/live/board.html",
    "phones": "partials/live/phones.html",
    "staff": "partials/live/staff.html",
}


AGENDA_PHASES = (Phase.AGENDA, Phase.SESSIONS)  # the closing circle presents sessions instead


def live_context(state: live.LiveState, audience: str) -> dict[str, Any]:
    grid = state.agenda
    published = grid is not None and grid.version is not None
    show_tallies = tallies_visible(state.event, audience=audience)
    return {
        # A map put on the board by the facilitator takes the agenda's place while it is there.
        "agenda_on_board": published and state.event.phase in AGENDA_PHASES and state.map is None,
        "agenda_day": agenda.current_day(grid, now=utcnow()) if grid is not None else None,
        "moved_ids": {move.topic_id for move in state.moves},
        "live": state,
        "event": state.event,
        "show_tallies": show_tallies,
        "board_topics": state.board_topics(show_tallies=show_tallies),
        # The board speaks the current locale (the event's, see routes/board.py) and shows
        # its key labels in the event's other language beside it.
        "second_locale": board_locales(state.event.languages, get_locale())[1],
        # Until voting starts, joining is what the room does: the QR code gets room.
        "joining": not reached(state.event, Phase.VOTING),
        "can_propose": proposals_open(state.event),
        "can_vote": voting_open(state.event),
        # The phone's bottom bar and what its home opens on (app/services/navigation.py).
        "home_opens_on_now": navigation.home_opens_on_now(state.event),
        "phone_nav": navigation.items(
            event=state.event,
            published=published,
            board_map_id=state.map.id if state.map is not None else None,
        ),
    }


def render_live(state: live.LiveState, audience: str) -> str:
    template = templates.env.get_template(TEMPLATES[audience])
    return template.render(live_context(state, audience))


class FrameRenderer:
    """Loads an event's live state once per frame and renders each requested channel."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def _load(self, event_id: int) -> live.LiveState | None:
        with open_session(self.engine) as session:
            return live.load(session, event_id=event_id)

    async def __call__(self, event_id: int, keys: list[ChannelKey]) -> dict[ChannelKey, str]:
        state = await anyio.to_thread.run_sync(self._load, event_id)
        bodies: dict[ChannelKey, str] = {}
        for key in keys:
            if state is None:  # the event was deleted: an empty frame, clients keep what they have
                bodies[key] = ""
                continue
            with use_locale(key.locale):
                bodies[key] = render_live(state, key.audience)
        return bodies
