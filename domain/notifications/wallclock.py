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

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from domain.notifications.preferences import QuietHours

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
