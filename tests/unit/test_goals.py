"""Weekly goals and vacations: what /goal and /vacation accept, the learner's week, at risk."""

from __future__ import annotations

from datetime import date
from uuid import uuid4

import pytest
from hypothesis import given
from hypothesis import strategies as st

from domain.habits.model import StudyHabits
from domain.learning import goals
from domain.learning.goals import GoalChange, parse_goal, parse_vacation, week_standing
from domain.learning.model import StudyTally
from domain.shared.errors import InvalidInput

TODAY = date(2026, 12, 2)  # a Wednesday


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("150m", GoalChange(minutes=150)),
        ("150 min", GoalChange(minutes=150)),
        ("2h", GoalChange(minutes=120)),
        ("2 hours", GoalChange(minutes=120)),
        ("1h30", GoalChange(minutes=90)),
        ("1h 30m", GoalChange(minutes=90)),
        ("4 sessions", GoalChange(sessions=4)),
        ("1 session", GoalChange(sessions=1)),
        ("OFF", GoalChange(off=True)),
        ("week starts sunday", GoalChange(week_starts=6)),
        ("week starts on Sat", GoalChange(week_starts=5)),
        ("week mon", GoalChange(week_starts=0)),
    ],
)
def test_goal_phrasings(text: str, expected: GoalChange) -> None:
    assert parse_goal(text) == expected


@pytest.mark.parametrize(
    "text", ["", "lots", "0m", "0 sessions", "101 sessions", "200h", "week starts someday", "-5m"]
)
def test_goals_that_are_refused(text: str) -> None:
    with pytest.raises(InvalidInput):
        parse_goal(text)


def test_vacation_for_a_number_of_days_starts_today() -> None:
    assert parse_vacation("5d", TODAY) == (TODAY, date(2026, 12, 6))
    assert parse_vacation("1 day", TODAY) == (TODAY, TODAY)
    assert parse_vacation("2w", TODAY) == (TODAY, date(2026, 12, 15))
    assert parse_vacation("off", TODAY) is None


def test_vacation_as_a_date_range_is_inclusive() -> None:
    assert parse_vacation("2026-12-20 to 2026-12-27", TODAY) == (
        date(2026, 12, 20),
        date(2026, 12, 27),
    )
    assert parse_vacation("2026-12-02 - 2026-12-02", TODAY) == (TODAY, TODAY)


@pytest.mark.parametrize(
    "text",
    [
        "2026-12-01 to 2026-12-05",  # starts yesterday: missed days are not forgiven afterwards
        "2026-12-27 to 2026-12-20",
        "2026-02-30 to 2026-03-02",
        "90d",
        "0d",
        "soon",
        "",
    ],
)
def test_vacations_that_are_refused(text: str) -> None:
    with pytest.raises(InvalidInput):
        parse_vacation(text, TODAY)


def test_the_week_starts_on_the_chosen_day() -> None:
    assert goals.week_start(TODAY, 0) == date(2026, 11, 30)  # Monday
    assert goals.week_start(TODAY, 6) == date(2026, 11, 29)  # Sunday
    assert goals.week_start(TODAY, 2) == TODAY  # Wednesday


def tally(day: date, minutes: int, sessions: int = 1) -> StudyTally:
    return StudyTally(day, uuid4(), minutes, sessions)


def test_week_standing_counts_only_this_weeks_days() -> None:
    habits = StudyHabits(goal_minutes=150)
    tallies = [tally(date(2026, 11, 29), 60), tally(date(2026, 11, 30), 30), tally(TODAY, 60)]
    week = week_standing(habits, tallies, TODAY)
    assert week is not None
    assert (week.starts_on, week.ends_on, week.done, week.unit) == (
        date(2026, 11, 30),
        date(2026, 12, 6),
        90,
        "min",
    )
    assert week.elapsed_days == 2 and not week.at_risk  # 90 >= 150 * 2/7
    sundays = week_standing(StudyHabits(goal_sessions=4, week_starts=6), tallies, TODAY)
    assert sundays is not None and (sundays.done, sundays.unit) == (3, "sessions")
    assert week_standing(StudyHabits(), tallies, TODAY) is None


def test_at_risk_is_less_than_the_elapsed_share_of_the_goal() -> None:
    assert goals.at_risk(104, 150, 5)  # 104 * 7 = 728 < 750
    assert not goals.at_risk(108, 150, 5)  # 756 >= 750
    assert not goals.at_risk(0, 150, 0)  # nothing is expected on the first day
    assert not goals.at_risk(150, 150, 6)


@given(st.integers(0, 500), st.integers(1, 500), st.integers(0, 6))
def test_at_risk_means_behind_pace_and_not_met(done: int, goal: int, elapsed: int) -> None:
    assert goals.at_risk(done, goal, elapsed) == (done < goal and done / goal < elapsed / 7)


@given(st.dates(date(2020, 1, 1), date(2030, 12, 31)), st.integers(0, 6))
def test_reminder_day_is_two_days_before_the_week_ends(today: date, starts: int) -> None:
    first = goals.week_start(today, starts)
    assert first.weekday() == starts and 0 <= (today - first).days < 7
    assert goals.is_reminder_day(today, starts) == ((today - first).days == 5)
