"""/vacation and /goal on Telegram (the real Application against the Bot API emulator) and on
Discord (discord.py against the fake REST API), with the goal switch in /settings."""

from __future__ import annotations

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.handlers.router import Dispatcher
from tests.adapters import harness
from tests.adapters.discord_fake import DiscordFake
from tests.adapters.discord_harness import Member
from tests.adapters.discord_harness import running as running_discord
from tests.adapters.telegram_emulator import BotApiEmulator
from tests.support import FakeClock


async def habits_of(engine: AsyncEngine, platform: str, external_id: str) -> tuple[object, ...]:
    async with engine.connect() as conn:
        row = (
            await conn.execute(
                text(
                    """SELECT h.goal_minutes, h.goal_sessions, h.week_starts,
                              (SELECT count(*) FROM vacations v WHERE v.user_id = i.user_id)
                         FROM platform_identities i
                         LEFT JOIN study_habits h ON h.user_id = i.user_id
                        WHERE i.platform = :p AND i.external_id = :id"""
                ),
                {"p": platform, "id": external_id},
            )
        ).one()
    return tuple(row)


async def test_vacation_and_goal_on_telegram(
    api: BotApiEmulator, dispatcher: Dispatcher, engine: AsyncEngine, clock: FakeClock
) -> None:
    async with harness.running(api, dispatcher) as adapter:
        ada = harness.Person(api, adapter, "Ada")
        await ada.say("/timezone Europe/Berlin")
        await ada.say("/new Go | 10 | 30 | beginner")
        assert "Goal set: 2 h 30 min a week (weeks start on Monday)" in await ada.say("/goal 150m")
        assert "weeks start on Sunday" in await ada.say("/goal week starts sunday")
        assert "Usage: /goal 150m" in await ada.say("/goal plenty")
        assert "Vacation from Mon 02 Mar to Fri 06 Mar (5 days" in await ada.say("/vacation 5d")
        report = await ada.say("/progress")
        assert "🏖 Vacation Mon 02 Mar to Fri 06 Mar" in report
        assert "░░░░░░░░░░ 0/150 min" in report
        clock.advance(days=1)
        done = await ada.say("/done 90")
        assert "that session ended your vacation" in done
        assert "▓▓▓▓▓▓░░░░ 90/150 min" in await ada.say("/progress")
        await ada.say("/settings")
        assert "Goal off" in ada.buttons()
        assert "Weekly goal at risk: off" in await ada.press("Goal off")
        assert "can't start in the past" in await ada.say("/vacation 2026-03-01 to 2026-03-04")
    assert await habits_of(engine, "telegram", str(ada.user.id)) == (150, None, 6, 1)


async def test_vacation_and_goal_on_discord(
    fake: DiscordFake, dispatcher: Dispatcher, engine: AsyncEngine
) -> None:
    async with running_discord(fake, dispatcher) as adapter:
        ada = Member(fake, adapter, "Ada")
        await ada.slash("timezone", "Europe/Berlin")
        await ada.slash("new", "Go | 10 | 30 | beginner")
        assert "Goal set: 4 sessions a week" in await ada.slash("goal", "4 sessions")
        assert "Vacation from Sun 20 Dec to Sun 27 Dec (8 days" in await ada.slash(
            "vacation", "2026-12-20 to 2026-12-27"
        )
        report = await ada.slash("progress")
        assert "Vacation Sun 20 Dec to Sun 27 Dec" in report and "0/4 sessions" in report
        assert "Vacation over" in await ada.slash("vacation", "off")
        assert "Weekly goal off" in await ada.slash("goal", "off")
        shown = await ada.slash("settings")
        assert "Weekly goal at risk: off" in shown and "Goal on" in ada.buttons()
        assert "Weekly goal at risk: on at 18:00" in await ada.press("Goal on")
    assert await habits_of(engine, "discord", ada.user["id"]) == (None, None, 0, 0)
