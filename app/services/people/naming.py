"""Who an output that leaves the event's staff may name: the consent rule, in one place.

A participant is named only if they agreed to appear by name (``Participant.consent_report``);
anyone else, and anyone whose participant row is gone, is "a participant" (or counted:
"Mira and 1 more"), in the output's language: a list typed by hand that names someone who
may not be named is written anew in that language, not patched with one of its words. Their
organisation goes with their name: it is shown only beside the name of someone who agreed,
and an organisation that only people who did not agree gave is never written out.

Every public output applies it through ``Naming``: the proceedings in every format (and the
CSV tables), the calendar feeds, the door signs, the printable agenda, the projector board
and its live frames, and the closing circle's slides. Staff pages inside the event, phone
pages, and the organisers' full archive (the JSON export) keep real names.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field

from sqlmodel import Session, col, select

from app.i18n import LOCALES, _, format_list, gettext_in, ngettext
from app.models.notes import Commitment
from app.models.people import Participant
from app.models.topics import Topic, TopicConvener

# Where a "who" typed by hand lists several: "Mira, Ivo", "Mira and Ivo", "Мира и Иво".
_WHO_PARTS = re.compile(r"(\s*[,;/&+]\s*|\s+(?:and|и)\s+)", re.IGNORECASE)

# (id, name, organisation, agreed to be named) of one participant
PersonRow = tuple[int | None, str, str, bool]


def fold(text: str) -> str:
    """A name as compared: spaces collapsed, case folded."""
    return " ".join(text.split()).casefold()


def replace_parts(text: str, folded: set[str], by: str) -> str:
    """Text typed by hand that lists people ("Mira, Ivo and Dan"), with every part that is,
    case and spaces aside, one of ``folded`` replaced by ``by``."""
    parts = _WHO_PARTS.split(text)
    return "".join(
        by if index % 2 == 0 and fold(part) in folded else part for index, part in enumerate(parts)
    )


def anonymous() -> set[str]:
    """ "a participant" in every language we ship, folded: what forgetting someone leaves in
    text typed by hand (``privacy``), in the event's language at the time."""
    return {fold(gettext_in(locale, "a participant")) for locale in LOCALES}


def relist(text: str, folded: set[str]) -> str:
    """Text typed by hand that lists people, as the current language says it once some of
    them may not be named: unchanged when no part is, case and spaces aside, one of
    ``folded`` or "a participant" in any language; else the list anew, the other parts as
    typed and those counted, joined in the current language ("Ahmad and a participant",
    "Ahmad и 2 участници"). Replacing a part in place would put a word of the output's
    language between the typed ones ("Ahmad and участник")."""
    hidden = folded | anonymous()
    items = _WHO_PARTS.split(text)[::2]
    others = sum(1 for item in items if fold(item) in hidden)
    if not others:
        return text
    kept = [item.strip() for item in items if item.strip() and fold(item) not in hidden]
    return format_list([*kept, participants(others)])


def participants(number: int) -> str:
    """ "a participant", "2 participants": people counted, not named."""
    if number == 1:
        return _("a participant")
    return ngettext("%(count)s participant", "%(count)s participants", number) % {"count": number}


def counted(names: list[str], others: int) -> str:
    """ "Mira, Ivo and 2 more": people who may not be named are only counted."""
    shown = ", ".join(names)
    if not others:
        return shown
    if not shown:
        return ngettext("%(num)d convener", "%(num)d conveners", others) % {"num": others}
    more = ngettext("and %(num)d more", "and %(num)d more", others)
    return f"{shown} {more % {'num': others}}"


