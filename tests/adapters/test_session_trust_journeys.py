"""The session happened, then money moves, on Telegram and Discord (issue 15): after the
session the learner is asked (👍 Yes / ⚠️ There was a problem), reports that the expert did not
come, the expert gives their account, and an admin decides under the dispute's card; a forged
decision pressed by the learner and a forged yes after the dispute change nothing."""

from __future__ import annotations

import itertools
import uuid
from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.adapters.discord.components import CUSTOM_ID_PREFIX
from bot.bootstrap import bootstrap
from bot.handlers import payloads
from bot.handlers.router import Dispatcher
from bot.worker import NotificationWorker
from domain.marketplace import disputes
from domain.marketplace.model import Action, Policy
from tests.adapters.discord_fake import DiscordFake
from tests.adapters.discord_harness import Member
from tests.adapters.discord_harness import running as discord_running
from tests.adapters.harness import Person, user_of
from tests.adapters.harness import running as telegram_running
from tests.adapters.telegram_emulator import BotApiEmulator, TgUser
from tests.adapters.test_booking_invites import START, act, book, make_expert
from tests.adapters.test_expert_terms_journeys import forged_press
from tests.support import FakeClock, snapshot

_IDS = itertools.count(990_001)
KINDS = ["🚫 The expert didn't come", "✂️ It was cut short", "❓ Something else"]
DECISIONS = ["↩️ Refund learner", "💶 Pay expert", "⚖️ Split"]


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(START - timedelta(days=1))


@pytest.fixture
def tg_admin() -> TgUser:
    return TgUser(next(_IDS), "Root", "Admin", f"root{uuid.uuid4().hex[:6]}")


@pytest.fixture
def dc_admin() -> dict[str, Any]:
    return {
        "id": str(9_100_000_000_000_000 + next(_IDS)),
        "username": "root",
        "global_name": "Root",
        "discriminator": "0",
        "avatar": None,
    }


@pytest.fixture
def dispatcher(
    engine: AsyncEngine, clock: FakeClock, tg_admin: TgUser, dc_admin: dict[str, Any]
) -> Dispatcher:
    admins = frozenset({("telegram", str(tg_admin.id)), ("discord", dc_admin["id"])})
    return bootstrap(engine, clock=clock, policy=Policy(admins=admins))


async def ended_session(
    dispatcher: Dispatcher, learner: uuid.UUID, expert: uuid.UUID
) -> uuid.UUID:
    """A paid session of the learner with Grace Hopper that ended 5 minutes ago, and the
    learner asked whether it happened."""
    booking_id = await book(dispatcher, learner, await make_expert(dispatcher, expert))
    await act(dispatcher, expert, booking_id, Action.CONFIRM)
    await act(dispatcher, expert, booking_id, Action.MARK_PAID)
    return booking_id


async def ask(dispatcher: Dispatcher, clock: FakeClock) -> None:
    """5 minutes after the session's end: the scheduler's job asks the learner."""
    clock.set(START + timedelta(minutes=65))
    ctx = dispatcher.ctx
    await disputes.ask_happened(ctx.uow(), ctx.clock, ctx.policy)


async def ledger(engine: AsyncEngine, booking_id: uuid.UUID) -> tuple[object, ...]:
    async with engine.connect() as conn:
        row = (
            await conn.execute(
                text(
                    "SELECT platform_commission, expert_earnings, learner_refund, decision"
                    " FROM commissions WHERE booking_id = :b"
                ),
                {"b": booking_id},
            )
        ).one()
    return tuple(row)


