"""A weekly series on Telegram and on Discord, through the real libraries: the learner books
six weeks in one flow, the expert taps ✅ Confirm all in the one notice they get, the learner
cancels one week and the others stay scheduled."""

from __future__ import annotations

import uuid

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.handlers.router import Dispatcher
from bot.worker import NotificationWorker
from domain.marketplace import experts
from domain.marketplace.commands import BecomeExpert, SetAvailability, VerifyExpert
from tests.adapters.discord_fake import DiscordFake
from tests.adapters.discord_harness import Member
from tests.adapters.discord_harness import running as running_discord
from tests.adapters.harness import Person, running, user_of
from tests.adapters.telegram_emulator import BotApiEmulator
from tests.support import expert_draft

WEEKDAYS = "mon 09:00-17:00; tue 09:00-17:00; wed 09:00-17:00; thu 09:00-17:00; fri 09:00-17:00"
NAME = "Ida Series"


async def make_expert(dispatcher: Dispatcher, engine: AsyncEngine, platform: str, id_: str) -> str:
    """The person already chatting on ``platform`` becomes a verified expert with weekday
    hours in Berlin (through the services); the subject they teach, their own."""
    user_id = await user_of(engine, platform, id_)
    ctx, subject = dispatcher.ctx, f"Series{uuid.uuid4().hex[:6]}"
    draft = expert_draft(NAME, subject)
    expert = await experts.become_expert(
        BecomeExpert(user_id, draft), ctx.uow(), ctx.clock, ctx.policy
    )
    await experts.verify_expert(
        VerifyExpert(None, expert.id, True), ctx.uow(), ctx.clock, ctx.policy
    )
    await experts.set_availability(SetAvailability(user_id, WEEKDAYS), ctx.uow())
    return subject


async def weeks_of(engine: AsyncEngine, subject: str) -> list[tuple[int, str]]:
    async with engine.connect() as conn:
        rows = await conn.execute(
            text(
                "SELECT b.series_index, b.status FROM bookings b JOIN expert_specialties s "
                "ON s.expert_id = b.expert_id WHERE s.subject = :s ORDER BY b.session_date"
            ),
            {"s": subject},
        )
        return [(row[0], row[1]) for row in rows]


SCHEDULED_BUT_THIRD = [(i, "cancelled" if i == 3 else "scheduled") for i in range(1, 7)]


async def test_a_weekly_series_on_telegram(
    api: BotApiEmulator, dispatcher: Dispatcher, engine: AsyncEngine
) -> None:
    async with running(api, dispatcher) as adapter:
        ida, ada = Person(api, adapter, "Ida"), Person(api, adapter, "Ada")
        await ida.say("/start")
        subject = await make_expert(dispatcher, engine, "telegram", str(ida.user.id))
        await ada.say("/timezone Europe/Berlin")
        await ada.say(f"/experts {subject}")
        await ada.press(NAME)
        await ada.press("📅 Book")
        await ada.press("60 min · 30.00 EUR")
        await ada.press("Tue 03 Mar")
        await ada.press("09:00")
        assert "for how many weeks?" in await ada.press("🔁 Repeat weekly")
        listed = await ada.press("6 weeks")
        assert "6. Tue 07 Apr 09:00 · ✅ open" in listed
        assert "Requested 6 of 6 weeks" in await ada.press("✅ Book all weeks")

        worker = NotificationWorker(dispatcher.ctx, {"telegram": adapter})
        await worker.drain()
        notice = ida.keyboard_message()
        assert "weekly booking request from Ada" in notice["text"]
        assert ida.buttons(notice)[:2] == ["✅ Confirm all", "❌ Decline all"]
        assert "Confirmed 6 of the series" in await ida.press("✅ Confirm all", notice)
        await worker.drain()
        assert "confirmed 6 weeks" in ada.keyboard_message()["text"]

        assert "week 3/6" in await ada.say("/bookings")
        await ada.press(f"Tue 17 Mar 09:00 · {NAME}")
        await ada.press("Cancel booking")
        assert "Cancelled" in await ada.press("Skip")
    assert await weeks_of(engine, subject) == SCHEDULED_BUT_THIRD


async def test_a_weekly_series_on_discord(
    fake: DiscordFake, dispatcher: Dispatcher, engine: AsyncEngine
) -> None:
    async with running_discord(fake, dispatcher) as adapter:
        ida, ada = Member(fake, adapter, "Ida"), Member(fake, adapter, "Ada")
        await ida.slash("start")
        subject = await make_expert(dispatcher, engine, "discord", ida.user["id"])
        await ada.slash("timezone", "Europe/Berlin")
        await ada.slash("experts", subject)
        await ada.press(NAME)
        await ada.press("📅 Book")
        await ada.press("60 min · 30.00 EUR")
        await ada.choose("Tue 03 Mar")
        await ada.choose("09:00")
        assert "for how many weeks?" in await ada.press("🔁 Repeat weekly")
        listed = await ada.choose("6 weeks")  # a select menu, as days and times are
        assert "6. Tue 07 Apr 09:00 · ✅ open" in listed
        assert "Requested 6 of 6 weeks" in await ada.press("✅ Book all weeks")

        worker = NotificationWorker(dispatcher.ctx, {"discord": adapter})
        await worker.drain()
        notice = ida.keyboard_message()
        assert "weekly booking request from Ada" in notice["content"]
        assert "meant for someone else" in await ada.press("✅ Confirm all", notice)
        assert "Confirmed 6 of the series" in await ida.press("✅ Confirm all", notice)
        await worker.drain()
        assert "confirmed 6 weeks" in ada.keyboard_message()["content"]

        assert "week 3/6" in await ada.slash("bookings")
        await ada.press(f"Tue 17 Mar 09:00 · {NAME}")
        await ada.press("Cancel booking")
        assert "Cancelled" in await ada.press("Skip")
    assert await weeks_of(engine, subject) == SCHEDULED_BUT_THIRD
