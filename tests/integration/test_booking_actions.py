"""The services accept exactly what a booking's buttons offer: random bookings, the learner and
the expert, every action with a button, through the real services on PostgreSQL."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.handlers.marketplace.booking_card import CODES as BUTTON_CODES
from bot.handlers.marketplace.booking_card import STARS, action_buttons
from db.uow import SqlAlchemyUnitOfWork
from domain.marketplace import bookings, disputes, feedback, messages, moves
from domain.marketplace.commands import ActOnBooking, RateSession, RescheduleBooking, SendMessage
from domain.marketplace.dispute_model import (
    KINDS_OF,
    AnswerDispute,
    ConfirmHappened,
    ReportProblem,
)
from domain.marketplace.model import (
    DURATIONS,
    Action,
    Booking,
    BookingStatus,
    PaymentStatus,
    Policy,
    Role,
)
from domain.marketplace.payments import ManualPayments
from domain.shared.errors import Conflict, InvalidInput, NotAllowed
from tests.integration.test_marketplace import _learner, _verified_expert
from tests.support import FakeClock

NOW = datetime(2026, 3, 2, 6, 0, tzinfo=UTC)
WITH_BUTTONS = [*BUTTON_CODES.values(), Action.FEEDBACK]


async def attempt(
    engine: AsyncEngine, action: Action, user_id: uuid.UUID, booking: Booking, policy: Policy
) -> bool:
    """Whether the service for ``action`` accepts it (the calendar may still refuse a slot:
    that is past the rules, so it counts as accepted)."""
    uow, clock = SqlAlchemyUnitOfWork(engine), FakeClock(NOW)
    try:
        if action is Action.RESCHEDULE:
            later = booking.starts_at + timedelta(days=1)
            change = RescheduleBooking(user_id, booking.id, later, reason="a clash")
            await moves.reschedule(change, uow, clock, policy)
        elif action is Action.FEEDBACK:
            await feedback.rate(RateSession(user_id, booking.id, 5), uow, clock, policy)
        elif action is Action.MESSAGE:
            await messages.send(SendMessage(user_id, booking.id, "hi"), uow, clock, policy)
        elif action is Action.CONFIRM_HAPPENED:
            await disputes.confirm_happened(
                ConfirmHappened(user_id, booking.id), uow, clock, policy
            )
        elif action is Action.REPORT_PROBLEM:
            role = booking.role_of(user_id)
            report = ReportProblem(user_id, booking.id, KINDS_OF[role][0], "it went wrong")
            await disputes.report_problem(report, uow, clock, policy)
        elif action is Action.ANSWER_DISPUTE:
            answer = AnswerDispute(user_id, booking.id, "my account")
            await disputes.answer_dispute(answer, uow, clock, policy)
        else:
            command = ActOnBooking(user_id, booking.id, action)
            await bookings.act(command, uow, clock, policy, ManualPayments())
    except Conflict:  # the slot is taken or overlaps a confirmed session: the rules said yes
        return True
    except (InvalidInput, NotAllowed):
        return False
    return True


@dataclass(frozen=True)
class Parties:
    expert_id: uuid.UUID
    users: dict[Role, uuid.UUID]  # the learner and the expert


@pytest.fixture
async def parties(engine: AsyncEngine) -> Parties:
    clock, policy = FakeClock(NOW), Policy()
    expert_user, expert_id, uow = await _verified_expert(engine, clock, policy)
    return Parties(expert_id, {Role.EXPERT: expert_user, Role.LEARNER: await _learner(uow)})


minutes_apart = st.integers(min_value=-72 * 2, max_value=72 * 2).map(lambda n: n * 30)


@settings(
    max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    status=st.sampled_from(BookingStatus),
    payment=st.sampled_from(PaymentStatus),
    starts_in=minutes_apart,
    minutes=st.sampled_from(DURATIONS),
    expires_in=st.none() | minutes_apart,
    rated=st.booleans(),
    notice=st.sampled_from([0, 12]),
)
async def test_the_services_accept_exactly_the_actions_a_bookings_buttons_offer(
    engine: AsyncEngine,
    parties: Parties,
    status: BookingStatus,
    payment: PaymentStatus,
    starts_in: int,
    minutes: int,
    expires_in: int | None,
    rated: bool,
    notice: int,
) -> None:
    policy = Policy(free_cancellation_notice=timedelta(hours=notice))
    tries = [(role, action) for role in (Role.LEARNER, Role.EXPERT) for action in WITH_BUTTONS]
    ids = await copies(
        engine,
        len(tries),
        learner=parties.users[Role.LEARNER],
        expert=parties.expert_id,
        starts=NOW + timedelta(minutes=starts_in),
        minutes=minutes,
        status=status.value,
        payment=payment.value,
        expires=None if expires_in is None else NOW + timedelta(minutes=expires_in),
        rated=rated,
    )
    try:
        for (role, action), booking_id in zip(tries, ids, strict=True):
            user = parties.users[role]
            booking = await bookings.get_booking(user, booking_id, SqlAlchemyUnitOfWork(engine))
            offered = set()
            for row in action_buttons(booking, user, NOW, policy):
                for button in row:
                    code = (button.payload or "").rsplit(":", 1)[-1]
                    offered.add(Action.FEEDBACK if code in STARS else BUTTON_CODES[code])
            accepted = await attempt(engine, action, user, booking, policy)
            assert accepted == (action in offered), (role, action, booking)
    finally:
        async with engine.begin() as conn:
            await conn.execute(text("DELETE FROM bookings WHERE id = ANY(:ids)"), {"ids": ids})


async def copies(engine: AsyncEngine, count: int, **booking: Any) -> list[uuid.UUID]:
    """``count`` identical bookings (rated ones with their stars), written directly."""
    async with engine.begin() as conn:
        ids = list(
            await conn.scalars(
                text(
                    "INSERT INTO bookings (user_id, expert_id, session_date, duration, status,"
                    " payment_status, price, currency, expires_at)"
                    " SELECT :learner, :expert, :starts, :minutes, :status, :payment, 30, 'EUR',"
                    " :expires FROM generate_series(1, :count) RETURNING id"
                ),
                {**{k: v for k, v in booking.items() if k != "rated"}, "count": count},
            )
        )
        if booking["rated"]:
            await conn.execute(
                text(
                    "INSERT INTO session_feedback (booking_id, rating)"
                    " SELECT unnest(CAST(:ids AS uuid[])), 4"
                ),
                {"ids": ids},
            )
    return ids
