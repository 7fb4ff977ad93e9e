"""Frames go out through the server's own ASGI ``send``, or straight onto its transport.

Between the server and a WebSocket endpoint, Starlette wraps ``send`` twice (the exception
middleware's tracker and ``WebSocket.send``'s state checks); both only matter for accepting,
closing and HTTP responses. Fanning one frame out to thousands of sockets pays those layers
once per socket, so the hub sends data frames with the unwrapped ``send`` instead, which our
outermost middleware keeps in the scope.

Under uvicorn's ``websockets-sansio`` protocol (what ``openspace serve`` runs) even that send
encodes the text, frames it and joins the pieces again for every socket, although a frame from
server to client is the same bytes for everyone (unmasked, and without compression, which we
turn off). A live frame's message therefore carries its wire bytes, serialised once by the
``websockets`` library (``wire_message``), and ``FrameSocket.send`` writes them to the socket's
transport when the connection is open and its transport accepts writes; in every other case
(paused by a slow client, closing, another server or protocol) the server's own send runs, as
before. ``websockets.broadcast`` does the same: ``bench/fanout.py`` compares the two.
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine, MutableMapping
from typing import Any, cast

from starlette.types import ASGIApp, Receive, Scope, Send
from starlette.websockets import WebSocket
from websockets.frames import Frame, Opcode
from websockets.protocol import State

try:  # the server we run; any other ASGI server takes the ordinary path
    from uvicorn.protocols.websockets.websockets_sansio_impl import WebSocketsSansIOProtocol
except ImportError:  # pragma: no cover - uvicorn is a dependency
    WebSocketsSansIOProtocol = None  # type: ignore[assignment,misc]

RAW_SEND = "openspace.raw_send"
WIRE = "openspace.wire"  # key of a send message's pre-framed bytes (servers ignore it)


def keep_raw_send(scope: MutableMapping[str, Any], send: Send) -> None:
    scope.setdefault("state", {})[RAW_SEND] = send


class KeepRawSend:
    """Middleware doing only what ``app.web.WebMiddleware`` does for the hub on every socket:
    for servers made of the hub alone (``bench/fanout.py``, tests)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "websocket":
            keep_raw_send(scope, send)
        await self.app(scope, receive, send)


def wire_message(text: str) -> dict[str, Any]:
    """An ASGI ``websocket.send`` of ``text`` that also carries its WebSocket frame."""
    wire = Frame(Opcode.TEXT, text.encode()).serialize(mask=False)
    return {"type": "websocket.send", "text": text, WIRE: wire}


# What the fast path reads of uvicorn's connection. Should a release rename any of them, the
# sockets take uvicorn's own send (test_asgi.py then fails on ``pre_framed``), never an error.
_READ = ("writable", "close_sent", "disconnected", "transport", "conn")


def _frames_alike(protocol: object) -> bool:
    """A connection whose every text frame is the same bytes as ``wire_message``'s."""
    if WebSocketsSansIOProtocol is None or not isinstance(protocol, WebSocketsSansIOProtocol):
        return False
    if not all(hasattr(protocol, name) for name in _READ):
        return False
    connection = protocol.conn
    # No compression negotiated (a missing attribute counts as "maybe").
    return hasattr(connection, "state") and not getattr(connection, "extensions", True)


class FrameSocket:
    """The hub's view of a Starlette WebSocket: data through the raw send (or the transport),
    close as usual."""

    __slots__ = ("_protocol", "_send", "_websocket")

    def __init__(self, websocket: WebSocket) -> None:
        self._websocket = websocket
        send: Send = websocket.scope.get("state", {}).get(RAW_SEND) or websocket.send
        self._send = cast(Callable[[MutableMapping[str, Any]], Coroutine[Any, Any, None]], send)
        # The server's own send is a method of its protocol object: the connection.
        protocol = getattr(send, "__self__", None)
        self._protocol: Any = protocol if _frames_alike(protocol) else None

    @property
    def pre_framed(self) -> bool:
        """Whether frames with wire bytes go straight to this socket's transport."""
        return self._protocol is not None

    async def send(self, message: MutableMapping[str, Any]) -> None:
        protocol, wire = self._protocol, message.get(WIRE)
        if (
            wire is not None
            and protocol is not None
            and protocol.writable.is_set()
            and not protocol.close_sent
            and not protocol.disconnected
            and protocol.conn.state is State.OPEN
            and not protocol.transport.is_closing()
        ):
            protocol.transport.write(wire)
            return
        await self._send(message)

    async def close(self, code: int = 1000, reason: str | None = None) -> None:
        await self._websocket.close(code=code, reason=reason)
