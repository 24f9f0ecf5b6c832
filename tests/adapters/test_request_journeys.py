"""Requests that do not rot, on Telegram and Discord through the real libraries: a waitlisted
learner told of a cancellation books the freed time from the notice, and a lapsed request's
notice offers the expert's next times and similar experts as buttons that work."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from uuid import UUID

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.handlers.router import Dispatcher
from bot.worker import NotificationWorker
from db.uow import SqlAlchemyUnitOfWork
from domain.marketplace import bookings
from domain.marketplace.commands import ActOnBooking, BookSlot
from domain.marketplace.model import Action
from domain.marketplace.payments import ManualPayments
from tests.adapters import harness
from tests.adapters.discord_fake import DiscordFake
from tests.adapters.discord_harness import Member
from tests.adapters.discord_harness import running as discord_running
from tests.adapters.harness import user_of
from tests.adapters.telegram_emulator import BotApiEmulator
from tests.integration.test_requests_waitlist import a_learner, an_expert
from tests.support import FakeClock

SIXTY = "60 min · 30.00 EUR"
TUESDAY = datetime(2026, 3, 3, 8, 0, tzinfo=UTC)  # 09:00 in Berlin: the expert's one hour


async def pending_of(engine: AsyncEngine, expert_id: UUID) -> list[UUID]:
    async with engine.connect() as conn:
        rows = await conn.execute(
            text("SELECT user_id FROM bookings WHERE expert_id = :e AND status = 'pending'"),
            {"e": expert_id},
        )
        return [user for (user,) in rows]


async def a_taken_tuesday(engine: AsyncEngine, dispatcher: Dispatcher) -> tuple[UUID, UUID, UUID]:
    """An expert (Ann, Berlin) whose one Tuesday hour a learner holds: (expert, learner,
    booking)."""
    ctx = dispatcher.ctx
    _, expert_id, _ = await an_expert(
        engine, ctx.clock, ctx.policy, "tue 09:00-10:00; wed 09:00-10:00", name="Ann"
    )
    first = await a_learner(engine)
    held = await bookings.book(
        BookSlot(first, expert_id, TUESDAY, 60),
        SqlAlchemyUnitOfWork(engine),
        ctx.clock,
        ctx.policy,
    )
    return expert_id, first, held.id


async def cancel(dispatcher: Dispatcher, who: UUID, booking_id: UUID) -> None:
    ctx = dispatcher.ctx
    command = ActOnBooking(who, booking_id, Action.CANCEL)
    await bookings.act(command, ctx.uow(), ctx.clock, ctx.policy, ManualPayments())


async def test_on_discord_a_waitlist_tap_a_cancellation_and_the_notices_book_button_book_it(
    fake: DiscordFake, dispatcher: Dispatcher, engine: AsyncEngine
) -> None:
    expert_id, first, held = await a_taken_tuesday(engine, dispatcher)
    async with discord_running(fake, dispatcher) as adapter:
        ada = Member(fake, adapter, "Ada")  # in her direct messages with the bot
        await ada.slash("start", f"e_{expert_id.hex}")
        await ada.press("📅 Book")
        await ada.press(SIXTY)
        assert ada.options()[:2] == ["Tue 03 Mar · full", "Wed 04 Mar"]  # the day menu
        assert "fully booked with Ann" in await ada.choose("Tue 03 Mar · full")
        joined = await ada.press("🔔 Tell me if a slot frees up")
        assert "on the waitlist for Tue 03 Mar with Ann" in joined
        assert ada.buttons() == ["🔕 Leave the waitlist"]

        await cancel(dispatcher, first, held)
        await NotificationWorker(dispatcher.ctx, {"discord": adapter}).drain()
        notice = ada.keyboard_message()
        assert notice["content"].startswith("🔔 A time freed up with Ann")
        assert ada.buttons(notice) == ["📅 Tue 03 Mar 08:00"]
        quote = await ada.press("📅 Tue 03 Mar 08:00", notice)
        assert "Book 60 min with Ann on Tue 03 Mar 2026, 08:00 (UTC)" in quote
        assert "Requested!" in await ada.press("✅ Confirm")
    ada_id = await user_of(engine, "discord", ada.user["id"])
    assert await pending_of(engine, expert_id) == [ada_id]
    assert not [c for c in fake.calls if c.status >= 500]


async def test_on_telegram_a_waitlist_tap_a_cancellation_and_the_notices_book_button_book_it(
    api: BotApiEmulator, dispatcher: Dispatcher, engine: AsyncEngine
) -> None:
    expert_id, first, held = await a_taken_tuesday(engine, dispatcher)
    async with harness.running(api, dispatcher) as adapter:
        ada = harness.Person(api, adapter, "Ada")
        await ada.say(f"/start e_{expert_id.hex}")
        await ada.press("📅 Book")
        await ada.press(SIXTY)
        assert ada.buttons()[:2] == ["Tue 03 Mar · full", "Wed 04 Mar"]
        await ada.press("Tue 03 Mar · full")
        assert "on the waitlist" in await ada.press("🔔 Tell me if a slot frees up")
        await cancel(dispatcher, first, held)
        await NotificationWorker(dispatcher.ctx, {"telegram": adapter}).drain()
        notice = ada.keyboard_message()
        assert notice["text"].startswith("🔔 A time freed up with Ann")
        assert "Book 60 min with Ann" in await ada.press("📅 Tue 03 Mar 08:00", notice)
        assert "Requested!" in await ada.press("✅ Confirm")
    ada_id = await user_of(engine, "telegram", str(ada.user.id))
    assert await pending_of(engine, expert_id) == [ada_id]


async def lapsed_request(
    engine: AsyncEngine, dispatcher: Dispatcher, clock: FakeClock, learner: UUID
) -> UUID:
    """Learner's request to Ann lapses unanswered; Bea and Cy teach the same subject."""
    ctx = dispatcher.ctx
    subject = f"Lapse{uuid.uuid4().hex[:6]}"
    hours = "mon-fri 09:00-17:00"
    _, expert_id, _ = await an_expert(
        engine, clock, ctx.policy, hours, subject=subject, name="Ann"
    )
    for other in ("Bea", "Cy"):
        await an_expert(engine, clock, ctx.policy, hours, subject=subject, name=other)
    start = datetime(2026, 3, 4, 12, 0, tzinfo=UTC)
    await bookings.book(
        BookSlot(learner, expert_id, start, 60), SqlAlchemyUnitOfWork(engine), clock, ctx.policy
    )
    clock.advance(hours=48, minutes=1)
    assert await bookings.expire_pending(ctx.uow(), clock) >= 1
    return expert_id