@dataclass
class Naming:
    """An event's participants as a public output may name them."""

    named: dict[int, str] = field(default_factory=dict)  # id → name, of those who agreed
    names: set[str] = field(default_factory=set)  # their names, folded
    hidden: set[str] = field(default_factory=set)  # folded names (and organisations) not to show
    # False when built from some of the event's people only (``load_conveners``): enough to
    # name them, not to screen text, which needs everyone who may not be named.
    complete: bool = True

    @classmethod
    def of(cls, people: Iterable[PersonRow], *, complete: bool = True) -> Naming:
        naming = cls(complete=complete)
        shown_orgs: set[str] = set()
        hidden_orgs: set[str] = set()
        for person_id, name, organisation, agreed in people:
            if agreed and person_id is not None:
                naming.named[person_id] = name
                naming.names.add(fold(name))
                shown_orgs.add(fold(organisation))
            else:
                naming.hidden.add(fold(name))
                hidden_orgs.add(fold(organisation))
        # An organisation points to a person only when nobody who agreed gave it too.
        naming.hidden |= hidden_orgs - shown_orgs
        naming.hidden.discard("")
        return naming

    def name(self, participant_id: int | None) -> str | None:
        """The participant's name if they agreed to be named; ``None`` for anyone else,
        including a participant who is gone (``participant_id`` is ``None`` or unknown)."""
        return self.named.get(participant_id) if participant_id is not None else None

    def who(self, participant_id: int | None) -> str:
        """The participant's name, or "a participant"."""
        return self.name(participant_id) or _("a participant")

    def split(self, participant_ids: Iterable[int]) -> tuple[list[str], int]:
        """The names that may be shown, in order, and how many others there are."""
        names, others = [], 0
        for participant_id in participant_ids:
            found = self.name(participant_id)
            if found is None:
                others += 1
            else:
                names.append(found)
        return names, others

    def conveners(self, participant_ids: Iterable[int]) -> str:
        """A topic's conveners as one line: "Mira and 1 more", "2 conveners"."""
        return counted(*self.split(participant_ids))

    def may_name(self, name: str) -> bool:
        """A name recorded as text (a note taker's): only if a participant who agreed to be
        named has it, and none who did not."""
        self._require_complete()
        folded = fold(name)
        return folded in self.names and folded not in self.hidden

    def screen(self, text: str) -> str:
        """Text typed by hand that may name people (a "who", the notes' conveners line):
        as typed, unless a part of it is exactly the name, or the organisation, of someone who
        did not agree to be named (case and spaces aside), or "a participant" that forgetting
        someone left; then the list anew in the current language, those parts counted
        (``relist``)."""
        self._require_complete()
        return relist(text, self.hidden)

    def pledger(self, commitment: Commitment) -> str:
        """Who a commitment is by. A participant who agreed to be named, or staff: what they
        typed (screened). A participant who did not, or one who is gone: "a participant",
        whatever they typed, since it may be their name or an organisation that points to
        them."""
        self._require_complete()
        participant = commitment.participant_id
        if participant in self.named or (participant is None and commitment.user_id):
            return self.screen(commitment.who)
        return _("a participant")

    def _require_complete(self) -> None:
        if not self.complete:
            raise RuntimeError("screening text needs everyone of the event: use naming.load")


def load(session: Session, *, event_id: int) -> Naming:
    """Who of the event may be named (one query)."""
    return _load(session, event_id=event_id, complete=True)


def load_conveners(session: Session, *, event_id: int) -> Naming:
    """The same for the event's conveners only (one query over a few rows, where ``load``
    reads every participant): for a screen that names nobody else, such as the board in most
    phases."""
    return _load(session, event_id=event_id, complete=False)


def _load(session: Session, *, event_id: int, complete: bool) -> Naming:
    query = select(
        Participant.id, Participant.name, Participant.organisation, Participant.consent_report
    ).where(Participant.event_id == event_id)
    if not complete:
        convening = (
            select(TopicConvener.participant_id)
            .join(Topic, Topic.id == TopicConvener.topic_id)  # type: ignore[arg-type]
            .where(Topic.event_id == event_id)
        )
        query = query.where(col(Participant.id).in_(convening))
    return Naming.of(session.exec(query).all(), complete=complete)
