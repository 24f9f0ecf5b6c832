"""Reading lengths of time, times of day and ranges as people type them, in one place.

Every reader accepts what the bot itself prints (``1 h 30 min``, ``19:30``, ``22:00–07:30``),
so a person can copy any answer back, and the forms people write without thinking: ``25min``,
``1h15``, ``1.5h``, ``7pm``, ``7:30pm``, ``19h``, ``9-12``, ``10pm to 6am``, ``2w``.
Each failure is an ``InvalidInput`` whose message shows a form that works.
"""

from __future__ import annotations

import re
from datetime import time, timedelta
from decimal import Decimal, InvalidOperation

from domain.shared.errors import InvalidInput

DAY_MINUTES = 24 * 60
DAY_CODES = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")  # index = date.weekday()
DAY_NAMES = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
_DAY_WORDS = (
    {code: index for index, code in enumerate(DAY_CODES)}
    | {name.lower(): index for index, name in enumerate(DAY_NAMES)}
    | {"tues": 1, "wednes": 2, "thur": 3, "thurs": 3}
)
_EVERY = tuple(range(7))
_DAY_SETS = {"daily": _EVERY, "everyday": _EVERY, "every day": _EVERY, "each day": _EVERY}
_DAY_SETS |= {"weekdays": tuple(range(5)), "weekends": (5, 6), "weekend": (5, 6)}
_HOURS = r"(?:h|hrs?|hours?)"
_MINUTES = r"(?:m|mins?|minutes?|')"
_NUMBER = r"[0-9]{1,3}(?:[.,][0-9]{1,2})?"
# "1 h 30 min", "1h15", "1.5h", "1 hour", "25min", "45 min", "90m", "1:30", "45".
_DURATION = re.compile(
    rf"(?:(?P<hours>{_NUMBER})\s*{_HOURS}(?![a-z])(?:\s*(?P<and>[0-9]{{1,2}})(?:\s*{_MINUTES})?)?"
    rf"|(?P<clock_h>[0-9]{{1,2}}):(?P<clock_m>[0-9]{{2}})"
    rf"|(?P<minutes>[0-9]{{1,4}})(?:\s*{_MINUTES})?)(?![a-z0-9:.,])",
    re.IGNORECASE,
)
# "7", "19:30", "7.30", "19h", "19h30", "7pm", "7:30 pm", "7 a.m.".
_CLOCK = re.compile(
    r"(?P<h>[0-9]{1,2})(?:(?:[:.]|h)(?P<m>[0-9]{2})|(?P<bare_h>h))?"
    r"\s*(?:(?P<half>[ap])\.?m?\.?)?",
    re.IGNORECASE,
)
_NAMED_CLOCKS = {"noon": 12 * 60, "midday": 12 * 60, "midnight": 0}
# Between the two ends of a range: a hyphen, an en or em dash, a minus sign, "to", "until".
_RANGE = re.compile(r"\s*(?:[-\u2010-\u2015\u2212]|\.\.|\s(?:to|until|till)\s)\s*", re.I)
_SPAN_UNITS = {
    "w": timedelta(weeks=1),
    "d": timedelta(days=1),
    "h": timedelta(hours=1),
    "m": timedelta(minutes=1),
}
_SPAN_PART = re.compile(
    r"([0-9]{1,3})\s*(w|wks?|weeks?|d|days?|h|hrs?|hours?|m|mins?|minutes?)(?![a-z])", re.I
)


def _shown(text: str, limit: int = 20) -> str:
    text = text.strip()
    return text if len(text) <= limit else text[: limit - 1] + "…"


# -- lengths of time --------------------------------------------------------------------------


def _minutes_of(match: re.Match[str]) -> int:
    if match["minutes"] is not None:
        return int(match["minutes"])
    if match["clock_h"] is not None:
        if int(match["clock_m"]) > 59:
            raise InvalidInput(f"“{_shown(match[0])}” is not a length: minutes go up to 59.")
        return int(match["clock_h"]) * 60 + int(match["clock_m"])
    try:
        hours = Decimal(match["hours"].replace(",", "."))
    except InvalidOperation:  # pragma: no cover - the pattern only lets digits through
        raise InvalidInput(f"“{_shown(match[0])}” is not a length of time.") from None
    extra = int(match["and"] or 0)
    if match["and"] is not None and (hours != hours.to_integral_value() or extra > 59):
        raise InvalidInput(
            f"“{_shown(match[0])}” is not a length: write 1 h 30 min, 1h30 or 1.5h."
        )
    return int((hours * 60).to_integral_value()) + extra


def _duration_range(what: str, low: int, high: int) -> str:
    return f"The {what} must be from {low} to {high} minutes"


def read_duration(text: str, *, what: str, low: int, high: int) -> int:
    """Minutes in ``text`` (``45``, ``45 min``, ``1h15``, ``1.5h``, ``1 h 30 min``).

    Raises:
        InvalidInput: not a length of time, or outside ``low``..``high`` minutes.
    """
    match = _DURATION.fullmatch(text.strip())
    if match is None:
        raise InvalidInput(
            f"{_duration_range(what, low, high)}, e.g. 45, 45 min, 1h15 or 1.5h;"
            f" not “{_shown(text)}”."
        )
    minutes = _minutes_of(match)
    if not low <= minutes <= high:
        raise InvalidInput(f"{_duration_range(what, low, high)}; you gave {minutes}.")
    return minutes


