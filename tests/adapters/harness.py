"""Drive the real Telegram adapter through the emulator, one update at a time, deterministically.

``settle`` is the barrier: an injected update is first *confirmed* (the next ``getUpdates``
offset, or the webhook's 200, comes only after python-telegram-bot queued it), then the
Application's update queue is joined (``task_done`` runs once an update was fully handled,
replies sent). No sleeps, no stopwatch.
"""

from __future__ import annotations

import itertools
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any
from uuid import UUID

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.adapters.telegram import ChatRateLimiter, FloodLimit, TelegramAdapter, Webhook
from bot.handlers.router import Dispatcher
from tests.adapters.telegram_emulator import BotApiEmulator, Call, Chat, TgUser

_USER_IDS = itertools.count(100_001)

REPLIES = ("sendmessage", "editmessagetext", "editmessagereplymarkup", "senddocument")


def relaxed_limiter() -> ChatRateLimiter:
    """Telegram's limits would only slow the journeys down; the rate tests use the real ones."""
    return ChatRateLimiter(per_chat_rate=10_000, per_chat_burst=10_000, overall_max_rate=10_000)


class FrozenTime:
    """A monotonic clock for the flood gate that only moves when told to."""

    def __init__(self) -> None:
        self.now = 1_000.0

    def __call__(self) -> float:
        return self.now


@asynccontextmanager
async def running(
    api: BotApiEmulator,
    dispatcher: Dispatcher,
    *,
    webhook: Webhook | None = None,
    flood: FloodLimit | None = FloodLimit(burst=1_000),
    rate_limiter: ChatRateLimiter | None = None,
    monotonic: Callable[[], float] | None = None,
    typing_after: float = 60.0,  # no "typing" in the call lists unless a test asks for it
) -> AsyncIterator[TelegramAdapter]:
    extra: dict[str, Any] = {"monotonic": monotonic} if monotonic else {}
    adapter = TelegramAdapter(
        dispatcher,
        api.token,
        base_url=api.base_url,
        webhook=webhook,
        poll_timeout=5,
        flood=flood,
        rate_limiter=rate_limiter or relaxed_limiter(),
        typing_after=typing_after,
        **extra,
    )
    async with adapter:
        yield adapter


class Person:
    """One Telegram user talking to the bot, in their private chat unless ``chat`` is given."""

    def __init__(
        self,
        api: BotApiEmulator,
        adapter: TelegramAdapter,
        name: str = "Ada",
        *,
        chat: Chat | None = None,
        user: TgUser | None = None,
    ) -> None:
        self.api, self.adapter = api, adapter
        self.user = user or TgUser(next(_USER_IDS), name, "Lovelace", name.lower())
        self.chat = chat or api.private_chat(self.user)
        self.calls: list[Call] = []  # what the bot did in answer to the last update

    async def settle(self, update_id: int, start: int) -> list[Call]:
        """Wait until ``update_id`` was handled; keep the calls made since call ``start``."""
        await self.api.wait_confirmed(update_id)
        await self.adapter.application.update_queue.join()
        self.calls = self.api.calls[start:]
        return self.calls

    async def say(self, text: str) -> str:
        """Type ``text``; the visible text of every message the bot sent or edited in answer."""
        start = len(self.api.calls)
        await self.settle(await self.api.send_text(self.user, text, self.chat), start)
        return self.texts()

    async def press(self, label: str, message: dict[str, Any] | None = None) -> str:
        """Press the button labelled ``label`` under ``message`` (default: the latest keyboard)."""
        message = message or self.keyboard_message()
        data = next(
            (b["callback_data"] for row in _keyboard(message) for b in row if b["text"] == label),
            None,
        )
        assert data is not None, f"no button {label!r} under {message.get('text', '')[:80]!r}"
        return await self.press_data(data, message)

    async def press_data(self, data: str, message: dict[str, Any] | None = None) -> str:
        message = message or self.keyboard_message()
        start = len(self.api.calls)
        await self.settle(await self.api.press(self.user, message, data), start)
        return self.texts()

    def texts(self) -> str:
        return "\n".join(
            c.result["text"]
            for c in self.calls
            if c.method.lower() in REPLIES and c.status == 200 and "text" in c.result
        )

    def sent(self, method: str = "sendMessage") -> list[Call]:
        return [c for c in self.calls if c.method.lower() == method.lower() and c.status == 200]

    def keyboard_message(self) -> dict[str, Any]:
        """The bot's latest message in this chat that has an inline keyboard."""
        for message in reversed(self.api.bot_messages(self.chat.id)):
            if _keyboard(message):
                return message
        raise AssertionError("the bot has shown no buttons in this chat")

    def buttons(self, message: dict[str, Any] | None = None) -> list[str]:
        return [b["text"] for row in _keyboard(message or self.keyboard_message()) for b in row]

    def last_message(self) -> dict[str, Any]:
        return self.api.bot_messages(self.chat.id)[-1]


def _keyboard(message: dict[str, Any]) -> list[list[dict[str, Any]]]:
    return (message.get("reply_markup") or {}).get("inline_keyboard") or []


async def user_of(engine: AsyncEngine, platform: str, external_id: str) -> UUID:
    """The user id of the person with ``external_id`` on ``platform``."""
    async with engine.connect() as conn:
        return await conn.scalar(
            text(
                "SELECT user_id FROM platform_identities WHERE platform = :p AND external_id = :id"
            ),
            {"p": platform, "id": external_id},
        )
