"""The application factory."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from urllib.parse import quote

import anyio
from fastapi import Depends, FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from sqlalchemy import Engine
from sqlalchemy.exc import DataError, InterfaceError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from starlette.exceptions import HTTPException as StarletteHTTPException

from app.bodylimit import BodyLimit
from app.config import Settings, get_settings
from app.db import THREADS, make_engine
from app.deps import no_nul_in_forms, valid_ids
from app.errors import DomainError, NotJoined, NotSignedIn
from app.i18n import _
from app.realtime.broker import make_broker
from app.realtime.frames import FrameRenderer
from app.realtime.hub import Hub
from app.routes import (
    agenda,
    auth,
    board,
    convergence,
    events,
    health,
    maps,
    news,
    notes,
    people,
    proceedings,
    programme,
    schedule,
    topics,
)
from app.routes.live import LiveSockets
from app.runtime import collect_when_idle, tune_process
from app.templating import render, templates
from app.web import WebMiddleware

logger = logging.getLogger("openspace")
# The database did not answer (restarting, unreachable, every connection busy): nothing was
# stored, and the same request a moment later will do. A phone's vote retried with its
# idempotency key still counts once.
DATABASE_UNAVAILABLE = (OperationalError, InterfaceError, PoolTimeout)
RETRY_AFTER_SECONDS = 2
STATIC_DIR = Path(__file__).parent / "static"


def create_app(settings: Settings | None = None, *, engine: Engine | None = None) -> FastAPI:
    """The web app: its routes and middleware, then its state (see ``configure``)."""
    settings = settings or get_settings()
    app = FastAPI(
        title="Open Space Lab",
        lifespan=_lifespan,
        docs_url=None,
        redoc_url=None,
        openapi_url=None,
        dependencies=[Depends(valid_ids), Depends(no_nul_in_forms)],
    )
    configure(app, settings, engine=engine)

    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
    for module in (
        health,
        auth,
        events,
        programme,
        people,
        topics,
        news,
        schedule,
        agenda,
        notes,
        convergence,
        proceedings,
        maps,
        board,
    ):
        app.include_router(module.router)

    app.add_exception_handler(DomainError, _domain_error)  # type: ignore[arg-type]
    app.add_exception_handler(RequestValidationError, _validation_error)  # type: ignore[arg-type]
    # Input the database refuses (a NUL byte in text on PostgreSQL): a bad request, not a crash.
    app.add_exception_handler(DataError, _validation_error)  # type: ignore[arg-type]
    app.add_exception_handler(StarletteHTTPException, _http_error)  # type: ignore[arg-type]
    for unavailable in DATABASE_UNAVAILABLE:
        app.add_exception_handler(unavailable, _database_unavailable)
    app.add_exception_handler(Exception, _unexpected_error)
    # Live sockets skip the router (app/routes/live.py); inside WebMiddleware for the locale.
    app.add_middleware(LiveSockets)
    app.add_middleware(BodyLimit)  # inside WebMiddleware: it needs the cookie and locale
    app.add_middleware(WebMiddleware, settings=settings)
    return app


def configure(app: FastAPI, settings: Settings, *, engine: Engine | None = None) -> None:
    """Give the app its settings, database engine and live hub: all that requests read from
    ``app.state``. The app makes its own engine (and disposes of it on shutdown) unless given
    one. The middleware keeps the settings the app was built with (cookies, security headers).

    Building an app analyses every route, a quarter of a second: the tests build one per
    database and configure it anew for each test."""
    app.state.settings = settings
    app.state.owns_engine = engine is None
    app.state.engine = engine = engine or make_engine(settings)
    app.state.hub = Hub(make_broker(settings.broadcast_url), FrameRenderer(engine))
    # Outside development the templates never change while the process runs: checking each
    # file's time on every include (a dozen per live frame, more per page) is wasted work.
    templates.env.auto_reload = settings.environment == "development"
    app.state.event_ids = {}  # slug → id, for WebSocket handshakes without a query


@asynccontextmanager
async def _lifespan(app: FastAPI) -> AsyncIterator[None]:
    hub: Hub = app.state.hub
    anyio.to_thread.current_default_thread_limiter().total_tokens = THREADS
    tune_process()
    await hub.start()
    collector = asyncio.create_task(collect_when_idle(lambda: hub.last_activity))
    try:
        yield
    finally:
        collector.cancel()
        await hub.stop()
        if app.state.owns_engine:
            app.state.engine.dispose()


def _from_htmx(request: Request) -> bool:
    return request.headers.get("hx-request") == "true"


def _error_page(request: Request, message: str, status_code: int) -> HTMLResponse:
    if _from_htmx(request):
        # htmx swaps this message into the page's flash area, whatever the target was: a
        # whole error page would land inside a button's corner of the screen.
        return render(request, "partials/flash.html", {"message": message}, status_code=status_code)
    return render(
        request,
        "errors/error.html",
        {"message": message, "status": status_code},
        status_code=status_code,
    )


async def _domain_error(request: Request, error: DomainError) -> Response:
    if isinstance(error, NotSignedIn) and request.method == "GET":
        return RedirectResponse(f"/login?next={quote(request.url.path)}", status_code=303)
    if isinstance(error, NotJoined) and request.method == "GET" and not _from_htmx(request):
        return RedirectResponse("/join", status_code=303)
    return _error_page(request, error.message, error.status_code)


async def _validation_error(
    request: Request, error: RequestValidationError | DataError
) -> Response:
    # Form fields are strings with defaults, so this is a mangled URL or a hand-made request.
    return _error_page(request, _("Some of what was sent could not be understood."), 422)


async def _http_error(request: Request, error: StarletteHTTPException) -> Response:
    if error.status_code == 404:
        return _error_page(request, _("There is nothing at this address."), 404)
    if error.status_code == 405:
        return _error_page(request, _("This page cannot be used this way."), 405)
    return _error_page(request, str(error.detail), error.status_code)


async def _database_unavailable(request: Request, error: Exception) -> Response:
    logger.warning("Database unavailable on %s %s: %s", request.method, request.url.path, error)
    message = _("The database is not answering for a moment. Please try again.")
    headers = {"Retry-After": str(RETRY_AFTER_SECONDS)}
    if "application/json" in request.headers.get("accept", ""):
        body = {"error": "unavailable", "message": message, "retry_after": RETRY_AFTER_SECONDS}
        return JSONResponse(body, status_code=503, headers=headers)
    response = _error_page(request, message, 503)
    response.headers.update(headers)
    return response


async def _unexpected_error(request: Request, error: Exception) -> Response:
    logger.exception("Unexpected error on %s %s", request.method, request.url.path, exc_info=error)
    return _error_page(request, _("Something went wrong on our side. Please try again."), 500)
