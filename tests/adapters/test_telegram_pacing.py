"""Reminders reach a rate-limited Telegram at the worker's pace: no 429s, nothing lost or doubled.

The emulator enforces Telegram's flood control here (30 messages in any second, one a second
per chat; beyond that a 429 with ``retry_after``), and the adapter's own rate limiter is
relaxed, so the worker's pacing is all that stands between the batch and the limits.
"""

from __future__ import annotations

import itertools
import uuid
from collections import Counter
from collections.abc import AsyncIterator

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.handlers.router import Dispatcher
from bot.worker import NotificationWorker
from db.uow import SqlAlchemyUnitOfWork
from domain.accounts.model import Identity
from domain.accounts.registration import register
from tests.adapters.harness import running
from tests.adapters.telegram_emulator import BotApiEmulator, TgUser
from tests.support import FakeClock, private_database, queue, statuses

_IDS = itertools.count(3_000_001)


@pytest.fixture(scope="module")
async def engine(server_url: str) -> AsyncIterator[AsyncEngine]:
    """A database of this module's own: the worker claims every due row, so no other test's."""
    async with private_database(server_url) as engine:
        yield engine


@pytest.fixture
async def api() -> AsyncIterator[BotApiEmulator]:
    async with BotApiEmulator(overall_limit=30, chat_limit=1) as emulator:
        yield emulator


async def telegram_users(
    api: BotApiEmulator, engine: AsyncEngine, clock: FakeClock, count: int
) -> dict[int, uuid.UUID]:
    """``count`` people who talk to the bot on Telegram: chat id -> user id."""
    found = {}
    for _ in range(count):
        person = TgUser(next(_IDS), "Learner")
        api.private_chat(person)
        identity = Identity("telegram", str(person.id), str(person.id), person.first_name)
        user, _ = await register(identity, SqlAlchemyUnitOfWork(engine), clock)
        found[person.id] = user.id
    return found


def received(api: BotApiEmulator, chats: list[int]) -> Counter[int]:
    return Counter({chat: len(api.bot_messages(chat)) for chat in chats})


async def test_paced_reminders_reach_a_rate_limited_telegram_without_a_single_429(
    api: BotApiEmulator, dispatcher: Dispatcher, engine: AsyncEngine, clock: FakeClock
) -> None:
    users = await telegram_users(api, engine, clock, 45)
    busy = next(iter(users))
    await queue(engine, list(users.values()), 1, clock)
    await queue(engine, [users[busy]] * 2, 1, clock)  # one person has three at once
    async with running(api, dispatcher) as adapter:
        await NotificationWorker(dispatcher.ctx, {"telegram": adapter}).drain()

    assert api.throttled == 0
    expected = Counter({chat: 1 for chat in users}) + Counter({busy: 2})
    assert received(api, list(users)) == expected
    assert await statuses(engine, list(users.values())) == Counter({"sent": 47})


async def test_an_unpaced_burst_meets_429s_and_every_reminder_still_arrives_once(
    api: BotApiEmulator, dispatcher: Dispatcher, engine: AsyncEngine, clock: FakeClock
) -> None:
    users = await telegram_users(api, engine, clock, 45)
    await queue(engine, list(users.values()), 1, clock)
    async with running(api, dispatcher) as adapter:
        unpaced = NotificationWorker(dispatcher.ctx, {"telegram": adapter}, paces={})
        await unpaced.drain()  # the clock never moves: every 429 was waited out in the batch

    assert api.throttled > 0  # the emulator does enforce the limit
    assert received(api, list(users)) == Counter({chat: 1 for chat in users})
    assert await statuses(engine, list(users.values())) == Counter({"sent": 45})
    refused = [c for c in api.calls if c.method == "sendMessage" and c.status == 429]
    assert len(refused) == api.throttled  # python-telegram-bot did not retry behind our back
