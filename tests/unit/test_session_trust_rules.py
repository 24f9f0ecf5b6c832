"""The money rules after a session, pure: what each decision pays (to the cent, summing to the
price) and when a ledger row becomes payable; and the after-session refusals, in words."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.handlers.marketplace.booking_card import decision_text
from domain.marketplace.model import (
    Action,
    BookingStatus,
    Decision,
    DisputeMark,
    PaymentStatus,
    Policy,
    Role,
)
from domain.marketplace.rules import check_allowed, payable_at, settle, split_commission
from domain.shared.errors import DomainError, InvalidInput, NotAllowed
from tests.unit.test_booking_actions import NOW, booking

cents = st.integers(min_value=0, max_value=10_000_000).map(lambda c: Decimal(c) / 100)
rates = st.integers(min_value=0, max_value=10_000).map(lambda r: Decimal(r) / 10_000)


@given(cents, rates, st.none() | st.sampled_from(Decision))
def test_every_decision_pays_whole_cents_that_sum_exactly_to_the_price(
    price: Decimal, rate: Decimal, decision: Decision | None
) -> None:
    commission, earned, refund = settle(price, rate, decision)
    assert commission + earned + refund == price
    assert min(commission, earned, refund) >= 0
    assert all(amount == amount.quantize(Decimal("0.01")) for amount in (commission, earned))
    if decision in (None, Decision.PAY):
        assert (commission, earned) == split_commission(price, rate) and refund == 0
    elif decision is Decision.REFUND:
        assert (commission, earned, refund) == (0, 0, price)
    else:  # half back, rounded half up; the rest split as usual
        assert abs(refund * 2 - price) <= Decimal("0.01")
        assert (commission, earned) == split_commission(price - refund, rate)


def test_a_split_of_an_odd_price_rounds_the_refund_half_up() -> None:
    assert settle(Decimal("30.01"), Decimal("0.15"), Decision.SPLIT) == (
        Decimal("2.25"),
        Decimal("12.75"),
        Decimal("15.01"),
    )


def test_a_row_is_payable_at_the_yes_else_72_hours_after_the_end_and_held_while_disputed() -> None:
    policy = Policy()
    ended = booking(BookingStatus.COMPLETED, PaymentStatus.PAID, -timedelta(hours=2))
    assert payable_at(ended, policy, NOW) == ended.ends_at + timedelta(hours=72)
    said_yes = replace(ended, happened_at=NOW - timedelta(minutes=30))
    assert payable_at(said_yes, policy, NOW) == NOW - timedelta(minutes=30)
    disputed = replace(said_yes, dispute=DisputeMark(Role.LEARNER))
    assert payable_at(disputed, policy, NOW) is None
    decided = replace(disputed, dispute=DisputeMark(Role.LEARNER, True, Decision.SPLIT))
    assert payable_at(decided, policy, NOW) == NOW


def refused(action: Action, b: object, role: Role) -> str:
    with pytest.raises(DomainError) as caught:
        check_allowed(action, b, role, NOW, Policy())  # type: ignore[arg-type]
    return caught.value.message


def test_the_after_session_refusals_say_why() -> None:
    ended = booking(BookingStatus.COMPLETED, PaymentStatus.PAID, -timedelta(hours=2))
    ref = ended.ref
    soon = booking(BookingStatus.SCHEDULED, PaymentStatus.PAID, timedelta(hours=2))
    assert "hasn't begun" in refused(Action.REPORT_PROBLEM, soon, Role.LEARNER)
    assert "hasn't ended yet" in refused(Action.CONFIRM_HAPPENED, soon, Role.LEARNER)
    old = booking(BookingStatus.COMPLETED, PaymentStatus.PAID, -timedelta(days=8))
    assert "until 7 days after it ended; it's too late now" in refused(
        Action.REPORT_PROBLEM, old, Role.EXPERT
    )
    assert "settled: it ended over 72 hours ago" in refused(
        Action.CONFIRM_HAPPENED, replace(ended, starts_at=NOW - timedelta(hours=80)), Role.LEARNER
    )
    assert "already paid out" in refused(
        Action.REPORT_PROBLEM, replace(ended, paid_out=True), Role.LEARNER
    )
    open_ = replace(ended, dispute=DisputeMark(Role.LEARNER))
    assert f"A problem with booking {ref} is already reported" in refused(
        Action.REPORT_PROBLEM, open_, Role.EXPERT
    )
    assert "You reported this problem" in refused(Action.ANSWER_DISPUTE, open_, Role.LEARNER)
    answered = replace(ended, dispute=DisputeMark(Role.LEARNER, True))
    assert "already gave your account" in refused(Action.ANSWER_DISPUTE, answered, Role.EXPERT)
    decided = replace(ended, dispute=DisputeMark(Role.EXPERT, False, Decision.REFUND))
    for action, role in (
        (Action.RESOLVE_DISPUTE, Role.ADMIN),
        (Action.ANSWER_DISPUTE, Role.LEARNER),
        (Action.REPORT_PROBLEM, Role.LEARNER),
    ):
        assert "already decided: the learner is refunded" in refused(action, decided, role)
    assert "No problem is reported" in refused(Action.RESOLVE_DISPUTE, ended, Role.ADMIN)
    with pytest.raises(NotAllowed, match="Only an admin"):
        check_allowed(Action.RESOLVE_DISPUTE, open_, Role.EXPERT, NOW, Policy())
    with pytest.raises(NotAllowed, match="isn't yours"):
        check_allowed(Action.REPORT_PROBLEM, ended, Role.OTHER, NOW, Policy())
    with pytest.raises(InvalidInput, match="no-show; it can't be confirmed as happened"):
        no_show = replace(ended, status=BookingStatus.NO_SHOW)
        check_allowed(Action.CONFIRM_HAPPENED, no_show, Role.LEARNER, NOW, Policy())


@pytest.mark.parametrize(
    ("payment", "decision", "said"),
    [
        (PaymentStatus.PAID, Decision.REFUND, "the learner is refunded 30.00 EUR in full"),
        (PaymentStatus.PENDING, Decision.REFUND, "the learner is not charged"),
        (PaymentStatus.PAID, Decision.SPLIT, "split: 15.00 EUR goes back to the learner"),
        (PaymentStatus.PENDING, Decision.SPLIT, "the learner is charged 15.00 EUR of 30.00 EUR"),
        (PaymentStatus.PENDING, Decision.PAY, "the expert is paid 25.50 EUR"),
    ],
)
def test_a_decision_says_money_goes_back_only_when_the_learner_had_paid(
    payment: PaymentStatus, decision: Decision, said: str
) -> None:
    ended = booking(BookingStatus.COMPLETED, payment, -timedelta(hours=2))
    assert said in decision_text(ended, decision, Policy())
