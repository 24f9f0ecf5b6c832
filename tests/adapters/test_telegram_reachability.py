"""Writing to the bot makes a person reachable again at once, whatever the bot has cached."""

from __future__ import annotations

from uuid import UUID

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.handlers.base import Identity
from bot.handlers.router import Dispatcher
from bot.worker import NotificationWorker
from tests.adapters.harness import Person, running
from tests.adapters.telegram_emulator import BotApiEmulator
from tests.support import FakeClock, queue


async def last_alert(engine: AsyncEngine, user_id: UUID) -> tuple[str, str | None]:
    async with engine.connect() as conn:
        row = (
            await conn.execute(
                text(
                    "SELECT status, last_error FROM notifications WHERE user_id = :u "
                    "AND kind = 'expert_verified' ORDER BY created_at DESC, id DESC LIMIT 1"
                ),
                {"u": user_id},
            )
        ).one()
    return row[0], row[1]


async def test_who_blocked_the_bot_and_writes_again_gets_the_next_alert_though_cached(
    api: BotApiEmulator, dispatcher: Dispatcher, engine: AsyncEngine, clock: FakeClock
) -> None:
    async with running(api, dispatcher) as adapter:
        ada = Person(api, adapter, "Ada")
        await ada.say("/start")
        seen_as = Identity("telegram", str(ada.user.id), str(ada.user.id), "Ada Lovelace")
        user_id = dispatcher.known.get(seen_as)
        assert user_id is not None
        worker = NotificationWorker(dispatcher.ctx, {"telegram": adapter})

        api.fail_next("sendMessage", code=403)  # Ada blocked the bot
        await queue(engine, [user_id], 1, clock)
        await worker.drain()
        assert await last_alert(engine, user_id) == ("dropped", "blocked on telegram")

        # She unblocks it and writes; the bot still has her cached, so `register` is skipped.
        assert dispatcher.known.get(seen_as) == user_id
        assert "Here's what I understand" in await ada.say("/help")
        await queue(engine, [user_id], 1, clock)
        await worker.drain()
        assert await last_alert(engine, user_id) == ("sent", None)
        assert "Your expert profile is verified" in api.bot_messages(ada.chat.id)[-1]["text"]


async def test_an_update_delivered_again_after_its_sender_blocked_the_bot_unblocks_nothing(
    api: BotApiEmulator, dispatcher: Dispatcher, engine: AsyncEngine
) -> None:
    """Only a first delivery unblocks: one delivered again was written before the block."""
    async with running(api, dispatcher) as adapter:
        bo = Person(api, adapter, "Bo")
        await bo.say("/new Go | 5 | 30 | beginner")
        start = len(api.calls)
        done = await api.send_text(bo.user, "/done")
        await bo.settle(done, start)
    async with engine.begin() as conn:  # Bo blocks the bot after that
        await conn.execute(
            text("UPDATE platform_identities SET blocked_at = now() WHERE external_id = :id"),
            {"id": str(bo.user.id)},
        )
    api.lose_confirmations(done)  # and Telegram delivers the /done again (after a crash)
    async with running(api, dispatcher) as adapter:
        bo.adapter = adapter
        await bo.settle(done, len(api.calls))
        assert not bo.sent()  # skipped: no second session logged, no answer
    async with engine.connect() as conn:
        blocked = await conn.scalar(
            text("SELECT blocked_at FROM platform_identities WHERE external_id = :id"),
            {"id": str(bo.user.id)},
        )
        sessions = await conn.scalar(
            text(
                "SELECT p.sessions_completed FROM user_progress p JOIN platform_identities i "
                "ON i.user_id = p.user_id WHERE i.external_id = :id"
            ),
            {"id": str(bo.user.id)},
        )
    assert blocked is not None
    assert sessions == 1
