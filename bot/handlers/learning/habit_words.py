"""What /done and /progress say of streak freezes, vacations and the weekly goal."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date

from bot.handlers.formatting import plural, week_bar
from domain.habits.model import HabitNews, HabitStanding


def covered_words(days: Iterable[date]) -> str | None:
    """ "❄️ A streak freeze covered Tuesday." (two: "Monday and Tuesday")."""
    names = [f"{day:%A}" if len(set(days)) <= 6 else f"{day:%a %d %b}" for day in days]
    if not names:
        return None
    if len(names) == 1:
        return f"❄️ A streak freeze covered {names[0]}."
    return f"❄️ Streak freezes covered {' and '.join(names)}."


def freezes_words(held: int) -> str:
    """ "1 streak freeze held (max 2; ...)"."""
    if not held:
        return "No streak freeze held (you earn one for every 7 days in a row, up to 2)"
    return f"{plural(held, 'streak freeze')} held (max 2; one covers a missed day)"


def habit_lines(news: HabitNews) -> list[str]:
    """The /done reply's lines: freezes just used, the vacation it ended."""
    lines = []
    covered = covered_words(news.frozen_days)
    if covered:
        lines.append(
            f"{covered} {freezes_words(news.freezes_held)}."
        )  # "... covered Tuesday. No streak..."
    if news.vacation_ended:
        lines.append("🏁 Welcome back: that session ended your vacation.")
    return lines


def standing_lines(report: HabitStanding) -> list[str]:
    """The /progress lines under the daily streak: freezes, vacation, the week's goal."""
    lines = []
    covered = covered_words(report.frozen_days)
    if covered:
        lines.append(covered)
    lines.append(f"❄️ {freezes_words(report.freezes_held)}")
    vacation = report.vacation
    if vacation is not None:
        span = f"{vacation.starts_on:%a %d %b} to {vacation.ends_on:%a %d %b}"
        lines.append(f"🏖 Vacation {span} (/vacation off ends it)")
    if report.week is not None:
        week = report.week
        lines.append(
            f"🎯 This week ({week.starts_on:%a %d %b} – {week.ends_on:%a %d %b}): {week_bar(week)}"
            + (" · behind pace" if week.at_risk else "")
        )
    return lines
