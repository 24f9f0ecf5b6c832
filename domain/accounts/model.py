"""Who a person is: a user, their platform identities, an open conversation."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from uuid import UUID


@dataclass(frozen=True)
class Identity:
    """Who is talking, as a platform sees them."""

    platform: str  # "telegram", "discord", "terminal"
    external_id: str
    chat_id: str
    display_name: str


@dataclass(frozen=True)
class User:
    id: UUID
    name: str
    timezone: str
    current_curriculum_id: UUID | None = None


@dataclass(frozen=True)
class SetTimezone:
    """Set the user's time zone to ``zone`` as typed (an IANA name in any case)."""

    user_id: UUID
    zone: str


@dataclass(frozen=True)
class TimezoneSet:
    zone: str  # the IANA name as stored


@dataclass(frozen=True)
class Conversation:
    """A half-finished multi-step flow (a wizard), kept in the database between messages."""

    flow: str
    step: str
    data: dict[str, object]
    token: str
    expires_at: datetime
