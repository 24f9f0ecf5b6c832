"""Fixtures for the adapter tests: the Bot API emulator and the fake Discord API (the
dispatcher: tests/conftest.py)."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from tests.adapters.discord_fake import DiscordFake
from tests.adapters.discord_harness import fake_discord
from tests.adapters.telegram_emulator import BotApiEmulator


@pytest.fixture
async def api() -> AsyncIterator[BotApiEmulator]:
    async with BotApiEmulator() as emulator:
        yield emulator


@pytest.fixture
async def fake() -> AsyncIterator[DiscordFake]:
    async with fake_discord() as api:  # discord.py's Route.BASE restored after, for in-process
        yield api
