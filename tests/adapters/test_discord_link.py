"""/link across two adapters in one process: a code shown on Telegram, entered on Discord."""

from __future__ import annotations

import re

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.handlers.router import Dispatcher
from tests.adapters import harness
from tests.adapters.discord_fake import DiscordFake
from tests.adapters.discord_harness import Member, running
from tests.adapters.telegram_emulator import BotApiEmulator


async def test_a_code_shown_on_telegram_and_entered_on_discord_makes_one_account(
    api: BotApiEmulator, fake: DiscordFake, dispatcher: Dispatcher, engine: AsyncEngine
) -> None:
    async with harness.running(api, dispatcher) as telegram, running(fake, dispatcher) as discord:
        ada_tg = harness.Person(api, telegram, "Ada")
        ada_dc = Member(fake, discord, "Ada", guild=True)
        await ada_tg.say("/new Ukulele | 12 | 30 | beginner")
        await ada_dc.slash("new", "Origami | 3 | 30 | beginner")
        shown = await ada_tg.say("/link")
        found = re.search(r"link code: (\S{4}-\S{4})", shown)
        assert found is not None
        linked = await ada_dc.slash("link", found[1])
        assert "Linked: Discord and Telegram are now one account" in linked
        assert ada_dc.last_message()["flags"] & 64  # shown to Ada only, in the server

        for plans in (await ada_dc.slash("plans"), await ada_tg.say("/plans")):
            assert "Ukulele" in plans and "Origami" in plans
    async with engine.connect() as conn:
        owners = await conn.scalar(
            text(
                "SELECT count(DISTINCT user_id) FROM platform_identities "
                "WHERE external_id IN (:tg, :dc)"
            ),
            {"tg": str(ada_tg.user.id), "dc": ada_dc.user["id"]},
        )
    assert owners == 1
