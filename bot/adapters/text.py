"""Text helpers shared by the chat adapters: splitting long replies into platform-sized parts."""

from __future__ import annotations

from collections.abc import Callable


def utf16_length(text: str) -> int:
    """Length in UTF-16 code units, the way Telegram counts message length."""
    return len(text) + sum(1 for char in text if ord(char) > 0xFFFF)


def split_text(text: str, limit: int, *, length: Callable[[str], int] = utf16_length) -> list[str]:
    """Split ``text`` into parts of at most ``limit`` (as measured by ``length``).

    Parts end at line boundaries; a single line that is too long is cut at the last space that
    fits, and a word that is too long on its own is cut where it must be. The newline (or
    space) at a cut is dropped; nothing else is lost or reordered.
    """
    if limit < 2:
        raise ValueError("limit must be at least 2")
    if length(text) <= limit:
        return [text]
    parts: list[str] = []
    current: str | None = None  # the part being filled; None: nothing in it yet
    for line in text.split("\n"):
        candidate = line if current is None else f"{current}\n{line}"
        if length(candidate) <= limit:
            current = candidate
            continue
        if current is not None:
            parts.append(current)
        while length(line) > limit:
            head, line = _cut(line, limit, length)
            parts.append(head)
        current = line
    if current is not None:
        parts.append(current)
    return parts


def _cut(line: str, limit: int, length: Callable[[str], int]) -> tuple[str, str]:
    """The longest head of ``line`` that fits ``limit``, preferring to end before a space."""
    low, high = 1, len(line)  # the longest prefix (in characters) whose length fits
    while low < high:
        middle = (low + high + 1) // 2
        if length(line[:middle]) <= limit:
            low = middle
        else:
            high = middle - 1
    space = line.rfind(" ", 0, low + 1)
    if space > 0:
        return line[:space], line[space + 1 :]
    return line[:low], line[low:]
