"""The expert who sees the plan, on Telegram and Discord through the real libraries (issue
15): the learner shares her plan while booking, the expert reads it from the booking's notice
until the session ends, then sends homework through a short wizard, and the learner adds it to
her plan with one tap. Forged presses (a stranger's view, the expert answering the homework, a
second tap) change nothing."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from uuid import UUID

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.adapters.discord.components import CUSTOM_ID_PREFIX
from bot.bootstrap import bootstrap
from bot.handlers import payloads
from bot.handlers.router import Dispatcher
from bot.worker import NotificationWorker
from domain.marketplace import bookings
from domain.marketplace.commands import ActOnBooking
from domain.marketplace.model import Action
from domain.marketplace.payments import ManualPayments
from tests.adapters.discord_fake import DiscordFake
from tests.adapters.discord_harness import Member
from tests.adapters.discord_harness import running as discord_running
from tests.adapters.harness import Person, user_of
from tests.adapters.harness import running as telegram_running
from tests.adapters.telegram_emulator import BotApiEmulator
from tests.adapters.test_expert_terms_journeys import forged_press, make_expert
from tests.support import FakeClock, snapshot

PLAN = "📎 Go (beginner)"
ADA, DISCORD_ADA = "Ada Lovelace", "Ada"  # her name as Telegram and Discord give it


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(datetime(2026, 3, 2, 6, 0, tzinfo=UTC))  # Monday 07:00 in Berlin


@pytest.fixture
def dispatcher(engine: AsyncEngine, clock: FakeClock) -> Dispatcher:
    return bootstrap(engine, clock=clock)


async def the_booking(engine: AsyncEngine, learner: UUID) -> tuple[UUID, datetime]:
    async with engine.connect() as conn:
        row = (
            await conn.execute(
                text(
                    "SELECT id, session_date + interval '60 minutes' FROM bookings"
                    " WHERE user_id = :u"
                ),
                {"u": learner},
            )
        ).one()
    return row[0], row[1]


async def complete(dispatcher: Dispatcher, expert_user: UUID, booking_id: UUID) -> None:
    ctx = dispatcher.ctx
    done = ActOnBooking(expert_user, booking_id, Action.COMPLETE)
    await bookings.act(done, ctx.uow(), ctx.clock, ctx.policy, ManualPayments())


async def plan_titles(engine: AsyncEngine, learner: UUID) -> list[str]:
    async with engine.connect() as conn:
        rows = await conn.execute(
            text(
                "SELECT s.title FROM sessions s JOIN curricula c ON c.id = s.curriculum_id"
                " WHERE c.user_id = :u ORDER BY s.session_number"
            ),
            {"u": learner},
        )
        return list(rows.scalars())


async def test_on_telegram_a_learner_shares_her_plan_and_adds_the_expert_s_homework(
    api: BotApiEmulator, dispatcher: Dispatcher, engine: AsyncEngine, clock: FakeClock
) -> None:
    subject = f"Golang{uuid.uuid4().hex[:6]}"
    async with telegram_running(api, dispatcher) as adapter:
        worker = NotificationWorker(dispatcher.ctx, {"telegram": adapter})
        ida, ada, bob = (Person(api, adapter, n) for n in ("Ida", "Ada", "Bob"))
        await ida.say("/start")
        ida_id = await user_of(engine, "telegram", str(ida.user.id))
        await make_expert(dispatcher, ida_id, subject)
        await ada.say("/timezone Europe/Berlin")
        await ada.say("/new Go | 4 | 30 | beginner")
        await ada.say("/done 25 slices")
        await ada.say("/note slices share their array")
        ada_id = await user_of(engine, "telegram", str(ada.user.id))

        await ada.say(f"/experts {subject}")
        await ada.press("Ida Expert")
        await ada.press("📅 Book")
        await ada.press("60 min · 30.00 EUR")
        await ada.press(ada.buttons()[0])  # the first free day
        asked = await ada.press(ada.buttons()[0])  # its first time
        assert "Share a plan with Ida Expert?" in asked
        assert ada.buttons() == [PLAN, "🔒 Don't share", "◀ Back", "✖ Cancel"]
        quote = await ada.press(PLAN)
        assert "📎 Ida Expert will see “Go (beginner)” until the session ends." in quote
        requested = await ada.press("✅ Confirm")
        assert "📨 Requested!" in requested and "📎 You share “Go (beginner)”" in requested
        booking_id, ends_at = await the_booking(engine, ada_id)

        await worker.drain()
        notice = ida.keyboard_message()
        assert f"📎 {ADA} shares the plan “Go (beginner)” with you" in notice["text"]
        assert "📖 Learner's plan" in ida.buttons(notice)
        seen = await ida.press("📖 Learner's plan", notice)
        assert f"📖 {ADA}'s plan “Go (beginner)”" in seen and "1/4 sessions · 25%" in seen
        assert "🔥 1-day streak in this plan" in seen and "slices share their array" in seen
        assert "➡️ 2." in seen and "(next)" in seen
        await ida.press("✅ Confirm", notice)

        # A stranger's forged press of the view, and the learner's: refused, nothing shown.
        await bob.say("/start")
        bob_id = await user_of(engine, "telegram", str(bob.user.id))
        forged = payloads.encode(bob_id, "bx", booking_id.hex, "vp")
        refused = await bob.press_data(forged, bob.last_message())
        assert "can't find that booking" in refused and "Go (beginner)" not in refused
        own = payloads.encode(ada_id, "bx", booking_id.hex, "vp")
        assert "Only the booked expert can do that" in await ada.press_data(own)

        clock.set(ends_at)  # the session has ended: nothing of the plan is shown any more
        after = await ida.press("📖 Learner's plan", notice)
        assert "no longer shared with you" in after and "slices" not in after
        await complete(dispatcher, ida_id, booking_id)
        await ida.say("/bookings")
        card = await ida.press(ida.buttons()[0])
        assert "📝 Send homework" in ida.buttons() and "📖 Learner's plan" not in ida.buttons()
        assert "Ada" in card
        assert "what is its title?" in await ida.press("📝 Send homework")
        objectives = await ida.say("Maps and sets")
        assert "its objectives? One per line, or separated by “;”" in objectives
        sent = await ida.say("Build a word count")
        assert (
            f"📝 Sent to {ADA}: “Maps and sets”, proposed as session 3 of “Go (beginner)”" in sent
        )

        await worker.drain()  # with the rating stars of the completed session, due as early
        homework = next(
            m
            for m in reversed(api.bot_messages(ada.chat.id))
            if "sent homework" in m.get("text", "")
        )
        assert "📝 Ida Expert sent homework: Maps and sets." in homework["text"]
        assert "Add it to “Go (beginner)” as session 3?" in homework["text"]
        assert ada.buttons(homework) == ["✅ Add it to my plan", "❌ Decline"]
        async with engine.connect() as conn:
            work_id = await conn.scalar(
                text("SELECT id FROM homework WHERE booking_id = :b"), {"b": booking_id}
            )
        before = await snapshot(engine)
        forged = payloads.encode(ida_id, "ha", work_id.hex, "a")  # the expert answering it
        assert "Only the learner can do that" in await ida.press_data(forged)
        assert await snapshot(engine) == before
        added = await ada.press("✅ Add it to my plan", homework)
        assert "✅ Added “Maps and sets” to “Go (beginner)” as session 3" in added
        after_one = await snapshot(engine)
        again = payloads.encode(ada_id, "ha", work_id.hex, "a")  # the same button, again
        assert "already accepted" in await ada.press_data(again, homework)
        assert await snapshot(engine) == after_one
        titles = await plan_titles(engine, ada_id)
        assert len(titles) == 5 and titles[2] == "Maps and sets"
        await worker.drain()
        assert f"✅ {ADA} added your homework “Maps and sets”" in ida.last_message()["text"]


async def test_on_discord_a_learner_shares_her_plan_and_adds_the_expert_s_homework(
    fake: DiscordFake, dispatcher: Dispatcher, engine: AsyncEngine, clock: FakeClock
) -> None:
    subject = f"Gopher{uuid.uuid4().hex[:6]}"
    async with discord_running(fake, dispatcher) as adapter:
        worker = NotificationWorker(dispatcher.ctx, {"discord": adapter})
        ida, ada, bob = (Member(fake, adapter, n) for n in ("Ida", "Ada", "Bob"))
        await ida.slash("start")
        ida_id = await user_of(engine, "discord", ida.user["id"])
        await make_expert(dispatcher, ida_id, subject)
        await ada.slash("timezone", "Europe/Berlin")
        await ada.slash("new", "Go | 4 | 30 | beginner")
        await ada.slash("done", "25 slices")
        ada_id = await user_of(engine, "discord", ada.user["id"])

        await ada.slash("experts", subject)
        await ada.press("Ida Expert")
        await ada.press("📅 Book")
        await ada.press("60 min · 30.00 EUR")
        await ada.choose(ada.options()[0])  # the first free day, from the menu
        asked = await ada.choose(ada.options()[0])  # its first time
        assert "Share a plan with Ida Expert?" in asked
        assert ada.buttons() == [PLAN, "🔒 Don't share", "◀ Back", "✖ Cancel"]
        quote = await ada.press(PLAN)
        assert "📎 Ida Expert will see “Go (beginner)”" in quote
        assert "📨 Requested!" in await ada.press("✅ Confirm")
        booking_id, ends_at = await the_booking(engine, ada_id)

        await worker.drain()
        notice = ida.keyboard_message()
        assert f"📎 {DISCORD_ADA} shares the plan “Go (beginner)” with you" in notice["content"]
        seen = await ida.press("📖 Learner's plan", notice)
        assert f"📖 {DISCORD_ADA}'s plan “Go (beginner)”" in seen and "1/4 sessions · 25%" in seen
        assert "meant for someone else" in await ada.press("📖 Learner's plan", notice)
        await ida.press("✅ Confirm", notice)

        await bob.slash("start")
        bob_id = await user_of(engine, "discord", bob.user["id"])
        forged = CUSTOM_ID_PREFIX + payloads.encode(bob_id, "bx", booking_id.hex, "vp")
        await bob.slash("timezone", "Europe/Berlin")  # a message of his to press under
        refused = await forged_press(bob, forged, notice)
        assert "can't find that booking" in refused and "Go (beginner)" not in refused

        clock.set(ends_at + timedelta(minutes=1))
        assert "no longer shared with you" in await ida.press("📖 Learner's plan", notice)
        await complete(dispatcher, ida_id, booking_id)
        await ida.slash("bookings")
        await ida.press(ida.buttons()[0])
        assert "what is its title?" in await ida.press("📝 Send homework")
        objectives = await ida.write("Maps and sets")
        assert "its objectives? One per line, or separated by “;”" in objectives
        sent = await ida.press("Skip")
        assert f"📝 Sent to {DISCORD_ADA}: “Maps and sets”, proposed as session 3" in sent

        await worker.drain()  # with the rating stars of the completed session, due as early
        homework = next(
            m
            for m in reversed(fake.channel_messages(ada.channel_id))
            if "sent homework" in m.get("content", "")
        )
        assert "📝 Ida Expert sent homework: Maps and sets." in homework["content"]
        before = await snapshot(engine)
        assert "meant for someone else" in await ida.press("✅ Add it to my plan", homework)
        assert await snapshot(engine) == before
        # The same homework under her booking's card (📝 Homework), declined from there.
        await ada.slash("bookings")
        await ada.press(ada.buttons()[0])
        offer = await ada.press("📝 Homework")
        assert "Add it to “Go (beginner)” as session 3?" in offer
        assert "Declined" in await ada.press("❌ Decline")
        after_one = await snapshot(engine)
        async with engine.connect() as conn:
            work_id = await conn.scalar(
                text("SELECT id FROM homework WHERE booking_id = :b"), {"b": booking_id}
            )
        again = CUSTOM_ID_PREFIX + payloads.encode(ada_id, "ha", work_id.hex, "a")
        assert "already declined" in await forged_press(ada, again, ada.keyboard_message())
        assert await snapshot(engine) == after_one
        assert "Maps and sets" not in await plan_titles(engine, ada_id)
        await worker.drain()
        assert (
            f"{DISCORD_ADA} declined your homework “Maps and sets”"
            in ida.last_message()["content"]
        )
