"""Experts' weekly availability and the bookable slots it opens. Pure: no I/O.

An expert types a weekly pattern such as ``mon 09:00-12:00 14:00-18:00; wed 18:00-21:00``
(``parse_weekly``) in their own IANA zone, and days off such as ``2026-12-24..2026-12-31``
(``parse_timeoff``). Learners are shown ``open_slots``; the booking service re-checks a
requested slot with ``is_open``, which applies the very same rules, so a forged or stale slot
is refused.

The rules:

* **Per local date.** The pattern is expanded per calendar date *in the expert's zone*, then
  converted to UTC: "mon 09:00" is 09:00 Berlin time on every Monday, on both sides of a DST
  change (so 08:00 UTC in winter, 07:00 UTC in summer).
* **Clock readings, real time.** An instant is available when its clock reading in the
  expert's zone lies inside one of the ranges of that local date. Ranges are half-open
  (09:00-12:00 ends at 12:00) and 24:00 is the end of the day. Slots are cut from those
  instants in real (UTC) time. At DST changes this means:

  - *Gap* (spring forward): clock times that never happen are never available. A bound
    inside the gap moves to the first instant after it, and the range stays one stretch:
    New York on 2026-03-08, ``01:00-04:00`` is 2 real hours (01:00-02:00 EST, then
    03:00-04:00 EDT); no slot ever shows a 02:xx that does not exist.
  - *Fold* (fall back): a repeated clock time is available both times it happens, so a bound
    in the fold acts as its first occurrence for a range start and its second occurrence for
    a range end: New York on 2026-11-01, ``00:00-03:00`` is 4 real hours and the 01:00 hour
    appears twice, as distinct instants. When a range starts or ends strictly *inside* the
    repeated hour, instants whose clock reading lies outside the range stay closed, so the
    range is two stretches: ``01:30-03:00`` is 01:30-02:00 EDT plus 01:30-03:00 EST, never
    01:00-01:30 EST.

  Every instant has exactly one clock reading, so no slot is ever duplicated or lost.
* **Grid.** Slot starts lie on the grid (``SlotPolicy.grid``, 30 minutes by default) counted
  in real time from the start of each stretch, that is from the range's start: ``09:15-11:00``
  gives 09:15, 09:45, 10:15; in Asia/Kathmandu 09:00 is 03:15 UTC and the slots start there.
  A range cut in two by a fold restarts the grid at its second stretch.
* **Fit.** A slot lies entirely inside one stretch of one range: it never runs past a range's
  end, into the next range, or across midnight into the next day's range. Ranges that touch
  (``09:00-12:00 12:00-14:00``) are merged into one when parsed, so a slot may span 12:00.
* **Busy.** A slot must not intersect any busy interval (pending or scheduled bookings),
  widened by ``SlotPolicy.buffer`` on both sides. The default buffer is zero: back-to-back
  sessions are allowed; an expert who wants a break sets a buffer.
* **Notice and horizon.** A slot starts no earlier than ``now + min_notice`` (12 hours by
  default) and no later than ``now + horizon`` (30 days by default); both bounds included.
* **Time off** is whole local dates in the expert's zone: those dates' ranges are dropped.
* **Window.** ``open_slots`` lists the slots of the local dates ``start..end`` (inclusive) in
  the expert's zone. A slot belongs to the local date of its start, which is always the date
  whose range it lies in.

Weekdays are Python's (``date.weekday()``, Monday = 0) everywhere in this module; only
``WeeklyAvailability.to_rows``/``from_rows`` speak the seed table's ``day_of_week``
(Sunday = 0), so repositories never do that arithmetic.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from domain.errors import InvalidInput

WEEKLY_TEXT_MAX = 500
RANGES_PER_DAY_MAX = 12
TIMEOFF_DAYS_MAX = 366
DAY_MINUTES = 24 * 60
EXAMPLE = "mon 09:00-12:00 14:00-18:00; wed 18:00-21:00"

DAY_CODES = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")  # index = date.weekday()
DAY_NAMES = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
_DAY_LOOKUP = {code: index for index, code in enumerate(DAY_CODES)} | {
    name.lower(): index for index, name in enumerate(DAY_NAMES)
}

_DASHES = re.compile(r"\s*[-\u2010-\u2015\u2212]\s*")  # hyphen, en/em dash, minus sign
_CLOCK = re.compile(r"([0-9]{1,2}):([0-9]{2})")
_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
_TIMEOFF_TEXT_MAX = 60
_TIMEOFF_EXAMPLE = "“2026-12-24..2026-12-31”, or a single day like “2026-12-24”"

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_EPOCH_ORDINAL = date(1970, 1, 1).toordinal()
_SECOND = timedelta(seconds=1)
_MINUTE = timedelta(minutes=1)
_ONE_DAY = timedelta(days=1)
_DAY_SECONDS = 86_400
_OFFSET_MARGIN = 16 * 3600  # every UTC offset there is, and ever was, lies within ±16 hours
_PROBE_STEP = 3600  # offsets are probed hourly, then a change is pinned to the second


# --- the weekly pattern ---------------------------------------------------------------------


@dataclass(frozen=True, order=True)
class TimeRange:
    """A half-open clock range ``[start, end)`` in minutes after local midnight.

    ``end`` may be 1440, which is 24:00 (the end of the day).
    """

    start: int
    end: int

    def __post_init__(self) -> None:
        if not 0 <= self.start < self.end <= DAY_MINUTES:
            raise ValueError(f"not a time range within one day: {self.start}-{self.end}")

    @property
    def start_time(self) -> time:
        return time(self.start // 60, self.start % 60)

    @property
    def end_time(self) -> time | None:
        """The end as a clock time, or None for 24:00."""
        return None if self.end == DAY_MINUTES else time(self.end // 60, self.end % 60)

    @property
    def minutes(self) -> int:
        """Length on the clock (a DST change makes the real length differ on that day)."""
        return self.end - self.start

    def as_pair(self) -> list[str]:
        return [_hhmm(self.start), _hhmm(self.end)]

    def __str__(self) -> str:
        return f"{_hhmm(self.start)}-{_hhmm(self.end)}"


@dataclass(frozen=True)
class WeeklyAvailability:
    """Ranges per weekday: ``days[date.weekday()]``, sorted, apart (touching ones merged)."""

    days: tuple[tuple[TimeRange, ...], ...] = ((),) * 7

    def __post_init__(self) -> None:
        if len(self.days) != 7:
            raise ValueError("a week has 7 days")
        for ranges in self.days:
            for earlier, later in zip(ranges, ranges[1:], strict=False):
                if later.start <= earlier.end:
                    raise ValueError(f"ranges must be sorted and apart: {earlier}, {later}")

    @property
    def is_empty(self) -> bool:
        return not any(self.days)

    def ranges_on(self, day: date) -> tuple[TimeRange, ...]:
        """The ranges of ``day``'s weekday."""
        return self.days[day.weekday()]

    def format(self) -> str:
        """The canonical text, e.g. ``mon 09:00-12:00 14:00-18:00; wed 18:00-21:00``.

        It parses back to the same value, with two exceptions: an empty week formats as
        ``""``, which does not parse (an expert with no hours simply has no rows), and a very
        full week (about 40 ranges or more) formats to more than ``WEEKLY_TEXT_MAX``
        characters, which is too long to type back in one message.
        """
        return "; ".join(
            " ".join([DAY_CODES[index], *(str(r) for r in ranges)])
            for index, ranges in enumerate(self.days)
            if ranges
        )

    def to_rows(self) -> list[tuple[int, list[list[str]]]]:
        """Rows of the seed's ``expert_availability``: ``(day_of_week, [["09:00", "12:00"]])``.

        ``day_of_week`` is the seed's numbering (0 = Sunday, 1 = Monday, ... 6 = Saturday);
        only days with ranges get a row; rows are ordered by ``day_of_week``.
        """
        rows = [
            ((index + 1) % 7, [r.as_pair() for r in ranges])
            for index, ranges in enumerate(self.days)
            if ranges
        ]
        return sorted(rows)

    @classmethod
    def from_rows(cls, rows: Iterable[tuple[int, Sequence[Sequence[str]]]]) -> WeeklyAvailability:
        """The inverse of ``to_rows``; checks the rows with the same rules as ``parse_weekly``.

        Raises:
            InvalidInput: a day number outside 0..6, a day twice, or a bad range.
        """
        days: list[tuple[TimeRange, ...] | None] = [None] * 7
        for day_of_week, pairs in rows:
            if isinstance(day_of_week, bool) or day_of_week not in range(7):
                raise InvalidInput(
                    f"“{_shown(str(day_of_week))}” is not a day number; use 0 (Sunday) to 6."
                )
            index = (day_of_week + 6) % 7
            if days[index] is not None:
                raise InvalidInput(f"{DAY_NAMES[index]} is stored twice; keep one row per day.")
            ranges = []
            for pair in pairs:
                if isinstance(pair, str) or len(pair) != 2:
                    raise InvalidInput(
                        f"“{_shown(str(pair))}” is not a time range; store it as"
                        ' ["09:00", "12:00"].'
                    )
                ranges.append(_range(index, str(pair[0]), str(pair[1])))
            days[index] = _tidy(index, ranges) if ranges else ()
        return cls(tuple(ranges or () for ranges in days))


