"""Streaks on the learner's local calendar, across DST changes and time-zone moves."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, date, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from domain.habits.model import StreakState, Vacation
from domain.learning import streaks
from domain.learning.streaks import MAX_FREEZES, streak_from_days, streak_state, vacation_days
from domain.shared.timezones import local_date


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


def replay(events: list[tuple[datetime, str]]) -> int:
    """Apply completions (instant, zone at that instant) the way /done does: the local date
    at the moment of completion is stored, and the streak derived from the stored dates."""
    days: list[date] = []
    streak = 0
    for at, zone in events:
        today = local_date(at, zone)
        days.append(today)
        streak = streak_state(days, (), today).length
    return streak


def state(days: list[date], today: date, off: Iterable[date] = ()) -> StreakState:
    return streak_state(days, off, today)


def d(day: int, month: int = 3) -> date:
    return date(2026, month, day)


def test_first_session_starts_a_streak_of_one() -> None:
    assert state([d(1)], d(1)).length == 1


def test_second_session_on_the_same_day_does_not_add() -> None:
    assert state([d(1), d(2), d(3), d(3)], d(3)).length == 3


def test_next_day_adds_one() -> None:
    assert state([d(1), d(2), d(3), d(4)], d(4)).length == 4


def test_a_missed_day_without_a_freeze_resets_to_one() -> None:
    assert state([d(1), d(2), d(4)], d(4)).length == 1


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


def test_a_streak_is_kept_through_the_next_day_then_lost() -> None:
    days = [d(8), d(9), d(10)]
    assert state(days, d(10)).length == 3
    assert state(days, d(11)).length == 3
    assert state(days, d(12)).length == 0


def test_streak_is_at_risk_only_on_the_day_after() -> None:
    days = [d(9), d(10)]
    assert not state(days, d(10)).at_risk
    assert state(days, d(11)).at_risk
    assert not state(days, d(12)).at_risk
    assert not state([], d(11)).at_risk


@given(st.lists(st.dates(date(2020, 1, 1), date(2030, 12, 31)), min_size=1, max_size=60))
def test_incremental_and_recomputed_streaks_agree(days: list[date]) -> None:
    # What /done stores after each completion equals the streak recomputed from all the days.
    streak, seen = 0, []
    for day in sorted(days):
        seen.append(day)
        streak = streak_state(seen, (), day).length
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


# Streak freezes and vacations: one rule (``streak_state``), checked by examples, then by
# properties over random sequences of completions, vacations and zone changes.


def run_of(first: date, count: int) -> list[date]:
    return [first + timedelta(days=i) for i in range(count)]


def test_seven_days_in_a_row_earn_a_freeze_six_do_not() -> None:
    assert state(run_of(d(1), 6), d(6)).freezes_held == 0
    assert state(run_of(d(1), 7), d(7)).freezes_held == 1
    assert state(run_of(d(1), 14), d(14)).freezes_held == 2
    assert state(run_of(d(1), 28), d(28)).freezes_held == MAX_FREEZES  # never more than two


def test_a_missed_day_uses_a_held_freeze_and_the_streak_goes_on() -> None:
    days = [*run_of(d(1), 7), d(9)]  # Sunday 8 March missed
    after = state(days, d(9))
    assert after.length == 8
    assert after.frozen_days == (d(8),)
    assert after.freezes_held == 0


def test_a_freeze_covers_one_day_so_two_missed_days_end_the_streak() -> None:
    days = [*run_of(d(1), 7), d(10)]
    assert state(days, d(10)).length == 1
    assert state(days, d(10)).frozen_days == ()


def test_two_freezes_cover_two_missed_days() -> None:
    days = [*run_of(d(1), 14), d(17)]  # 15 and 16 March missed
    after = state(days, d(17))
    assert (after.length, after.frozen_days, after.freezes_held) == (15, (d(15), d(16)), 0)


def test_a_freeze_is_used_as_soon_as_the_day_is_over_not_before() -> None:
    days = run_of(d(1), 7)
    today = state(days, d(8))  # not studied yet today: nothing missed, at risk
    assert today.frozen_days == () and today.freezes_held == 1 and today.at_risk
    tomorrow = state(days, d(9))  # 8 March is over: the freeze covered it
    assert tomorrow.frozen_days == (d(8),) and tomorrow.freezes_held == 0
    assert tomorrow.length == 7 and tomorrow.at_risk


def test_a_frozen_day_restarts_the_count_towards_the_next_freeze() -> None:
    days = [*run_of(d(1), 7), *run_of(d(9), 6)]  # 8 frozen, then six days
    assert state(days, d(14)).freezes_held == 0
    assert state([*days, d(15)], d(15)).freezes_held == 1


def test_vacation_days_neither_grow_nor_break_the_streak() -> None:
    days = [d(1), d(2), d(3), d(9)]
    off = run_of(d(4), 5)  # 4 to 8 March
    assert state(days, d(9), off).length == 4
    assert state(days, d(9), off).frozen_days == ()
    assert state(days[:3], d(6), off).length == 3  # during the vacation: standing still
    assert not state(days[:3], d(6), off).at_risk
    assert state(days[:3], d(6), off).on_vacation


def test_vacation_days_pause_the_count_towards_a_freeze() -> None:
    days = [*run_of(d(1), 4), *run_of(d(8), 3)]
    assert state(days, d(10), run_of(d(5), 3)).freezes_held == 1


def test_a_vacation_cannot_cover_a_day_missed_before_it() -> None:
    days = [d(1), d(2)]  # 3 March missed, the vacation starts on the 4th
    assert state(days, d(6), run_of(d(4), 3)).length == 0


def test_a_study_day_during_a_vacation_counts() -> None:
    days = [d(1), d(2), d(3)]
    assert state(days, d(3), run_of(d(2), 5)).length == 3
    assert not state(days, d(3), run_of(d(2), 5)).on_vacation


def test_vacation_days_cover_each_day_of_each_vacation() -> None:
    covered = vacation_days([Vacation(d(1), d(3)), Vacation(d(10), d(9), datetime.now(UTC))])
    assert covered == frozenset({d(1), d(2), d(3)})  # one ended on its first day covers none


def test_streak_with_a_freeze_across_the_spring_forward_in_berlin() -> None:
    # 29 March 2026 02:00 CET jumps to 03:00 CEST; 21:30 local every day, but the 29th missed.
    zone = "Europe/Berlin"
    events = [(utc(2026, 3, day, 20, 30), zone) for day in range(21, 29)]  # 21..28 March CET
    events.append((utc(2026, 3, 30, 19, 30), zone))  # Monday 30 March 21:30 CEST
    days = [local_date(at, z) for at, z in events]
    after = state(days, date(2026, 3, 30))
    assert after.length == 9 and after.frozen_days == (date(2026, 3, 29),)


day_lists = st.lists(st.integers(min_value=0, max_value=80), max_size=60)
START = date(2026, 1, 1)


def dates(offsets: Iterable[int]) -> list[date]:
    return [START + timedelta(days=o) for o in offsets]


def old_rule(days: set[date], today: date) -> int:
    """The rule before freezes and vacations: the run of consecutive days up to the latest,
    kept through the day after it."""
    if not days:
        return 0
    last, run = max(days), 1
    while last - timedelta(days=run) in days:
        run += 1
    return run if today <= last + timedelta(days=1) else 0


@given(day_lists, st.integers(min_value=0, max_value=90))
def test_without_seven_days_in_a_row_or_vacations_the_old_rule_holds(
    offsets: list[int], today_offset: int
) -> None:
    days, today = set(dates(offsets)), START + timedelta(days=today_offset)
    longest = max((old_rule({x for x in days if x <= day}, day) for day in days), default=0)
    if longest >= 7:
        return  # a freeze was earned: the new rule is kinder (checked below)
    assert streak_state(days, (), today).length == old_rule(days, today)


@given(day_lists, day_lists, st.integers(min_value=0, max_value=90))
def test_what_any_history_holds(offsets: list[int], off: list[int], today_offset: int) -> None:
    days, vacation, today = set(dates(offsets)), set(dates(off)), START + timedelta(today_offset)
    got = streak_state(days, vacation, today)
    assert 0 <= got.freezes_held <= MAX_FREEZES
    assert 0 <= got.length <= len(days)
    assert not set(got.frozen_days) & (days | vacation)  # only missed days are frozen
    assert all(day < max([today, *days]) for day in got.frozen_days)  # never today
    assert got.length >= old_rule(days, today)  # freezes and vacations only ever help
    assert got.studied_today == (today in days)
    if got.at_risk:
        assert got.length > 0 and today not in days and today not in vacation


@given(day_lists, day_lists, st.integers(min_value=0, max_value=80), st.integers(0, 90))
def test_a_vacation_day_never_breaks_a_streak(
    offsets: list[int], off: list[int], extra: int, today_offset: int
) -> None:
    days, vacation, today = set(dates(offsets)), set(dates(off)), START + timedelta(today_offset)
    more = vacation | {START + timedelta(days=extra)}
    assert streak_state(days, more, today).length >= streak_state(days, vacation, today).length


@given(day_lists, day_lists, st.integers(min_value=0, max_value=80))
def test_studying_on_one_more_day_never_shortens_the_streak(
    offsets: list[int], off: list[int], extra: int
) -> None:
    days, vacation = set(dates(offsets)), set(dates(off))
    added = START + timedelta(days=extra)
    today = max([added, *days])
    before = streak_state(days, vacation, today).length
    assert streak_state(days | {added}, vacation, today).length >= before


@given(st.lists(st.booleans(), min_size=1, max_size=60), st.integers(0, 59))
def test_a_vacation_over_every_gap_keeps_every_study_day(pattern: list[bool], seed: int) -> None:
    studied = [START + timedelta(days=i) for i, yes in enumerate(pattern) if yes]
    rest = [START + timedelta(days=i) for i, yes in enumerate(pattern) if not yes]
    today = START + timedelta(days=len(pattern) - 1)
    got = streak_state(studied, rest, today)
    assert got.length == len(studied) and got.frozen_days == ()


ZONES = [
    "Pacific/Kiritimati",
    "Pacific/Pago_Pago",
    "Europe/London",
    "America/New_York",
    "Australia/Lord_Howe",
    "Asia/Kathmandu",
    "UTC",
]


@given(
    st.lists(
        st.tuples(st.integers(0, 2), st.sampled_from(ZONES), st.integers(0, 23)),
        min_size=1,
        max_size=40,
    ),
    st.lists(st.integers(0, 80), max_size=20),
)
def test_zone_changes_count_each_completion_on_its_own_local_day(
    steps: list[tuple[int, str, int]], off: list[int]
) -> None:
    # A learner moving between zones logs sessions at local hours: each completion counts on
    # the local date it had where and when it was logged, and /done's running streak always
    # equals the streak recomputed from the stored dates.
    from zoneinfo import ZoneInfo

    vacation = set(dates(off))
    day, stored, running = START, [], 0
    for gap, zone, hour in steps:
        day += timedelta(days=gap)
        at = datetime.combine(day, datetime.min.time().replace(hour=hour), ZoneInfo(zone))
        today = local_date(at.astimezone(UTC), zone)
        assert today == day  # the stored local date is the one the learner lived
        stored.append(today)
        running = streak_state(stored, vacation, today).length
    assert running == streak_state(stored, vacation, max(stored)).length
