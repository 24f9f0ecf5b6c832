"""The rules of experts' own terms (``domain.marketplace.terms``), without a database."""

from __future__ import annotations

import uuid
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from domain.marketplace.model import (
    Booking,
    BookingStatus,
    Expert,
    PaymentStatus,
    Policy,
    Verification,
)
from domain.marketplace.rules import free_cancellation_ends, is_late
from domain.marketplace.terms import cancel_notice, trial_eligible, window_of

H = timedelta(hours=1)
EXPERT = Expert(
    uuid.uuid4(),
    uuid.uuid4(),
    "Ida",
    None,
    None,
    Decimal("20"),
    Decimal("40"),
    "EUR",
    "Europe/Berlin",
    ("en",),
    (),
    Verification.VERIFIED,
)


def test_an_experts_window_is_kept_within_the_operators_limits_and_the_default_is_theirs() -> None:
    policy = Policy(min_cancellation_notice=2 * H, max_cancellation_notice=72 * H)
    assert window_of(EXPERT, policy) == 12 * H  # the operator's notice, as before issue 15
    assert window_of(replace(EXPERT, cancel_notice=24 * H), policy) == 24 * H
    narrowed = replace(policy, max_cancellation_notice=48 * H)  # set to 72 before it narrowed
    assert window_of(replace(EXPERT, cancel_notice=72 * H), narrowed) == 48 * H
    free = Policy(free_cancellation_notice=timedelta(0))  # an operator's "no notice" stays so
    assert window_of(EXPERT, free) == timedelta(0)


def test_only_a_first_lesson_with_an_expert_who_offers_a_trial_is_one() -> None:
    assert not trial_eligible(EXPERT, booked_before=False)  # no trial offered
    offering = replace(EXPERT, trial_price=Decimal("9.00"))
    assert trial_eligible(offering, booked_before=False)
    assert not trial_eligible(offering, booked_before=True)


def test_the_window_is_real_hours_across_a_dst_change() -> None:
    """Sunday 29 March 2026, 12:00 in Berlin (CEST): a 12-hour window ends at 23:00 CET the
    evening before, 13 hours of wall clock but 12 real ones."""
    start = datetime(2026, 3, 29, 12, 0, tzinfo=ZoneInfo("Europe/Berlin"))
    booking = Booking(
        uuid.uuid4(),
        uuid.uuid4(),
        EXPERT.id,
        EXPERT.user_id,
        "Ida",
        "Ada",
        start.astimezone(UTC),
        60,
        BookingStatus.SCHEDULED,
        PaymentStatus.PENDING,
        Decimal("30.00"),
        "EUR",
        cancel_notice=12 * H,
    )
    policy = Policy(free_cancellation_notice=48 * H)  # the booking's own window decides
    assert cancel_notice(booking, policy) == 12 * H
    ends = free_cancellation_ends(booking.starts_at, policy, cancel_notice(booking, policy))
    assert ends.astimezone(ZoneInfo("Europe/Berlin")).strftime("%d %H:%M %Z") == "28 23:00 CET"
    assert not is_late(booking, ends - timedelta(minutes=1), policy)
    assert is_late(booking, ends + timedelta(minutes=1), policy)
