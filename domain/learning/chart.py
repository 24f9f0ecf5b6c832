"""/chart's data: the learner's last twelve weeks on their own calendar.

The picture is a grid of ``WEEKS`` calendar weeks, Monday to Sunday, the last one being the
week of today in the learner's zone. A day holds the minutes of the sessions whose stored local
date it is (the date in the learner's zone at the moment of completion, as for streaks), so a
25-hour day at the end of summer time is one day, and moving to another zone later re-dates
nothing. Should a stored date lie after today (a learner who has just travelled west across
midnight), the grid ends on that date's week instead, so that session is not lost from sight.

Next to it: the daily streak (``streaks.daily_streak``, the one rule) and the sessions done in
those weeks per plan, the busiest ``SHOWN_PLANS`` by name and the rest together.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta
from uuid import UUID

from domain.learning import streaks
from domain.learning.model import CurriculumOverview, StudyTally
from domain.shared import timezones
from domain.shared.clock import Clock
from domain.unit_of_work import UnitOfWork

WEEKS = 12
DAYS = WEEKS * 7
SHOWN_PLANS = 5  # by name; with more, the rest are one "other plans" row (never a lone one)


@dataclass(frozen=True)
class PlanTally:
    """One plan's sessions and minutes within the chart's weeks, and its overall progress."""

    title: str
    sessions: int
    minutes: int
    done: int  # sessions done overall
    total: int


@dataclass(frozen=True)
class OtherPlans:
    """The plans beyond the shown ones, counted together."""

    plans: int
    sessions: int
    minutes: int


@dataclass(frozen=True)
class ProgressChart:
    """What /chart draws. ``minutes``/``sessions`` hold only the days that have any."""

    timezone: str
    today: date
    first_day: date  # a Monday: the grid is DAYS days from it
    streak: int
    minutes: Mapping[date, int] = field(default_factory=dict)
    sessions: Mapping[date, int] = field(default_factory=dict)
    plans: tuple[PlanTally, ...] = ()
    others: OtherPlans | None = None
    ever_studied: bool = False  # any session ever, also before these weeks
    curricula: int = 0  # the learner's plans, whatever their state

    @property
    def days(self) -> list[date]:
        """The grid's days, week by week from ``first_day``."""
        return [self.first_day + timedelta(days=n) for n in range(DAYS)]

    @property
    def last_day(self) -> date:
        return self.first_day + timedelta(days=DAYS - 1)

    @property
    def total_minutes(self) -> int:
        return sum(self.minutes.values())

    @property
    def total_sessions(self) -> int:
        return sum(self.sessions.values())

    @property
    def active_days(self) -> int:
        return len(self.sessions)


def first_day(today: date) -> date:
    """The Monday ``WEEKS - 1`` weeks before the Monday of ``today``'s week."""
    return today - timedelta(days=today.weekday() + 7 * (WEEKS - 1))


async def progress_chart(user_id: UUID, uow: UnitOfWork, clock: Clock) -> ProgressChart:
    """The learner's last twelve weeks, their daily streak and sessions per plan.

    Args:
        user_id: the learner; only their own plans and sessions are read.
        uow: a fresh unit of work (read only).
        clock: "now", whose local date in the learner's zone is today.
    """
    async with uow:
        user = await uow.users.get(user_id)
        today = timezones.local_date(clock.now(), user.timezone)
        # A grid moved on by a date after today starts later still: this covers it too.
        tallies = await uow.curricula.study_tallies(user_id, since=first_day(today))
        curricula = await uow.curricula.list_for(user_id)
        days = await uow.curricula.study_days(user_id)
        off = streaks.vacation_days(await uow.habits.vacations(user_id))
    return chart_of(user.timezone, today, tallies, curricula, days, off)


def chart_of(
    zone: str,
    today: date,
    tallies: Iterable[StudyTally],
    curricula: Iterable[CurriculumOverview],
    study_days: Iterable[date],
    vacation_days: Iterable[date] = (),
) -> ProgressChart:
    """The chart from the stored tallies (the pure part of :func:`progress_chart`)."""
    tallies = list(tallies)
    known = set(study_days)
    end = max([today, *(t.day for t in tallies)])
    start = first_day(end)
    shown = [t for t in tallies if start <= t.day <= end]
    minutes: dict[date, int] = defaultdict(int)
    sessions: dict[date, int] = defaultdict(int)
    per_plan: dict[UUID, list[int]] = defaultdict(lambda: [0, 0])
    for tally in shown:
        minutes[tally.day] += tally.minutes
        sessions[tally.day] += tally.sessions
        per_plan[tally.curriculum_id][0] += tally.sessions
        per_plan[tally.curriculum_id][1] += tally.minutes
    by_id = {c.id: c for c in curricula}
    plans = sorted(
        (
            PlanTally(
                by_id[plan_id].title,
                count,
                spent,
                by_id[plan_id].progress.sessions_completed,
                by_id[plan_id].total_sessions,
            )
            for plan_id, (count, spent) in per_plan.items()
            if plan_id in by_id
        ),
        key=lambda p: (-p.sessions, -p.minutes, p.title.casefold()),
    )
    others = None
    if len(plans) > SHOWN_PLANS + 1:
        rest = plans[SHOWN_PLANS:]
        plans = plans[:SHOWN_PLANS]
        others = OtherPlans(len(rest), sum(p.sessions for p in rest), sum(p.minutes for p in rest))
    return ProgressChart(
        timezone=zone,
        today=today,
        first_day=start,
        streak=streaks.daily_streak(known, today, vacation_days),
        minutes=dict(minutes),
        sessions=dict(sessions),
        plans=tuple(plans),
        others=others,
        ever_studied=bool(known or shown),
        curricula=len(by_id),
    )
