"""A cap on photo uploads, before anything reads the body.

Forms are parsed by the first dependencies (the NUL check, the CSRF check), and a multipart
parser spools whatever arrives. So the limit is enforced here, in front of them: an upload
must say its length, and one longer than a photo may be is answered at once, unread.
"""

from __future__ import annotations

import re

from starlette.requests import Request
from starlette.types import ASGIApp, Receive, Scope, Send

from app.i18n import _
from app.services.photos import MAX_BYTES
from app.templating import render

UPLOAD_PATH = re.compile(r"^/e/[^/]+/sessions/[^/]+/photos/?$")
# The photo, its caption, the CSRF token and the multipart boundaries.
MAX_BODY = MAX_BYTES + 64 * 1024


class UploadLimit:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if (
            scope["type"] != "http"
            or scope["method"] != "POST"
            or not UPLOAD_PATH.match(scope["path"])
        ):
            await self.app(scope, receive, send)
            return
        length = dict(scope["headers"]).get(b"content-length")
        if length is None or not length.isdigit():
            await self._refuse(scope, receive, send, 411, _("Send the photo again, please."))
            return
        if int(length) > MAX_BODY:
            message = _("This photo is larger than 15 MB. Take it again at a lower resolution.")
            await self._refuse(scope, receive, send, 413, message)
            return
        await self.app(scope, receive, send)

    async def _refuse(
        self, scope: Scope, receive: Receive, send: Send, status: int, message: str
    ) -> None:
        request = Request(scope, receive)
        if request.headers.get("hx-request") == "true":
            response = render(
                request, "partials/flash.html", {"message": message}, status_code=status
            )
        else:
            response = render(
                request,
                "errors/error.html",
                {"message": message, "status": status},
                status_code=status,
            )
        response.headers["connection"] = "close"  # the unread body goes with the connection
        await response(scope, receive, send)
