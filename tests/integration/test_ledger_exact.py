"""Money stays exact: random sequences of sessions marked, paid, confirmed, disputed, answered,
decided and paid out (payout runs interleaved, time passing), through the real services on
PostgreSQL. After every step each booking's ledger row sums exactly to its price, a held row
is never paid, a paid row never changes again, and the payout notices add up to exactly the
rows paid: nothing is paid twice."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from db.uow import SqlAlchemyUnitOfWork
from domain.marketplace import bookings, disputes, payments
from domain.marketplace.commands import ActOnBooking
from domain.marketplace.dispute_model import (
    AnswerDispute,
    ConfirmHappened,
    ProblemKind,
    ReportProblem,
    ResolveDispute,
)
from domain.marketplace.model import Action, Decision, Policy
from domain.shared.errors import DomainError
from tests.integration.test_marketplace import _learner, _verified_expert
from tests.support import FakeClock

NOW = datetime(2026, 3, 2, 6, 0, tzinfo=UTC)
ADMIN = f"admin-{uuid.uuid4().hex[:6]}"
POLICY = Policy(admins=frozenset({("terminal", ADMIN)}))
SESSIONS = 2


@dataclass(frozen=True)
class People:
    learner: uuid.UUID
    expert_user: uuid.UUID
    expert_id: uuid.UUID
    admin: uuid.UUID


@pytest.fixture
async def people(engine: AsyncEngine) -> People:
    expert_user, expert_id, uow = await _verified_expert(engine, FakeClock(NOW), POLICY)
    return People(await _learner(uow), expert_user, expert_id, await _learner(uow, ADMIN))


# Each step as likely as it is interesting: marks and payments write rows, problems and
# decisions move them, payouts and waiting race them.
STEPS = (
    *("complete", "no_show", "mark_paid", "mark_paid", "yes"),
    *("learner_problem", "expert_problem", "answer", "decide", "decide"),
    *("payout", "payout", "wait"),
)
steps = st.lists(
    st.tuples(
        st.sampled_from(STEPS),
        st.integers(min_value=0, max_value=SESSIONS - 1),
        st.sampled_from(Decision),
        st.integers(min_value=1, max_value=60),  # hours to wait
    ),
    min_size=12,
    max_size=40,
)
prices = st.lists(
    st.integers(min_value=1, max_value=99_999).map(lambda c: Decimal(c) / 100),
    min_size=SESSIONS,
    max_size=SESSIONS,
)


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    steps=steps,
    prices=prices,
    starts=st.lists(st.tuples(st.booleans(), st.booleans()), min_size=SESSIONS),
)
async def test_every_ledger_row_sums_to_its_price_and_nothing_is_paid_twice(
    engine: AsyncEngine,
    people: People,
    steps: list[tuple[str, int, Decision, int]],
    prices: list[Decimal],
    starts: list[tuple[bool, bool]],
) -> None:
    clock = FakeClock(NOW)
    ids = await sessions(engine, people, prices, starts[:SESSIONS])
    notices_before = await payouts_told(engine, people.expert_user)
    paid: dict[uuid.UUID, tuple[object, ...]] = {}  # the rows paid out, as they were paid

    def uow() -> SqlAlchemyUnitOfWork:
        return SqlAlchemyUnitOfWork(engine)

    try:
        for step, which, decision, hours in steps:
            booking_id = ids[which]
            try:
                await run(step, booking_id, decision, hours, people, uow, clock)
            except DomainError:
                pass  # refused by the rules: nothing to check but the ledger below
            rows = await ledger(engine, ids)
            for booking_id, row in rows.items():
                price, commission, earned, refund, status, payable_at, paid_at, open_dispute = row
                assert commission + earned + refund == price, (step, row)
                assert min(commission, earned, refund) >= 0
                if open_dispute:
                    assert payable_at is None and status == "pending", (step, row)
                if status == "paid":
                    assert payable_at is not None and payable_at <= paid_at
                    assert paid.setdefault(booking_id, row) == row, "paid twice or changed"
            told = await payouts_told(engine, people.expert_user) - notices_before
            assert told == sum((row[2] for row in paid.values()), Decimal(0))
    finally:
        async with engine.begin() as conn:
            await conn.execute(text("DELETE FROM bookings WHERE id = ANY(:ids)"), {"ids": ids})


async def run(
    step: str,
    booking_id: uuid.UUID,
    decision: Decision,
    hours: int,
    people: People,
    new: Callable[[], SqlAlchemyUnitOfWork],
    clock: FakeClock,
) -> None:
    """One step, through the service a person's press or the payout command calls."""
    pay = payments.ManualPayments()
    expert, learner = people.expert_user, people.learner
    if step in ("complete", "no_show", "mark_paid"):
        action = {"complete": Action.COMPLETE, "no_show": Action.NO_SHOW}.get(
            step, Action.MARK_PAID
        )
        command = ActOnBooking(expert, booking_id, action)
        await bookings.act(command, new(), clock, POLICY, pay)
    elif step == "yes":
        confirm = ConfirmHappened(learner, booking_id)
        await disputes.confirm_happened(confirm, new(), clock, POLICY)
    elif step in ("learner_problem", "expert_problem"):
        who = learner if step == "learner_problem" else expert
        report = ReportProblem(who, booking_id, ProblemKind.CUT_SHORT, "short")
        await disputes.report_problem(report, new(), clock, POLICY)
    elif step == "answer":
        for who in (expert, learner):  # whichever side did not report it
            try:
                answer = AnswerDispute(who, booking_id, "my account")
                await disputes.answer_dispute(answer, new(), clock, POLICY)
            except DomainError:
                continue
    elif step == "decide":
        resolve = ResolveDispute(people.admin, booking_id, decision)
        await disputes.resolve_dispute(resolve, new(), clock, POLICY)
    elif step == "payout":
        await payments.pay_out(new(), clock)
    else:
        clock.advance(hours=hours)