def parse_weekly(text: str) -> WeeklyAvailability:
    """Parse a weekly pattern such as ``mon 09:00-12:00 14:00-18:00; wed 18:00-21:00``.

    Days are ``mon``..``sun`` or ``monday``..``sunday`` in any case, separated by ``;`` or new
    lines; each is followed by one or more ``HH:MM-HH:MM`` ranges (24-hour clock, ``24:00``
    may end a range; ``9:00``, en dashes and commas between ranges are accepted). Touching
    ranges are merged: ``09:00-12:00 12:00-14:00`` is ``09:00-14:00``.

    Raises:
        InvalidInput: empty or over-long text, an unknown day, a day given twice, a malformed
            or impossible time, an empty or midnight-crossing range, overlapping ranges, or
            more than ``RANGES_PER_DAY_MAX`` ranges on a day.
    """
    if len(text) > WEEKLY_TEXT_MAX:
        raise InvalidInput(
            f"That availability is too long ({len(text):,} characters);"
            f" please keep it under {WEEKLY_TEXT_MAX}."
        )
    cleaned = _DASHES.sub("-", text).replace(",", " ")
    parts = [part.strip() for part in re.split(r"[;\n]", cleaned)]
    parts = [part for part in parts if part]
    if not parts:
        raise InvalidInput(f"Tell me when you're available, e.g. “{EXAMPLE}”.")
    days: list[tuple[TimeRange, ...] | None] = [None] * 7
    for part in parts:
        word, *tokens = part.split()
        index = _DAY_LOOKUP.get(word.lower())
        if index is None:
            raise InvalidInput(
                f"“{_shown(word)}” is not a day; start each part with mon, tue, wed, thu, fri,"
                f" sat or sun, e.g. “{EXAMPLE}”."
            )
        code = DAY_CODES[index]
        if days[index] is not None:
            raise InvalidInput(
                f"{DAY_NAMES[index]} is given twice; put all its times in one place,"
                f" e.g. “{code} 09:00-12:00 14:00-18:00”."
            )
        if not tokens:
            raise InvalidInput(
                f"{DAY_NAMES[index]} has no times; add them, e.g. “{code} 09:00-12:00”."
            )
        ranges = []
        for token in tokens:
            start_text, dash, end_text = token.partition("-")
            if not dash or not start_text or not end_text or "-" in end_text:
                raise InvalidInput(
                    f"“{_shown(token)}” is not a time range; write it like 09:00-12:00."
                )
            ranges.append(_range(index, start_text, end_text))
        days[index] = _tidy(index, ranges)
    return WeeklyAvailability(tuple(ranges or () for ranges in days))


