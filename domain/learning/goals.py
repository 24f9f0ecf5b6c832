"""Weekly goals and vacations: reading what the learner typed, and the week's rules.

The week is the learner's: it starts on their chosen weekday (default Monday) in their zone
and is seven local dates long, so a DST change never moves its start. A goal counts minutes or
sessions completed on those dates (the local date stored with each completion).

*At risk* means: less than (days elapsed / 7) of the goal is done, where days elapsed are the
whole local days of the week before today. A goal already met is never at risk. The goal
reminder is sent on the week's sixth day (``REMINDER_DAY``: two days before the week ends),
when the goal is at risk then.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta

from domain.habits.model import StudyHabits, Vacation, WeekStanding
from domain.learning.model import StudyTally
from domain.shared.errors import InvalidInput
from domain.shared.timetext import read_days

DAYS_PER_WEEK = 7
REMINDER_DAY = 5  # the week's sixth day (Saturday for a Monday week): two days left
LONGEST_VACATION = 60  # days
MAX_GOAL_MINUTES = 7 * 24 * 60
MAX_GOAL_SESSIONS = 100
WEEKDAY_NAMES = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")

GOAL_USAGE = "Usage: /goal 150m | 2h | 4 sessions | off, or /goal week starts sunday"
VACATION_USAGE = (
    "Usage: /vacation 5d (from today), /vacation 2026-12-20 to 2026-12-27, or /vacation off"
)


@dataclass(frozen=True)
class GoalChange:
    """What ``/goal ...`` asks: a new goal (minutes or sessions), none (off), or a week start."""

    minutes: int | None = None
    sessions: int | None = None
    off: bool = False
    week_starts: int | None = None


_HOURS_MINUTES = re.compile(
    r"^(?:(?P<h>\d{1,3})\s*(?:h|hr|hrs|hours?))?\s*(?:(?P<m>\d{1,5})\s*(?:m|min|mins|minutes?))?$"
)
_SESSIONS = re.compile(r"^(?P<n>\d{1,3})\s*(?:sessions?|x)$")
_WEEK_STARTS = re.compile(r"^week\s+(?:starts?\s+)?(?:on\s+)?(?P<day>[a-z]+)$")


def parse_goal(text: str) -> GoalChange:
    """``150m`` / ``2h`` / ``1h30`` / ``4 sessions`` / ``off`` / ``week starts sunday``."""
    said = " ".join(text.strip().lower().split())
    if said == "off":
        return GoalChange(off=True)
    week = _WEEK_STARTS.match(said)
    if week:
        days = read_days(week["day"])
        if days is None or len(days) != 1:
            raise InvalidInput(f"“{week['day'][:20]}” is not a day; e.g. /goal week starts sunday")
        return GoalChange(week_starts=days[0])
    sessions = _SESSIONS.match(said)
    if sessions:
        count = int(sessions["n"])
        if not 1 <= count <= MAX_GOAL_SESSIONS:
            raise InvalidInput(f"A weekly goal is 1 to {MAX_GOAL_SESSIONS} sessions.")
        return GoalChange(sessions=count)
    said = re.sub(r"^(\d{1,3})\s*h\s*(\d{1,2})$", r"\1h \2m", said)  # 1h30
    timed = _HOURS_MINUTES.match(said) if said else None
    if timed is None or (timed["h"] is None and timed["m"] is None):
        raise InvalidInput(GOAL_USAGE)
    minutes = int(timed["h"] or 0) * 60 + int(timed["m"] or 0)
    if not 1 <= minutes <= MAX_GOAL_MINUTES:
        raise InvalidInput("A weekly goal is 1 minute to 168 hours.")
    return GoalChange(minutes=minutes)


_VACATION_DAYS = re.compile(r"^(?P<n>\d{1,3})\s*(?:d|days?)$")
_VACATION_WEEKS = re.compile(r"^(?P<n>\d{1,2})\s*(?:w|weeks?)$")
_VACATION_RANGE = re.compile(
    r"^(?:from\s+)?(?P<a>\d{4}-\d{2}-\d{2})\s*(?:to|until|-|–|—|\.\.)\s*(?P<b>\d{4}-\d{2}-\d{2})$"
)


def parse_vacation(text: str, today: date) -> tuple[date, date] | None:
    """The first and last local day of a vacation (``None``: ``off``).

    ``5d`` (five days from today), ``2w``, or ``2026-12-20 to 2026-12-27`` (inclusive). Raises
    ``InvalidInput`` for anything else, a vacation starting before today (missed days are not
    forgiven afterwards) and one longer than ``LONGEST_VACATION`` days.
    """
    said = " ".join(text.strip().lower().split())
    if said == "off":
        return None
    count = _VACATION_DAYS.match(said)
    weeks = _VACATION_WEEKS.match(said)
    span = _VACATION_RANGE.match(said)
    if count or weeks:
        days = int(count["n"]) if count else 7 * int(weeks["n"]) if weeks else 0
        if days < 1:
            raise InvalidInput("A vacation is at least one day, e.g. /vacation 5d")
        first, last = today, today + timedelta(days=days - 1)
    elif span:
        try:
            first, last = date.fromisoformat(span["a"]), date.fromisoformat(span["b"])
        except ValueError:
            raise InvalidInput("That is not a date; use YYYY-MM-DD, e.g. 2026-12-20.") from None
        if last < first:
            raise InvalidInput("A vacation ends on or after the day it starts.")
        if first < today:
            raise InvalidInput(
                "A vacation can't start in the past: days already missed are not forgiven. "
                "Start it today or later."
            )
    else:
        raise InvalidInput(VACATION_USAGE)
    if (last - first).days + 1 > LONGEST_VACATION:
        raise InvalidInput(f"A vacation is at most {LONGEST_VACATION} days.")
    return first, last


def week_start(today: date, week_starts: int) -> date:
    """The first local day of the week ``today`` is in."""
    return today - timedelta(days=(today.weekday() - week_starts) % DAYS_PER_WEEK)


def at_risk(done: int, goal: int, elapsed_days: int) -> bool:
    """Less than (elapsed_days / 7) of ``goal`` done (and the goal not met)."""
    return done < goal and done * DAYS_PER_WEEK < goal * elapsed_days


def week_standing(
    habits: StudyHabits, tallies: Iterable[StudyTally], today: date
) -> WeekStanding | None:
    """The week ``today`` is in against the weekly goal; None without a goal."""
    goal = habits.goal_minutes or habits.goal_sessions
    if goal is None:
        return None
    first = week_start(today, habits.week_starts)
    last = first + timedelta(days=DAYS_PER_WEEK - 1)
    shown = [t for t in tallies if first <= t.day <= last]
    minutes = habits.goal_minutes is not None
    done = sum(t.minutes if minutes else t.sessions for t in shown)
    elapsed = (today - first).days
    return WeekStanding(
        starts_on=first,
        ends_on=last,
        done=done,
        goal=goal,
        unit="min" if minutes else "sessions",
        elapsed_days=elapsed,
        at_risk=at_risk(done, goal, elapsed),
    )


def is_reminder_day(today: date, week_starts: int) -> bool:
    """Whether ``today`` is the day the goal reminder is for: two days before the week ends."""
    return (today - week_start(today, week_starts)).days == REMINDER_DAY


def vacation_now(vacations: Iterable[Vacation], today: date) -> Vacation | None:
    """The vacation under way on ``today``, else the next one planned (None: neither)."""
    ahead = sorted(
        (v for v in vacations if v.ends_on >= today and v.ends_on >= v.starts_on),
        key=lambda v: v.starts_on,
    )
    return ahead[0] if ahead else None
