"""Value types of fair streaks and weekly goals (``domain.learning.streaks``, ``goals``,
``habits``): a module of their own beside ``domain.learning.model``, which is at its size limit.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime


@dataclass(frozen=True)
class StreakState:
    """A streak as it stands on a local day (``domain.learning.streaks.streak_state``)."""

    length: int  # study days in the current streak; 0: no streak
    freezes_held: int  # 0 to 2
    frozen_days: tuple[date, ...]  # missed days of the current streak a freeze covered
    last_day: date | None  # the latest study day
    studied_today: bool
    on_vacation: bool  # today is a vacation day
    at_risk: bool  # a live streak that needs a session (or a freeze) today


@dataclass(frozen=True)
class Vacation:
    """Local days ``starts_on`` to ``ends_on`` (inclusive) off; ended early at a moment."""

    starts_on: date
    ends_on: date
    ended_early_at: datetime | None = None


@dataclass(frozen=True)
class StudyHabits:
    """A learner's weekly goal (minutes or sessions, or none) and the weekday weeks start on."""

    goal_minutes: int | None = None
    goal_sessions: int | None = None
    week_starts: int = 0  # 0 = Monday ... 6 = Sunday


@dataclass(frozen=True)
class WeekStanding:
    """The learner's week against their goal (``domain.learning.goals.week_standing``)."""

    starts_on: date
    ends_on: date  # the week's last day
    done: int  # minutes or sessions, as the goal counts
    goal: int
    unit: str  # "min" or "sessions"
    elapsed_days: int  # whole days of the week before today, 0 to 6
    at_risk: bool


@dataclass(frozen=True)
class StudyHistory:
    """What the streaks are computed from, as /done reads it with its context."""

    plan_days: tuple[date, ...] = ()  # local completion dates in the plan
    study_days: tuple[date, ...] = ()  # ... and in any plan of the learner
    vacations: tuple[Vacation, ...] = ()
    read: bool = True  # False: the days were not read (the plan was studied today already)


@dataclass(frozen=True)
class HabitNews:
    """What a /done reply says besides the session: freezes used since the learner's last
    session (and those left), and whether it ended their vacation."""

    frozen_days: tuple[date, ...] = ()
    freezes_held: int = 0
    vacation_ended: bool = False


@dataclass(frozen=True)
class HabitStanding:
    """What /progress shows of the daily streak's freezes, the vacation and the week."""

    freezes_held: int = 0
    frozen_days: tuple[date, ...] = ()  # missed days a freeze covered since the last session
    vacation: Vacation | None = None  # the one under way or the next one planned
    week: WeekStanding | None = None  # against the weekly goal, if one is set
