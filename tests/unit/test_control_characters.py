"""``without_controls``: what is left of typed text once control characters are taken out."""

from __future__ import annotations

import unicodedata

from hypothesis import given
from hypothesis import strategies as st

from domain.shared.text import clean_text, without_controls


@given(st.text())
def test_no_control_character_or_lone_surrogate_is_left_but_tabs_and_newlines(text: str) -> None:
    cleaned = without_controls(text)
    assert all(ch in "\t\n" or unicodedata.category(ch) not in ("Cc", "Cs") for ch in cleaned)
    assert without_controls(cleaned) == cleaned


@given(st.text(st.characters(blacklist_categories=("Cc", "Cs"))))
def test_text_without_controls_is_left_as_it_is(text: str) -> None:
    assert without_controls(text) is text


def test_line_ends_become_newlines_and_emoji_joiners_stay() -> None:
    assert without_controls("a\r\nb\rc\x00d\x85e\t👩\u200d💻") == "a\nb\ncd" + "e\t👩\u200d💻"


def test_clean_text_drops_them_too() -> None:
    assert clean_text(" \x00 Go\x1blang \x7f", what="subject", limit=20) == "Golang"
