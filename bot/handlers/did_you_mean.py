"""Did you mean: the commands closest to a mistyped one, as buttons that run them."""

from __future__ import annotations

import base64
import binascii
from uuid import UUID

from rapidfuzz import fuzz, process

from bot.handlers import payloads
from bot.handlers.base import Button
from domain.shared.errors import InvalidInput

SUGGESTED = "cmd"  # the payload action of a "did you mean" button
CLOSE = 75.0  # rapidfuzz ratio (0-100) of a mistyped command name: "timezon" ~ "timezone" is 93


def close_names(typed: str, names: list[str], limit: int = 3) -> list[str]:
    """The names ``typed`` is the start of, then those close to it (at most ``limit``)."""
    key = typed.lower()[:40]
    if not key:
        return []
    starts = [n for n in names if len(key) >= 2 and n.startswith(key)]
    close = process.extract(key, names, scorer=fuzz.ratio, limit=limit, score_cutoff=CLOSE)
    return list(dict.fromkeys([*starts, *(match for match, _score, _index in close)]))[:limit]


def command_button(user_id: UUID, name: str, args: str) -> Button | None:
    """The button that runs ``/name args``; None when ``args`` do not fit in a payload."""
    packed = base64.urlsafe_b64encode(args.encode()).decode().rstrip("=")
    try:
        payload = payloads.encode(user_id, SUGGESTED, name, *([packed] if packed else []))
    except ValueError:
        return None
    return Button(f"/{name} {args}".strip()[:40], payload)


def unpack(packed: str) -> str:
    try:
        return base64.urlsafe_b64decode(packed + "=" * (-len(packed) % 4)).decode()
    except (binascii.Error, UnicodeDecodeError):
        raise InvalidInput(payloads.STALE) from None
