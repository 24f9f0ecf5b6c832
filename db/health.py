"""What ``/readyz`` and ``/metrics`` ask the database: is it there, and how far behind is the
outbox. Both are one cheap statement (the outbox's through its partial index of pending rows)."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select, text
from sqlalchemy.ext.asyncio import AsyncEngine

from db.models import NotificationRow


@dataclass(frozen=True)
class Outbox:
    """Due notifications not sent yet (``backlog``), and how long the oldest has waited."""

    backlog: int
    oldest_due_seconds: float


async def ping(engine: AsyncEngine, seconds: float) -> None:
    """``SELECT 1`` within ``seconds`` (the wait for a pooled connection included).

    Raises:
        TimeoutError: no answer in time. Any error of the driver or the pool, as raised.
    """
    async with asyncio.timeout(seconds):
        async with engine.connect() as conn:
            await conn.execute(text("SELECT 1"))


async def outbox(engine: AsyncEngine, now: datetime, seconds: float) -> Outbox:
    """The outbox's lag at ``now``: pending notifications due by then (claimed ones too: they
    are not sent yet), and the age of the oldest."""
    statement = select(func.count(), func.min(NotificationRow.due_at)).where(
        NotificationRow.status == "pending", NotificationRow.due_at <= now
    )
    async with asyncio.timeout(seconds):
        async with engine.connect() as conn:
            count, oldest = (await conn.execute(statement)).one()
    age = max((now - oldest).total_seconds(), 0.0) if oldest is not None else 0.0
    return Outbox(backlog=int(count), oldest_due_seconds=age)
