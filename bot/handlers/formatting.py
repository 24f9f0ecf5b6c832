"""Small text helpers shared by the handlers."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

from domain.habits.model import WeekStanding
from domain.learning.model import ScheduleStanding
from domain.shared.text import plural

__all__ = [
    "bar",
    "day_name",
    "duration",
    "local_time",
    "money",
    "month_name",
    "plural",
    "schedule_standing",
    "short_time",
    "week_bar",
]


def local_time(moment: datetime | None, zone: str) -> str:
    """``moment`` as a wall-clock time in ``zone``, e.g. "Tue 24 Nov 2026, 19:30"."""
    if moment is None:
        return "never"
    return moment.astimezone(ZoneInfo(zone)).strftime("%a %d %b %Y, %H:%M")


def short_time(moment: datetime, zone: str) -> str:
    """``moment`` in ``zone`` without the year, e.g. "Tue 24 Nov 19:30"."""
    return moment.astimezone(ZoneInfo(zone)).strftime("%a %d %b %H:%M")


def day_name(day: date) -> str:
    """A date with its month by name, as people write it: "5 Dec 2026"."""
    return f"{day.day} {day:%b %Y}"


def month_name(month: str) -> str:
    """A "2026-12" month as people write it: "Dec 2026"."""
    return f"{date.fromisoformat(month + '-01'):%b %Y}"


def duration(minutes: int) -> str:
    """``95`` -> "1 h 35 min"."""
    hours, rest = divmod(minutes, 60)
    if not hours:
        return f"{rest} min"
    return f"{hours} h {rest} min" if rest else f"{hours} h"


def bar(done: int, total: int, width: int = 10) -> str:
    filled = round(width * done / total) if total else 0
    return "▓" * filled + "░" * (width - filled)


def week_bar(week: WeekStanding, width: int = 10) -> str:
    """ "▓▓▓▓▓▓░░░░ 90/150 min" (the bar full once the goal is met)."""
    filled = min(width, round(width * week.done / week.goal))
    return "▓" * filled + "░" * (width - filled) + f" {week.done}/{week.goal} {week.unit}"


def schedule_standing(standing: ScheduleStanding) -> str:
    """ "on track", "2 sessions behind" or "1 session ahead" against the study schedule."""
    if standing.behind:
        return f"{plural(standing.behind, 'session')} behind schedule"
    if standing.ahead:
        return f"{plural(standing.ahead, 'session')} ahead of schedule"
    return "on track with your schedule"


def money(amount: Decimal, currency: str) -> str:
    """``Decimal("1234.5"), "EUR"`` -> "1,234.50 EUR": every amount shown carries its currency."""
    return f"{amount:,.2f} {currency}"
