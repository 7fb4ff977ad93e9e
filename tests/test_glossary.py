"""The glossary (README, "Glossary"): every catalogue says each concept with its language's
term and never with a word the table rules out. The checker is tested on a made-up catalogue
too, so that it can be seen to fail."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from babel.messages.pofile import read_po

from app.i18n import LOCALE_DIR, LOCALES

README = (Path(__file__).resolve().parent.parent / "README.md").read_text(encoding="utf-8")
PLACEHOLDER = re.compile(r"%\(\w+\)[sd]|%[sd]|\{\w+\}")

# Messages that use a glossary's English word in another sense, with the concept they do not
# mean. Keep it short: rewording the message is usually better.
OTHER_SENSES = {
    "Each session tells the room what came out of it.": {"Room"},  # everyone present
}

# (msgid and plural, if any; the translations, one per plural form)
Message = tuple[str, list[str]]


@dataclass
class Entry:
    concept: str
    english: list[str]
    terms: dict[str, list[str]] = field(default_factory=dict)  # language → word beginnings
    avoid: dict[str, list[str]] = field(default_factory=dict)


def _cells(line: str) -> list[str]:
    return [cell.strip() for cell in line.strip().strip("|").split("|")]


def _forms(cell: str) -> list[str]:
    return [form.strip() for form in cell.split(",") if form.strip()]


def parse_glossary(markdown: str) -> list[Entry]:
    """The table under "## Glossary": Concept, en, then per language its column and its
    "not to use" column, then Notes."""
    section = markdown.split("\n## Glossary\n", 1)[1].split("\n## ", 1)[0]
    rows = [line for line in section.splitlines() if line.startswith("|")]
    header = _cells(rows[0])
    entries = []
    for line in rows[2:]:
        row = dict(zip(header, _cells(line), strict=True))
        entry = Entry(concept=row["Concept"], english=_forms(row["en"]))
        for column, value in row.items():
            if re.fullmatch(r"[a-z]{2,3}", column) and column != "en":
                entry.terms[column] = _forms(value)
            elif column.endswith(": not to use"):
                entry.avoid[column.split(":")[0]] = _forms(value)
        entries.append(entry)
    return entries


def languages_of(entries: list[Entry]) -> set[str]:
    return {language for entry in entries for language in entry.terms}


def _english(form: str) -> re.Pattern[str]:
    words = r"[\s-]+".join(re.escape(word) for word in re.split(r"[\s-]+", form))
    return re.compile(rf"\b{words}(?:s|es)?\b", re.IGNORECASE)


def _begins(beginning: str) -> re.Pattern[str]:
    return re.compile(rf"(?<!\w){re.escape(beginning)}", re.IGNORECASE)


def violations(entries: list[Entry], messages: Iterable[Message], language: str) -> list[str]:
    """Each translation that misses its language's term for a concept its message names, or
    uses a word the glossary rules out; longer English terms are matched first and hide the
    shorter ones inside them, as longer terms of the language hide the words to avoid."""
    forms = sorted(
        ((form, entry) for entry in entries for form in entry.english), key=lambda f: -len(f[0])
    )
    own_terms = sorted(
        (term for entry in entries for term in entry.terms.get(language, [])), key=len
    )
    found = []
    for msgid, translations in messages:
        text = PLACEHOLDER.sub(" ", msgid)
        named: list[Entry] = []
        for form, entry in forms:
            pattern = _english(form)
            if pattern.search(text):
                text = pattern.sub(" ", text)
                if entry not in named and entry.concept not in OTHER_SENSES.get(msgid, set()):
                    named.append(entry)
        for entry in named:
            terms = entry.terms.get(language, [])
            for translation in filter(None, translations):
                if terms and not any(_begins(term).search(translation) for term in terms):
                    found.append(f"{entry.concept}: {msgid!r} → {translation!r} lacks {terms}")
                for avoided in entry.avoid.get(language, []):
                    masked = translation
                    for term in own_terms:
                        if len(term) > len(avoided) and avoided.casefold() in term.casefold():
                            masked = re.sub(re.escape(term), " ", masked, flags=re.IGNORECASE)
                    if _begins(avoided).search(masked):
                        found.append(f"{entry.concept}: {msgid!r} → {translation!r} has {avoided}")
    return found


def catalogue(language: str) -> list[Message]:
    with (LOCALE_DIR / language / "LC_MESSAGES" / "messages.po").open("rb") as handle:
        read = read_po(handle, locale=language)
    messages = []
    for message in read:
        if not message.id:
            continue
        msgid = " ".join(message.id) if isinstance(message.id, tuple) else message.id
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        messages.append((msgid, [text for text in strings if text]))
    return messages


GLOSSARY = parse_glossary(README)


def test_the_glossary_names_the_products_words() -> None:
    concepts = {entry.concept for entry in GLOSSARY}
    for needed in ("Event", "Convener", "The method", "Session", "Proceedings", "Check in"):
        assert needed in concepts
    assert all(entry.english for entry in GLOSSARY)


def test_every_shipped_language_has_its_column() -> None:
    assert set(LOCALES) - {"en"} <= languages_of(GLOSSARY)
    assert all(entry.terms["bg"] for entry in GLOSSARY)


# Every language with a column, shipped or still being translated.
@pytest.mark.parametrize("language", sorted(languages_of(GLOSSARY)))
def test_the_catalogue_uses_the_glossarys_terms(language: str) -> None:
    assert violations(GLOSSARY, catalogue(language), language) == []


# --- the checker itself, on a made-up glossary and catalogue ---------------------------

MADE_UP = """
## Glossary

