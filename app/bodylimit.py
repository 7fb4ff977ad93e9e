"""A cap on every request body, enforced while it streams in, before anything parses it.

Forms are parsed by the first dependencies (the NUL check, the CSRF check), and the form
parsers keep whatever arrives, so a cap in a route would come too late. Here, in front of
them, each request may send at most its route's cap: a body that says its length is refused
at once, unread, when the length is over; one that streams without a length (chunked) is cut
off as soon as it passes the cap.

The caps follow from the fields' own limits, percent-encoded as a browser sends a form (a
character of Bulgarian is 6 bytes there, an emoji 12). Most forms fit in 64 KiB; the notes
form carries four Markdown fields of 20,000 characters, the event's settings its executive
summary of as many; a photo upload may be 15 MB, an organisation's logo 5 MB.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.i18n import N_, _
from app.models.events import (
    EVENT_DESCRIPTION_MAX,
    EVENT_NAME_MAX,
    PRIVACY_CONTACT_MAX,
    REPORT_ACKNOWLEDGEMENT_MAX,
    REPORT_SUMMARY_MAX,
    VENUE_MAX,
)
from app.models.notes import LINE_MAX, MARKDOWN_MAX
from app.services.events import logos
from app.services.notes.photos import MAX_BYTES
from app.templating import render

FORM_BODY = 64 * 1024
# Four Markdown fields and three one-line fields, every character at its longest (12 bytes).
NOTES_BODY = (4 * MARKDOWN_MAX + 3 * LINE_MAX) * 12 + 16 * 1024
# The event's settings: the summary, the description and the shorter fields at their longest.
EVENT_BODY = (
    REPORT_SUMMARY_MAX
    + EVENT_DESCRIPTION_MAX
    + REPORT_ACKNOWLEDGEMENT_MAX
    + VENUE_MAX
    + EVENT_NAME_MAX
    + PRIVACY_CONTACT_MAX
) * 12 + 16 * 1024
# The photo, its caption, the CSRF token and the multipart boundaries.
PHOTO_BODY = MAX_BYTES + 64 * 1024
# The logo, the organisation's name, the CSRF token and the boundaries.
LOGO_BODY = logos.MAX_BYTES + 64 * 1024


TOO_LARGE = N_("What was sent is too large. Shorten it and try again.")


@dataclass(frozen=True)
class Cap:
    pattern: re.Pattern[str]
    limit: int
    too_large: str = TOO_LARGE  # untranslated: translated when a request needs it
    needs_length: bool = False  # a photo must say its size, so a phone hears "too big" at once

    @property
    def message(self) -> str:
        return _(self.too_large)


CAPS = (
    Cap(
        re.compile(r"^/e/[^/]+/sessions/[^/]+/photos/?$"),
        PHOTO_BODY,
        N_("This photo is larger than 15 MB. Take it again at a lower resolution."),
        needs_length=True,
    ),
    Cap(re.compile(r"^/e/[^/]+/sessions/[^/]+/notes/?$"), NOTES_BODY),
    Cap(re.compile(r"^/o/[^/]+/edit/?$"), EVENT_BODY),
    Cap(
        re.compile(r"^/o/[^/]+/hosts(?:/[^/]+/logo)?/?$"),
        LOGO_BODY,
        N_("This logo is larger than 5 MB. Save it smaller and try again."),
    ),
)
DEFAULT_CAP = Cap(re.compile(""), FORM_BODY)


def cap_for(path: str) -> Cap:
    return next((cap for cap in CAPS if cap.pattern.match(path)), DEFAULT_CAP)


class BodyTooLarge(Exception):
    """Raised from inside ``receive`` when a streamed body passes its cap, so that whoever was
    reading it stops. Readers may wrap it (FastAPI answers "error parsing the body"), so the
    middleware does not rely on it arriving: it remembers the overflow and answers itself."""


class BodyLimit:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        cap = cap_for(scope["path"])
        length = dict(scope["headers"]).get(b"content-length")
        if length is not None and not length.isdigit():
            await _refuse(scope, receive, send, 400, _("What was sent could not be understood."))
            return
        if length is None and cap.needs_length and scope["method"] == "POST":
            await _refuse(scope, receive, send, 411, _("Send the photo again, please."))
            return
        if length is not None and int(length) > cap.limit:
            await _refuse(scope, receive, send, 413, cap.message)
            return

        received = 0
        overflowed = started = False

        async def counted_receive() -> Message:
            nonlocal received, overflowed
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > cap.limit:
                    overflowed = True
                    raise BodyTooLarge
            return message

        async def guarded_send(message: Message) -> None:
            nonlocal started
            if overflowed and not started:
                return  # the app's answer to a body it could not read: ours goes instead
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, counted_receive, guarded_send)
        except Exception:
            if not overflowed or started:
                raise
        if overflowed and not started:
            await _refuse(scope, receive, send, 413, cap.message)


async def _refuse(scope: Scope, receive: Receive, send: Send, status: int, message: str) -> None:
    request = Request(scope, receive)
    if request.headers.get("hx-request") == "true":
        response = render(request, "partials/flash.html", {"message": message}, status_code=status)
    else:
        response = render(
            request, "errors/error.html", {"message": message, "status": status}, status_code=status
        )
    response.headers["connection"] = "close"  # the unread body goes with the connection
    await response(scope, receive, send)
