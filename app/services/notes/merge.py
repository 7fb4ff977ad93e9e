"""The three-way merge of one field's text, line by line: what a save does when someone else
saved in between (see ``editing``)."""

from __future__ import annotations

from difflib import SequenceMatcher

# --- merging -------------------------------------------------------------------------------


def _hunks(base: list[str], other: list[str]) -> list[tuple[int, int, list[str]]]:
    matcher = SequenceMatcher(None, base, other, autojunk=False)
    return [
        (i1, i2, other[j1:j2]) for tag, i1, i2, j1, j2 in matcher.get_opcodes() if tag != "equal"
    ]


def _clash(a: tuple[int, int], b: tuple[int, int]) -> bool:
    (a1, a2), (b1, b2) = a, b
    if a1 == a2 and b1 == b2:
        return False  # two insertions, even at the same place: keep both
    if a1 == a2:
        return b1 < a1 < b2
    if b1 == b2:
        return a1 < b1 < a2
    return a1 < b2 and b1 < a2


def merge3(base: str, theirs: str, mine: str) -> str | None:
    """Merge two edits of ``base`` line by line; None when they changed the same lines."""
    if mine == theirs or theirs == base:
        return mine
    if mine == base:
        return theirs
    lines = base.split("\n")
    ours = _hunks(lines, theirs.split("\n"))
    yours = _hunks(lines, mine.split("\n"))
    for a1, a2, a_lines in ours:
        for b1, b2, b_lines in yours:
            same = (a1, a2, a_lines) == (b1, b2, b_lines)
            if not same and _clash((a1, a2), (b1, b2)):
                return None
    hunks = sorted(
        {(a1, a2, 0, tuple(new)) for a1, a2, new in ours}
        | {(b1, b2, 1, tuple(new)) for b1, b2, new in yours if (b1, b2, new) not in ours},
        key=lambda hunk: (hunk[0], hunk[1], hunk[2]),
    )
    merged: list[str] = []
    position = 0
    for start, end, _side, new in hunks:
        merged.extend(lines[position:start])
        merged.extend(new)
        position = max(position, end)
    merged.extend(lines[position:])
    return "\n".join(merged)
