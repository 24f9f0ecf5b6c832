"""Fixtures for the adapter tests: the Bot API emulator (the dispatcher: tests/conftest.py)."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from tests.adapters.telegram_emulator import BotApiEmulator


@pytest.fixture
async def api() -> AsyncIterator[BotApiEmulator]:
    async with BotApiEmulator() as emulator:
        yield emulator
