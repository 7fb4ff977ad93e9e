"""The one length check every text field uses, and its message in both languages."""

from __future__ import annotations

import pytest

from app.errors import Invalid
from app.i18n import use_locale
from app.services.text import check_length, too_long


@pytest.mark.parametrize(
    ("limit", "english", "bulgarian"),
    [
        (1, "Use at most 1 character.", "Използвайте най-много 1 знак."),
        (120, "Use at most 120 characters.", "Използвайте най-много 120 знака."),
        (20_000, "Use at most 20,000 characters.", "Използвайте най-много 20\xa0000 знака."),
    ],
)
def test_too_long_names_the_limit_in_each_language(
    limit: int, english: str, bulgarian: str
) -> None:
    text = "x" * (limit + 1)
    assert too_long(text, limit) == english
    with use_locale("bg"):
        assert too_long(text, limit) == bulgarian


def test_text_at_the_limit_fits() -> None:
    assert too_long("x" * 120, 120) is None
    check_length("x" * 120, 120, field="title")  # no error


def test_check_length_refuses_next_to_the_field() -> None:
    with pytest.raises(Invalid) as caught:
        check_length("x" * 1001, 1000, field="description")
    assert caught.value.errors == {"description": "Use at most 1,000 characters."}
