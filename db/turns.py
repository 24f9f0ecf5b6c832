"""Turns across processes: one person's updates handled one at a time and in arrival order,
whichever process received them (``domain.accounts.ports.Turns``).

A turn is a session-level advisory lock on the person's key (``hashtextextended`` of
``<stream>:<sender>``), taken with ``pg_try_advisory_lock`` on one connection of this process's
own (never one of the pool's, so a turn never waits for a connection the handling needs), and
held only while the update is handled and answered. A session-level lock dies with its
connection, so a process that crashes or loses the database lets go of every turn it held.

Order: holding the lock, the process also checks that no earlier update of the same person,
claimed on arrival (``processed_updates.waiting_sender``) and not stale, still waits; if one
does, it lets go and tries again shortly, so the earlier one (in whichever process) goes
first. Leaving the turn clears the update's ``waiting_sender`` and unlocks, in one statement.

Through PgBouncer in transaction pooling a session-level lock is meaningless: give this its
own direct URL (``SYLLABOT_LISTEN_URL``, which the search cache uses for the same reason).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import datetime
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

logger = logging.getLogger(__name__)

# NULL: another process holds the person's turn; true: ours; false: ours, but an earlier
# update of theirs is waiting (unlock and try again). CASE evaluates the lock first.
_TAKE = text(
    """SELECT CASE WHEN pg_try_advisory_lock(hashtextextended(:key, 0)) THEN
                  NOT EXISTS (SELECT 1 FROM processed_updates
                               WHERE platform = :stream AND waiting_sender = :sender
                                 AND update_id < :update_id AND received_at >= :stale_before)
              END"""
)
_UNLOCK = text("SELECT pg_advisory_unlock(hashtextextended(:key, 0))")
# A data-modifying CTE runs whether or not it is read: handled, then unlocked, in one trip.
_DONE = text(
    """WITH handled AS (
           UPDATE processed_updates SET waiting_sender = NULL
            WHERE platform = :stream AND update_id = :update_id AND waiting_sender IS NOT NULL
       )
       SELECT pg_advisory_unlock(hashtextextended(:key, 0))"""
)

FIRST_RETRY = 0.003  # seconds before trying a busy turn again, doubling up to LAST_RETRY
LAST_RETRY = 0.05


class PgTurns:
    """Turns over ``engine`` (one connection, opened at the first turn and never returned to
    a pool: :meth:`close` ends its session; give it an engine of its own, ``pool_size=1``).
    Every statement of every turn goes over that one connection, one at a time: a few hundred
    microseconds each, two per update."""

    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine
        self._conn: AsyncConnection | None = None
        self._lock = asyncio.Lock()

    async def close(self) -> None:
        async with self._lock:
            await self._drop()

    async def _drop(self) -> None:
        if self._conn is not None:
            conn, self._conn = self._conn, None
            try:  # invalidated, not returned to a pool: the session ends, its locks with it
                await conn.invalidate()
                await conn.close()
            except Exception:  # already broken: its locks died with it
                logger.debug("closing the turns connection failed", exc_info=True)

    async def _scalar(self, statement: Any, params: dict[str, Any]) -> Any:
        async with self._lock:
            try:
                if self._conn is None:
                    conn = await self._engine.connect()
                    self._conn = await conn.execution_options(isolation_level="AUTOCOMMIT")
                return await self._conn.scalar(statement, params)
            except Exception:
                await self._drop()  # a broken session has lost its locks: start afresh
                raise

    async def _attempt(self, params: dict[str, Any]) -> bool:
        """One try at the turn, never left half done: cancelled meanwhile, it still finishes,
        and a lock it took is let go again."""

        async def attempt() -> bool:
            state = await self._scalar(_TAKE, params)
            if state is False:  # ours, but an earlier one goes first
                await self._scalar(_UNLOCK, params)
            return bool(state)

        trying = asyncio.ensure_future(attempt())
        try:
            return await asyncio.shield(trying)
        except asyncio.CancelledError:
            if not trying.cancelled() and await trying:
                await self._scalar(_UNLOCK, params)
            raise

    @asynccontextmanager
    async def turn(
        self, stream: str, sender: str, update_id: int, stale_before: datetime
    ) -> AsyncIterator[None]:
        key = f"{stream}:{sender}"
        params = {
            "key": key,
            "stream": stream,
            "sender": sender,
            "update_id": update_id,
            "stale_before": stale_before,
        }
        held = False
        try:
            delay = FIRST_RETRY
            while not (held := await self._attempt(params)):
                await asyncio.sleep(delay)  # only here may a cancellation come in
                delay = min(delay * 2, LAST_RETRY)
        except asyncio.CancelledError:
            raise
        except Exception:  # no database: handling fails on its own and says so
            logger.warning("could not take the turn of %s for update %s", key, update_id)
        try:
            yield
        finally:
            if held:
                try:
                    await asyncio.shield(self._scalar(_DONE, params))
                except Exception:
                    logger.warning("could not end the turn of %s (update %s)", key, update_id)
