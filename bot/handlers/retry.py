"""Running a use case again when the database rolled it back for a transient reason."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import TypeVar

from tenacity import (
    AsyncRetrying,
    before_sleep_log,
    retry_if_exception_type,
    stop_after_attempt,
    wait_random_exponential,
)

from domain.shared.errors import TransientConflict

logger = logging.getLogger(__name__)

T = TypeVar("T")

ATTEMPTS = 5
BACKOFF = 0.005  # seconds, the first pause's scale; doubled each time, at random below it


async def retry_transient(
    run: Callable[[], Awaitable[T]], *, attempts: int = ATTEMPTS, backoff: float = BACKOFF
) -> T:
    """``await run()``, again while it raises ``TransientConflict``: at once the first time
    (the rival PostgreSQL let through is already on its way), then after short random pauses.

    ``run`` must be safe to repeat: a use case is one transaction, and a transaction that
    raised ``TransientConflict`` was rolled back. The last attempt's error propagates.
    """
    try:  # the first run needs none of tenacity's machinery (about 20 µs a message)
        return await run()
    except TransientConflict as error:
        logger.info("%s; running it again", error.__cause__ or error)
        if attempts <= 1:
            raise
    retrying = AsyncRetrying(
        retry=retry_if_exception_type(TransientConflict),
        stop=stop_after_attempt(attempts - 1),
        wait=wait_random_exponential(multiplier=backoff, max=backoff * 2**attempts),
        before_sleep=before_sleep_log(logger, logging.INFO),
        reraise=True,
    )

    async def attempt() -> T:  # a coroutine function: tenacity awaits only those
        return await run()

    return await retrying(attempt)
