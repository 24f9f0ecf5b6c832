"""Notification value types: the kinds, a planned notification, a claimed one, whose
notifications a worker takes, and the commands that change a person's preferences."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any, Literal, get_args
from uuid import UUID

from domain.habits.model import WeekStanding
from domain.learning.model import ScheduleStanding, StudySession
from domain.notifications.preferences import NotificationPreferences


class NotificationKind(StrEnum):
    """Every kind of notification the outbox holds; each has exactly one renderer
    (``bot.handlers.notifications.notices``), and a test checks that."""

    STUDY_REMINDER = "study_reminder"
    STREAK_REMINDER = "streak_reminder"
    GOAL_REMINDER = "goal_reminder"  # the weekly goal at risk, two days before the week ends
    REVIEW_REMINDER = "review_reminder"  # review cards are due (off unless /settings turns it on)
    BOOKING_REMINDER = "booking_reminder"
    BOOKING_REQUESTED = "booking_requested"
    BOOKING_CONFIRM = "booking_confirm"
    BOOKING_DECLINE = "booking_decline"
    BOOKING_CANCEL = "booking_cancel"
    BOOKING_COMPLETE = "booking_complete"
    BOOKING_NO_SHOW = "booking_no_show"
    BOOKING_MARK_PAID = "booking_mark_paid"
    BOOKING_RESCHEDULED = "booking_rescheduled"
    BOOKING_MOVE_PROPOSED = "booking_move_proposed"
    BOOKING_MOVE_ACCEPTED = "booking_move_accepted"
    BOOKING_MOVE_DECLINED = "booking_move_declined"
    BOOKING_EXPIRED = "booking_expired"
    BOOKING_RATED = "booking_rated"
    BOOKING_MARK_PROMPT = "booking_mark_prompt"
    BOOKING_REFUNDED = "booking_refunded"
    BOOKING_REVIEWED = "booking_reviewed"
    BOOKING_NOTES = "booking_notes"
    BOOKING_MESSAGE = "booking_message"
    PAYOUT_MADE = "payout_made"
    EXPERT_PENDING = "expert_pending"
    EXPERT_VERIFIED = "expert_verified"
    EXPERT_REJECTED = "expert_rejected"
    EXPERT_SUSPENDED = "expert_suspended"
    EXPERT_REINSTATED = "expert_reinstated"
    ACCOUNT_INACTIVE = "account_inactive"  # deleted for inactivity on data["delete_on"]
    BACKUP_ALERT = "backup_alert"  # to the admins: a backup or verification failed, or is old
    FOCUS_END = "focus_end"  # a /focus timer is over: log its minutes? (data["timer_id"])
    BOOKING_NUDGE = "booking_nudge"  # to the expert: a request still waits (Policy.nudges)
    WAITLIST_FREED = "waitlist_freed"  # to a waitlisted learner: a time freed up that day
    SERIES_REQUESTED = "series_requested"  # to the expert: a weekly series (data["series_id"])
    SERIES_CONFIRMED = "series_confirmed"  # to the learner: the expert confirmed the series
    SERIES_DECLINED = "series_declined"  # to the learner: the expert declined the series
    SESSION_HAPPENED_ASK = "session_happened_ask"  # to the learner: did the session happen?
    DISPUTE_OPENED = "dispute_opened"  # to the other side (their account?) and the admins
    DISPUTE_ANSWERED = "dispute_answered"  # to the admins: the other side gave their account
    DISPUTE_DECIDED = "dispute_decided"  # to both sides and the other admins (data["decision"])
    PLAN_SHARED = "plan_shared"  # to the expert: the learner shares a plan on a booking
    HOMEWORK_SENT = "homework_sent"  # to the learner: accept or decline (data["homework_id"])
    HOMEWORK_ANSWERED = "homework_answered"  # to the expert: the learner's answer


STUDY = NotificationKind.STUDY_REMINDER
STREAK = NotificationKind.STREAK_REMINDER
GOAL = NotificationKind.GOAL_REMINDER
REVIEW = NotificationKind.REVIEW_REMINDER
BOOKING = NotificationKind.BOOKING_REMINDER
RECURRING = frozenset({STUDY, STREAK, GOAL, REVIEW})
PLANNED = RECURRING | {BOOKING}  # planned ahead with quiet hours already applied
# Sent even in quiet hours: the learner asked for it minutes ago (a /focus timer's end).
UNQUIET = frozenset({NotificationKind.FOCUS_END})


@dataclass(frozen=True)
class Planned:
    """A notification to write into the outbox: due (UTC), dropped if not sent by ``expires_at``.

    ``dedupe_key`` names the occurrence, so planning it twice (two workers, a re-plan racing a
    delivery) writes one row.
    """

    user_id: UUID
    kind: NotificationKind
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
    schedule: ScheduleStanding | None = None  # the current curriculum's, if it has one
    on_vacation: bool = False  # study and streak reminders pause
    freezes_held: int = 0  # a streak at risk with a freeze held is covered by it
    week: WeekStanding | None = None  # against the weekly goal, if one is set
    goal_reminder_day: bool = False  # the day the goal reminder is for
    cards_due: int = 0  # review cards due before the end of the reminder's local day


@dataclass(frozen=True)
class Due:
    """A claimed notification."""

    id: UUID
    user_id: UUID
    kind: NotificationKind
    data: dict[str, Any]
    due_at: datetime
    expires_at: datetime | None
    attempts: int


@dataclass(frozen=True)
class DailySwitch:
    """What switches a daily reminder on: the ``enabled`` of a preferences section, and what
    it is when the stored document does not say (``NotificationPreferences()``'s default)."""

    kind: NotificationKind
    section: str
    default: bool


@dataclass(frozen=True)
class Audience:
    """Whose notifications a worker takes: people it can reach, i.e. with a chat (not
    blocked) on one of ``platforms``. With ``chats`` (a terminal serves the person at it), only
    those chats there; without, also people reachable nowhere (their notifications are
    dropped), but never those reachable only where another worker delivers."""

    platforms: frozenset[str]
    chats: frozenset[str] | None = None


@dataclass(frozen=True)
class ChangePreferences:
    """Set some of a person's notification preferences: ``changes`` is a part of the stored
    document (``{"study": {"at": time(19, 30)}}``); a section given as a mapping is merged
    into the current one, anything else replaces the value."""

    user_id: UUID
    changes: Mapping[str, Any]


ReminderSection = Literal["study", "streak", "review", "bookings", "goal"]
REMINDER_SECTIONS: tuple[ReminderSection, ...] = get_args(ReminderSection)


@dataclass(frozen=True)
class ToggleReminder:
    """Switch one kind of reminder on if it is off, off if it is on."""

    user_id: UUID
    section: ReminderSection


@dataclass(frozen=True)
class PreferencesChanged:
    """The preferences as stored now, and the person's time zone (to show them)."""

    preferences: NotificationPreferences
    timezone: str


class Outcome(StrEnum):
    SENT = "sent"
    DROPPED = "dropped"  # too late, no longer applies, or nowhere to send it
    FAILED = "failed"  # gave up after retries
    RETRY = "pending"  # try again later
