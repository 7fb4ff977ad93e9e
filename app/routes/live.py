"""The live WebSocket: one endpoint, three audiences (board, phones, staff).

It is answered by ``LiveSockets``, a middleware, rather than through FastAPI's router: a live
socket stays open for hours, and everything between the server and the endpoint stays alive
with it. FastAPI's routing keeps three exit stacks, its dependency solving and its exception
wrappers per socket, about 12 KB each (tracemalloc, 1,000 sockets), a third of a phone's
share of the server's memory; and in a reconnect storm every handshake passes them too. The
endpoint needs none of it: it checks its ticket itself and has no form, body or path ids.
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass
from urllib.parse import urlsplit

import anyio
from sqlalchemy import Engine
from starlette.datastructures import QueryParams
from starlette.types import ASGIApp, Receive, Scope, Send
from starlette.websockets import WebSocket, WebSocketState

from app.config import Settings
from app.db import open_session
from app.errors import NotFound
from app.i18n import board_locales, get_locale
from app.models.base import id_of
from app.realtime.asgi import FrameSocket
from app.realtime.hub import AUDIENCES, ChannelKey, Connection, Hub
from app.services.access import (
    LiveTicket,
    event_by_slug,
    live_ticket_valid,
    parse_live_token,
    staff_ticket_current,
)

LIVE_PATH = re.compile(r"/ws/([^/]+)")
MAX_CLIENT_MESSAGE = 1024  # hellos and pings are tiny; anything bigger is not ours


def origin_allowed(origin: str | None, host: str | None, settings: Settings) -> bool:
    """Browsers always send Origin; a page on another site must not open our socket.

    Same-origin (Origin matches Host) or the configured public address pass. Clients that are
    not browsers send no Origin and are judged by their ticket alone.
    """
    if origin is None:
        return True
    parsed = urlsplit(origin)
    if parsed.netloc and parsed.netloc == host:
        return True
    public = urlsplit(settings.base_url)
    return (parsed.scheme, parsed.netloc) == (public.scheme, public.netloc)


@dataclass(frozen=True)
class _Found:
    event_id: int
    board_nonce: str
    languages: list[str]
    member_current: bool  # a staff ticket's member is still on the team


def _lookup(engine: Engine, slug: str, ticket: LiveTicket) -> _Found | None:
    with open_session(engine) as session:
        try:
            event = event_by_slug(session, slug)
        except NotFound:
            return None
        event_id = id_of(event)
        member_current = ticket.audience == "staff" and staff_ticket_current(
            session, event_id=event_id, ticket=ticket
        )
        return _Found(event_id, event.board_nonce, list(event.languages), member_current)


def _revoked(hub: Hub, event_id: int, ticket: LiveTicket) -> bool:
    """This worker heard that the ticket's grant was revoked after the ticket was issued.

    Whole seconds: a ticket issued in the second of the revocation, or later, still passes
    (a new binding may get a deleted one's id back on SQLite; it must not be refused).
    """
    revoked_at = hub.revoked_at(event_id, ticket.audience, ticket.grant_id)
    return revoked_at is not None and ticket.issued_at < int(revoked_at)


class LiveSockets:
    """Middleware: ``/ws/{slug}?t=…&lang=…`` goes straight to ``live_socket``; all else on."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        match = LIVE_PATH.fullmatch(scope["path"]) if scope["type"] == "websocket" else None
        if match is None:
            await self.app(scope, receive, send)
            return
        query = QueryParams(scope["query_string"])
        websocket = WebSocket(scope, receive, send)
        await live_socket(websocket, match[1], query.get("t", ""), query.get("lang", ""))


async def live_socket(websocket: WebSocket, slug: str, t: str = "", lang: str = "") -> None:
    app = websocket.app
    settings: Settings = app.state.settings
    hub: Hub = app.state.hub
    if not origin_allowed(websocket.headers.get("origin"), websocket.headers.get("host"), settings):
        await websocket.close(code=1008)
        return
    ticket = parse_live_token(t)
    if ticket is None or ticket.audience not in AUDIENCES:
        await websocket.close(code=1008)
        return
    now = time.time()
    if ticket.expires < now:
        await websocket.close(code=1008)
        return
    # Phones are checked by signature alone (no query per client in a reconnect storm), and
    # against the revocations this worker heard of. The few boards also check the current
    # board nonce, so a new link cuts old ones; staff check that their membership still
    # exists, so a removed facilitator stays out. A slug can pass to another event (renamed,
    # or deleted and made again): a ticket that fails against the remembered id is checked
    # once more against the database.
    event_id = app.state.event_ids.get(slug)
    locale = get_locale()
    if (
        event_id is None
        or ticket.audience != "phones"
        or not live_ticket_valid(ticket, event_id=event_id, secret=settings.secret, now=now)
    ):
        found = await anyio.to_thread.run_sync(_lookup, app.state.engine, slug, ticket)
        if found is None:
            await websocket.close(code=1008)
            return
        event_id = found.event_id
        app.state.event_ids[slug] = event_id
        if not live_ticket_valid(
            ticket,
            event_id=event_id,
            secret=settings.secret,
            now=now,
            board_nonce=found.board_nonce,
        ) or (ticket.audience == "staff" and not found.member_current):
            await websocket.close(code=1008)
            return
        if ticket.audience == "board":  # the event's language, as on the board's page
            locale = board_locales(found.languages, lang)[0]
    if _revoked(hub, event_id, ticket):
        await websocket.close(code=1008)
        return
    await websocket.accept()
    # A revocation heard while the handshake waited (for the database, or for accept) would
    # have missed this socket: the hub only closes those it holds. Serve adds it at once.
    if _revoked(hub, event_id, ticket):
        await websocket.close(code=1008)
        return
    connection = Connection(
        socket=FrameSocket(websocket),
        key=ChannelKey(event_id, ticket.audience, locale),
        grant_id=ticket.grant_id,
        subject_id=ticket.subject_id,
    )

    async def receive() -> str | None:
        message = await websocket.receive()
        if message["type"] == "websocket.disconnect":
            return None
        text = message.get("text")
        if text is None or len(text) > MAX_CLIENT_MESSAGE:
            raise ValueError("unexpected message")
        return str(text)

    try:
        await hub.serve(connection, receive)
    except ValueError:
        # Malformed or oversized: close cleanly with "policy violation", no traceback.
        if websocket.client_state == WebSocketState.CONNECTED:
            await websocket.close(code=1008)