def _range(index: int, start_text: str, end_text: str) -> TimeRange:
    start = _clock_minutes(start_text, is_end=False)
    end = _clock_minutes(end_text, is_end=True)
    label = f"{start_text}-{end_text}"
    if end == start:
        raise InvalidInput(f"“{label}” is empty; the end must come after the start.")
    if end < start:
        code, following = DAY_CODES[index], DAY_CODES[(index + 1) % 7]
        if end == 0:
            raise InvalidInput(
                f"“{label}” ends at midnight; write midnight as 24:00:"
                f" “{code} {_hhmm(start)}-24:00”."
            )
        raise InvalidInput(
            f"“{label}” ends before it starts. A range can't cross midnight; if it runs"
            f" overnight, split it into two days: “{code} {_hhmm(start)}-24:00;"
            f" {following} 00:00-{_hhmm(end)}”."
        )
    return TimeRange(start, end)


def _clock_minutes(text: str, *, is_end: bool) -> int:
    match = _CLOCK.fullmatch(text)
    if match is None:
        raise InvalidInput(
            f"“{_shown(text)}” is not a time; write times as HH:MM, like 09:00 or 18:30."
        )
    hours, minutes = int(match[1]), int(match[2])
    if minutes > 59:
        raise InvalidInput(f"“{text}” is not a time: minutes go from 00 to 59.")
    if hours == 24 and minutes == 0:
        if is_end:
            return DAY_MINUTES
        raise InvalidInput("A range can't start at 24:00; 24:00 only ends one, as in 18:00-24:00.")
    if hours > 23:
        raise InvalidInput(
            f"“{text}” is not a time: hours go from 00 to 23 (24:00 may end a range)."
        )
    return hours * 60 + minutes


