"""What happens to a booking after it is made, through the chat on real PostgreSQL: late
cancellations, messages relayed between the two sides, refunds owed, declines, references
admins can use, stars, notes and payouts reaching the expert, and the expert's own zone."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.bootstrap import bootstrap
from bot.handlers.router import Dispatcher
from db.uow import SqlAlchemyUnitOfWork
from domain.marketplace import bookings, payments
from domain.marketplace.commands import ActOnBooking, BookSlot
from domain.marketplace.model import Action, Booking, Policy, booking_ref
from tests.integration.test_marketplace import onboard
from tests.support import FakeClock, Learner, user_id

MONDAY = datetime(2026, 3, 2, 6, 0, tzinfo=UTC)  # 07:00 in Berlin
TUESDAY_9 = datetime(2026, 3, 3, 8, 0, tzinfo=UTC)  # 09:00 in Berlin, in the expert's hours


@dataclass
class World:
    dispatcher: Dispatcher
    engine: AsyncEngine
    clock: FakeClock
    policy: Policy
    admin: Learner
    expert: Learner
    ada: Learner
    ada_id: uuid.UUID
    expert_user: uuid.UUID
    expert_id: uuid.UUID

    def uow(self) -> SqlAlchemyUnitOfWork:
        return SqlAlchemyUnitOfWork(self.engine)

    async def book(self, starts_at: datetime = TUESDAY_9, learner: uuid.UUID | None = None):
        command = BookSlot(learner or self.ada_id, self.expert_id, starts_at, 60)
        return await bookings.book(command, self.uow(), self.clock, self.policy)

    async def act(self, who: uuid.UUID, booking: Booking, action: Action) -> Booking:
        command = ActOnBooking(who, booking.id, action)
        pay = payments.ManualPayments()
        return await bookings.act(command, self.uow(), self.clock, self.policy, pay)


@pytest.fixture
async def world(engine: AsyncEngine) -> World:
    return await new_world(engine)


async def new_world(engine: AsyncEngine) -> World:
    """An admin, a verified expert (Grace Hopper, Berlin) and a learner (Ada, Berlin), chatting
    in the terminal on Monday 07:00."""
    clock = FakeClock(MONDAY)
    admin_name = f"admin-{uuid.uuid4().hex[:6]}"
    policy = Policy(admins=frozenset({("terminal", admin_name)}))
    dispatcher = bootstrap(engine, clock=clock, policy=policy)
    admin = Learner(dispatcher, admin_name)
    await admin.say("/start")
    subject = f"Care{uuid.uuid4().hex[:6]}"
    expert = await onboard(dispatcher, admin, subject)
    ada = Learner(dispatcher)
    await ada.say("/timezone Europe/Berlin")
    async with engine.connect() as conn:
        expert_id = await conn.scalar(
            text("SELECT expert_id FROM expert_specialties WHERE subject = :s"), {"s": subject}
        )
    ada_id, expert_user = await user_id(engine, ada), await user_id(engine, expert)
    return World(
        dispatcher, engine, clock, policy, admin, expert, ada, ada_id, expert_user, expert_id
    )


async def test_a_late_cancellation_is_said_first_and_the_two_sides_message_through_the_bot(
    world: World,
) -> None:
    booked = await world.book()
    await world.act(world.expert_user, booked, Action.CONFIRM)
    await world.expert.say("/start")  # the request notice
    await world.ada.say("/start")  # the confirmation notice
    world.clock.set(TUESDAY_9 - timedelta(hours=11))  # inside the 12-hour notice
    await world.ada.say("/progress")  # the 24-hour reminder
    await world.expert.say("/progress")

    await world.ada.say("/bookings")
    assert world.ada.buttons() == ["Tue 03 Mar 09:00 · Grace Hopper"]  # what it is, not "1"
    card = await world.ada.say("#1")
    assert "can't be cancelled or moved here any more. ✉️ Message the expert" in card
    assert world.ada.buttons() == ["✉️ Message", "📅 Add to calendar"]
    asked = await world.ada.press("✉️ Message")
    assert f"Your message to the expert, Grace Hopper, about booking {booked.ref}?" in asked
    assert "never your handle" in asked
    sent = await world.ada.say("I'm ill, can we talk about moving it?")
    assert "✉️ Sent to the expert, Grace Hopper" in sent

    relayed = await world.expert.say("/progress")
    assert f"✉️ Message from {world.ada.name} (learner) about booking {booked.ref}" in relayed
    assert "I'm ill, can we talk about moving it?" in relayed
    assert world.ada_id.hex not in relayed and str(world.ada_id) not in relayed
    assert world.expert.notice_buttons() == ["↩️ Reply"]
    await world.expert.press("↩️ Reply")
    assert "Sent to the learner" in await world.expert.say("Sorry to hear it. I'll cancel.")
    answer = await world.ada.say("/progress")
    assert "✉️ Message from Grace Hopper (expert)" in answer and "I'll cancel." in answer

    # The expert's late cancellation is said before the reason is asked, with a way to talk.
    await world.expert.say("/bookings")
    await world.expert.say("#1")
    warned = await world.expert.press("Cancel booking")
    assert warned.index("⚠️ Late cancellation") < warned.index("why are you cancelling?")
    assert "less than 12 hours" in warned and "counts as cancelled late" in warned
    assert "✉️ Message" in world.expert.buttons()
    done = await world.expert.say("ill")
    assert "cancelled late" in done
    # /message works from both sides with the reference, then closes after a while.
    assert "Sent to the learner" in await world.expert.say(f"/message {booked.ref} Get well!")
    stranger = Learner(world.dispatcher)
    assert "can't find that booking" in await stranger.say(f"/message {booked.ref} hi")
    world.clock.set(TUESDAY_9 + timedelta(days=15))
    assert "closed" in await world.ada.say(f"/message {booked.ref} hello?")
    async with world.engine.connect() as conn:
        count = await conn.scalar(
            text("SELECT count(*) FROM booking_messages WHERE booking_id = :b"), {"b": booked.id}
        )
    assert count == 3


async def test_cancelling_a_paid_booking_tells_the_expert_a_refund_is_owed_until_marked(
    world: World,
) -> None:
    booked = await world.book()
    await world.act(world.expert_user, booked, Action.CONFIRM)
    await world.act(world.expert_user, booked, Action.MARK_PAID)
    await world.expert.say("/start")
    await world.ada.say("/start")  # confirmed, payment recorded
    await world.ada.say("/bookings")
    await world.ada.say("#1")
    await world.ada.press("Cancel booking")
    cancelled = await world.ada.say("plans changed")
    assert "refunded" not in cancelled  # not before it is true
    assert "paid, refund owed" in cancelled and "is owed to you" in cancelled

    told = await world.expert.say("/progress")
    assert "A booking was cancelled" in told
    assert "A refund of 30.00 EUR is owed to the learner" in told
    assert f"/refunded {booked.ref}" in told
    assert "↩️ Mark refunded" in world.expert.notice_buttons()
    marked = await world.expert.press("↩️ Mark refunded")
    assert "Refund recorded" in marked and "(refunded)" in marked
    assert "Your payment was refunded" in await world.ada.say("/progress")


async def test_declined_and_cancelled_requests_leave_upcoming_and_are_not_charged(
    world: World,
) -> None:
    first = await world.book()
    second = await world.book(TUESDAY_9 + timedelta(hours=3))
    await world.act(world.expert_user, first, Action.DECLINE)
    await world.act(world.ada_id, second, Action.CANCEL)
    notice = await world.ada.say("/progress")
    assert "Your booking request was declined:" in notice
    assert f"Booking {first.ref} · declined" in notice
    listed = await world.ada.say("/bookings")
    assert "Upcoming" not in listed
    assert f"declined · with Grace Hopper · {first.ref}" in listed
    assert f"cancelled · with Grace Hopper · {second.ref}" in listed
    for number, status in (("#1", "cancelled"), ("#2", "declined")):  # the later one first
        await world.ada.say("/bookings")
        card = await world.ada.say(number)
        assert f"· {status} ·" in card and "(not charged)" in card and "pending" not in card


async def test_admins_use_the_references_shown_and_references_stay_unique(world: World) -> None:
    booked = await world.book()
    done = await world.admin.say(f"/paid {booked.ref}")
    assert "Payment recorded" in done and "(paid)" in done
    # A second booking whose id shares the first 8 hex digits: both show a longer reference.
    twin = uuid.UUID(booked.id.hex[:8] + uuid.uuid4().hex[8:])
    async with world.engine.begin() as conn:
        await conn.execute(
            text(
                "INSERT INTO bookings (id, user_id, expert_id, session_date, duration, status,"
                " payment_status, price, currency) VALUES (:id, :u, :e, :d, 60, 'pending',"
                " 'pending', 30, 'EUR')"
            ),
            {"id": twin, "u": world.ada_id, "e": world.expert_id, "d": TUESDAY_9 + timedelta(1)},
        )
    longer = booking_ref(booked.id, [twin])
    assert len(longer) > 8 and longer != booking_ref(twin, [booked.id])
    listed = await world.ada.say("/bookings")
    assert f"· {longer}" in listed and f"· {booking_ref(twin, [booked.id])}" in listed
    assert "several bookings" in await world.admin.say(f"/paid {booked.ref}")
    assert "already paid" in await world.admin.say(f"/paid {longer}")
    assert "Payment recorded" in await world.expert.say(f"/paid {booking_ref(twin, [booked.id])}")
    # Somebody who is neither a side nor an admin cannot use the reference.
    assert "can't find that booking" in await Learner(world.dispatcher).say(f"/paid {longer}")


async def test_the_expert_sees_stars_reviews_notes_timing_and_payouts(world: World) -> None:
    booked = await world.book()
    await world.act(world.expert_user, booked, Action.CONFIRM)
    await world.expert.say("/start")
    early = await world.expert.say(f"/session_notes {booked.ref} Good work on loops.")
    assert "once the session has ended" in early and "Nothing was saved" in early
    assert "10:00" in early  # the end, in the expert's zone (Berlin)
    world.clock.set(TUESDAY_9 + timedelta(hours=2))
    await world.act(world.expert_user, booked, Action.COMPLETE)
    await world.act(world.expert_user, booked, Action.MARK_PAID)
    await world.ada.say("/start")  # the rating stars arrive
    await world.ada.press("★★★★")
    await world.ada.say("Patient and clear.")
    rated = await world.expert.say("/progress")
    assert "A learner rated your session" in rated and "Rated ★★★★☆" in rated
    assert "“Patient and clear.”" in rated
    saved = await world.expert.say(f"/session_notes {booked.ref} Good work on loops.")
    assert "Notes saved" in saved
    notes = await world.ada.say("/progress")
    assert "Your expert added notes" in notes and "Good work on loops." in notes
    await world.expert.say("/bookings")
    assert "Rated ★★★★☆" in await world.expert.say("#1")

    # Held: the learner has not said the session happened, and 72 hours have not passed.
    await payments.pay_out(world.uow(), world.clock)
    assert await ledger_status(world, booked.id) == "pending"
    world.clock.set(TUESDAY_9 + timedelta(hours=1 + 72))  # 72 hours after its end
    assert (await payments.pay_out(world.uow(), world.clock))[0] >= 1
    assert await ledger_status(world, booked.id) == "paid"
    paid_out = await world.expert.say("/progress")
    assert "💸 Payout made: 25.50 EUR for 1 session was paid out to you" in paid_out


async def ledger_status(world: World, booking_id: uuid.UUID) -> str:
    async with world.engine.connect() as conn:
        status: str = await conn.scalar(
            text("SELECT status FROM commissions WHERE booking_id = :b"), {"b": booking_id}
        )
    return status


async def test_an_experts_cards_use_their_profile_zone_and_never_name_them_as_expert(
    world: World,
) -> None:
    await world.expert.say("/timezone America/New_York")  # their own zone; the profile's is Berlin
    booked = await world.book()
    request = await world.expert.say("/bookings")
    assert "09:00 (Europe/Berlin)" in request  # the request notice, in the profile's zone
    assert f"as expert · learner {world.ada.name} · {booked.ref}" in request
    assert "as expert Grace" not in request and f"as expert {world.ada.name}" not in request
    assert "Times in Europe/Berlin." in request
    card = await world.expert.say("#1")
    assert "09:00 (Europe/Berlin)" in card
