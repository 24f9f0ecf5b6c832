"""Reminders at a local time fire at that local time, once, on both sides of every DST change."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from domain.notifications.wallclock import local_instant, next_fire


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


def fires(at: time, zone: str, start: datetime, days: int) -> list[datetime]:
    """Every firing over ``days`` days, walking from ``start`` the way a scheduler would."""
    found, moment = [], start
    end = start + timedelta(days=days)
    while (moment := next_fire(at, zone, moment)) < end:
        found.append(moment)
    return found


@pytest.mark.parametrize(
    ("zone", "change"),
    [
        ("America/New_York", date(2026, 3, 8)),
        ("America/New_York", date(2026, 11, 1)),
        ("Europe/London", date(2026, 3, 29)),
        ("Europe/London", date(2026, 10, 25)),
        ("Australia/Sydney", date(2026, 4, 5)),
        ("Australia/Sydney", date(2026, 10, 4)),
        ("Australia/Adelaide", date(2026, 10, 4)),  # UTC+9:30 -> +10:30
        ("Australia/Lord_Howe", date(2026, 4, 5)),  # a 30-minute DST shift
        ("Asia/Kolkata", date(2026, 3, 8)),  # +5:30, no DST at all
    ],
)
def test_a_19_00_reminder_fires_at_19_00_local_every_day_around_a_dst_change(
    zone: str, change: date
) -> None:
    start = datetime.combine(change, time(0, 0), tzinfo=ZoneInfo(zone)) - timedelta(days=3)
    times = fires(time(19, 0), zone, start.astimezone(UTC), days=7)
    local = [t.astimezone(ZoneInfo(zone)) for t in times]
    assert len(times) == 7
    assert all((t.hour, t.minute) == (19, 0) for t in local)
    assert len({t.date() for t in local}) == 7  # one a day, no day skipped


def test_a_time_that_does_not_exist_fires_once_when_the_clocks_jump() -> None:
    # New York, 2026-03-08: 02:00 EST jumps to 03:00 EDT (07:00 UTC).
    assert local_instant(date(2026, 3, 8), time(2, 30), "America/New_York") == utc(
        2026, 3, 8, 7, 0
    )
    times = fires(time(2, 30), "America/New_York", utc(2026, 3, 7, 0, 0), days=3)
    assert times == [utc(2026, 3, 7, 7, 30), utc(2026, 3, 8, 7, 0), utc(2026, 3, 9, 6, 30)]


def test_a_time_that_happens_twice_fires_once_at_its_first_occurrence() -> None:
    # New York, 2026-11-01: 01:30 happens at 05:30 UTC (EDT) and again at 06:30 UTC (EST).
    times = fires(time(1, 30), "America/New_York", utc(2026, 10, 31, 12, 0), days=2)
    assert times == [utc(2026, 11, 1, 5, 30), utc(2026, 11, 2, 6, 30)]


def test_london_gap_and_fold() -> None:
    # 2026-03-29: 01:00 GMT jumps to 02:00 BST; 2026-10-25: 02:00 BST falls back to 01:00 GMT.
    assert local_instant(date(2026, 3, 29), time(1, 15), "Europe/London") == utc(2026, 3, 29, 1, 0)
    assert local_instant(date(2026, 10, 25), time(1, 15), "Europe/London") == utc(
        2026, 10, 25, 0, 15
    )


def test_lord_howe_half_hour_gap() -> None:
    # 2026-10-04 02:00 (+10:30) jumps to 02:30 (+11): 02:10 does not exist.
    fired = local_instant(date(2026, 10, 4), time(2, 10), "Australia/Lord_Howe")
    assert fired == utc(2026, 10, 3, 15, 30)
    assert fired.astimezone(ZoneInfo("Australia/Lord_Howe")).time() == time(2, 30)


def test_only_the_chosen_weekdays_fire() -> None:
    times = fires(time(8, 0), "Europe/Berlin", utc(2026, 6, 1, 0, 0), days=14)  # Mon 1 June
    weekdays = [t.astimezone(ZoneInfo("Europe/Berlin")).weekday() for t in times]
    assert weekdays == list(range(7)) * 2
    chosen = frozenset({0, 2})
    moment, found = utc(2026, 6, 1, 0, 0), []
    for _ in range(4):
        moment = next_fire(time(8, 0), "Europe/Berlin", moment, chosen)
        found.append(moment.astimezone(ZoneInfo("Europe/Berlin")).strftime("%a %d"))
    assert found == ["Mon 01", "Wed 03", "Mon 08", "Wed 10"]


def test_naive_instants_are_refused() -> None:
    with pytest.raises(ValueError):
        next_fire(time(8, 0), "UTC", datetime(2026, 1, 1))  # noqa: DTZ001


ZONES = [
    "America/New_York",
    "Europe/London",
    "Australia/Sydney",
    "Australia/Lord_Howe",
    "America/Santiago",
    "Asia/Tehran",
    "Pacific/Chatham",
    "UTC",
]


@given(
    st.sampled_from(ZONES),
    st.datetimes(datetime(2025, 1, 1), datetime(2028, 1, 1), timezones=st.just(UTC)),  # noqa: DTZ001
    st.times(),
)
def test_next_fire_is_after_and_reads_the_chosen_time_or_the_jump_after_it(
    zone: str, after: datetime, at: time
) -> None:
    at = at.replace(microsecond=0, tzinfo=None)
    fired = next_fire(at, zone, after)
    assert after < fired <= after + timedelta(days=2)
    shown = fired.astimezone(ZoneInfo(zone)).time().replace(tzinfo=None)
    if shown != at:  # only when ``at`` fell in a gap: the clocks jumped over it
        assert shown > at
        before = fired - timedelta(seconds=1)
        assert (
            before.astimezone(ZoneInfo(zone)).utcoffset()
            != fired.astimezone(ZoneInfo(zone)).utcoffset()
        )
    # Fires once: the next one is on another local date.
    again = next_fire(at, zone, fired)
    assert again.astimezone(ZoneInfo(zone)).date() > fired.astimezone(ZoneInfo(zone)).date()
