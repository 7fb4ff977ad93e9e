"""Text fields against their length limits: one check, one message for every field.

The limit is the model's constant (``TITLE_MAX`` …), which also sizes the column and the
form's ``maxlength`` (the ``limits`` template global), so each number is written once.
"""

from __future__ import annotations

from app.errors import Invalid
from app.i18n import format_number, ngettext


def too_long(text: str, limit: int) -> str | None:
    """The message ("Use at most 1,000 characters.") for ``text`` over ``limit``, else None."""
    if len(text) <= limit:
        return None
    message = ngettext(
        "Use at most %(count)s character.", "Use at most %(count)s characters.", limit
    )
    return message % {"count": format_number(limit)}


def check_length(text: str, limit: int, *, field: str) -> None:
    """Refuse ``text`` longer than ``limit``, with the message next to ``field``."""
    if (message := too_long(text, limit)) is not None:
        raise Invalid({field: message})
