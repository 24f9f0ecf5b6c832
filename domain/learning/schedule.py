"""A study schedule's dates: which local day each remaining session is for, and whether the
learner is on track, behind or ahead.

The rules, all in the learner's local dates:

* **Target dates** are never stored: the remaining sessions, in order, take the study days
  from today on, one session a day. Today counts only if it is a study day and the learner has
  not studied yet today. So a missed day shifts every remaining session to the next study day
  (the dates never pile up on one day), and working ahead pulls them earlier; editing or
  re-planning the sessions needs no date bookkeeping.
* **Behind / ahead** compare with the plan as it was set: from ``starts_on``, one session on
  each study day, for the sessions that remained then. Behind: the study days before today
  outnumber the sessions done since; ahead: the sessions done since outnumber the study days
  up to and including today. Otherwise on track.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, timedelta
from itertools import islice

from domain.learning.model import ScheduleStanding, StudySchedule


def study_days(weekdays: tuple[int, ...], first: date) -> Iterator[date]:
    """The dates from ``first`` on (itself included) that fall on ``weekdays``, in order."""
    if not weekdays:
        return
    day = first
    while True:
        if day.weekday() in weekdays:
            yield day
        day += timedelta(days=1)


def _days_between(schedule: StudySchedule, before: date, limit: int) -> int:
    """How many study days from ``schedule.starts_on`` fall before ``before`` (at most limit)."""
    count = 0
    for day in islice(study_days(schedule.weekdays, schedule.starts_on), limit):
        if day >= before:
            break
        count += 1
    return count


def standing(
    schedule: StudySchedule,
    *,
    total_sessions: int,
    completed: int,
    today: date,
    studied_today: bool,
) -> ScheduleStanding:
    """The learner's standing on local ``today`` and the remaining sessions' target dates."""
    planned = max(total_sessions - schedule.baseline, 0)
    done = max(completed - schedule.baseline, 0)
    expected_before = _days_between(schedule, today, planned)
    expected_by_tonight = _days_between(schedule, today + timedelta(days=1), planned)
    first = today + timedelta(days=1) if studied_today else today
    remaining = max(total_sessions - completed, 0)
    dates = tuple(islice(study_days(schedule.weekdays, max(first, schedule.starts_on)), remaining))
    return ScheduleStanding(
        behind=max(expected_before - done, 0),
        ahead=max(done - expected_by_tonight, 0),
        dates=dates,
    )
