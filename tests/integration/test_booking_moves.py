"""Moving a booking as people do it: 🗓 Reschedule screens say which booking and when it is now,
a booking never blocks its own move, and an expert's move of a confirmed session is a proposal
the learner accepts or declines (only they, only the latest one, and only if still free)."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.bootstrap import bootstrap
from bot.handlers.router import Dispatcher
from db.uow import SqlAlchemyUnitOfWork
from domain.marketplace import booking_walk, bookings, moves
from domain.marketplace.commands import (
    ActOnBooking,
    AnswerMove,
    BookSlot,
    ChooseDay,
    RescheduleBooking,
    StartRescheduling,
    TimesOffered,
)
from domain.marketplace.model import Action, Booking, BookingStatus, Policy
from domain.marketplace.payments import ManualPayments
from domain.shared.errors import DomainError, InvalidInput, NotAllowed
from tests.integration.test_booking_walk import _name_of
from tests.integration.test_marketplace import _learner, _verified_expert
from tests.support import FakeClock, Learner, user_id

NOON_BERLIN = datetime(2026, 3, 4, 11, 0, tzinfo=UTC)  # Wed 12:00 in Berlin, the expert's zone
THREE_PM_BERLIN = NOON_BERLIN + timedelta(hours=3)


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(datetime(2026, 3, 2, 6, 0, tzinfo=UTC))  # Monday 07:00 in Berlin


@pytest.fixture
def policy() -> Policy:
    return Policy()


@pytest.fixture
def dispatcher(engine: AsyncEngine, clock: FakeClock, policy: Policy) -> Dispatcher:
    return bootstrap(engine, clock=clock, policy=policy)


async def confirmed(
    engine: AsyncEngine,
    clock: FakeClock,
    policy: Policy,
    learner_id: uuid.UUID | None = None,
    *,
    at: datetime = NOON_BERLIN,
) -> tuple[Booking, Callable[[], SqlAlchemyUnitOfWork]]:
    """A confirmed hour (12:00-13:00 Berlin) with a new expert; (booking, uow factory)."""
    expert_user, expert_id, uow = await _verified_expert(engine, clock, policy)
    learner = learner_id or await _learner(uow)
    booked = await bookings.book(BookSlot(learner, expert_id, at, 60), uow(), clock, policy)
    done = await bookings.act(
        ActOnBooking(expert_user, booked.id, Action.CONFIRM),
        uow(),
        clock,
        policy,
        ManualPayments(),
    )
    return done, uow


async def test_a_booking_never_blocks_its_own_reschedule_half_an_hour_later_is_offered(
    engine: AsyncEngine, clock: FakeClock, policy: Policy
) -> None:
    booking, uow = await confirmed(engine, clock, policy, at=THREE_PM_BERLIN)
    start = StartRescheduling(booking.learner_id, booking.id)
    days = await booking_walk.start_rescheduling(start, uow(), clock, policy)
    assert days.moving is not None and days.moving.starts_at == THREE_PM_BERLIN
    choose = ChooseDay(booking.learner_id, days.token, THREE_PM_BERLIN.date())
    times = await booking_walk.choose_day(choose, uow(), clock)
    assert isinstance(times, TimesOffered)
    # 15:30-16:30 overlaps the booking's own 15:00-16:00: offered all the same, with every
    # other time of the day (09:00 to 16:00 Berlin, 14 hour-long starts after the first).
    half_past = THREE_PM_BERLIN + timedelta(minutes=30)
    assert half_past in times.times and THREE_PM_BERLIN in times.times
    assert len(times.times) == 15
    change = RescheduleBooking(booking.learner_id, booking.id, half_past)
    assert (await moves.reschedule(change, uow(), clock, policy)).starts_at == half_past


async def test_every_screen_of_a_reschedule_names_the_booking_and_its_time_in_the_viewers_zone(
    dispatcher: Dispatcher, engine: AsyncEngine, clock: FakeClock, policy: Policy
) -> None:
    ada = Learner(dispatcher)
    await ada.say("/timezone America/New_York")
    booking, _ = await confirmed(engine, clock, policy, await user_id(engine, ada))
    head = f"🗓 Rescheduling booking {booking.ref} (now Wed 04 Mar 2026, 06:00)"  # in New York
    await ada.say("/help")  # the notices of the booking arrive (📬)
    await ada.say("/bookings")
    await ada.say("#1")
    screens = [await ada.press("🗓 Reschedule"), await ada.say("#1"), await ada.say("#1")]
    for screen in screens:
        assert screen.startswith(head), screen
    assert "Which day?" in screens[0] and "Which time on" in screens[1]
    assert "Move it to" in screens[2]
    assert "🗓 Moved from Wed 04 Mar 2026, 06:00 to" in await ada.press("✅ Confirm")


async def test_an_experts_move_is_a_proposal_with_a_reason_the_learner_accepts(
    dispatcher: Dispatcher, engine: AsyncEngine, clock: FakeClock, policy: Policy
) -> None:
    ada = Learner(dispatcher)
    await ada.say("/start")
    booking, _ = await confirmed(engine, clock, policy, await user_id(engine, ada))
    grace = Learner(dispatcher, await _name_of(engine, booking.expert_user_id))
    await grace.say("/help")  # the notice of the request arrives (📬)
    await ada.say("/help")
    await grace.say("/bookings")
    await grace.say("#1")
    days = await grace.press("🗓 Reschedule")
    assert days.startswith(f"🗓 Proposing a new time for booking {booking.ref} (now ")
    await grace.say("#1")  # the first free day
    asked = await grace.say("#1")  # its first free time
    assert "Why are you moving it" in asked and booking.learner_name in asked
    assert grace.buttons() == ["◀ Back", "✖ Cancel"]
    confirm = await grace.say("A conference came up, sorry")
    assert f"Ask {booking.learner_name} to move the 60 min session to" in confirm
    assert "Your reason: A conference came up, sorry" in confirm
    assert f"with {booking.expert_name}" not in confirm  # never "with" her own name
    assert grace.buttons() == ["✅ Confirm", "◀ Back", "✖ Cancel"]
    done = await grace.press("✅ Confirm")
    assert "New time proposed" in done

    [(start, status, proposed, reason)] = await rows_of(engine, booking)
    assert (start, status, reason) == (NOON_BERLIN, "scheduled", "A conference came up, sorry")
    assert proposed is not None and proposed != NOON_BERLIN

    notice = await ada.say("/bookings")  # the notice arrives (📬) with Accept / Decline
    assert (
        f"{booking.expert_name} asks to move booking {booking.ref} from Wed 04 Mar 2026, 11:00"
        in notice
    )
    assert "Reason: A conference came up, sorry" in notice
    assert ada.notice_buttons()[:2] == ["✅ Accept new time", "❌ Decline new time"]
    accepted = await ada.press("✅ Accept new time")
    assert "Accepted" in accepted
    [(start, status, still, _)] = await rows_of(engine, booking)
    assert (start, status, still) == (proposed, "scheduled", None)
    told = await grace.say("/bookings")
    assert f"{booking.learner_name} accepted moving booking {booking.ref}" in told


async def test_declining_keeps_the_old_time_and_only_the_other_side_answers_the_latest_proposal(
    engine: AsyncEngine, clock: FakeClock, policy: Policy
) -> None:
    booking, uow = await confirmed(engine, clock, policy)
    expert, learner = booking.expert_user_id, booking.learner_id
    first, second = NOON_BERLIN + timedelta(days=1), NOON_BERLIN + timedelta(days=2)
    with pytest.raises(InvalidInput, match="Say why"):
        await moves.reschedule(RescheduleBooking(expert, booking.id, first), uow(), clock, policy)
    for when in (first, second):  # the second proposal replaces the first
        change = RescheduleBooking(expert, booking.id, when, reason="ill")
        proposed = await moves.reschedule(change, uow(), clock, policy)
        assert proposed.starts_at == NOON_BERLIN and proposed.proposed_start == when

    with pytest.raises(NotAllowed):  # the side that asked does not answer
        await moves.answer_move(AnswerMove(expert, booking.id, second, True), uow(), clock, policy)
    with pytest.raises(InvalidInput, match="no longer open"):  # a stale proposal
        await moves.answer_move(AnswerMove(learner, booking.id, first, True), uow(), clock, policy)
    kept = await moves.answer_move(
        AnswerMove(learner, booking.id, second, False), uow(), clock, policy
    )
    assert kept.starts_at == NOON_BERLIN and kept.proposed_start is None
    assert kept.status is BookingStatus.SCHEDULED
    with pytest.raises(DomainError):  # answered: nothing left to accept
        await moves.answer_move(
            AnswerMove(learner, booking.id, second, True), uow(), clock, policy
        )


async def test_a_proposed_time_taken_meanwhile_is_refused_and_the_booking_stays(
    engine: AsyncEngine, clock: FakeClock, policy: Policy
) -> None:
    booking, uow = await confirmed(engine, clock, policy)
    later = NOON_BERLIN + timedelta(days=1)
    change = RescheduleBooking(booking.expert_user_id, booking.id, later, reason="ill")
    await moves.reschedule(change, uow(), clock, policy)
    rival = await _learner(uow)
    await bookings.book(BookSlot(rival, booking.expert_id, later, 60), uow(), clock, policy)
    with pytest.raises(bookings.SlotTaken):
        await moves.answer_move(
            AnswerMove(booking.learner_id, booking.id, later, True), uow(), clock, policy
        )
    [(start, status, proposed, _)] = await rows_of(engine, booking)
    assert (start, status, proposed) == (NOON_BERLIN, "scheduled", later)


async def rows_of(engine: AsyncEngine, booking: Booking) -> list[tuple[object, ...]]:
    async with engine.connect() as conn:
        rows = await conn.execute(
            text(
                "SELECT session_date, status, proposed_start, move_reason FROM bookings"
                " WHERE id = :b"
            ),
            {"b": booking.id},
        )
        return [tuple(row) for row in rows]
