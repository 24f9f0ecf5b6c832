"""What an expert types as homework: a title, and objectives one per line (or ";")."""

from __future__ import annotations

import pytest

from domain.marketplace.homework import objectives_of, title_of
from domain.shared.errors import InvalidInput


def test_objectives_are_one_per_line_or_separated_by_semicolons_without_bullets() -> None:
    typed = "- Build a word count\n\n• Compare with sort; time both  \n"
    assert objectives_of(typed) == ("Build a word count", "Compare with sort", "time both")
    assert objectives_of(None) == ()
    assert objectives_of("   ") == ()


def test_more_than_eight_objectives_or_an_empty_title_are_refused() -> None:
    with pytest.raises(InvalidInput, match="at most 8 objectives"):
        objectives_of("\n".join(f"step {n}" for n in range(9)))
    with pytest.raises(InvalidInput, match="can't be empty"):
        title_of("  \n ")
    with pytest.raises(InvalidInput, match="too long"):
        title_of("x" * 256)