async def test_on_telegram_a_problem_is_reported_answered_and_decided_under_the_cards(
    api: BotApiEmulator,
    dispatcher: Dispatcher,
    engine: AsyncEngine,
    clock: FakeClock,
    tg_admin: TgUser,
) -> None:
    async with telegram_running(api, dispatcher) as adapter:
        ada, grace = Person(api, adapter, "Ada"), Person(api, adapter, "Grace")
        root = Person(api, adapter, "Root", user=tg_admin)
        for person in (ada, grace, root):
            await person.say("/start")
        learner = await user_of(engine, "telegram", str(ada.user.id))
        expert = await user_of(engine, "telegram", str(grace.user.id))
        booking_id = await ended_session(dispatcher, learner, expert)
        worker = NotificationWorker(dispatcher.ctx, {"telegram": adapter})
        await worker.drain()  # the confirmation and the payment first
        await ask(dispatcher, clock)
        await worker.drain()
        question = ada.keyboard_message()
        assert (
            "Did your session with Grace Hopper (Wed 04 Mar 2026, 10:00, UTC)"
            in (question["text"])
        )
        assert ada.buttons(question) == ["👍 Yes, it happened", "⚠️ There was a problem"]
        assert "what went wrong?" in await ada.press("⚠️ There was a problem", question)
        assert ada.buttons() == KINDS
        assert "In a few words" in await ada.press("🚫 The expert didn't come")
        assert "Problem reported" in await ada.say("I waited 20 minutes; nobody came.")

        before = await snapshot(engine)  # forged: a decision, and a yes after the problem
        decide = payloads.encode(learner, "dd", booking_id.hex, "r")
        assert "Only an admin can do that" in await ada.press_data(decide, question)
        assert "A problem was reported" in await ada.press("👍 Yes, it happened", question)
        assert await snapshot(engine) == before

        await worker.drain()
        notice = grace.keyboard_message()
        assert "reported a problem with booking" in notice["text"]
        assert "the expert did not come: “I waited 20 minutes; nobody came.”" in notice["text"]
        await grace.press("✍️ Give your account", notice)
        assert "with the admins" in await grace.say("I was in the call at 10:00 sharp.")
        await worker.drain()
        card = root.keyboard_message()
        assert "“I was in the call at 10:00 sharp.”" in card["text"]
        assert root.buttons(card) == DECISIONS
        decided = await root.press("💶 Pay expert", card)
        assert "the expert is paid 25.50 EUR (after 4.50 EUR commission)" in decided
        assert await ledger(engine, booking_id) == (
            Decimal("4.50"),
            Decimal("25.50"),
            Decimal("0.00"),
            "pay",
        )
        await worker.drain()
        assert "An admin decided the problem" in ada.last_message()["text"]
        assert "An admin decided the problem" in grace.last_message()["text"]
        late = await ada.say(f"/problem {booking_id.hex[:8]} It was short too")
        assert "already decided: the expert is paid" in late


async def test_on_discord_a_problem_is_reported_answered_and_decided_under_the_cards(
    fake: DiscordFake,
    dispatcher: Dispatcher,
    engine: AsyncEngine,
    clock: FakeClock,
    dc_admin: dict[str, Any],
) -> None:
    async with discord_running(fake, dispatcher) as adapter:
        ada, grace = Member(fake, adapter, "Ada"), Member(fake, adapter, "Grace")
        root = Member(fake, adapter, "Root")
        root.user = dc_admin
        for member in (ada, grace, root):
            await member.say("/start")
        learner = await user_of(engine, "discord", ada.user["id"])
        expert = await user_of(engine, "discord", grace.user["id"])
        booking_id = await ended_session(dispatcher, learner, expert)
        worker = NotificationWorker(dispatcher.ctx, {"discord": adapter})
        await worker.drain()
        await ask(dispatcher, clock)
        await worker.drain()
        question = ada.keyboard_message()
        assert "Did your session with Grace Hopper" in question["content"]
        assert ada.buttons(question) == ["👍 Yes, it happened", "⚠️ There was a problem"]
        assert "what went wrong?" in await ada.press("⚠️ There was a problem", question)
        assert ada.buttons() == KINDS
        await ada.press("✂️ It was cut short")
        assert "Problem reported" in await ada.write("We stopped after 20 minutes.")

        before = await snapshot(engine)
        decide = CUSTOM_ID_PREFIX + payloads.encode(learner, "dd", booking_id.hex, "s")
        assert "Only an admin can do that" in await forged_press(ada, decide, question)
        assert await snapshot(engine) == before

        again = await ada.slash("problem", booking_id.hex[:8])
        assert "already reported; an admin will decide it" in again
        await worker.drain()
        notice = grace.keyboard_message()
        assert "reported a problem with booking" in notice["content"]
        await grace.press("✍️ Give your account", notice)
        assert "with the admins" in await grace.write("The call dropped at minute 50.")
        await worker.drain()
        card = root.keyboard_message()
        assert root.buttons(card) == DECISIONS
        decided = await root.press("⚖️ Split", card)
        assert "split: 15.00 EUR goes back to the learner, 12.75 EUR to the expert" in decided
        assert await ledger(engine, booking_id) == (
            Decimal("2.25"),
            Decimal("12.75"),
            Decimal("15.00"),
            "split",
        )
