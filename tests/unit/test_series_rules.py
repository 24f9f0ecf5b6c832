"""Weekly series: the learner's wall-clock time each week across DST, and Confirm all / Decline
all derived from the per-occurrence rules."""

from __future__ import annotations

import uuid
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from hypothesis import given
from hypothesis import strategies as st

from domain.marketplace.model import Action, Booking, BookingStatus, PaymentStatus, Policy
from domain.marketplace.rules import available_actions
from domain.marketplace.series import series_actions, weekly

ZONES = ["Europe/Berlin", "America/New_York", "Australia/Sydney", "Asia/Tokyo", "UTC"]


def test_a_series_keeps_the_learners_time_across_their_dst_change() -> None:
    first = datetime(2026, 3, 3, 15, 0, tzinfo=UTC)  # Tue 10:00 in New York (EST)
    starts = weekly(first, 3, "America/New_York")
    assert [s.hour for s in starts] == [15, 14, 14]  # EDT from 8 March
    ny = ZoneInfo("America/New_York")
    assert {s.astimezone(ny).strftime("%a %H:%M") for s in starts} == {"Tue 10:00"}


def test_a_series_in_a_zone_without_dst_moves_in_the_experts_zone_instead() -> None:
    first = datetime(2026, 3, 24, 10, 0, tzinfo=UTC)  # Tue 19:00 in Tokyo, 11:00 in Berlin
    berlin = ZoneInfo("Europe/Berlin")
    times = [s.astimezone(berlin).strftime("%H:%M") for s in weekly(first, 2, "Asia/Tokyo")]
    assert times == ["11:00", "12:00"]  # Berlin moved to summer time on 29 March


@given(
    st.sampled_from(ZONES),
    st.datetimes(datetime(2026, 1, 1), datetime(2027, 12, 31)),  # noqa: DTZ001 (local times)
    st.integers(2, 12),
)
def test_every_week_is_the_same_weekday_and_wall_clock_time_in_the_learners_zone(
    zone: str, local: datetime, weeks: int
) -> None:
    tz = ZoneInfo(zone)
    first = local.replace(tzinfo=tz).astimezone(UTC)
    shown = first.astimezone(tz)
    starts = weekly(first, weeks, zone)
    assert len(starts) == weeks and starts[0] == first
    for i, start in enumerate(starts):
        here = start.astimezone(tz)
        assert here.date() == shown.date() + timedelta(weeks=i)
        if here.replace(tzinfo=None) == datetime.combine(here.date(), shown.time()):
            continue
        # only a wall-clock time that does not exist that day (a DST gap) is read on
        assert here.utcoffset() != shown.utcoffset()


def _booking(status: BookingStatus, starts: datetime) -> Booking:
    return Booking(
        id=uuid.uuid4(),
        learner_id=LEARNER,
        expert_id=uuid.uuid4(),
        expert_user_id=EXPERT,
        expert_name="Ida",
        learner_name="Ada",
        starts_at=starts,
        minutes=60,
        status=status,
        payment_status=PaymentStatus.PENDING,
        price=Decimal("30"),
        currency="EUR",
        expires_at=starts,
    )


LEARNER, EXPERT, STRANGER = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
NOW = datetime(2026, 3, 2, 6, 0, tzinfo=UTC)


@given(
    st.lists(
        st.tuples(st.sampled_from(list(BookingStatus)), st.integers(-48, 24 * 60)),
        min_size=1,
        max_size=12,
    ),
    st.sampled_from([LEARNER, EXPERT, STRANGER]),
)
def test_confirm_all_and_decline_all_are_offered_iff_one_week_allows_them(
    weeks: list[tuple[BookingStatus, int]], viewer: uuid.UUID
) -> None:
    occurrences = [_booking(s, NOW + timedelta(hours=h)) for s, h in weeks]
    policy = Policy()
    offered = series_actions(occurrences, viewer, NOW, policy)
    for action in (Action.CONFIRM, Action.DECLINE):
        each = [available_actions(b, b.role_of(viewer), NOW, policy) for b in occurrences]
        assert (action in offered) == any(action in a for a in each)
    if viewer != EXPERT:
        assert offered == frozenset()
    pending = replace(occurrences[0], status=BookingStatus.PENDING)
    assert (Action.CONFIRM in series_actions([pending], EXPERT, NOW, policy)) == (
        pending.starts_at > NOW
    )
