"""The ASGI middleware every request passes: browser cookie, locale, security headers.

Pure ASGI rather than ``BaseHTTPMiddleware``: it runs on every vote and every WebSocket
handshake, and it must set the locale context variable before the route runs.
"""

from __future__ import annotations

import hmac
from http.cookies import SimpleCookie
from typing import Any

from starlette.datastructures import MutableHeaders
from starlette.requests import HTTPConnection
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.config import Settings
from app.i18n import LOCALES, negotiate, set_locale
from app.realtime.asgi import keep_raw_send
from app.security import new_token, sign

SID_COOKIE = "osl_sid"
LANG_COOKIE = "osl_lang"
# The board link's signature, so the board may see session photos (app/routes/board.py sets
# it, app/routes/notes.py reads it).
BOARD_COOKIE = "osl_board_{event_id}"
CDN_ORIGIN = "https://cdn.jsdelivr.net"

HTMX_VERSION = "2.0.11"
HTMX_SRI = "sha384-2OatzQy1H+Zd/IIrjr1TcuDGqLXeHhbooAyJY1KdQMKnr4LZ22k31GBLdYKHmVjg"
HTMX_WS_VERSION = "2.0.4"
HTMX_WS_SRI = "sha384-1RwI/nvUSrMRuNj7hX1+27J8XDdCoSLf0EjEyF69nacuWyiJYoQ/j39RT1mSnd2G"
# name → (pinned CDN URL, SRI hash, vendored fallback copy)
CDN_SCRIPTS = {
    "htmx": (
        f"{CDN_ORIGIN}/npm/htmx.org@{HTMX_VERSION}/dist/htmx.min.js",
        HTMX_SRI,
        f"/static/vendor/htmx-{HTMX_VERSION}.min.js",
    ),
    "htmx-ws": (
        f"{CDN_ORIGIN}/npm/htmx-ext-ws@{HTMX_WS_VERSION}/dist/ws.min.js",
        HTMX_WS_SRI,
        f"/static/vendor/htmx-ext-ws-{HTMX_WS_VERSION}.min.js",
    ),
}


def csrf_token(sid: str, secret: bytes) -> str:
    return sign(secret, "csrf", sid)


def csrf_ok(sid: str | None, token: str | None, secret: bytes) -> bool:
    # Bytes, not str: compare_digest raises TypeError on a non-ASCII token.
    return bool(
        sid and token and hmac.compare_digest(csrf_token(sid, secret).encode(), token.encode())
    )


def content_security_policy(settings: Settings) -> str:
    # The pinned files, not the whole CDN origin: jsDelivr serves any npm package, and
    # allowing all of it would let injected markup load any script from there.
    pinned = [url for url, _sri, _fallback in CDN_SCRIPTS.values()] if settings.use_cdn else []
    scripts = " ".join(["'self'", *pinned])
    return (
        "default-src 'self'; "
        f"script-src {scripts}; "
        "style-src 'self'; "
        "img-src 'self' data: blob:; "
        "connect-src 'self'; "
        "object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'"
    )


class WebMiddleware:
    def __init__(self, app: ASGIApp, settings: Settings) -> None:
        self.app = app
        self.settings = settings
        self.csp = content_security_policy(settings)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        connection = HTTPConnection(scope)
        cookies = connection.cookies
        state: dict[str, Any] = scope.setdefault("state", {})
        sid = cookies.get(SID_COOKIE)
        state["sid_is_new"] = not sid
        state["sid"] = sid or new_token()
        chosen = cookies.get(LANG_COOKIE)
        locale = (
            chosen
            if chosen in LOCALES
            else negotiate(connection.headers.get("accept-language"), self.settings.default_locale)
        )
        state["locale"] = locale
        state["locale_chosen"] = chosen in LOCALES  # else the browser's or the default
        set_locale(locale)
        if scope["type"] == "websocket":
            keep_raw_send(scope, send)
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                self._security_headers(headers)
                if not scope["path"].startswith("/static/"):
                    _no_store(headers, signed_in=not state["sid_is_new"])
                if state.get("sid_is_new") or state.get("sid_rotated"):
                    headers.append("set-cookie", self._sid_cookie(state["sid"]))
                headers.add_vary_header("HX-Request")
                headers.add_vary_header("Cookie")
            await send(message)

        await self.app(scope, receive, send_with_headers)

    def _security_headers(self, headers: MutableHeaders) -> None:
        headers.setdefault("content-security-policy", self.csp)
        headers.setdefault("x-content-type-options", "nosniff")
        headers.setdefault("x-frame-options", "DENY")
        headers.setdefault("referrer-policy", "same-origin")
        headers.setdefault("permissions-policy", "camera=(self), microphone=(), geolocation=()")
        headers.setdefault("cross-origin-opener-policy", "same-origin")
        if self.settings.secure_cookies:
            headers.setdefault("strict-transport-security", "max-age=31536000; includeSubDomains")

    def _sid_cookie(self, sid: str) -> str:
        cookie: SimpleCookie = SimpleCookie()
        cookie[SID_COOKIE] = sid
        morsel = cookie[SID_COOKIE]
        morsel["path"] = "/"
        morsel["httponly"] = True
        morsel["samesite"] = "Lax"
        morsel["max-age"] = str(self.settings.session_days * 86400)
        if self.settings.secure_cookies:
            morsel["secure"] = True
        return morsel.OutputString()


def _no_store(headers: MutableHeaders, *, signed_in: bool) -> None:
    """Pages are made for one browser (its CSRF token, its name, a personal link that is a
    credential): no cache keeps them, not a proxy's and not the phone's own, which the next
    person to hold a shared or stolen phone could page back through. A route may allow
    caching only for what browsers without a session fetch (a calendar app's feed)."""
    if signed_in:
        headers["cache-control"] = "no-store"
    else:
        headers.setdefault("cache-control", "no-store")


def remember_language(response: Response, locale: str, *, secure: bool) -> None:
    """Keep the language a person chose for their next visits (a year), if it is one we have."""
    if locale in LOCALES:
        response.set_cookie(
            LANG_COOKIE, locale, max_age=365 * 86400, httponly=True, samesite="lax", secure=secure
        )


def rotate_sid(state: Any) -> str:
    """Give the browser a new session cookie (on login and logout, against session fixation)."""
    state.sid = new_token()
    state.sid_rotated = True
    return str(state.sid)
