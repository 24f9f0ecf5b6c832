"""What each user wants to be reminded of, and when: ``users.notification_preferences``.

The stored JSON document is validated by these pydantic models; an empty ``{}`` means all
defaults. Unknown keys and wrong types are refused with a message that names the field.
"""

from __future__ import annotations

from datetime import datetime, time, timedelta
from typing import Any, Literal, get_args

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, ValidationError, field_validator

from domain.shared.errors import InvalidInput
from domain.shared.timetext import read_clock, read_clock_range, read_days, read_span

Platform = Literal["telegram", "discord", "terminal"]
PLATFORMS: tuple[str, ...] = get_args(Platform)


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class StudyReminder(_Strict):
    """A daily nudge to study, skipped on days the learner already studied."""

    enabled: bool = False
    at: time = time(19, 0)
    weekdays: tuple[int, ...] = (0, 1, 2, 3, 4, 5, 6)

    @field_validator("weekdays")
    @classmethod
    def _days(cls, value: tuple[int, ...]) -> tuple[int, ...]:
        if not value or any(not 0 <= day <= 6 for day in value):
            raise ValueError("weekdays are 0 (Monday) to 6 (Sunday), at least one")
        return tuple(sorted(set(value)))


class StreakReminder(_Strict):
    """A warning on a day the streak would end unless the learner studies."""

    enabled: bool = True
    at: time = time(20, 0)


class GoalReminder(_Strict):
    """A nudge two days before the learner's week ends, when the weekly goal is at risk
    (``domain.learning.goals``). Switched on by setting a first goal (``/goal``)."""

    enabled: bool = False
    at: time = time(18, 0)


class ReviewReminder(_Strict):
    """A daily nudge when review cards are due (off by default; /settings turns it on)."""

    enabled: bool = False
    at: time = time(9, 0)


class BookingReminders(_Strict):
    enabled: bool = True
    before_minutes: tuple[int, ...] = (24 * 60, 60)

    @field_validator("before_minutes")
    @classmethod
    def _offsets(cls, value: tuple[int, ...]) -> tuple[int, ...]:
        if len(value) > 5 or any(not 5 <= minutes <= 7 * 24 * 60 for minutes in value):
            raise ValueError("at most 5 offsets, each from 5 minutes to 7 days")
        return tuple(sorted(set(value), reverse=True))


class QuietHours(_Strict):
    """No messages between ``start`` and ``end`` (local; may span midnight)."""

    start: time
    end: time


class NotificationPreferences(_Strict):
    study: StudyReminder = Field(default_factory=StudyReminder)
    streak: StreakReminder = Field(default_factory=StreakReminder)
    review: ReviewReminder = Field(default_factory=ReviewReminder)
    bookings: BookingReminders = Field(default_factory=BookingReminders)
    goal: GoalReminder = Field(default_factory=GoalReminder)
    quiet: QuietHours | None = None
    muted_until: AwareDatetime | None = None
    platform: Platform | None = None  # where to reach the user; None: where they last wrote

    def muted(self, now: datetime) -> bool:
        return self.muted_until is not None and now < self.muted_until

    def as_json(self) -> dict[str, Any]:
        return self.model_dump(mode="json", exclude_defaults=True)


def load(raw: object) -> NotificationPreferences:
    """Validate a stored or submitted document. Raises ``InvalidInput`` naming the field."""
    try:
        return NotificationPreferences.model_validate(raw or {})
    except ValidationError as error:
        first = error.errors()[0]
        where = ".".join(str(part) for part in first["loc"]) or "preferences"
        raise InvalidInput(f"Notification preferences: {where}: {first['msg']}.") from None


def load_or_defaults(raw: object) -> NotificationPreferences:
    """A stored document for reading it (e.g. when delivering): the defaults if it is not
    valid, rather than no delivery at all."""
    try:
        return load(raw)
    except InvalidInput:
        return NotificationPreferences()


def parse_clock(text: str) -> time:
    """A time of day: ``19:30``, ``7:30pm``, ``7pm``, ``19h`` (``domain.shared.timetext``)."""
    return read_clock(text)


def parse_days(text: str) -> tuple[int, ...]:
    """``mon,wed,fri`` / ``mon-fri`` / ``weekdays`` / ``weekends`` / ``daily`` (``every day``,
    as /settings shows it) -> weekday numbers (``domain.shared.timetext.read_days``)."""
    days = read_days(text)
    if days is None:
        shown = text.strip()[:20]
        raise InvalidInput(f"“{shown}” is not a day; use mon..sun, mon-fri, weekdays or daily.")
    return days


def parse_quiet(text: str) -> QuietHours | None:
    """``22:00-07:30``, ``22:00–07:30`` (as /settings shows it), ``10pm to 7am`` (may span
    midnight), or ``off``."""
    if text.strip().lower() == "off":
        return None
    ends = read_clock_range(text)
    if ends is None:
        raise InvalidInput("Give quiet hours as a range, e.g. /quiet 22:00-07:30, or /quiet off.")
    quiet = QuietHours(start=ends[0], end=ends[1])
    if quiet.start == quiet.end:
        raise InvalidInput("Quiet hours need a start and an end that differ.")
    return quiet


MUTE_LONGEST = timedelta(days=60)


def parse_mute(text: str) -> timedelta | None:
    """``2w`` / ``7d`` / ``12h`` / ``1d 12h`` (1 hour to 60 days) or ``off``."""
    if text.strip().lower() == "off":
        return None
    try:
        span = read_span(text)
    except InvalidInput:
        raise InvalidInput(
            "Mute for a while, e.g. /mute 7d, /mute 2w or /mute 12h, or /mute off."
        ) from None
    if not timedelta(hours=1) <= span <= MUTE_LONGEST:
        raise InvalidInput("Mute for 1 hour to 60 days (8 weeks).")
    return span
