"""The retention rule: 7 daily, 4 weekly and 12 monthly backups, never the newest, never the
newest verified one."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st

from db.backups.retention import Keep, to_delete

START = datetime(2026, 1, 1, 3, 30, tzinfo=UTC)


def daily_for(days: int, *, per_day: int = 1) -> list[tuple[str, datetime]]:
    return [
        (f"b{day:04d}-{n}", START + timedelta(days=day, minutes=n))
        for day in range(days)
        for n in range(per_day)
    ]


def test_a_year_of_daily_backups_keeps_7_days_4_weeks_and_12_months() -> None:
    backups = daily_for(400)
    kept = {name for name, _ in backups} - to_delete(backups, Keep())
    times = sorted((at for name, at in backups if name in kept), reverse=True)
    newest = backups[-1][1]
    # the last 7 days, plus the newest of earlier weeks and months
    assert [at.date() for at in times[:7]] == [
        (newest - timedelta(days=d)).date() for d in range(7)
    ]
    assert 7 < len(kept) <= 7 + 4 + 12
    assert len({(at.year, at.month) for at in times}) == 12
    assert len(kept) == len(times)


def test_only_the_newest_backup_of_a_day_counts_for_that_day() -> None:
    backups = daily_for(2, per_day=3)
    assert to_delete(backups, Keep(daily=2, weekly=0, monthly=0)) == {
        "b0000-0",
        "b0000-1",
        "b0001-0",
        "b0001-1",
    }


def test_the_newest_verified_backup_is_kept_however_old() -> None:
    backups = daily_for(400)
    oldest = backups[0][0]
    assert oldest in to_delete(backups, Keep())
    assert oldest not in to_delete(backups, Keep(), protected=oldest)


def test_keeping_nothing_still_keeps_the_newest() -> None:
    backups = daily_for(3)
    assert to_delete(backups, Keep(daily=0, weekly=0, monthly=0)) == {"b0000-0", "b0001-0"}
    assert to_delete([], Keep()) == set()


moments = st.datetimes(
    min_value=datetime(2024, 1, 1),  # noqa: DTZ001 (hypothesis wants naive bounds)
    max_value=datetime(2027, 12, 31),  # noqa: DTZ001
    timezones=st.just(UTC),
)
keeps = st.builds(Keep, st.integers(0, 10), st.integers(0, 6), st.integers(0, 14))


@given(st.lists(moments, max_size=60, unique=True), keeps, st.data())
def test_retention_is_safe_bounded_and_stable(
    times: list[datetime], keep: Keep, data: st.DataObject
) -> None:
    backups = [(f"b{at:%Y%m%dT%H%M%S%f}", at) for at in times]
    names = {name for name, _ in backups}
    protected = data.draw(st.sampled_from(sorted(names)) if names else st.none())
    doomed = to_delete(backups, keep, protected=protected)
    kept = names - doomed
    assert doomed <= names
    assert protected not in doomed
    if backups:
        assert max(backups, key=lambda b: b[1])[0] in kept  # never the newest
    assert len(kept) <= keep.daily + keep.weekly + keep.monthly + 2
    # applying the rule again to what it kept deletes nothing more
    again = [(name, at) for name, at in backups if name in kept]
    assert to_delete(again, keep, protected=protected) == set()
    # more to keep never deletes more
    bigger = Keep(keep.daily + 1, keep.weekly + 1, keep.monthly + 1)
    assert to_delete(backups, bigger, protected=protected) <= doomed