def leading_duration(text: str, *, what: str, low: int, high: int) -> tuple[int | None, str]:
    """A length of time at the start of ``text`` and what follows it: ``"25 min read ch. 3"``
    -> ``(25, "read ch. 3")``; ``(None, text)`` when ``text`` does not start with one."""
    stripped = text.strip()
    match = _DURATION.match(stripped)
    if match is None or not (match.end() == len(stripped) or stripped[match.end()].isspace()):
        if re.match(r"[+\-\u2212][0-9]+(?:\s|$)", stripped):  # "-3": a number, out of range
            raise InvalidInput(
                f"{_duration_range(what, low, high)}; you gave {stripped.split()[0]}."
            )
        return None, text
    return read_duration(match[0], what=what, low=low, high=high), stripped[match.end() :]


# -- times of day -----------------------------------------------------------------------------


def clock_minutes(text: str, *, end_of_day: bool = False) -> int:
    """Minutes after midnight for a time of day: ``19:30``, ``7:30pm``, ``7pm``, ``19h``,
    ``19h30``, ``7`` (07:00), ``noon``, ``midnight``. With ``end_of_day``, ``24:00`` is
    allowed (the end of a range) and is 1440.

    Raises:
        InvalidInput: not a time of day.
    """
    key = text.strip().lower()
    if key in _NAMED_CLOCKS:
        return _NAMED_CLOCKS[key]
    match = _CLOCK.fullmatch(key)
    if match is None:
        raise InvalidInput(
            f"“{_shown(text)}” is not a time of day; write it like 19:30, 7pm or 7:30pm."
        )
    hours, minutes = int(match["h"]), int(match["m"] or 0)
    if minutes > 59:
        raise InvalidInput(f"“{_shown(text)}” is not a time of day: minutes go from 00 to 59.")
    if match["half"] is not None:
        if not 1 <= hours <= 12:
            raise InvalidInput(
                f"“{_shown(text)}” is not a time of day: with am or pm, hours go from 1 to 12."
            )
        hours = hours % 12 + (12 if match["half"] == "p" else 0)
    elif hours == 24 and minutes == 0 and end_of_day:
        return DAY_MINUTES
    elif hours > 23:
        raise InvalidInput(f"“{_shown(text)}” is not a time of day: hours go from 0 to 23.")
    return hours * 60 + minutes


def read_clock(text: str) -> time:
    """A time of day (see :func:`clock_minutes`), e.g. ``7:30pm`` -> 19:30."""
    minutes = clock_minutes(text)
    return time(minutes // 60, minutes % 60)


def leading_clock(text: str) -> tuple[time, str] | None:
    """A time of day at the start of ``text`` and what follows (after a space or a comma):
    ``"7 pm daily"`` -> ``(19:00, "daily")``; None when ``text`` does not start with one."""
    match = re.match(
        rf"({_CLOCK.pattern}|noon|midday|midnight)(?:\s*,\s*|\s+|$)", text.strip(), re.I
    )
    if match is None:
        return None
    return read_clock(match[1]), text.strip()[match.end() :]


def trailing_clock(text: str) -> tuple[str, time] | None:
    """What comes before a time of day that ends ``text``, and that time: ``"mon,fri 7 pm"``
    -> ``("mon,fri", 19:00)``; None when ``text`` does not end with one."""
    match = re.search(rf"(?:^|\s)({_CLOCK.pattern}|noon|midday|midnight)$", text.strip(), re.I)
    if match is None:
        return None
    return text.strip()[: match.start()].strip(), read_clock(match[1])


def split_range(text: str) -> tuple[str, str] | None:
    """The two ends of ``22:00-07:30``, ``22:00–07:30``, ``9 to 5`` or ``9..12``; None when
    ``text`` is not one range."""
    parts = _RANGE.split(text.strip())
    if len(parts) != 2 or not parts[0].strip() or not parts[1].strip():
        return None
    return parts[0].strip(), parts[1].strip()


def read_clock_range(text: str) -> tuple[time, time] | None:
    """Two times of day (``22:00–07:30``, ``10pm to 7am``, ``9-12``); None when ``text`` is
    not a range. The end may come before the start (a range across midnight)."""
    ends = split_range(text)
    if ends is None:
        return None
    return read_clock(ends[0]), read_clock(ends[1])


# -- spans (how long something lasts from now) ------------------------------------------------


def read_span(text: str) -> timedelta:
    """``2w``, ``3d``, ``12h``, ``90m``, ``1d 12h``, ``2 weeks``.

    Raises:
        InvalidInput: anything else.
    """
    key = text.strip().lower()
    parts = list(_SPAN_PART.finditer(key))
    if not parts or _SPAN_PART.sub("", key).strip(" ,and") != "":
        raise InvalidInput(
            f"“{_shown(text)}” is not a length of time; write it like 2w, 3d or 12h."
        )
    return sum((int(part[1]) * _SPAN_UNITS[part[2][0]] for part in parts), timedelta())


def day_index(word: str) -> int | None:
    """``mon``, ``Monday``, ``thurs`` -> 0..6 (``date.weekday()``), else None."""
    return _DAY_WORDS.get(word.strip().lower())


def read_days(text: str) -> tuple[int, ...] | None:
    """A set of weekdays as people write it: ``mon,wed,fri``, ``mon wed``, ``mon-fri`` (wrapping:
    ``fri-mon``), ``weekdays``, ``weekends``, ``daily`` / ``every day``. Sorted weekday numbers,
    or None when ``text`` is not (only) days."""
    key = " ".join(text.strip().lower().split())
    if key in _DAY_SETS:
        return _DAY_SETS[key]
    days: set[int] = set()
    for part in re.split(r"[\s,]+", key):
        ends = split_range(part)
        if ends is not None:
            first, last = day_index(ends[0]), day_index(ends[1])
            if first is None or last is None:
                return None
            days.update((first + step) % 7 for step in range((last - first) % 7 + 1))
        elif part in _DAY_SETS:
            days.update(_DAY_SETS[part])
        elif (index := day_index(part)) is not None:
            days.add(index)
        else:
            return None
    return tuple(sorted(days)) or None
