"""Similar-topic hints: titles already proposed that look like the one being typed, so that a
participant joins a topic rather than proposing it twice."""

from __future__ import annotations

import re
import unicodedata

from rapidfuzz import fuzz
from sqlmodel import Session, select

from app.models.base import id_of
from app.models.topics import (
    Topic,
    TopicStatus,
)
from app.services.access import EventAccess

# Two titles are similar when most words of the shorter one are found in the other. Words that
# say nothing about a topic do not count: in a refugee-integration lab almost every title says
# "for refugees" / "за бежанци", and "Jobs for refugees" is no duplicate of "Housing for
# refugees". Words of one or two letters ("за", "of", "to") are left out by their length.
# fmt: off
STOP_WORDS = frozenset({
    "the", "and", "for", "with", "from", "about", "into", "how", "what", "why", "our", "your",
    "are", "can", "new", "във", "със", "към", "при", "през", "как", "или", "чрез", "като",
})


# fmt: on
WORD_CUTOFF = 70  # fuzz.ratio of two words: inflections and typos (жилища/жилище, hosuing)


SIMILAR_SHARE = 0.6


def _normalise(text: str) -> str:
    folded = unicodedata.normalize("NFKC", text).casefold()
    return " ".join(re.sub(r"[^\w\s]", " ", folded).split())


def _words(text: str) -> list[str]:
    return [word for word in _normalise(text).split() if len(word) > 2 and word not in STOP_WORDS]


def _word_score(typed: str, other: str) -> float:
    if typed == other:
        return 100.0
    if other.startswith(typed) or typed.startswith(other):  # an inflection, or still typing
        return 90.0
    score = fuzz.ratio(typed, other)
    return score if score >= WORD_CUTOFF else 0.0


def _resemblance(typed: list[str], other: list[str]) -> float:
    """The share of the shorter list's words found in the other, each word used once."""
    if not typed or not other:
        return 0.0
    free = list(other)
    found = 0
    for word in typed:
        score, best = max((_word_score(word, candidate), candidate) for candidate in free)
        if score > 0:
            free.remove(best)
            found += 1
            if not free:
                break
    return found / min(len(typed), len(other))


def similar(session: Session, *, access: EventAccess, title: str, limit: int = 3) -> list[Topic]:
    """Active topics whose titles resemble ``title`` (Latin and Cyrillic alike), best first."""
    query = _normalise(title)
    words = _words(title)
    if len(query) < 4 or not words:
        return []
    topics = session.exec(
        select(Topic).where(Topic.event_id == access.event_id, Topic.status == TopicStatus.ACTIVE)
    ).all()
    ranked = []
    for topic in topics:
        share = _resemblance(words, _words(topic.title))
        if share >= SIMILAR_SHARE:
            ranked.append(
                (-share, -fuzz.ratio(query, _normalise(topic.title)), id_of(topic), topic)
            )
    ranked.sort(key=lambda row: row[:3])
    return [row[3] for row in ranked[:limit]]
