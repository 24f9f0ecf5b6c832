"""Running a use case again when the database rolled it back for a transient reason."""

from __future__ import annotations

import asyncio
import logging
import random
from collections.abc import Awaitable, Callable
from typing import TypeVar

from domain.shared.errors import TransientConflict

logger = logging.getLogger(__name__)

T = TypeVar("T")

ATTEMPTS = 5
BACKOFF = 0.005  # seconds before the second attempt; doubled each time, jittered ±50%


async def retry_transient(
    run: Callable[[], Awaitable[T]], *, attempts: int = ATTEMPTS, backoff: float = BACKOFF
) -> T:
    """``await run()``, again after a short jittered pause while it raises ``TransientConflict``.

    ``run`` must be safe to repeat: a use case is one transaction, and a transaction that
    raised ``TransientConflict`` was rolled back. The last attempt's error propagates.
    """
    for attempt in range(1, attempts):
        try:
            return await run()
        except TransientConflict as error:
            pause = backoff * 2 ** (attempt - 1) * random.uniform(0.5, 1.5)
            logger.info(
                "transient conflict (%s), attempt %d: again in %.3fs",
                error.__cause__,
                attempt,
                pause,
            )
            await asyncio.sleep(pause)
    return await run()
