"""Fixtures for the adapter tests: the Bot API emulator and a dispatcher on the test database."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.bootstrap import bootstrap
from bot.handlers.router import Dispatcher
from tests.adapters.telegram_emulator import BotApiEmulator
from tests.support import FakeClock


@pytest.fixture
async def api() -> AsyncIterator[BotApiEmulator]:
    async with BotApiEmulator() as emulator:
        yield emulator


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def dispatcher(engine: AsyncEngine, clock: FakeClock) -> Dispatcher:
    return bootstrap(engine, clock=clock)
