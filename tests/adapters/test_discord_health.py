"""What /readyz and /metrics read of the Discord adapter: connected once logged in, not once
stopped (on the gateway: READY seen and the socket open, which needs the fake gateway)."""

from __future__ import annotations

from bot.handlers.router import Dispatcher
from tests.adapters.discord_harness import fake_discord, running


async def test_discord_is_connected_while_logged_in_and_not_after_it_stopped(
    dispatcher: Dispatcher,
) -> None:
    async with fake_discord() as fake:
        async with running(fake, dispatcher) as adapter:  # no gateway in this harness
            assert adapter.connected
        assert not adapter.connected
