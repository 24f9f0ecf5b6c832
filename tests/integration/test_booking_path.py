"""The lean booking path (``bookings.book``): two statements under the expert's advisory lock.

What it must keep from the path it replaced: the same stored booking and outbox row, held time
(pending not lapsed, scheduled) widened by the buffer, the expert's hours in their zone across
DST, time off, and a check that sees a rival's booking committed while it waited for the lock.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from db.repositories.calendar import _lock_key
from domain.marketplace import bookings
from domain.marketplace.commands import ActOnBooking, BookSlot
from domain.marketplace.model import Action, BookingStatus, Policy
from domain.marketplace.payments import ManualPayments
from tests.integration.test_marketplace import _learner, _verified_expert
from tests.support import FakeClock, snapshot

TUESDAY_10_BERLIN = datetime(2026, 3, 3, 9, 0, tzinfo=UTC)


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(datetime(2026, 3, 2, 6, 0, tzinfo=UTC))  # Monday 07:00 in Berlin


@pytest.fixture
def policy() -> Policy:
    return Policy()


async def test_the_booking_returned_is_the_one_stored_and_the_expert_is_told_once(
    engine: AsyncEngine, clock: FakeClock, policy: Policy
) -> None:
    expert_user, expert_id, uow = await _verified_expert(engine, clock, policy)
    learner = await _learner(uow)
    booked = await bookings.book(
        BookSlot(learner, expert_id, TUESDAY_10_BERLIN, 90), uow(), clock, policy
    )
    assert booked == await bookings.get_booking(learner, booked.id, uow())
    assert booked.status is BookingStatus.PENDING
    assert booked.expires_at == TUESDAY_10_BERLIN  # sooner than the 48 hours' expiry
    async with engine.connect() as conn:
        told = (
            await conn.execute(
                text(
                    "SELECT user_id, kind, data, due_at, status FROM notifications"
                    " WHERE data->>'booking_id' = :b AND kind <> 'booking_nudge'"
                ),
                {"b": str(booked.id)},
            )
        ).all()
    assert told == [
        (expert_user, "booking_requested", {"booking_id": str(booked.id)}, clock.now(), "pending")
    ]  # and its nudges, planned (tests/integration/test_requests_waitlist.py)


async def test_held_time_and_its_buffer_refuse_a_slot_and_freed_time_does_not(
    engine: AsyncEngine, clock: FakeClock, policy: Policy
) -> None:
    expert_user, expert_id, uow = await _verified_expert(engine, clock, policy)
    first, second, third = [await _learner(uow) for _ in range(3)]
    held = await bookings.book(
        BookSlot(first, expert_id, TUESDAY_10_BERLIN, 60), uow(), clock, policy
    )
    hour = timedelta(hours=1)
    for start in (TUESDAY_10_BERLIN - hour, TUESDAY_10_BERLIN + hour):  # 15 minutes' buffer
        with pytest.raises(bookings.SlotTaken):
            await bookings.book(BookSlot(second, expert_id, start, 60), uow(), clock, policy)
    later = TUESDAY_10_BERLIN + timedelta(minutes=90)  # 30 minutes apart: open
    assert (await bookings.book(BookSlot(second, expert_id, later, 60), uow(), clock, policy)).id

    # Confirmed, it still holds its time; cancelled, it frees it.
    payments = ManualPayments()
    await bookings.act(
        ActOnBooking(expert_user, held.id, Action.CONFIRM), uow(), clock, policy, payments
    )
    with pytest.raises(bookings.SlotTaken):
        await bookings.book(
            BookSlot(third, expert_id, TUESDAY_10_BERLIN, 30), uow(), clock, policy
        )
    await bookings.act(ActOnBooking(first, held.id, Action.CANCEL), uow(), clock, policy, payments)
    assert await bookings.book(
        BookSlot(third, expert_id, TUESDAY_10_BERLIN, 30), uow(), clock, policy
    )


async def test_a_lapsed_request_frees_its_slot_before_the_expiry_job_runs(
    engine: AsyncEngine, clock: FakeClock, policy: Policy
) -> None:
    _, expert_id, uow = await _verified_expert(engine, clock, policy)
    first, second = await _learner(uow), await _learner(uow)
    slot = datetime(2026, 3, 9, 9, 0, tzinfo=UTC)
    await bookings.book(BookSlot(first, expert_id, slot, 60), uow(), clock, policy)
    clock.advance(hours=47)
    with pytest.raises(bookings.SlotTaken):
        await bookings.book(BookSlot(second, expert_id, slot, 60), uow(), clock, policy)
    clock.advance(hours=1, seconds=1)  # 48 hours unanswered; nobody ran expire_pending
    assert await bookings.book(BookSlot(second, expert_id, slot, 60), uow(), clock, policy)


async def test_hours_are_the_experts_own_across_dst_and_time_off_closes_whole_days(
    engine: AsyncEngine, clock: FakeClock, policy: Policy
) -> None:
    _, expert_id, uow = await _verified_expert(engine, clock, policy)
    learner = await _learner(uow)
    # Berlin moved to summer time on Sunday 29 March: 09:00 there is 07:00 UTC from then on.
    summer_9 = datetime(2026, 3, 30, 7, 0, tzinfo=UTC)
    before_open = await snapshot(engine)
    with pytest.raises(bookings.SlotTaken) as early:
        await bookings.book(
            BookSlot(learner, expert_id, summer_9 - timedelta(hours=1), 60), uow(), clock, policy
        )
    assert summer_9 in early.value.alternatives
    assert await snapshot(engine) == before_open
    assert await bookings.book(BookSlot(learner, expert_id, summer_9, 60), uow(), clock, policy)

    async with uow() as work:
        await work.experts.add_time_off(expert_id, date(2026, 3, 10), date(2026, 3, 10))
        await work.commit()
    before = await snapshot(engine)
    with pytest.raises(bookings.SlotTaken) as off:
        await bookings.book(
            BookSlot(learner, expert_id, datetime(2026, 3, 10, 9, 0, tzinfo=UTC), 60),
            uow(),
            clock,
            policy,
        )
    assert off.value.alternatives
    assert all(a.date() != date(2026, 3, 10) for a in off.value.alternatives)
    assert await snapshot(engine) == before


async def test_a_booking_waits_for_the_experts_lock_and_then_sees_what_its_holder_booked(
    engine: AsyncEngine, clock: FakeClock, policy: Policy
) -> None:
    """The overlap check runs in a statement begun after the lock was granted.

    Under READ COMMITTED a statement sees only what was committed when it began: a check in the
    statement that waits for the lock would miss the rival's booking and book the slot twice.
    """
    _, expert_id, uow = await _verified_expert(engine, clock, policy)
    rival, late = await _learner(uow), await _learner(uow)
    async with uow() as holder:
        await holder.experts.lock(expert_id)
        await holder.bookings.add(
            learner_id=rival,
            expert_id=expert_id,
            starts_at=TUESDAY_10_BERLIN,
            minutes=60,
            price=Decimal("20.00"),
            currency="EUR",
            expires_at=TUESDAY_10_BERLIN,
        )
        attempt = asyncio.create_task(
            bookings.book(BookSlot(late, expert_id, TUESDAY_10_BERLIN, 60), uow(), clock, policy)
        )
        await _until_one_waits_for_an_advisory_lock(engine)
        assert not attempt.done()
        await holder.commit()
    with pytest.raises(bookings.SlotTaken):
        await attempt
    async with engine.connect() as conn:
        stored = await conn.scalar(
            text("SELECT count(*) FROM bookings WHERE expert_id = :e"), {"e": expert_id}
        )
    assert stored == 1


async def _until_one_waits_for_an_advisory_lock(engine: AsyncEngine) -> None:
    for _ in range(500):
        async with engine.connect() as conn:  # a transaction keeps one view of the activity
            waiting = await conn.scalar(
                text(
                    "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()"
                    " AND wait_event_type = 'Lock' AND wait_event = 'advisory'"
                )
            )
        if waiting:
            return
        await asyncio.sleep(0.01)
    raise AssertionError("no booking waited for the expert's advisory lock")


@pytest.mark.parametrize("commit", [True, False], ids=["committed", "rolled back"])
async def test_a_transaction_begun_on_the_driver_holds_the_sqlalchemy_statements_after_it(
    engine: AsyncEngine, clock: FakeClock, policy: Policy, commit: bool
) -> None:
    """The booking path begins its transaction on the driver (``Tx.driver``); what runs through
    SQLAlchemy afterwards (a refusal's alternatives, say) is part of the same transaction."""
    _, expert_id, uow = await _verified_expert(engine, clock, policy)
    learner = await _learner(uow)
    async with uow() as work:
        assert await work.experts.lock_for_booking(expert_id, learner) is not None  # driver
        await work.experts.add_time_off(expert_id, date(2026, 4, 1), date(2026, 4, 1))  # ORM
        async with engine.connect() as other:  # the lock is held until the transaction ends
            waited = await other.scalar(
                text("SELECT pg_try_advisory_xact_lock(:k)"), {"k": _lock_key(expert_id)}
            )
        assert waited is False
        if commit:
            await work.commit()
    async with uow() as after:
        days_off = await after.experts.time_off(expert_id)
    assert ((date(2026, 4, 1), date(2026, 4, 1)) in days_off) is commit
