"""Study streaks, counted on the learner's own calendar days.

Two streaks, one rule: each plan's own (a day counts when a session of that plan was done) and
the learner's daily streak across all plans (a day counts when any session of any plan was
done). A day counts in the learner's time zone *at the moment of completion*. That local date
is stored with the completion, so moving to another time zone later never re-dates (and so
never breaks) a streak that was kept day by day.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, timedelta

ONE_DAY = timedelta(days=1)


def streak_after(previous: int, last_day: date | None, today: date) -> int:
    """The streak once a session is completed on ``today``.

    Args:
        previous: the stored streak before this completion.
        last_day: the local date of the previous completion, if any.
        today: the local date of this completion.
    """
    if last_day is None or previous <= 0:
        return 1
    if today == last_day:
        return previous  # a second session on the same day does not add
    if today == last_day + ONE_DAY:
        return previous + 1
    if today < last_day:
        # Travelling west can make "today" an earlier date than the last completion;
        # that day was already counted, the streak stands.
        return previous
    return 1  # a missed day resets


def streak_from_days(days: Iterable[date]) -> int:
    """The streak ending at the latest of ``days``: the run of consecutive dates up to it."""
    ordered = sorted(set(days), reverse=True)
    if not ordered:
        return 0
    run = 1
    for newer, older in zip(ordered, ordered[1:], strict=False):
        if newer - older != ONE_DAY:
            break
        run += 1
    return run


def current_streak(stored: int, last_day: date | None, today: date) -> int:
    """The streak as it stands on ``today``: kept until the end of the day after the last one."""
    if last_day is None or today > last_day + ONE_DAY:
        return 0
    return stored


def streak_at_risk(stored: int, last_day: date | None, today: date) -> bool:
    """True when a live streak ends tonight unless the learner studies today."""
    return stored > 0 and last_day is not None and today == last_day + ONE_DAY


def daily_streak(days: Iterable[date], today: date) -> int:
    """The learner's daily streak across all plans, as it stands on ``today``.

    ``days`` are the local dates of their completed sessions in any plan: the run of
    consecutive days up to the latest, kept until the end of the day after it.
    """
    known = set(days)
    if not known:
        return 0
    return current_streak(streak_from_days(known), max(known), today)


def daily_at_risk(days: Iterable[date], today: date) -> bool:
    """True when the daily streak ends tonight unless the learner studies today, in any plan."""
    known = set(days)
    if not known:
        return False
    return streak_at_risk(streak_from_days(known), max(known), today)