| Concept | en | bg | bg: not to use | pl | pl: not to use | Notes |
| --- | --- | --- | --- | --- | --- | --- |
| The product | Open Space Lab | Open Space Lab | | Open Space Lab | | A name. |
| The method | Open Space | Отворено пространство | Open Space | Open Space | | |
| Convener | convener, co-host | водещ, съводещ | инициатор | prowadząc | inicjator | |
| Card | card | картичк | | kart | | |
| Check in | check in | отбеляз | регистр | zamelduj | | |

## Next section
"""


def test_the_checker_reads_each_languages_columns() -> None:
    entries = parse_glossary(MADE_UP)
    assert languages_of(entries) == {"bg", "pl"}
    convener = entries[2]
    assert (convener.english, convener.terms, convener.avoid) == (
        ["convener", "co-host"],
        {"bg": ["водещ", "съводещ"], "pl": ["prowadząc"]},
        {"bg": ["инициатор"], "pl": ["inicjator"]},
    )


@pytest.mark.parametrize(
    ("message", "found"),
    [
        (("Conveners", ["Водещи"]), False),
        (("Conveners", ["Инициатори"]), True),  # the term missing, and a word not to use
        (("Ask to co-host", ["Помоли да станеш съводещ"]), False),
        (("Ask to co-host", ["Помоли да станеш водещ и инициатор"]), True),  # not to use
        (("%(num)d convener %(num)d conveners", ["%(num)d водещ", "%(num)d инициатори"]), True),
        (("CONVENER", ["водещ"]), False),  # any case
        (("Discard changes", ["Откажи промените"]), False),  # "card" is a whole word only
        (("%(card)s is new", ["%(card)s е нов"]), False),  # placeholders are not words
        (("Check-in to sessions", ["Регистрация за сесии"]), True),  # a hyphen is a space
        (("Join an Open Space", ["Включете се в Open Space"]), True),
        (("Join an Open Space", ["Включете се в Отворено пространство"]), False),
        # The product's name hides the method's inside it, in both languages.
        (("Compiled by Open Space Lab", ["Съставено с Open Space Lab"]), False),
        (("The room is full", ["Залата е пълна"]), False),  # no glossary word
    ],
)
def test_the_checker_finds_what_breaks_the_glossary(message: Message, found: bool) -> None:
    assert bool(violations(parse_glossary(MADE_UP), [message], "bg")) == found


def test_the_checker_names_the_message_and_the_word() -> None:
    found = violations(parse_glossary(MADE_UP), [("Conveners", ["Инициатори"])], "bg")
    assert found == [
        "Convener: 'Conveners' → 'Инициатори' lacks ['водещ', 'съводещ']",
        "Convener: 'Conveners' → 'Инициатори' has инициатор",
    ]
