"""Rendering live frames: the same partials the pages include, one render per channel."""

from __future__ import annotations

from typing import Any

import anyio
from sqlalchemy import Engine

from app.db import open_session
from app.i18n import board_locales, get_locale, use_locale
from app.models.base import utcnow
from app.models.events import Phase
from app.realtime.hub import Body, ChannelKey, Part
from app.services import live, navigation
from app.services.events.phases import proposals_open, reached, tallies_visible, voting_open
from app.services.schedule import agenda
from app.templating import templates

TEMPLATES = {
    "board": "partials/live/board.html",
    "staff": "partials/live/staff.html",
}

# The shared part of every phone's page, pushed to all phones of a locale: one part per
# partial, so that a frame's delta carries only those that changed (app/realtime/hub.py). The
# pages include the same partials where they want them (the home page: the topic list).
PHONE_PARTS = (
    "partials/live/phones/banner.html",
    "partials/live/news.html",
    "partials/live/phones/pitch.html",
    "partials/live/now.html",
    "partials/live/agenda.html",
    "partials/live/phones/topics.html",
    "partials/maps/phones_live.html",
    "partials/notes/live.html",
    "partials/live/phone_nav.html",
)
TOPIC_LIST = "partials/live/phones/topics.html"
TALLY = "partials/topics/tally.html"  # inside each card of the topic list


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


def render_live(state: live.LiveState, audience: str) -> Body:
    """A channel's body: the board's and the staff's as one string, the phones' in parts."""
    context = live_context(state, audience)
    if audience != "phones":
        return templates.env.get_template(TEMPLATES[audience]).render(context)
    return tuple(_phone_part(name, state, context) for name in PHONE_PARTS)


def _phone_part(name: str, state: live.LiveState, context: dict[str, Any]) -> Part:
    html = templates.env.get_template(name).render(context)
    if name != TOPIC_LIST:
        return Part(html)
    # A vote changes one card's tally and nothing else: each tally is a piece of the list.
    tally = templates.env.get_template(TALLY)
    show_tallies = context["show_tallies"]
    pieces = tuple(
        (f"tally-{topic.id}", tally.render(topic=topic, show_tallies=show_tallies).strip())
        for topic in state.topics
    )
    return Part(html, pieces)


class FrameRenderer:
    """Loads an event's live state once per frame and renders each requested channel."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def _load(self, event_id: int) -> live.LiveState | None:
        with open_session(self.engine) as session:
            return live.load(session, event_id=event_id)

    async def __call__(self, event_id: int, keys: list[ChannelKey]) -> dict[ChannelKey, Body]:
        state = await anyio.to_thread.run_sync(self._load, event_id)
        bodies: dict[ChannelKey, Body] = {}
        for key in keys:
            if state is None:  # the event was deleted: an empty frame, clients keep what they have
                bodies[key] = ""
                continue
            with use_locale(key.locale):
                bodies[key] = render_live(state, key.audience)
        return bodies
