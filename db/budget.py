"""The send budget of one bot token, shared by every process sending on it
(``domain.notifications.ports.SendBudget``): a token bucket in ``send_budgets``.

Taking is one statement, ``INSERT ... ON CONFLICT DO UPDATE ... RETURNING``: the row is locked
for the update, refilled by the time elapsed since it was last taken at ``per_second`` (at most
``burst`` tokens), and the cost taken off, all on the database's clock (the machines' clocks
need not agree). Tokens may go below zero: a taker that finds -n tokens has reserved the slot
n / per_second seconds from now and waits that long, so concurrent takers queue in the order
the database served them, with no retry loop and no read-modify-write race. A process that dies
after reserving only leaves its slot unused.
"""

from __future__ import annotations

import hashlib
import logging

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

logger = logging.getLogger(__name__)

_TAKE = text(
    """INSERT INTO send_budgets AS b (name, tokens, refilled_at)
       VALUES (:name, CAST(:burst AS float8) - CAST(:cost AS float8), clock_timestamp())
       ON CONFLICT (name) DO UPDATE SET
           tokens = LEAST(CAST(:burst AS float8), b.tokens + CAST(:per_second AS float8)
                          * EXTRACT(EPOCH FROM clock_timestamp() - b.refilled_at))
                    - CAST(:cost AS float8),
           refilled_at = clock_timestamp()
       RETURNING tokens"""
)


def budget_name(platform: str, token: str) -> str:
    """``<platform>:<hash of the token>``: a row per bot, never the token itself."""
    return f"{platform}:{hashlib.sha256(token.encode()).hexdigest()[:32]}"


class PgSendBudget:
    """``per_second`` sends for every process on ``name``'s token; ``burst`` at once after a
    quiet spell (1: evenly spaced, as Telegram's per-second limit wants)."""

    def __init__(
        self, engine: AsyncEngine, name: str, per_second: float, burst: float = 1.0
    ) -> None:
        if per_second <= 0:
            raise ValueError("per_second must be above 0")
        self.name, self.per_second, self.burst = name, per_second, burst
        self._engine = engine
        self._failing = False

    async def take(self, cost: float = 1.0) -> float:
        params = {
            "name": self.name,
            "cost": cost,
            "burst": self.burst,
            "per_second": self.per_second,
        }
        try:
            async with self._engine.connect() as conn:
                tokens = float(await conn.scalar(_TAKE, params))
                await conn.commit()
        except Exception:  # no database: each process's own pacing still holds
            if not self._failing:
                logger.warning(
                    "send budget %s unavailable; pacing per process", self.name, exc_info=True
                )
            self._failing = True
            return 0.0
        self._failing = False
        return max(0.0, -tokens / self.per_second)