def _tidy(index: int, ranges: list[TimeRange]) -> tuple[TimeRange, ...]:
    """Check one day's ranges: at most the limit, none overlapping; merge touching ones."""
    name = DAY_NAMES[index]
    if len(ranges) > RANGES_PER_DAY_MAX:
        raise InvalidInput(
            f"{name} has {len(ranges)} time ranges; {RANGES_PER_DAY_MAX} a day is the most"
            " I can keep."
        )
    ordered = sorted(ranges)
    merged = [ordered[0]]
    for previous, current in zip(ordered, ordered[1:], strict=False):
        if current == previous:
            raise InvalidInput(f"On {name}, {current} is given twice; give each range once.")
        if current.start < previous.end:
            raise InvalidInput(
                f"On {name}, {previous} and {current} overlap; give each time only once,"
                f" e.g. as {TimeRange(previous.start, max(previous.end, current.end))}."
            )
        if current.start == merged[-1].end:
            merged[-1] = TimeRange(merged[-1].start, current.end)
        else:
            merged.append(current)
    return tuple(merged)


def parse_timeoff(text: str, *, today: date) -> tuple[date, date]:
    """Parse days off: ``2026-12-24..2026-12-31`` or a single day ``2026-12-24``.

    Both dates are included and are dates in the expert's zone (``today`` too).

    Raises:
        InvalidInput: malformed or impossible dates, the end before the start, more than
            ``TIMEOFF_DAYS_MAX`` days, or a stretch that is entirely in the past.
    """
    cleaned = text.strip()
    if not cleaned:
        raise InvalidInput(f"Tell me which days you're off, e.g. {_TIMEOFF_EXAMPLE}.")
    if len(cleaned) > _TIMEOFF_TEXT_MAX:
        raise InvalidInput(f"That doesn't look like days off; write them like {_TIMEOFF_EXAMPLE}.")
    first_text, dots, last_text = cleaned.partition("..")
    first = _iso_date(first_text.strip())
    last = _iso_date(last_text.strip()) if dots else first
    if last < first:
        raise InvalidInput(
            f"That time off ends ({last}) before it starts ({first}); put the earlier date first."
        )
    length = (last - first).days + 1
    if length > TIMEOFF_DAYS_MAX:
        raise InvalidInput(
            f"That is {length:,} days off; one stretch can be at most {TIMEOFF_DAYS_MAX} days."
        )
    if last < today:
        raise InvalidInput(
            f"{last} is already past; time off must include today ({today}) or a later day."
        )
    return first, last


def _iso_date(text: str) -> date:
    if _DATE.fullmatch(text) is None:
        raise InvalidInput(
            f"“{_shown(text)}” is not a date; write dates as YYYY-MM-DD, e.g. {_TIMEOFF_EXAMPLE}."
        )
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise InvalidInput(f"“{text}” is not a real date.") from None


