"""Target dates and the standing against a study schedule (domain.learning.schedule)."""

from __future__ import annotations

from datetime import date, time
from itertools import islice

from domain.learning.model import StudySchedule
from domain.learning.schedule import standing, study_days

MON_WED_FRI = (0, 2, 4)
MONDAY = date(2026, 3, 2)


def plan(baseline: int = 0) -> StudySchedule:
    return StudySchedule(MON_WED_FRI, time(19, 0), MONDAY, baseline)


def test_study_days_are_the_chosen_weekdays_in_order_from_the_first_day() -> None:
    days = list(islice(study_days(MON_WED_FRI, date(2026, 3, 3)), 4))
    assert days == [date(2026, 3, 4), date(2026, 3, 6), date(2026, 3, 9), date(2026, 3, 11)]


def test_remaining_sessions_take_the_next_study_days_from_today() -> None:
    where = standing(plan(), total_sessions=4, completed=0, today=MONDAY, studied_today=False)
    assert where.dates == (MONDAY, date(2026, 3, 4), date(2026, 3, 6), date(2026, 3, 9))
    assert (where.behind, where.ahead) == (0, 0)


def test_a_missed_day_shifts_the_remaining_dates_instead_of_piling_them_up() -> None:
    friday = date(2026, 3, 6)
    where = standing(plan(), total_sessions=4, completed=0, today=friday, studied_today=False)
    assert where.dates == (friday, date(2026, 3, 9), date(2026, 3, 11), date(2026, 3, 13))
    assert where.behind == 2  # Monday's and Wednesday's sessions are not done
    assert len(set(where.dates)) == len(where.dates)


def test_a_session_done_today_moves_the_next_one_to_the_next_study_day() -> None:
    where = standing(plan(), total_sessions=3, completed=1, today=MONDAY, studied_today=True)
    assert where.dates == (date(2026, 3, 4), date(2026, 3, 6))
    assert (where.behind, where.ahead) == (0, 0)


def test_more_sessions_than_study_days_so_far_is_ahead() -> None:
    where = standing(plan(), total_sessions=5, completed=3, today=MONDAY, studied_today=True)
    assert (where.behind, where.ahead) == (0, 2)
    assert where.dates == (date(2026, 3, 4), date(2026, 3, 6))


def test_sessions_done_before_the_schedule_do_not_count_toward_it() -> None:
    wednesday = date(2026, 3, 4)
    where = standing(
        plan(baseline=2), total_sessions=6, completed=3, today=wednesday, studied_today=False
    )
    assert (where.behind, where.ahead) == (0, 0)  # Monday's session done; Wednesday's due today
    where = standing(
        plan(baseline=2), total_sessions=6, completed=2, today=wednesday, studied_today=False
    )
    assert where.behind == 1


def test_behind_never_counts_more_sessions_than_the_schedule_planned() -> None:
    late = date(2026, 6, 1)
    where = standing(plan(), total_sessions=2, completed=0, today=late, studied_today=False)
    assert where.behind == 2 and where.dates == (late, date(2026, 6, 3))


def test_a_finished_plan_has_no_dates_left() -> None:
    where = standing(plan(), total_sessions=2, completed=2, today=MONDAY, studied_today=True)
    assert where.dates == () and where.behind == 0
