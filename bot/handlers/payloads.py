"""Button payloads: one short, versioned format shared by every platform.

``1:<who>:<action>[:<arg>...]`` where ``who`` is the first 8 hex digits of the recipient's
user id. The payload fits Telegram's 64 bytes and Discord's 100 characters. A payload is a
request, never a permission: handlers re-check everything, and a payload that does not parse,
names an unknown action or was sent to somebody else changes nothing.
"""

from __future__ import annotations

import re
from uuid import UUID

from domain.accounts.conversations import STALE
from domain.shared.errors import InvalidInput

VERSION = "1"
MAX_BYTES = 64
_ARG = re.compile(r"^[A-Za-z0-9_+\-/]{1,40}$")

NOT_YOURS = "That button was meant for someone else. Nothing was changed."


def owner_tag(user_id: UUID) -> str:
    return user_id.hex[:8]


def encode(user_id: UUID, action: str, *args: str) -> str:
    """Build the payload of a button offered to the user ``user_id``."""
    for arg in (action, *args):
        if not _ARG.match(arg):
            raise ValueError(f"payload part {arg!r} is not allowed")
    payload = ":".join((VERSION, owner_tag(user_id), action, *args))
    if len(payload.encode()) > MAX_BYTES:
        raise ValueError(f"payload {payload!r} is longer than {MAX_BYTES} bytes")
    return payload


def decode(user_id: UUID, payload: str) -> tuple[str, tuple[str, ...]]:
    """Split a pressed button's payload into ``(action, args)`` for the pressing user.

    Raises:
        InvalidInput: the payload is malformed, of another version, or not for that user.
    """
    if len(payload.encode(errors="replace")) > MAX_BYTES:
        raise InvalidInput(STALE)
    version, _, rest = payload.partition(":")
    parts = rest.split(":")
    if version != VERSION or len(parts) < 2 or not all(_ARG.match(p) for p in parts[1:]):
        raise InvalidInput(STALE)
    if parts[0] != owner_tag(user_id):
        raise InvalidInput(NOT_YOURS)
    return parts[1], tuple(parts[2:])


def uuid_arg(value: str) -> UUID:
    try:
        return UUID(value)
    except ValueError:
        raise InvalidInput(STALE) from None


def int_arg(value: str, *, low: int, high: int) -> int:
    if not value.isdigit() or not low <= int(value) <= high:
        raise InvalidInput(STALE)
    return int(value)


# Deep links: ``/start <kind>_<arg>``, e.g. ``c_<curriculum hex>`` (Telegram: t.me/<bot>?start=…,
# at most 64 characters of A-Z a-z 0-9 _ -). Like a button, a link is a request, not a permission.
_DEEP_LINK = re.compile(r"^([a-z]{1,8})_([A-Za-z0-9_-]{1,55})$")


def deep_link(kind: str, arg: str) -> str:
    """The ``/start`` argument that opens ``arg`` of ``kind`` (see ``Dispatcher.deep_links``)."""
    link = f"{kind}_{arg}"
    if not _DEEP_LINK.match(link):
        raise ValueError(f"deep link {link!r} is not allowed")
    return link


def parse_deep_link(text: str) -> tuple[str, str] | None:
    """``"c_ab12…"`` -> ``("c", "ab12…")``; None when it is not a deep link."""
    match = _DEEP_LINK.match(text.strip())
    return None if match is None else (match[1], match[2])
