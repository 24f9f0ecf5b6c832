"""An expert's own terms on Telegram and Discord (issue 15): the expert sets them under
/expert, the learner sees them on the cards, books the first-lesson trial, and is refused a
reschedule over the limit; forged presses (a policy button, a reschedule) change nothing."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.adapters.discord.components import CUSTOM_ID_PREFIX
from bot.bootstrap import bootstrap
from bot.handlers import payloads
from bot.handlers.router import Dispatcher
from domain.marketplace import bookings, experts
from domain.marketplace.commands import (
    ActOnBooking,
    BecomeExpert,
    SetAvailability,
    VerifyExpert,
)
from domain.marketplace.model import Action
from domain.marketplace.payments import ManualPayments
from tests.adapters.discord_fake import DiscordFake, buttons
from tests.adapters.discord_harness import Member
from tests.adapters.discord_harness import running as discord_running
from tests.adapters.harness import Person, user_of
from tests.adapters.harness import running as telegram_running
from tests.adapters.telegram_emulator import BotApiEmulator
from tests.support import FakeClock, expert_draft, snapshot

WEEKDAYS = "mon-fri 09:00-17:00"
TERMS = (
    "Terms: free cancellation until 2 hours before · no rescheduling · "
    "🎁 trial lesson 30 min 9.00 EUR (first booking)"
)


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(datetime(2026, 3, 2, 6, 0, tzinfo=UTC))  # Monday 07:00 in Berlin


@pytest.fixture
def dispatcher(engine: AsyncEngine, clock: FakeClock) -> Dispatcher:
    return bootstrap(engine, clock=clock)


async def make_expert(dispatcher: Dispatcher, user_id: UUID, subject: str) -> UUID:
    """``user_id`` becomes a verified expert, Ida Expert (Berlin, 20-40 EUR/h, weekdays)."""
    ctx = dispatcher.ctx
    draft = expert_draft("Ida Expert", subject)
    expert = await experts.become_expert(
        BecomeExpert(user_id, draft), ctx.uow(), ctx.clock, ctx.policy
    )
    await experts.verify_expert(
        VerifyExpert(None, expert.id, True), ctx.uow(), ctx.clock, ctx.policy
    )
    await experts.set_availability(SetAvailability(user_id, WEEKDAYS), ctx.uow())
    return expert.id


async def confirm_all(dispatcher: Dispatcher, engine: AsyncEngine, expert_user: UUID) -> UUID:
    """The expert confirms their one request; its id."""
    async with engine.connect() as conn:
        booking_id = await conn.scalar(
            text(
                "SELECT b.id FROM bookings b JOIN experts e ON e.id = b.expert_id "
                "WHERE e.user_id = :u"
            ),
            {"u": expert_user},
        )
    ctx = dispatcher.ctx
    confirm = ActOnBooking(expert_user, booking_id, Action.CONFIRM)
    await bookings.act(confirm, ctx.uow(), ctx.clock, ctx.policy, ManualPayments())
    return booking_id


async def forged_press(member: Member, custom_id: str, message: dict[str, Any]) -> str:
    """Press a button with ``custom_id`` that the bot never showed, as if under ``message``."""
    [first, *_] = buttons(message)
    forged = {
        **message,
        "components": [{"type": 1, "components": [{**first, "custom_id": custom_id}]}],
    }
    return await member.press_custom_id(custom_id, forged)


async def test_on_telegram_an_expert_sets_terms_and_a_learner_books_a_trial_and_cannot_move_it(
    api: BotApiEmulator, dispatcher: Dispatcher, engine: AsyncEngine
) -> None:
    subject = f"Cello{uuid.uuid4().hex[:6]}"
    async with telegram_running(api, dispatcher) as adapter:
        ida = Person(api, adapter, "Ida")
        await ida.say("/start")
        ida_id = await user_of(engine, "telegram", str(ida.user.id))
        expert_id = await make_expert(dispatcher, ida_id, subject)
        assert "🎁 trial lesson 30 min 9.00 EUR" in await ida.say("/expert trial 9")
        assert "no rescheduling" in await ida.say("/expert reschedules 0")
        before = await snapshot(engine)
        refused = await ida.say("/expert cancel 1h")
        assert "2 hours to 72 hours before the start" in refused
        assert await snapshot(engine) == before
        assert "until 2 hours before" in await ida.say("/expert cancel 2")

        ada = Person(api, adapter, "Ada")
        await ada.say("/timezone Europe/Berlin")
        assert TERMS in await ada.say(f"/experts {subject}")
        assert TERMS in await ada.press("Ida Expert")
        ada_id = await user_of(engine, "telegram", str(ada.user.id))
        # A forged policy button naming Ida's profile, pressed by Ada: nothing changes.
        before = await snapshot(engine)
        forged = payloads.encode(ada_id, "xp", expert_id.hex, "trial", "off")
        assert "Only the expert sets their own terms" in await ada.press_data(forged)
        assert await snapshot(engine) == before

        await ada.press("📅 Book")
        assert ada.buttons()[0] == "🎁 Trial lesson, 30 min, 9.00 EUR"
        await ada.press("🎁 Trial lesson, 30 min, 9.00 EUR")
        await ada.press(ada.buttons()[0])  # the first free day
        quote = await ada.press(ada.buttons()[0])  # its first time
        assert "Book a 30 min trial lesson with Ida Expert" in quote and "9.00 EUR" in quote
        assert "(2 hours before the start)" in quote and "No rescheduling." in quote
        assert "📨 Requested!" in await ada.press("✅ Confirm")

        booking_id = await confirm_all(dispatcher, engine, ida_id)
        await ada.say("/bookings")
        card = await ada.press(ada.buttons()[0])
        assert "🎁 Trial lesson · Free cancellation until" in card and "no rescheduling" in card
        assert "🗓 Reschedule" not in ada.buttons() and "Cancel booking" in ada.buttons()
        before = await snapshot(engine)
        move = payloads.encode(ada_id, "bx", booking_id.hex, "rs")
        assert "can't be moved" in await ada.press_data(move)
        assert await snapshot(engine) == before


async def test_on_discord_an_expert_sets_terms_and_a_learner_books_a_trial_and_cannot_move_it(
    fake: DiscordFake, dispatcher: Dispatcher, engine: AsyncEngine
) -> None:
    subject = f"Viola{uuid.uuid4().hex[:6]}"
    async with discord_running(fake, dispatcher) as adapter:
        ida = Member(fake, adapter, "Ida")
        await ida.slash("start")
        ida_id = await user_of(engine, "discord", ida.user["id"])
        expert_id = await make_expert(dispatcher, ida_id, subject)
        assert "🎁 trial lesson 30 min 9.00 EUR" in await ida.slash("expert", "trial 9")
        assert "no rescheduling" in await ida.slash("expert", "reschedules 0")
        assert "until 2 hours before" in await ida.slash("expert", "cancel 2h")
        before = await snapshot(engine)
        assert "at most your top rate" in await ida.slash("expert", "trial 41")
        assert await snapshot(engine) == before
        assert ida.buttons() == ["🚫 No trial lessons"]  # under the last saved terms

        ada = Member(fake, adapter, "Ada", guild=True)  # she searches from a server channel
        await ada.slash("timezone", "Europe/Berlin")
        assert TERMS in await ada.slash("experts", subject)
        assert TERMS in await ada.press("Ida Expert")
        card = ada.keyboard_message()
        ada_id = await user_of(engine, "discord", ada.user["id"])
        before = await snapshot(engine)
        forged = payloads.encode(ada_id, "xp", expert_id.hex, "trial", "off")
        refused = await forged_press(ada, CUSTOM_ID_PREFIX + forged, card)
        assert "Only the expert sets their own terms" in refused
        assert await snapshot(engine) == before

        await ada.press("📅 Book", card)
        assert ada.buttons()[0] == "🎁 Trial lesson, 30 min, 9.00 EUR"
        await ada.press("🎁 Trial lesson, 30 min, 9.00 EUR")
        await ada.choose(ada.options()[0])  # the first free day, from the menu
        quote = await ada.choose(ada.options()[0])  # its first time
        assert "Book a 30 min trial lesson with Ida Expert" in quote and "9.00 EUR" in quote
        assert "No rescheduling." in quote
        assert "Requested!" in await ada.press("✅ Confirm")

        booking_id = await confirm_all(dispatcher, engine, ida_id)
        await ada.slash("bookings")
        shown = await ada.press(ada.buttons()[0])
        assert "🎁 Trial lesson · Free cancellation until" in shown and "no rescheduling" in shown
        assert "🗓 Reschedule" not in ada.buttons()
        before = await snapshot(engine)
        move = CUSTOM_ID_PREFIX + payloads.encode(ada_id, "bx", booking_id.hex, "rs")
        assert "can't be moved" in await forged_press(ada, move, ada.keyboard_message())
        assert await snapshot(engine) == before
