"""Cleaning and bounding text a person typed, before anything stores it."""

from __future__ import annotations

import re

from domain.shared.errors import InvalidInput

# C0 and C1 control characters (carriage returns become newlines, tabs and newlines stay) and lone
# surrogates: PostgreSQL refuses NUL in text and JSON, and none of them means anything in a chat.
_CONTROLS = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\ud800-\udfff]")


def plural(count: int, word: str, many: str | None = None) -> str:
    """``1, "session"`` -> "1 session"; ``2, "session"`` -> "2 sessions"; ``many`` for irregular
    words (``plural(n, "try", "tries")``). Every count shown to a person goes through this (the
    handlers import it from ``bot.handlers.formatting``)."""
    return f"{count} {word if count == 1 else (many or word + 's')}"


def without_controls(value: str) -> str:
    """``value`` without control characters (tabs and newlines stay) or lone surrogates."""
    if _CONTROLS.search(value) is None:
        return value
    return _CONTROLS.sub("", value.replace("\r\n", "\n").replace("\r", "\n"))


def clean_text(value: str, *, what: str, limit: int, required: bool = True) -> str | None:
    """Trim ``value``, drop control characters, and enforce ``limit`` characters."""
    text = without_controls(value).strip()
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
