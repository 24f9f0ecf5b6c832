"""The pure rules of a booking's aftercare: where its money stands, late cancellations, how
long its sides may message, and references unique among what a person sees."""

from __future__ import annotations

import uuid
from dataclasses import replace
from datetime import timedelta

from hypothesis import given
from hypothesis import strategies as st

from domain.marketplace.model import (
    Action,
    Booking,
    BookingStatus,
    CancelKind,
    PaymentState,
    PaymentStatus,
    Policy,
    Role,
    booking_ref,
)
from domain.marketplace.rules import (
    cancelled_late,
    check_allowed,
    messages_close_at,
    payment_state,
    refusal,
)
from tests.unit.test_booking_actions import NOW
from tests.unit.test_booking_actions import booking as make


def booking(status: BookingStatus, payment: PaymentStatus, **more: object) -> Booking:
    """A booking starting a day from ``NOW``, with ``more`` fields changed."""
    return replace(make(status, payment, timedelta(days=1)), **more)  # type: ignore[arg-type]


def test_a_called_off_booking_is_not_charged_or_owed_a_refund_never_shown_refunded_early() -> None:
    c, p = BookingStatus.CANCELLED, PaymentStatus
    assert payment_state(booking(c, p.PENDING)) is PaymentState.NOT_CHARGED
    assert payment_state(booking(c, p.PAID)) is PaymentState.REFUND_OWED
    assert payment_state(booking(c, p.REFUNDED)) is PaymentState.REFUNDED
    assert payment_state(booking(BookingStatus.SCHEDULED, p.PENDING)) is PaymentState.DUE
    assert payment_state(booking(BookingStatus.COMPLETED, p.PAID)) is PaymentState.PAID


def test_only_an_owed_refund_can_be_marked_and_only_by_the_expert_or_an_admin() -> None:
    owed = booking(BookingStatus.CANCELLED, PaymentStatus.PAID)
    for role in (Role.EXPERT, Role.ADMIN):
        check_allowed(Action.MARK_REFUNDED, owed, role, NOW, Policy())
    assert refusal(Action.MARK_REFUNDED, owed, Role.LEARNER, NOW, Policy()) is not None
    unpaid = booking(BookingStatus.CANCELLED, PaymentStatus.PENDING)
    assert refusal(Action.MARK_REFUNDED, unpaid, Role.EXPERT, NOW, Policy()) is not None


def test_a_cancellation_inside_the_notice_counts_as_late_a_decline_never_does() -> None:
    policy = Policy()
    late_at = NOW + timedelta(days=1) - timedelta(hours=2)
    late = booking(
        BookingStatus.CANCELLED,
        PaymentStatus.PENDING,
        cancel_kind=CancelKind.CANCELLED,
        cancelled_at=late_at,
    )
    assert cancelled_late(late, policy)
    assert not cancelled_late(replace(late, cancelled_at=NOW), policy)
    assert not cancelled_late(replace(late, cancel_kind=CancelKind.DECLINED), policy)


def test_the_two_sides_may_message_until_a_while_after_the_end_nobody_else_ever() -> None:
    policy = Policy()
    b = booking(BookingStatus.COMPLETED, PaymentStatus.PAID)
    closes = messages_close_at(b, policy)
    assert closes == b.ends_at + policy.message_window
    for role in (Role.LEARNER, Role.EXPERT):
        assert refusal(Action.MESSAGE, b, role, closes, policy) is None
        assert refusal(Action.MESSAGE, b, role, closes + timedelta(seconds=1), policy)
    for role in (Role.ADMIN, Role.OTHER):
        assert refusal(Action.MESSAGE, b, role, NOW, policy) is not None
    cancelled = booking(BookingStatus.CANCELLED, PaymentStatus.PENDING, cancelled_at=NOW)
    assert messages_close_at(cancelled, policy) == NOW + policy.message_window


def test_notes_are_refused_until_the_session_has_ended_and_say_so() -> None:
    b = booking(BookingStatus.SCHEDULED, PaymentStatus.PENDING)
    error = refusal(Action.EXPERT_NOTES, b, Role.EXPERT, NOW, Policy())
    assert error is not None and "once the session has ended" in str(error)
    assert refusal(Action.EXPERT_NOTES, b, Role.EXPERT, b.ends_at, Policy()) is None


@given(st.lists(st.uuids(), min_size=1, max_size=6), st.integers(0, 31))
def test_a_reference_is_the_shortest_prefix_from_8_that_no_other_visible_booking_shares(
    ids: list[uuid.UUID], shared: int
) -> None:
    mine = ids[0]
    twin = uuid.UUID(mine.hex[:shared] + ids[-1].hex[shared:])  # shares at least ``shared``
    among = [*ids, twin]
    ref = booking_ref(mine, among)
    assert len(ref) >= 8 and mine.hex.startswith(ref)
    others = [o for o in among if o != mine]
    assert not any(o.hex.startswith(ref) for o in others)
    if len(ref) > 8:  # no shorter one would do
        assert any(o.hex.startswith(ref[:-1]) for o in others)
    assert booking_ref(mine) == mine.hex[:8]
