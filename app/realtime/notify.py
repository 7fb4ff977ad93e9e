"""Notify by default: every successful write to an event tells its live screens.

The event routers are built with ``route_class=EventRoute``. After a POST (PUT, PATCH,
DELETE) handler returns a 2xx or 3xx answer, the route calls ``hub.changed(event_id)`` for
the event the request named; the hub coalesces, so a burst of writes costs one render. A
request that fails (a domain error raised, or a 4xx/5xx answer returned) tells nobody.

Which event: the access dependencies (``app/deps.py``) record the event that ``{slug}``
names with ``for_event``; a route that finds its event another way (joining by code) calls
it itself. A write that resolved no event (signing in, creating an event) tells nobody.

Opting out, both visible in the code and listed with a reason in tests/routes/test_notify.py:
- ``@quiet`` under the route decorator: the route never notifies;
- ``unchanged(request)`` in a handler: this request changed nothing the screens show (a
  retried vote already counted, a heartbeat that changed nobody's presence).

Code after ``yield`` in a dependency cannot do this: it runs after the response was sent,
and never sees a 4xx answer a handler returned rather than raised.
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine, Iterable
from typing import Any, TypeVar

from fastapi.routing import APIRoute
from starlette.requests import HTTPConnection, Request
from starlette.responses import Response

from app.db import UNSAFE_METHODS

Endpoint = TypeVar("Endpoint", bound=Callable[..., Any])


def quiet(endpoint: Endpoint) -> Endpoint:
    """Never tell the hub after this route (put it under ``@router.post``)."""
    endpoint.__dict__["notifies"] = False
    return endpoint


def notifies(endpoint: Callable[..., Any]) -> bool:
    return bool(endpoint.__dict__.get("notifies", True))


def for_event(connection: HTTPConnection, event_id: int) -> None:
    """This request is about ``event_id``: a successful write to it tells its screens."""
    connection.state.event_id = event_id


def unchanged(request: Request) -> None:
    """This request succeeded but changed nothing the live screens show."""
    request.state.unchanged = True


def nudge(request: Request, participant_ids: Iterable[int], *, except_device: int = 0) -> None:
    """These participants' own state changed (dots, requests, check-in): their open phones
    fetch it again, except ``except_device``, which made the change and has its answer. Call
    it after the change is committed; the shared frames still follow ``changed`` as usual."""
    event_id: int | None = getattr(request.state, "event_id", None)
    if event_id is not None:
        request.app.state.hub.nudge(event_id, "phones", participant_ids, except_grant=except_device)


class EventRoute(APIRoute):
    """A route that tells the hub after every successful unsafe request (see the module)."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()
        if not (set(self.methods or ()) & UNSAFE_METHODS and notifies(self.endpoint)):
            return handler

        async def notifying_handler(request: Request) -> Response:
            response = await handler(request)  # raised errors pass by: nothing to tell
            event_id: int | None = getattr(request.state, "event_id", None)
            if (
                event_id is not None
                and response.status_code < 400
                and not getattr(request.state, "unchanged", False)
            ):
                request.app.state.hub.changed(event_id)
            return response

        return notifying_handler
