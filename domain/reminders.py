"""When a reminder at a local wall-clock time fires, in every time zone and across DST.

``next_fire(19:00, "Europe/London", after)`` is the first instant after ``after`` when the
clocks in London show 19:00 on one of the chosen weekdays. Rules for the two DST oddities:

* a local time that does not exist that day (spring forward: 02:30 in New York on
  2026-03-08) fires once, at the first valid instant after it: the moment the clocks jump
  (03:00 EDT);
* a local time that happens twice (fall back: 01:30 in New York on 2026-11-01) fires once,
  at its first occurrence (01:30 EDT).

All arithmetic is done per calendar date in the zone and converted to UTC; nothing adds a
``timedelta`` to a wall-clock time.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from uuid import UUID
from zoneinfo import ZoneInfo

from domain.preferences import NotificationPreferences, QuietHours

ALL_DAYS = frozenset(range(7))  # Monday = 0, as date.weekday()


def local_instant(day: date, at: time, zone: str) -> datetime:
    """The UTC instant when the clocks in ``zone`` show ``at`` on ``day`` (rules above)."""
    tz = ZoneInfo(zone)
    first = datetime.combine(day, at, tzinfo=tz).replace(fold=0)
    as_utc = first.astimezone(UTC)
    if as_utc.astimezone(tz).replace(tzinfo=None) == first.replace(tzinfo=None):
        return as_utc  # exists; for a repeated time fold=0 is its first occurrence
    # It does not exist: fold=1 reads it with the offset after the jump (an earlier instant),
    # fold=0 with the offset before it (a later one). The jump lies between: find it.
    low = first.replace(fold=1).astimezone(UTC)
    high = as_utc
    if low > high:
        low, high = high, low
    while high - low > timedelta(seconds=1):
        middle = low + (high - low) / 2
        if middle.astimezone(tz).utcoffset() == low.astimezone(tz).utcoffset():
            low = middle
        else:
            high = middle
    return high.replace(microsecond=0)


def next_fire(
    at: time, zone: str, after: datetime, weekdays: frozenset[int] = ALL_DAYS
) -> datetime:
    """The first instant strictly after ``after`` when ``zone`` shows ``at`` on a chosen day."""
    if after.tzinfo is None:
        raise ValueError("naive datetime: pass an aware instant")
    if not weekdays:
        raise ValueError("no weekday chosen")
    day = after.astimezone(ZoneInfo(zone)).date()
    for _ in range(8):
        if day.weekday() in weekdays:
            candidate = local_instant(day, at, zone)
            if candidate > after:
                return candidate
        day += timedelta(days=1)
    raise AssertionError("a chosen weekday comes within 8 days")


# -- planning: what is due when, for one user ---------------------------------------------------

STUDY = "study_reminder"
STREAK = "streak_reminder"
BOOKING = "booking_reminder"
RECURRING = frozenset({STUDY, STREAK})
PLANNED = RECURRING | {BOOKING}  # planned ahead with quiet hours already applied
LATE_AFTER = timedelta(hours=1)  # a study or streak reminder later than this is dropped


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


def quiet_period(instant: datetime, zone: str, quiet: QuietHours) -> tuple[datetime, datetime]:
    """The quiet period (start, end) containing ``instant``, or ``(instant, instant)`` if none.

    Quiet hours may span midnight (22:00-07:30); their ends follow ``local_instant``'s DST rules.
    """
    day = instant.astimezone(ZoneInfo(zone)).date()
    for start_day in (day - timedelta(days=1), day):
        start = local_instant(start_day, quiet.start, zone)
        end_day = start_day if quiet.end > quiet.start else start_day + timedelta(days=1)
        end = local_instant(end_day, quiet.end, zone)
        if start <= instant < end:
            return start, end
    return instant, instant


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
    user_id: UUID, kind: str, at: datetime, zone: str, prefs: NotificationPreferences
) -> Planned:
    day = at.astimezone(ZoneInfo(zone)).date()
    # A streak warning is about "today": past midnight it would be wrong, so it is moved
    # before the quiet period rather than after it. A study nudge can wait for the morning.
    end_of_day = local_instant(day + timedelta(days=1), time(0, 0), zone)
    deadline = end_of_day if kind == STREAK else at + timedelta(days=1)
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
    """The next study and streak reminders strictly after ``after`` (none while muted)."""
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
    return planned


def next_daily(
    user_id: UUID, kind: str, zone: str, prefs: NotificationPreferences, after: datetime
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
