"""Which reminders to plan: the next daily study and streak reminders, a booking's reminders,
all kept clear of the person's quiet hours."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from uuid import UUID
from zoneinfo import ZoneInfo

from domain.notifications.model import (
    BOOKING,
    GOAL,
    REVIEW,
    STREAK,
    STUDY,
    DailySwitch,
    NotificationKind,
    Planned,
)
from domain.notifications.preferences import NotificationPreferences
from domain.notifications.wallclock import local_instant, next_fire, quiet_period

LATE_AFTER = timedelta(hours=1)  # a study, streak or review reminder later is dropped


def daily_switches(defaults: NotificationPreferences | None = None) -> tuple[DailySwitch, ...]:
    """Which section of the preferences switches each daily reminder, and whether it is on
    in ``defaults`` (the models' own, ``NotificationPreferences()``, unless given): what the
    database's search for missing reminders binds, so the defaults are written once."""
    defaults = NotificationPreferences() if defaults is None else defaults
    return (
        DailySwitch(STUDY, "study", defaults.study.enabled),
        DailySwitch(STREAK, "streak", defaults.streak.enabled),
        DailySwitch(GOAL, "goal", defaults.goal.enabled),
        DailySwitch(REVIEW, "review", defaults.review.enabled),
    )


DAILY_SWITCHES = daily_switches()


def _respect_quiet(
    at: datetime, zone: str, prefs: NotificationPreferences, deadline: datetime
) -> datetime:
    """When to send something meant for ``at``: after the quiet period it falls in, or, if that
    would be at or after ``deadline``, just before the quiet period starts."""
    if prefs.quiet is None:
        return at
    start, end = quiet_period(at, zone, prefs.quiet)
    if end == at:
        return at
    return end if end < deadline else start - timedelta(minutes=1)


def _daily(
    user_id: UUID, kind: NotificationKind, at: datetime, zone: str, prefs: NotificationPreferences
) -> Planned:
    day = at.astimezone(ZoneInfo(zone)).date()
    # A streak (or goal) warning is about "today": past midnight it would be wrong, so it is moved
    # before the quiet period rather than after it. A study nudge can wait for the morning.
    end_of_day = local_instant(day + timedelta(days=1), time(0, 0), zone)
    deadline = end_of_day if kind in (STREAK, GOAL) else at + timedelta(days=1)
    due = _respect_quiet(at, zone, prefs, deadline)
    return Planned(
        user_id,
        kind,
        {"day": day.isoformat(), "at": at.isoformat()},
        due,
        due + LATE_AFTER,
        f"{kind}:{user_id}:{at:%Y%m%dT%H%MZ}",
    )


def daily_reminders(
    user_id: UUID, zone: str, prefs: NotificationPreferences, after: datetime
) -> list[Planned]:
    """The next study, streak, goal and review reminders strictly after ``after`` (none while
    muted).

    The goal reminder is planned every day at its time; when it is due, the renderer sends it
    only on the week's reminder day with the goal at risk (the week's start is the learner's
    choice, kept with their goal), like a streak warning only goes out with a streak at risk.
    """
    if prefs.muted_until is not None and prefs.muted_until > after:
        after = prefs.muted_until
    planned = []
    if prefs.study.enabled:
        at = next_fire(prefs.study.at, zone, after, frozenset(prefs.study.weekdays))
        planned.append(_daily(user_id, STUDY, at, zone, prefs))
    if prefs.streak.enabled:
        planned.append(
            _daily(user_id, STREAK, next_fire(prefs.streak.at, zone, after), zone, prefs)
        )
    if prefs.goal.enabled:
        planned.append(_daily(user_id, GOAL, next_fire(prefs.goal.at, zone, after), zone, prefs))
    if prefs.review.enabled:
        planned.append(
            _daily(user_id, REVIEW, next_fire(prefs.review.at, zone, after), zone, prefs)
        )
    return planned


def next_daily(
    user_id: UUID,
    kind: NotificationKind,
    zone: str,
    prefs: NotificationPreferences,
    after: datetime,
) -> Planned | None:
    """The occurrence of one daily reminder that follows ``after`` (if still wanted)."""
    return next((p for p in daily_reminders(user_id, zone, prefs, after) if p.kind == kind), None)


def booking_reminders(
    user_id: UUID,
    booking_id: UUID,
    starts_at: datetime,
    zone: str,
    prefs: NotificationPreferences,
    now: datetime,
) -> list[Planned]:
    """Reminders of a scheduled session at each of the user's offsets that is still ahead.

    Each is due ``offset`` before the start, or after the user's quiet hours; if that would be
    at or after the start, just before the quiet hours begin. Each stays valid until the next
    one is due (the last until the start), so after downtime only the latest is sent.
    """
    if not prefs.bookings.enabled:
        return []
    offsets = prefs.bookings.before_minutes  # the earliest reminder first
    dues = [
        _respect_quiet(starts_at - timedelta(minutes=minutes), zone, prefs, starts_at)
        for minutes in offsets
    ]
    planned = []
    for index, (minutes, due) in enumerate(zip(offsets, dues, strict=True)):
        if due <= now:
            continue
        # Valid until the next reminder is due (a late one is superseded, not sent as well).
        until = dues[index + 1] if index + 1 < len(dues) else starts_at
        planned.append(
            Planned(
                user_id,
                BOOKING,
                {"booking_id": str(booking_id), "before_minutes": minutes},
                due,
                max(until, due),
                f"{BOOKING}:{booking_id}:{user_id}:{minutes}:{starts_at:%Y%m%dT%H%MZ}",
            )
        )
    return planned