# --- slots ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class SlotPolicy:
    """How slots are cut and which are bookable (see the module docstring for the rules)."""

    grid: timedelta = timedelta(minutes=30)
    buffer: timedelta = timedelta(0)
    min_notice: timedelta = timedelta(hours=12)
    horizon: timedelta = timedelta(days=30)

    def __post_init__(self) -> None:
        if self.grid <= timedelta(0) or self.grid % _MINUTE:
            raise ValueError("the grid must be a positive whole number of minutes")
        if self.buffer < timedelta(0) or self.min_notice < timedelta(0):
            raise ValueError("buffer and min_notice can't be negative")
        if not timedelta(0) < self.horizon <= timedelta(days=TIMEOFF_DAYS_MAX):
            raise ValueError(f"the horizon must be from 1 second to {TIMEOFF_DAYS_MAX} days")


def open_slots(
    weekly: WeeklyAvailability,
    zone: str,
    *,
    start: date,
    end: date,
    duration: timedelta,
    now: datetime,
    time_off: Iterable[tuple[date, date]] = (),
    busy: Iterable[tuple[datetime, datetime]] = (),
    policy: SlotPolicy = SlotPolicy(),
) -> list[datetime]:
    """The bookable slot starts of the local dates ``start..end`` (inclusive, expert's zone).

    Args:
        weekly: the expert's pattern.
        zone: the expert's IANA zone.
        start: first local date to list.
        end: last local date to list (inclusive).
        duration: the session length; a positive multiple of ``policy.grid``.
        now: the current aware instant.
        time_off: ``(first, last)`` local dates, both included, on which nothing is open.
        busy: ``(start, end)`` aware instants of the expert's pending and scheduled bookings
            (leave out the booking being rescheduled, if any).
        policy: grid, buffer, minimum notice and horizon.

    Returns:
        Aware UTC instants, sorted, without duplicates.

    Raises:
        InvalidInput: an unknown zone, or a duration that is not a positive multiple of the grid.
        ValueError: naive datetimes, or a window, time off or busy interval ending before it
            starts (programming errors).
    """
    tz = _zone(zone)
    _check_duration(duration, policy.grid)
    if end < start:
        raise ValueError(f"the window ends ({end}) before it starts ({start})")
    now_utc = _utc(now, "now")
    earliest = now_utc + policy.min_notice
    latest = now_utc + policy.horizon
    days_off = _checked_days_off(time_off)
    blocked = _widened(busy, policy.buffer)
    length, step = duration // _SECOND, policy.grid // _SECOND

    found: list[datetime] = []
    day = max(start, earliest.astimezone(tz).date())
    last_day = min(end, latest.astimezone(tz).date())
    while day <= last_day:
        if not any(first <= day <= last for first, last in days_off):
            for stretch_start, stretch_end in _stretches(weekly.ranges_on(day), tz, day):
                for second in range(stretch_start, stretch_end - length + 1, step):
                    slot = _EPOCH + timedelta(seconds=second)
                    if earliest <= slot <= latest and not _clashes(slot, slot + duration, blocked):
                        found.append(slot)
        day += _ONE_DAY
    return sorted(found)


def is_open(
    slot_start: datetime,
    duration: timedelta,
    weekly: WeeklyAvailability,
    zone: str,
    *,
    now: datetime,
    time_off: Iterable[tuple[date, date]] = (),
    busy: Iterable[tuple[datetime, datetime]] = (),
    policy: SlotPolicy = SlotPolicy(),
) -> bool:
    """Whether ``open_slots`` (same arguments) lists ``slot_start``: the booking re-check.

    A slot off the grid, outside the pattern, on a day off, too soon, too far ahead, or
    clashing with a busy interval is not open. Raises what ``open_slots`` raises.
    """
    start = _utc(slot_start, "slot_start")
    day = start.astimezone(_zone(zone)).date()
    slots = open_slots(
        weekly,
        zone,
        start=day,
        end=day,
        duration=duration,
        now=now,
        time_off=time_off,
        busy=busy,
        policy=policy,
    )
    return start in slots


def in_zone(instant: datetime, zone: str) -> datetime:
    """``instant`` as a wall-clock time in ``zone`` (to show a slot in the learner's zone)."""
    return _utc(instant, "instant").astimezone(_zone(zone))


