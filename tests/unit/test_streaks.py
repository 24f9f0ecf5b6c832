"""Streaks on the learner's local calendar, across DST changes and time-zone moves."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from domain.learning import streaks
from domain.learning.streaks import current_streak, streak_after, streak_at_risk, streak_from_days
from domain.shared.timezones import local_date


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


def replay(events: list[tuple[datetime, str]]) -> int:
    """Apply completions (instant, zone at that instant) the way /done does."""
    streak, last = 0, None
    for at, zone in events:
        today = local_date(at, zone)
        streak = streak_after(current_streak(streak, last, today), last, today)
        last = max(last, today) if last else today
    return streak


def test_first_session_starts_a_streak_of_one() -> None:
    assert streak_after(0, None, date(2026, 3, 1)) == 1


def test_second_session_on_the_same_day_does_not_add() -> None:
    assert streak_after(3, date(2026, 3, 1), date(2026, 3, 1)) == 3


def test_next_day_adds_one() -> None:
    assert streak_after(3, date(2026, 3, 1), date(2026, 3, 2)) == 4


def test_a_missed_day_resets_to_one() -> None:
    assert streak_after(9, date(2026, 3, 1), date(2026, 3, 3)) == 1


def test_local_day_not_utc_day_counts() -> None:
    # 23:30 in New York on 1 March is already 2 March in UTC.
    evening = utc(2026, 3, 2, 4, 30)
    assert local_date(evening, "America/New_York") == date(2026, 3, 1)
    assert local_date(evening, "UTC") == date(2026, 3, 2)


def test_naive_datetimes_are_refused() -> None:
    with pytest.raises(ValueError):
        local_date(datetime(2026, 1, 1), "UTC")  # noqa: DTZ001


def test_streak_survives_spring_forward_in_new_york() -> None:
    # 2026-03-08 02:00 EST jumps to 03:00 EDT; a learner studies at 21:00 local every day.
    events = [
        (utc(2026, 3, 7, 2, 0), "America/New_York"),  # Fri 6 Mar 21:00 EST
        (utc(2026, 3, 8, 2, 0), "America/New_York"),  # Sat 7 Mar 21:00 EST
        (utc(2026, 3, 9, 1, 0), "America/New_York"),  # Sun 8 Mar 21:00 EDT
        (utc(2026, 3, 10, 1, 0), "America/New_York"),  # Mon 9 Mar 21:00 EDT
    ]
    assert replay(events) == 4


def test_streak_survives_fall_back_in_london_with_late_night_sessions() -> None:
    # 2026-10-25 02:00 BST falls back to 01:00 GMT; sessions at 00:30 local each night.
    events = [
        (utc(2026, 10, 23, 23, 30), "Europe/London"),  # Sat 24 Oct 00:30 BST
        (utc(2026, 10, 25, 0, 30), "Europe/London"),  # Sun 25 Oct 01:30 BST (before the fold)
        (utc(2026, 10, 26, 0, 30), "Europe/London"),  # Mon 26 Oct 00:30 GMT
    ]
    assert replay(events) == 3


def test_moving_east_does_not_break_a_streak_kept_on_local_days() -> None:
    # Berlin on Monday 23:00, then the learner flies to Tokyo and studies Tuesday evening.
    events = [
        (utc(2026, 6, 1, 21, 0), "Europe/Berlin"),  # Mon 1 Jun 23:00 CEST
        (utc(2026, 6, 2, 11, 0), "Asia/Tokyo"),  # Tue 2 Jun 20:00 JST
    ]
    assert replay(events) == 2


def test_moving_west_does_not_break_a_streak_either() -> None:
    # Tokyo Monday 08:00, then Los Angeles Monday evening (same local date) and Tuesday.
    events = [
        (utc(2026, 6, 7, 23, 0), "Asia/Tokyo"),  # Mon 8 Jun 08:00 JST
        (utc(2026, 6, 9, 2, 0), "America/Los_Angeles"),  # Mon 8 Jun 19:00 PDT
        (utc(2026, 6, 10, 2, 0), "America/Los_Angeles"),  # Tue 9 Jun 19:00 PDT
    ]
    assert replay(events) == 2


def test_streak_from_days_counts_the_run_ending_at_the_latest_day() -> None:
    days = [date(2026, 1, d) for d in (1, 2, 4, 5, 6)]
    assert streak_from_days(days) == 3
    assert streak_from_days([]) == 0
    assert streak_from_days([date(2026, 1, 1), date(2026, 1, 1)]) == 1


def test_current_streak_is_kept_through_the_next_day_then_lost() -> None:
    last = date(2026, 1, 10)
    assert current_streak(5, last, date(2026, 1, 10)) == 5
    assert current_streak(5, last, date(2026, 1, 11)) == 5
    assert current_streak(5, last, date(2026, 1, 12)) == 0


def test_streak_is_at_risk_only_on_the_day_after() -> None:
    last = date(2026, 1, 10)
    assert not streak_at_risk(5, last, date(2026, 1, 10))
    assert streak_at_risk(5, last, date(2026, 1, 11))
    assert not streak_at_risk(5, last, date(2026, 1, 12))
    assert not streak_at_risk(0, None, date(2026, 1, 11))


@given(st.lists(st.dates(date(2020, 1, 1), date(2030, 12, 31)), min_size=1, max_size=60))
def test_incremental_and_recomputed_streaks_agree(days: list[date]) -> None:
    streak, last = 0, None
    for day in sorted(days):
        streak = streak_after(current_streak(streak, last, day), last, day)
        last = day
    assert streak == streak_from_days(days)


@given(
    st.datetimes(datetime(2020, 1, 1), datetime(2030, 1, 1), timezones=st.just(UTC)),  # noqa: DTZ001
    st.sampled_from(["Australia/Sydney", "Asia/Kolkata", "America/St_Johns", "Pacific/Chatham"]),
    st.integers(min_value=2, max_value=30),
)
def test_one_session_a_day_at_a_fixed_local_hour_builds_a_full_streak(
    start: datetime, zone: str, days: int
) -> None:
    # Every 24 hours of UTC time is one local day, except across DST shifts of an hour,
    # which never skip or repeat a date at midday local time.
    from zoneinfo import ZoneInfo

    first_local = start.astimezone(ZoneInfo(zone)).replace(hour=12, minute=0)
    events = []
    for offset in range(days):
        local_noon = first_local.date() + timedelta(days=offset)
        at = datetime.combine(local_noon, first_local.timetz().replace(tzinfo=None))
        events.append((at.replace(tzinfo=ZoneInfo(zone)).astimezone(UTC), zone))
    assert replay(events) == days


def test_the_daily_streak_counts_a_day_with_a_session_in_any_plan() -> None:
    days = [date(2026, 3, 27), date(2026, 3, 28), date(2026, 3, 29), date(2026, 3, 29)]
    assert streaks.daily_streak(days, date(2026, 3, 29)) == 3
    assert streaks.daily_streak(days, date(2026, 3, 30)) == 3  # kept through the next day
    assert streaks.daily_at_risk(days, date(2026, 3, 30))
    assert not streaks.daily_at_risk(days, date(2026, 3, 29))
    assert streaks.daily_streak(days, date(2026, 3, 31)) == 0  # a missed day ends it
    assert streaks.daily_streak([], date(2026, 3, 31)) == 0
    assert not streaks.daily_at_risk([], date(2026, 3, 31))


def test_the_daily_streak_stands_when_travelling_west_makes_today_earlier() -> None:
    days = [date(2026, 3, 28), date(2026, 3, 29)]
    assert streaks.daily_streak(days, date(2026, 3, 28)) == 2
