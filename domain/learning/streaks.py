"""Study streaks, counted on the learner's own calendar days: the one place for streak rules.

Two streaks, one rule: each plan's own (a day counts when a session of that plan was done) and
the learner's daily streak across all plans (a day counts when any session of any plan was
done). A day counts in the learner's time zone *at the moment of completion*. That local date
is stored with the completion, so moving to another time zone later never re-dates (and so
never breaks) a streak that was kept day by day.

The rule (``streak_state``), walking the local days from the first study day to today:

- a study day adds one to the streak;
- a vacation day (``/vacation``) neither adds nor breaks: the streak stands still;
- any other day before today is missed: a held streak freeze covers it (and is used up),
  otherwise the streak ends there;
- today, not studied yet, is still open: nothing is missed until it is over;
- a freeze is earned for every 7 consecutive study days (vacation days pause the count, a
  missed day, frozen or not, restarts it); at most ``MAX_FREEZES`` are held, and none are
  left once a streak has ended.

Freezes are derived from the days, never stored as counters, so ``/undo``, a time-zone move
or a vacation can never leave a counter out of step with the days it counts.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, timedelta

from domain.habits.model import StreakState, Vacation

ONE_DAY = timedelta(days=1)
MAX_FREEZES = 2
EARN_EVERY = 7  # consecutive study days per freeze


def streak_state(
    study_days: Iterable[date], vacation_days: Iterable[date], today: date
) -> StreakState:
    """The streak as it stands on local ``today``.

    Args:
        study_days: the local dates with at least one completed session (repeats are fine).
        vacation_days: the local dates the learner was (or is) on vacation.
        today: the learner's local date now. A study day after it (travelling west can make
            "today" earlier than the last completion) is counted, and today is then no gap.
    """
    days = set(study_days)
    off = set(vacation_days)
    if not days:
        return StreakState(0, 0, (), None, False, today in off, False)
    last = max(days)
    horizon = max(today, last)
    length = run = held = 0
    frozen: list[date] = []
    day = min(days)
    while day <= horizon:
        if day in days:
            length += 1
            run += 1
            if run % EARN_EVERY == 0 and held < MAX_FREEZES:
                held += 1
        elif day in off:
            pass
        elif day < horizon:  # missed (today itself is still open)
            run = 0
            if held:
                held -= 1
                frozen.append(day)
            else:
                length, frozen = 0, []
        day += ONE_DAY
    studied = today in days
    on_vacation = today in off and not studied
    return StreakState(
        length=length,
        freezes_held=held if length else 0,
        frozen_days=tuple(frozen),
        last_day=last,
        studied_today=studied,
        on_vacation=on_vacation,
        at_risk=length > 0 and not studied and not on_vacation and today >= last,
    )


def vacation_days(vacations: Iterable[Vacation]) -> frozenset[date]:
    """Every local day the vacations cover (one ended early covers the days before its end)."""
    covered: set[date] = set()
    for vacation in vacations:
        day = vacation.starts_on
        while day <= vacation.ends_on:
            covered.add(day)
            day += ONE_DAY
    return frozenset(covered)


def frozen_since(state: StreakState, previous: Iterable[date]) -> tuple[date, ...]:
    """The frozen days of ``state`` after the latest of ``previous`` (the study days before the
    one just logged): what a /done reply announces, once."""
    before = max(previous, default=None)
    return tuple(d for d in state.frozen_days if before is None or d > before)


def streak_from_days(days: Iterable[date], vacations: Iterable[date] = ()) -> int:
    """The streak ending at the latest of ``days``, as it stood that day."""
    known = set(days)
    if not known:
        return 0
    return streak_state(known, vacations, max(known)).length


def daily_streak(days: Iterable[date], today: date, vacations: Iterable[date] = ()) -> int:
    """The learner's daily streak across all plans, as it stands on ``today``.

    ``days`` are the local dates of their completed sessions in any plan.
    """
    return streak_state(days, vacations, today).length


def daily_at_risk(days: Iterable[date], today: date, vacations: Iterable[date] = ()) -> bool:
    """True when the daily streak needs a session (or a freeze) today, in any plan."""
    return streak_state(days, vacations, today).at_risk
