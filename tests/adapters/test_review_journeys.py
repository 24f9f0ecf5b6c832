"""Spaced-repetition review through the real adapters: /card, /review, Show answer, Good on
Telegram (the Bot API emulator) and on Discord (the fake REST API, real gateway payloads)."""

from __future__ import annotations

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.handlers.router import Dispatcher
from tests.adapters.discord_fake import DiscordFake
from tests.adapters.discord_harness import Member
from tests.adapters.discord_harness import running as running_discord
from tests.adapters.harness import Person, running
from tests.adapters.telegram_emulator import BotApiEmulator


async def reviews(engine: AsyncEngine, platform: str, external_id: str) -> list[tuple[int, int]]:
    """(rating, the card's reps after it) of the person's review log."""
    async with engine.connect() as conn:
        rows = await conn.execute(
            text(
                """SELECT l.rating, c.reps FROM review_logs l
                     JOIN review_cards c ON c.id = l.card_id
                     JOIN platform_identities i ON i.user_id = l.user_id
                    WHERE i.platform = :p AND i.external_id = :id"""
            ),
            {"p": platform, "id": external_id},
        )
        return [(row[0], row[1]) for row in rows]


async def test_card_review_show_answer_and_good_on_telegram(
    api: BotApiEmulator, dispatcher: Dispatcher, engine: AsyncEngine
) -> None:
    async with running(api, dispatcher) as adapter:
        ada = Person(api, adapter, "Ada")
        assert "Card added: “hola”" in await ada.say("/card hola | hello")
        front = await ada.say("/review")
        assert "🃏 hola" in front and "hello" not in front
        card = ada.keyboard_message()
        assert ada.buttons() == ["Show answer"]
        assert "hello" in await ada.press("Show answer")
        assert ada.buttons() == ["Again", "Hard", "Good", "Easy"]
        after = await ada.press("Good")
        assert "✓ Good: back in 10 minutes." in after and "🃏 hola" in after
        # the card's one message was edited each time, never sent again
        edits = api.calls_to("editMessageText", ada.chat.id)
        assert [c.params["message_id"] for c in edits[-2:]] == [str(card["message_id"])] * 2
        assert ada.buttons() == ["Show answer"]
    assert await reviews(engine, "telegram", str(ada.user.id)) == [(3, 1)]
    assert all(q["answered_at"] is not None for q in api.queries.values())
    assert not [c for c in api.calls if c.status != 200 and c.method != "getUpdates"]


async def test_card_review_show_answer_and_good_on_discord(
    fake: DiscordFake, dispatcher: Dispatcher, engine: AsyncEngine
) -> None:
    async with running_discord(fake, dispatcher) as adapter:
        bea = Member(fake, adapter, "Bea")
        assert "Card added: “gracias”" in await bea.slash("card", "gracias | thank you")
        front = await bea.slash("review")
        assert "🃏 gracias" in front and "thank you" not in front
        card = bea.keyboard_message()
        assert bea.buttons() == ["Show answer"]
        assert "thank you" in await bea.press("Show answer")
        assert bea.buttons() == ["Again", "Hard", "Good", "Easy"]
        after = await bea.press("Good")
        assert "✓ Good: back in 10 minutes." in after and "🃏 gracias" in after
        assert bea.keyboard_message()["id"] == card["id"]  # edited in place
        assert "🃏 gracias" in fake.messages[card["id"]]["content"]
    assert await reviews(engine, "discord", bea.user["id"]) == [(3, 1)]
