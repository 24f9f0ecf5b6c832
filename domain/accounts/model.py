"""Who a person is: a user, their platform identities, an open conversation."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any
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


# -- the learner's own data (/export, /delete_me) ---------------------------------------------


@dataclass(frozen=True)
class StudySession:
    """One session of one of the person's curricula: a row of the export's CSV."""

    curriculum_id: UUID
    curriculum: str
    number: int
    title: str
    completed_at: datetime | None
    completed_local_date: date | None
    minutes_spent: int | None
    notes: str | None


@dataclass(frozen=True)
class PersonalData:
    """Everything Syllabot holds about a person, read from one snapshot at ``taken_at``.

    ``document`` is JSON-shaped (its values may be UUIDs, instants, dates and decimals); it
    names other people by their display name only.
    """

    taken_at: datetime
    document: dict[str, Any]
    study_sessions: tuple[StudySession, ...]


@dataclass(frozen=True)
class OpenBooking:
    """A pending or scheduled booking of the person, as learner or (``as_expert``) expert."""

    id: UUID
    starts_at: datetime
    as_expert: bool
    other_user_id: UUID | None  # the other side's user (None: their account was deleted)
    other_name: str


@dataclass(frozen=True)
class Holdings:
    """What deleting the person's account removes (counts), and what holds it back."""

    curricula: int
    sessions_done: int
    notes: int
    identities: int
    bookings: int  # past bookings, kept for the other side without the person's name
    is_expert: bool
    open_bookings: tuple[OpenBooking, ...]

    @property
    def blocking(self) -> tuple[OpenBooking, ...]:
        """Open bookings as expert: the learners must be told, so these are cancelled first."""
        return tuple(b for b in self.open_bookings if b.as_expert)


@dataclass(frozen=True)
class AccountDeleted:
    """The account is gone; ``cancelled``: its open bookings as learner, cancelled with it."""

    cancelled: int
    kept_bookings: int


@dataclass(frozen=True)
class Guard:
    """Who is never deleted automatically, as the retention rules put it for the SQL: an
    expert with a booking still in ``open_statuses`` (upcoming, or not yet settled); anyone
    with a commission in ``unsettled`` on their bookings as expert, a refund owed
    (``refund_owed``: a booking in that status whose payment is in that payment status) or a
    session not paid for (``payment_owed``, likewise) as either side."""

    open_statuses: tuple[str, ...]
    unsettled: tuple[str, ...]
    refund_owed: tuple[str, str]
    payment_owed: tuple[str, str]


@dataclass(frozen=True)
class CleanupReport:
    """What one run of the retention and clean-up jobs did."""

    warned: int = 0
    deleted: int = 0
    protected: int = 0
    sessions_archived: int = 0
    notes_archived: int = 0
    notifications_pruned: int = 0
    updates_pruned: int = 0