def _stretches(ranges: Sequence[TimeRange], tz: ZoneInfo, day: date) -> list[tuple[int, int]]:
    """The UTC stretches ``[start, end)`` (epoch seconds) of ``day``'s ranges.

    A range's instants are those whose clock reading on ``day`` lies in the range; within each
    stretch of constant UTC offset they are that offset away from the clock. Pieces that touch
    (across a gap) join into one stretch; a fold can leave a range in two stretches.
    """
    midnight = (day.toordinal() - _EPOCH_ORDINAL) * _DAY_SECONDS  # clock seconds, not UTC
    pieces = _offset_pieces(tz, day) if ranges else ()
    stretches: list[tuple[int, int]] = []
    for time_range in ranges:
        clock_start = midnight + time_range.start * 60
        clock_end = midnight + time_range.end * 60
        own: list[tuple[int, int]] = []
        for piece_start, piece_end, offset in pieces:
            low = max(piece_start + offset, clock_start) - offset
            high = min(piece_end + offset, clock_end) - offset
            if low >= high:
                continue
            if own and own[-1][1] == low:
                own[-1] = (own[-1][0], high)
            else:
                own.append((low, high))
        stretches.extend(own)
    return stretches


@lru_cache(maxsize=2048)
def _offset_pieces(tz: ZoneInfo, day: date) -> tuple[tuple[int, int, int], ...]:
    """``(start, end, offset)`` in epoch seconds covering every instant whose local date can be
    ``day``, cut wherever ``tz``'s UTC offset changes."""
    low = (day.toordinal() - _EPOCH_ORDINAL) * _DAY_SECONDS - _OFFSET_MARGIN
    high = low + _DAY_SECONDS + 2 * _OFFSET_MARGIN
    pieces: list[tuple[int, int, int]] = []
    piece_start, offset = low, _offset(tz, low)
    probe = low
    while probe < high:
        following = min(probe + _PROBE_STEP, high)
        new_offset = _offset(tz, following)
        if new_offset != offset:
            before, after = probe, following  # offset at ``before``, new_offset at ``after``
            while after - before > 1:
                middle = (before + after) // 2
                if _offset(tz, middle) == offset:
                    before = middle
                else:
                    after = middle
            pieces.append((piece_start, after, offset))
            piece_start, offset = after, new_offset
        probe = following
    pieces.append((piece_start, high, offset))
    return tuple(pieces)


def _offset(tz: ZoneInfo, second: int) -> int:
    offset = (_EPOCH + timedelta(seconds=second)).astimezone(tz).utcoffset()
    assert offset is not None  # a ZoneInfo always knows its offset
    return offset // _SECOND


def _check_duration(duration: timedelta, grid: timedelta) -> None:
    if duration <= timedelta(0) or duration % grid:
        step = grid // _MINUTE
        raise InvalidInput(
            f"A session must last a whole number of {step}-minute steps"
            f" (like {step}, {2 * step} or {3 * step} minutes), not {_describe(duration)}."
        )


def _checked_days_off(time_off: Iterable[tuple[date, date]]) -> list[tuple[date, date]]:
    days_off = list(time_off)
    for first, last in days_off:
        if last < first:
            raise ValueError(f"time off ends ({last}) before it starts ({first})")
    return days_off


def _widened(
    busy: Iterable[tuple[datetime, datetime]], buffer: timedelta
) -> list[tuple[datetime, datetime]]:
    widened = []
    for busy_start, busy_end in busy:
        low, high = _utc(busy_start, "busy start"), _utc(busy_end, "busy end")
        if high < low:
            raise ValueError(f"busy interval ends ({high}) before it starts ({low})")
        widened.append((low - buffer, high + buffer))
    return sorted(widened)


def _clashes(
    slot_start: datetime, slot_end: datetime, blocked: Sequence[tuple[datetime, datetime]]
) -> bool:
    return any(low < slot_end and slot_start < high for low, high in blocked)


def _utc(instant: datetime, what: str) -> datetime:
    if instant.tzinfo is None or instant.utcoffset() is None:
        raise ValueError(f"naive datetime for {what}: pass an aware instant")
    return instant.astimezone(UTC)


def _zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise InvalidInput(
            f"“{_shown(name)}” is not a time zone I know; use an IANA name such as Europe/Berlin."
        ) from None


def _describe(duration: timedelta) -> str:
    if duration % _MINUTE:
        return str(duration)
    return f"{duration // _MINUTE} minutes"


def _hhmm(minutes: int) -> str:
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


def _shown(text: str, limit: int = 20) -> str:
    """``text`` on one line, cut to ``limit`` characters, to quote back in a message."""
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 3] + "..."
