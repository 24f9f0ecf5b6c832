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
from datetime import date, time, timedelta

from domain.shared.errors import InvalidInput
from domain.shared.timetext import DAY_CODES, DAY_NAMES, clock_minutes, read_days

WEEKLY_TEXT_MAX = 500
RANGES_PER_DAY_MAX = 12
TIMEOFF_DAYS_MAX = 366
DAY_MINUTES = 24 * 60
_MINUTE = timedelta(minutes=1)
EXAMPLE = "mon 09:00-12:00 14:00-18:00; wed 18:00-21:00"


# hyphen, en/em dash, minus sign, or "to"
_DASHES = re.compile(r"\s*[-\u2010-\u2015\u2212]\s*|\s+to\s+", re.IGNORECASE)
_AM_PM = re.compile(r"\s+([ap]\.?m\.?)(?![a-z])", re.IGNORECASE)  # "9 am" is one time
_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
_TIMEOFF_TEXT_MAX = 60
_TIMEOFF_EXAMPLE = "“2026-12-24..2026-12-31”, or a single day like “2026-12-24”"


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

    Days are ``mon``..``sun`` or ``monday``..``sunday`` in any case, or several at once
    (``mon-fri``, ``sat sun``, ``weekdays``, ``weekends``: ``read_days``), separated by ``;`` or
    new lines; each is followed by one or more ``HH:MM-HH:MM`` ranges (``24:00`` may end a range;
    times are read as everywhere, so ``9-12``, ``9am-1pm``, ``19h-21h``, ``9:00 to 12:00``,
    en dashes and commas between ranges are accepted too). Touching
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
    cleaned = _AM_PM.sub(r"\1", _DASHES.sub("-", text)).replace(",", " ")
    parts = [part.strip() for part in re.split(r"[;\n]", cleaned)]
    parts = [part for part in parts if part]
    if not parts:
        raise InvalidInput(f"Tell me when you're available, e.g. “{EXAMPLE}”.")
    days: list[tuple[TimeRange, ...] | None] = [None] * 7
    for part in parts:
        words = part.split()
        lead = 0  # the part's leading words that name days: "mon", "mon-fri", "sat sun"...
        while lead < len(words) and read_days(words[lead]) is not None:
            lead += 1
        if not lead:
            raise InvalidInput(
                f"“{_shown(words[0])}” is not a day; start each part with mon, tue, wed, thu,"
                f" fri, sat or sun (or mon-fri, weekdays, weekends), e.g. “{EXAMPLE}”."
            )
        named = sorted({day for word in words[:lead] for day in read_days(word) or ()})
        tokens = words[lead:]
        for index in named:
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
    """A range's end as minutes after midnight, read as everywhere (``09:00``, ``9``, ``9am``,
    ``19h``); 24:00 may end a range."""
    minutes = clock_minutes(text, end_of_day=True)
    if minutes == DAY_MINUTES and not is_end:
        raise InvalidInput("A range can't start at 24:00; 24:00 only ends one, as in 18:00-24:00.")
    return minutes


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
