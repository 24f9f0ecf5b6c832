"""/focus with Stop and its end, and a plain message logged with one tap, on Telegram (the real
Application against the Bot API emulator) and on Discord (discord.py against the fake)."""

from __future__ import annotations

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.handlers.router import Dispatcher
from bot.worker import NotificationWorker
from tests.adapters.discord_fake import DiscordFake
from tests.adapters.discord_harness import Member
from tests.adapters.discord_harness import running as discord_running
from tests.adapters.harness import Person, running
from tests.adapters.telegram_emulator import BotApiEmulator
from tests.support import FakeClock


async def minutes_logged(engine: AsyncEngine, platform: str, external_id: str) -> int:
    async with engine.connect() as conn:
        return int(
            await conn.scalar(
                text(
                    "SELECT coalesce(sum(p.total_time_spent), 0) FROM user_progress p "
                    "JOIN platform_identities i ON i.user_id = p.user_id "
                    "WHERE i.platform = :p AND i.external_id = :id"
                ),
                {"p": platform, "id": external_id},
            )
        )


async def test_focus_stop_its_end_and_a_plain_message_on_telegram(
    api: BotApiEmulator, dispatcher: Dispatcher, engine: AsyncEngine, clock: FakeClock
) -> None:
    async with running(api, dispatcher) as adapter:
        ada = Person(api, adapter, "Ada")
        await ada.say("/new Spanish | 10 | 30 | beginner")
        me = str(ada.user.id)

        assert "Focus: 25 min on session 1" in await ada.say("/focus")
        assert ada.buttons() == ["⏹ Stop"]
        assert "already running" in await ada.say("/focus 10")
        clock.advance(minutes=7)
        assert "Stopped after 7 minutes. Log 7 minutes" in await ada.press("⏹ Stop")
        assert ada.buttons() == ["Log it", "Different", "No"]
        assert "Session 1 of 10 done" in await ada.press("Log it")
        assert await minutes_logged(engine, "telegram", me) == 7

        # A timer that runs out: its end arrives through the worker, with its buttons.
        await ada.say("/focus 5")
        clock.advance(minutes=5)
        await NotificationWorker(dispatcher.ctx, {"telegram": adapter}).drain()
        end = api.bot_messages(ada.chat.id)[-1]
        assert "Time's up: 5 min of focus. Log 5 minutes on session 2," in end["text"]
        assert ada.buttons() == ["Log it", "Different", "No"]
        assert "How many minutes did you focus?" in await ada.press("Different")
        assert "Session 2 of 10 done" in await ada.say("4")
        assert await minutes_logged(engine, "telegram", me) == 11

        # A plain message: one tap to confirm, nothing logged before it.
        assert "Log 40 min on session 3," in await ada.say("studied 40 min")
        assert await minutes_logged(engine, "telegram", me) == 11
        assert "Session 3 of 10 done" in await ada.press("Log it")
        assert await minutes_logged(engine, "telegram", me) == 51
        assert "I answer commands" in await ada.say("I will study 30 min tomorrow")

    assert all(q["answered_at"] is not None for q in api.queries.values())


async def test_focus_stop_and_a_plain_message_on_discord(
    fake: DiscordFake, dispatcher: Dispatcher, engine: AsyncEngine, clock: FakeClock
) -> None:
    async with discord_running(fake, dispatcher) as adapter:
        ada = Member(fake, adapter, "Ada")
        await ada.slash("new", "Spanish | 10 | 30 | beginner")
        me = ada.user["id"]

        assert "Focus: 20 min on session 1" in await ada.slash("focus", "20")
        assert ada.buttons() == ["⏹ Stop"]
        clock.advance(minutes=9)
        assert "Stopped after 9 minutes. Log 9 minutes" in await ada.press("⏹ Stop")
        assert ada.buttons() == ["Log it", "Different", "No"]
        assert "Session 1 of 10 done" in await ada.press("Log it")
        assert await minutes_logged(engine, "discord", me) == 9

        # Direct messages are delivered to the bot: a plain message there is understood.
        assert "Log 40 min on session 2," in await ada.say("studied 40 min")
        assert await minutes_logged(engine, "discord", me) == 9
        assert "Session 2 of 10 done" in await ada.press("Log it")
        assert await minutes_logged(engine, "discord", me) == 49

        # A timer that runs out: its end comes by direct message; Different opens a form.
        await ada.slash("focus", "5")
        clock.advance(minutes=5)
        await NotificationWorker(dispatcher.ctx, {"discord": adapter}).drain()
        end = ada.keyboard_message()
        assert "Time's up: 5 min of focus. Log 5 minutes on session 3," in end["content"]
        assert ada.buttons(end) == ["Log it", "Different", "No"]
        assert "How many minutes did you focus?" in await ada.press("Different", end)
        assert "Session 3 of 10 done" in await ada.write("3")
        assert await minutes_logged(engine, "discord", me) == 52
