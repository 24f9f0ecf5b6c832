"""Cleaning and bounding text a person typed, before anything stores it."""

from __future__ import annotations

import unicodedata

from domain.shared.errors import InvalidInput


def clean_text(value: str, *, what: str, limit: int, required: bool = True) -> str | None:
    """Trim ``value``, drop control characters, and enforce ``limit`` characters."""
    text = "".join(
        ch for ch in value if ch in "\n\t" or unicodedata.category(ch) not in ("Cc", "Cs")
    ).strip()
    if not text:
        if required:
            raise InvalidInput(f"The {what} can't be empty.")
        return None
    if len(text) > limit:
        raise InvalidInput(
            f"The {what} is too long ({len(text):,} characters); please keep it under {limit:,}."
        )
    return text


def parse_int(value: str, *, what: str, low: int, high: int) -> int:
    text = value.strip()
    try:
        number = int(text)
    except ValueError:
        raise InvalidInput(
            f"The {what} must be a whole number from {low} to {high}, not “{text[:20]}”."
        ) from None
    if not low <= number <= high:
        raise InvalidInput(f"The {what} must be from {low} to {high}; you gave {number}.")
    return number