async def test_on_telegram_a_lapse_notice_offers_next_times_and_similar_experts_that_work(
    api: BotApiEmulator, dispatcher: Dispatcher, engine: AsyncEngine, clock: FakeClock
) -> None:
    async with harness.running(api, dispatcher) as adapter:
        ada = harness.Person(api, adapter, "Ada")
        await ada.say("/start")
        ada_id = await user_of(engine, "telegram", str(ada.user.id))
        expert_id = await lapsed_request(engine, dispatcher, clock, ada_id)
        await NotificationWorker(dispatcher.ctx, {"telegram": adapter}).drain()
        notice = ada.keyboard_message()
        assert notice["text"].startswith("⌛ Ann didn't answer your request in time")
        # Wednesday 12:01 UTC now: 12 hours' notice makes Thursday 08:00 the first free time.
        labels = ada.buttons(notice)
        assert labels[:3] == ["📅 Thu 05 Mar 08:00", "📅 Thu 05 Mar 08:30", "📅 Thu 05 Mar 09:00"]
        assert sorted(labels[3:5]) == ["Bea", "Cy"]  # equally rated: in either order
        assert all(
            len(b["callback_data"]) <= 64
            for row in notice["reply_markup"]["inline_keyboard"]
            for b in row
        )
        assert "Bea" in await ada.press("Bea", notice)  # her profile card
        assert "Book 60 min with Ann" in await ada.press("📅 Thu 05 Mar 08:30", notice)
        assert "Requested!" in await ada.press("✅ Confirm")
    assert ada_id in await pending_of(engine, expert_id)


async def test_on_discord_a_lapse_notice_offers_next_times_and_similar_experts_that_work(
    fake: DiscordFake, dispatcher: Dispatcher, engine: AsyncEngine, clock: FakeClock
) -> None:
    async with discord_running(fake, dispatcher) as adapter:
        ada = Member(fake, adapter, "Ada")
        await ada.slash("start")
        ada_id = await user_of(engine, "discord", ada.user["id"])
        expert_id = await lapsed_request(engine, dispatcher, clock, ada_id)
        await NotificationWorker(dispatcher.ctx, {"discord": adapter}).drain()
        notice = ada.keyboard_message()
        assert notice["content"].startswith("⌛ Ann didn't answer your request in time")
        assert sorted(ada.buttons(notice)[3:5]) == ["Bea", "Cy"]
        assert "Book 60 min with Ann" in await ada.press("📅 Thu 05 Mar 08:30", notice)
        assert "Requested!" in await ada.press("✅ Confirm")
    assert ada_id in await pending_of(engine, expert_id)
