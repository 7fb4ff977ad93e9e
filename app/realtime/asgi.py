"""Frames go out through the server's own ASGI ``send``.

Between the server and a WebSocket endpoint, Starlette wraps ``send`` twice (the exception
middleware's tracker and ``WebSocket.send``'s state checks); both only matter for accepting,
closing and HTTP responses. Fanning one frame out to thousands of sockets pays those layers
once per socket, so the hub sends data frames with the unwrapped ``send`` instead, which our
outermost middleware keeps in the scope.
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine, MutableMapping
from typing import Any, cast

from starlette.types import Send
from starlette.websockets import WebSocket

RAW_SEND = "openspace.raw_send"


def keep_raw_send(scope: MutableMapping[str, Any], send: Send) -> None:
    scope.setdefault("state", {})[RAW_SEND] = send


class FrameSocket:
    """The hub's view of a Starlette WebSocket: data through the raw send, close as usual."""

    __slots__ = ("_websocket", "send")

    def __init__(self, websocket: WebSocket) -> None:
        self._websocket = websocket
        # The send callable itself, not a method wrapping it: one coroutine less per message.
        # Servers' sends are coroutine functions, which the hub's eager send relies on.
        send: Send = websocket.scope.get("state", {}).get(RAW_SEND) or websocket.send
        self.send = cast(Callable[[MutableMapping[str, Any]], Coroutine[Any, Any, None]], send)

    async def close(self, code: int = 1000, reason: str | None = None) -> None:
        await self._websocket.close(code=code, reason=reason)
