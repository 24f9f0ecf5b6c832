"""APScheduler inside our loop: deliver the outbox every few seconds, maintenance daily.

The schedule itself holds no state: what is due lives in PostgreSQL (``notifications``), so a
restart loses nothing and several processes may run this side by side.
"""

from __future__ import annotations

import logging
from datetime import UTC

from apscheduler.schedulers.asyncio import AsyncIOScheduler

from bot.handlers.base import Context
from bot.worker import NotificationWorker
from domain import bookings, learning

logger = logging.getLogger(__name__)


def build_scheduler(
    worker: NotificationWorker, ctx: Context, *, every_seconds: float = 5.0
) -> AsyncIOScheduler:
    """A scheduler (not started) with the delivery and the daily maintenance jobs."""
    scheduler = AsyncIOScheduler(timezone=UTC)
    scheduler.add_job(
        worker.drain,
        "interval",
        seconds=every_seconds,
        id="deliver",
        max_instances=1,
        coalesce=True,
    )
    scheduler.add_job(
        maintenance, "cron", hour=3, minute=17, id="maintenance", args=[ctx], coalesce=True
    )
    return scheduler


async def maintenance(ctx: Context) -> None:
    """Daily: lapse unanswered booking requests; archive curricula finished over 2 years ago."""
    expired = await bookings.expire_pending(ctx.uow(), ctx.clock)
    archived = await learning.archive_finished(ctx.uow(), ctx.clock)
    logger.info("maintenance: %d request(s) lapsed, %d curricula archived", expired, archived)
