"""Notification value types: the kinds, a planned notification, a claimed one."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any
from uuid import UUID

from domain.learning.model import StudySession


class NotificationKind(StrEnum):
    """Every kind of notification the outbox holds; each has exactly one renderer
    (``bot.handlers.notifications.notices``), and a test checks that."""

    STUDY_REMINDER = "study_reminder"
    STREAK_REMINDER = "streak_reminder"
    BOOKING_REMINDER = "booking_reminder"
    BOOKING_REQUESTED = "booking_requested"
    BOOKING_CONFIRM = "booking_confirm"
    BOOKING_DECLINE = "booking_decline"
    BOOKING_CANCEL = "booking_cancel"
    BOOKING_COMPLETE = "booking_complete"
    BOOKING_NO_SHOW = "booking_no_show"
    BOOKING_MARK_PAID = "booking_mark_paid"
    BOOKING_RESCHEDULED = "booking_rescheduled"
    BOOKING_EXPIRED = "booking_expired"
    BOOKING_RATED = "booking_rated"
    BOOKING_MARK_PROMPT = "booking_mark_prompt"
    EXPERT_PENDING = "expert_pending"
    EXPERT_VERIFIED = "expert_verified"
    EXPERT_REJECTED = "expert_rejected"


STUDY = NotificationKind.STUDY_REMINDER
STREAK = NotificationKind.STREAK_REMINDER
BOOKING = NotificationKind.BOOKING_REMINDER
RECURRING = frozenset({STUDY, STREAK})
PLANNED = RECURRING | {BOOKING}  # planned ahead with quiet hours already applied


@dataclass(frozen=True)
class Planned:
    """A notification to write into the outbox: due (UTC), dropped if not sent by ``expires_at``.

    ``dedupe_key`` names the occurrence, so planning it twice (two workers, a re-plan racing a
    delivery) writes one row.
    """

    user_id: UUID
    kind: str
    data: dict[str, Any]
    due_at: datetime
    expires_at: datetime | None
    dedupe_key: str


@dataclass(frozen=True)
class StudyFacts:
    """What a daily reminder says: the streak, and the next session of the current plan."""

    streak: int
    studied: bool  # on the reminder's local day
    at_risk: bool  # a streak that ends with that day unless the learner studies
    curriculum_title: str | None
    next_session: StudySession | None
    session_minutes: int
    muted: bool


@dataclass(frozen=True)
class Due:
    """A claimed notification."""

    id: UUID
    user_id: UUID
    kind: str
    data: dict[str, Any]
    due_at: datetime
    expires_at: datetime | None
    attempts: int


class Outcome(StrEnum):
    SENT = "sent"
    DROPPED = "dropped"  # too late, no longer applies, or nowhere to send it
    FAILED = "failed"  # gave up after retries
    RETRY = "pending"  # try again later