async def sessions(
    engine: AsyncEngine, people: People, prices: list[Decimal], starts: list[tuple[bool, bool]]
) -> list[uuid.UUID]:
    """Sessions of the learner with the expert that ended an hour ago: each scheduled or
    already marked completed (without its row: a payment or a decision writes it), paid
    or not."""
    async with engine.begin() as conn:
        return [
            await conn.scalar(
                text(
                    "INSERT INTO bookings (user_id, expert_id, session_date, duration, status,"
                    " payment_status, price, currency) VALUES (:l, :e, :at, 60, :status,"
                    " :pay, :price, 'EUR') RETURNING id"
                ),
                {
                    "l": people.learner,
                    "e": people.expert_id,
                    "at": NOW - timedelta(hours=2),
                    "status": "completed" if completed else "scheduled",
                    "pay": "paid" if was_paid else "pending",
                    "price": price,
                },
            )
            for price, (completed, was_paid) in zip(prices, starts, strict=True)
        ]


async def ledger(engine: AsyncEngine, ids: list[uuid.UUID]) -> dict[uuid.UUID, tuple[Any, ...]]:
    async with engine.connect() as conn:
        rows = await conn.execute(
            text(
                "SELECT c.booking_id, b.price, c.platform_commission, c.expert_earnings,"
                " c.learner_refund, c.status, c.payable_at, c.payment_date,"
                " (d.id IS NOT NULL AND d.decided_at IS NULL)"
                " FROM commissions c JOIN bookings b ON b.id = c.booking_id"
                " LEFT JOIN booking_disputes d ON d.booking_id = c.booking_id"
                " WHERE c.booking_id = ANY(:ids)"
            ),
            {"ids": ids},
        )
        return {row[0]: tuple(row[1:]) for row in rows}


async def payouts_told(engine: AsyncEngine, expert_user: uuid.UUID) -> Decimal:
    """What the payout notices told the expert they were paid, in all."""
    async with engine.connect() as conn:
        amounts = await conn.scalars(
            text(
                "SELECT data->>'amount' FROM notifications"
                " WHERE user_id = :u AND kind = 'payout_made'"
            ),
            {"u": expert_user},
        )
        return sum((Decimal(a) for a in amounts), Decimal(0))
