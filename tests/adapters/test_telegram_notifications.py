"""Reminders and alerts reach Telegram through the worker, and stop where the bot is blocked."""

from __future__ import annotations

import asyncio
from uuid import UUID

from apscheduler.events import EVENT_JOB_EXECUTED, JobExecutionEvent
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.handlers.router import Dispatcher
from bot.scheduler import Scheduler
from bot.worker import NotificationWorker
from tests.adapters.harness import Person, running
from tests.adapters.telegram_emulator import BotApiEmulator
from tests.support import FakeClock, queue


async def user_of(engine: AsyncEngine, person: Person) -> UUID:
    async with engine.connect() as conn:
        return await conn.scalar(
            text(
                "SELECT user_id FROM platform_identities "
                "WHERE platform = 'telegram' AND external_id = :id"
            ),
            {"id": str(person.user.id)},
        )


async def outcome(engine: AsyncEngine, user_id: UUID) -> list[tuple[str, str | None]]:
    async with engine.connect() as conn:
        rows = await conn.execute(
            text(
                "SELECT status, last_error FROM notifications WHERE user_id = :u "
                "AND kind = 'expert_verified' ORDER BY created_at, id"
            ),
            {"u": user_id},
        )
        return [tuple(row) for row in rows]


async def test_a_notification_arrives_in_the_private_chat_and_a_403_stops_further_ones(
    api: BotApiEmulator, dispatcher: Dispatcher, engine: AsyncEngine, clock: FakeClock
) -> None:
    async with running(api, dispatcher) as adapter:
        ada = Person(api, adapter, "Ada")
        await ada.say("/start")
        user_id = await user_of(engine, ada)
        worker = NotificationWorker(dispatcher.ctx, {"telegram": adapter})

        await queue(engine, [user_id], 1, clock)
        await worker.drain()
        assert "Your expert profile is verified" in api.bot_messages(ada.chat.id)[-1]["text"]

        api.fail_next("sendMessage", code=403)  # Ada blocked the bot
        await queue(engine, [user_id], 1, clock)
        await queue(engine, [user_id], 1, clock)
        sent_before = len(api.calls_to("sendMessage"))
        await worker.drain()
        refused = [c for c in api.calls if c.method == "sendMessage" and c.status == 403]
        assert len(refused) == 1  # tried once, never again
        assert len(api.calls_to("sendMessage")) == sent_before
        first, *blocked = await outcome(engine, user_id)
        assert first == ("sent", None)
        # Both were due at once; whichever went first found Ada blocked, the other no chat.
        assert sorted(blocked) == [
            ("dropped", "blocked on telegram"),
            ("dropped", "no reachable chat"),
        ]
        # Writing to the bot again makes Ada reachable (after the identity cache expires).
        dispatcher.known = type(dispatcher.known)()
        await ada.say("/help")
        await queue(engine, [user_id], 1, clock)
        await worker.drain()
        assert (await outcome(engine, user_id))[-1] == ("sent", None)


async def test_the_scheduler_delivers_due_notifications_on_its_own(
    api: BotApiEmulator, dispatcher: Dispatcher, engine: AsyncEngine, clock: FakeClock
) -> None:
    async with running(api, dispatcher) as adapter:
        bo = Person(api, adapter, "Bo")
        await bo.say("/start")
        user_id = await user_of(engine, bo)
        await queue(engine, [user_id], 1, clock)
        worker = NotificationWorker(dispatcher.ctx, {"telegram": adapter})
        scheduler = Scheduler(
            worker, dispatcher.ctx, every_seconds=0.05, maintenance_at_start=False
        )
        delivered = asyncio.Event()

        def finished(event: JobExecutionEvent) -> None:
            if event.job_id == "deliver" and event.retval:  # a run that claimed something
                delivered.set()

        scheduler.aps.add_listener(finished, EVENT_JOB_EXECUTED)
        scheduler.start()
        try:
            await asyncio.wait_for(delivered.wait(), timeout=10)
        finally:
            await scheduler.stop()
        assert await outcome(engine, user_id) == [("sent", None)]
        assert "Your expert profile is verified" in api.bot_messages(bo.chat.id)[-1]["text"]
