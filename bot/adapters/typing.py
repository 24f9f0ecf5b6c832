"""Showing "typing…" while an answer is slow (a language model planning, say), so a person
never waits in silence: the same rule for every platform, each saying how it shows typing."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Awaitable, Callable

logger = logging.getLogger(__name__)


@contextlib.asynccontextmanager
async def typing_while_slow(
    show: Callable[[], Awaitable[object]], *, after: float, every: float, where: str
) -> AsyncIterator[None]:
    """While the block runs longer than ``after`` seconds, ``show()`` typing every ``every``
    seconds (a platform shows it for a few seconds each time). A failure to show it is logged
    once and the block goes on; nothing is shown for a quick answer."""

    async def keep_typing() -> None:
        await asyncio.sleep(after)
        while True:
            try:
                await show()
            except Exception as error:  # the platform said no: the answer matters, not this
                logger.info("could not show typing in %s: %s", where, error)
                return
            await asyncio.sleep(every)

    task = asyncio.create_task(keep_typing())
    try:
        yield
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
