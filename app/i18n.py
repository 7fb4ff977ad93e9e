"""Translations: Babel catalogues under ``app/locale``, chosen per request.

The locale lives in a context variable set by the web middleware, so services, templates and
WebSocket renderers all translate with the same ``_`` without passing the request around.
Catalogues are compiled from the ``.po`` files on first use when no fresh ``.mo`` exists, so a
fresh checkout works without a build step (``make i18n`` extracts and compiles explicitly).
"""

from __future__ import annotations

import datetime as dt
import gettext as gettext_module
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from functools import cache, lru_cache
from io import BytesIO
from pathlib import Path

from babel import Locale, UnknownLocaleError
from babel.dates import format_date
from babel.lists import format_list as babel_format_list
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.numbers import format_decimal
from babel.support import Translations
from markupsafe import Markup

LOCALE_DIR = Path(__file__).parent / "locale"
LOCALES: tuple[str, ...] = ("en", "bg", "pl", "uk", "ar", "fa")

_current: ContextVar[str] = ContextVar("locale", default="en")


@cache
def translations(locale: str) -> gettext_module.NullTranslations:
    po_file = LOCALE_DIR / locale / "LC_MESSAGES" / "messages.po"
    if locale == "en" or not po_file.exists():
        return gettext_module.NullTranslations()
    mo_file = po_file.with_suffix(".mo")
    if mo_file.exists() and mo_file.stat().st_mtime >= po_file.stat().st_mtime:
        with mo_file.open("rb") as handle:
            return Translations(handle)
    with po_file.open("rb") as handle:
        catalog = read_po(handle, locale=locale)
    buffer = BytesIO()
    write_mo(buffer, catalog)
    buffer.seek(0)
    return Translations(buffer)


def get_locale() -> str:
    return _current.get()


def set_locale(locale: str) -> None:
    _current.set(locale if locale in LOCALES else LOCALES[0])


@contextmanager
def use_locale(locale: str) -> Iterator[None]:
    token = _current.set(locale if locale in LOCALES else LOCALES[0])
    try:
        yield
    finally:
        _current.reset(token)


def gettext(message: str) -> str:
    return translations(_current.get()).gettext(message)


def ngettext(singular: str, plural: str, n: int) -> str:
    return translations(_current.get()).ngettext(singular, plural, n)


_ = gettext


def gettext_in(locale: str, message: str) -> str:
    """``message`` in ``locale`` whatever the current one is: the board's second language."""
    return translations(locale if locale in LOCALES else LOCALES[0]).gettext(message)


def board_locales(languages: list[str], chosen: str | None = None) -> tuple[str, str | None]:
    """The language a projected screen speaks, and the one it shows beside it.

    The event's, not the projector browser's: the chosen one (the board link's ``?lang=``)
    if we have it, else the event's first language we have a catalogue for. Beside it, the
    event's next such language, if it has one.
    """
    shipped = [code for code in languages if code in LOCALES]
    main = chosen if chosen in LOCALES else (shipped[0] if shipped else LOCALES[0])
    second = next((code for code in shipped if code != main), None)
    return main, second


def newcomer_locale(accept_language: str | None, languages: list[str]) -> str:
    """The language offered to someone joining an event who has not chosen one: their
    browser's if we ship it, else the event's first that we ship. The event's languages
    decide only this default; the person picks any shipped language."""
    return negotiate(accept_language, board_locales(languages)[0])


def N_(message: str) -> str:
    """Mark a string for extraction; it is translated later, where it is shown."""
    return message


def negotiate(accept_language: str | None, default: str) -> str:
    """Pick a shipped locale from an Accept-Language header."""
    if not accept_language:
        return default
    weighted: list[tuple[float, str]] = []
    for part in accept_language.split(","):
        tag, _sep, params = part.strip().partition(";")
        quality = 1.0
        if params.strip().startswith("q="):
            try:
                quality = float(params.strip()[2:])
            except ValueError:
                continue
        weighted.append((quality, tag.strip().lower()))
    for quality, tag in sorted(weighted, key=lambda item: -item[0]):
        if quality <= 0:  # q=0 means "not this one"
            continue
        language = tag.split("-")[0]
        if language in LOCALES:
            return language
    return default


@lru_cache(maxsize=256)
def language_name(code: str) -> str:
    """A language in its own name, as Babel's data writes it, capitalised as a list item reads
    ("Deutsch", "Български", "Polski"): a person finds theirs whatever the page is in. An
    unknown code stands for itself."""
    try:
        name = Locale.parse(code).get_display_name(code)
    except (ValueError, TypeError, UnknownLocaleError):
        return code
    return name[:1].upper() + name[1:] if name else code


@cache
def direction(locale: str) -> str:
    """ "rtl" or "ltr": how a language is written (Arabic and Farsi right to left), from
    Babel's locale data. Every ``dir`` attribute and Word paragraph's direction comes from here."""
    try:
        order = Locale.parse(locale).character_order
    except (ValueError, TypeError):
        return "ltr"
    return "rtl" if order == "right-to-left" else "ltr"


def bidi(value: object) -> Markup:
    """What a person typed, isolated in a ``<bdi>`` (whose direction is ``auto``): an Arabic
    title beside a Latin organisation name, or a Latin name on an Arabic page, each reads in
    its own direction and leaves the text around it in order. Nothing for nothing, so that
    ``:empty`` rules still see an empty element."""
    if value is None or value == "":
        return Markup("")
    return Markup("<bdi>%s</bdi>") % value


# Babel's "en" is American English ("June 9, 2021", "A, B, and C"). Ours is the English of the
# people who read the proceedings, in Europe: "9 June 2021", "A, B and C".
_CONVENTIONS = {"en": "en_GB"}


def conventions(locale: str | None = None) -> str:
    """The Babel locale whose conventions (dates, lists, numbers) a language of ours follows:
    ``locale``, or the current language."""
    code = locale or get_locale()
    return _CONVENTIONS.get(code, code)


def format_day(day: dt.date, *, weekday: bool = True, locale: str | None = None) -> str:
    """A day as people write it in the language (the current one unless ``locale``):
    "Tuesday, 9 June 2026", "вторник, 9 юни 2026 г."; without the weekday (the proceedings)
    "9 June 2026", "9 юни 2026 г.". Every date shown to people goes through here; times are
    ``HH:MM`` on the 24-hour clock in every language."""
    return format_date(day, format="full" if weekday else "long", locale=conventions(locale))


def format_days(days: Iterable[dt.date], *, locale: str | None = None) -> str:
    """The span of some days, without weekdays: "9 June 2026", or "9 June 2026 – 10 June
    2026"; empty when there are none."""
    found = sorted(days)
    if not found:
        return ""
    first, last = (format_day(day, weekday=False, locale=locale) for day in (found[0], found[-1]))
    return first if first == last else f"{first} – {last}"


def day_heading(day: dt.date, title: str | None) -> Markup:
    """A day's heading wherever days are named: its date, then its title if it has one,
    isolated (``bidi``) as the organiser typed it."""
    date = Markup.escape(format_day(day))
    return date + Markup(" · ") + bidi(title) if title else date


def format_list(items: Sequence[str], *, locale: str | None = None) -> str:
    """Items as one phrase in the language: "Mira, Ivo and Dan", "Мира, Иво и Дан"."""
    return babel_format_list(list(items), locale=conventions(locale)) if items else ""


def format_number(number: int) -> str:
    """A number as the current language writes it ("1,000" in English, "1 000" in Bulgarian)."""
    return format_decimal(number, locale=conventions())
