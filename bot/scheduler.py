"""APScheduler inside our loop: deliver the outbox every few seconds, maintenance daily
(and at start-up), and, for ``syllabot run``/``worker``, the daily backup with its
verification, an hourly look at how old the newest verified backup is and, with
SYLLABOT_PITR=true, a weekly base backup (claimed by ISO week, as the daily one by date).

The schedule itself holds no state: what is due lives in PostgreSQL (``notifications``), so a
restart loses nothing and several processes may run this side by side: each job is safe to
run in every process (SKIP LOCKED claims, dedupe keys), and the daily backup is claimed by
date in ``backup_runs`` (a unique key, as reminders are planned once by ``dedupe_key``), so of
several processes exactly one runs it.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime, time
from typing import TypeVar

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.handlers.base import Context
from bot.worker import NotificationWorker
from db.backups import BackupConfig
from db.backups.scheduled import daily, watch, weekly
from domain.accounts.retention import clean_up
from domain.learning.curricula import archive_finished
from domain.marketplace import bookings, disputes, waitlist
from domain.notifications.services import ensure_planned

logger = logging.getLogger(__name__)

T = TypeVar("T")


@dataclass(frozen=True)
class Backups:
    """The daily backup: of the database behind ``engine``, at ``at`` (UTC)."""

    engine: AsyncEngine
    config: BackupConfig
    at: time = time(3, 30)


class Scheduler:
    """APScheduler (not started) with our two jobs: delivery every ``every_seconds``, and
    maintenance daily and, unless ``maintenance_at_start`` is off, once at start-up; with a
    stop that lets a running job finish first (so the database is not closed under it)."""

    def __init__(
        self,
        worker: NotificationWorker,
        ctx: Context,
        *,
        every_seconds: float = 5.0,
        maintenance_at_start: bool = True,
        backups: Backups | None = None,
    ) -> None:
        self.aps = AsyncIOScheduler(timezone=UTC)
        self._running: set[asyncio.Task[object]] = set()
        self._worker, self._draining = worker, False
        self.aps.add_job(
            self._tracked(self._deliver),
            "interval",
            seconds=every_seconds,
            id="deliver",
            max_instances=2,  # the second returns at once: see _deliver
            coalesce=True,
        )
        self.aps.add_job(  # requests lapse at their hour, not at the next maintenance
            self._tracked(lapse),
            "interval",
            minutes=5,
            id="lapse",
            args=[ctx],
            coalesce=True,
        )
        self.aps.add_job(
            self._tracked(maintenance),
            "cron",
            hour=3,
            minute=17,
            id="maintenance",
            args=[ctx],
            coalesce=True,
            **({"next_run_time": datetime.now(UTC)} if maintenance_at_start else {}),
        )
        if backups is not None:
            self.aps.add_job(
                self._tracked(backup_daily),
                "cron",
                hour=backups.at.hour,
                minute=backups.at.minute,
                id="backup",
                args=[ctx, backups],
                coalesce=True,
            )
            if backups.config.pitr:  # point-in-time recovery: a base backup every Sunday
                self.aps.add_job(
                    self._tracked(backup_weekly),
                    "cron",
                    day_of_week="sun",
                    hour=backups.at.hour,
                    minute=backups.at.minute,
                    id="basebackup",
                    args=[ctx, backups],
                    coalesce=True,
                )
            self.aps.add_job(
                self._tracked(backup_watch),
                "interval",
                hours=1,
                id="backup_watch",
                args=[ctx, backups],
                coalesce=True,
            )

    async def _deliver(self) -> int:
        """Drain the outbox, unless a drain is still running (a long one, at a platform's
        pace: it takes what becomes due meanwhile too)."""
        if self._draining:
            return 0
        self._draining = True
        try:
            return await self._worker.drain()
        finally:
            self._draining = False

    def _tracked(self, job: Callable[..., Awaitable[T]]) -> Callable[..., Awaitable[T]]:
        async def run(*args: object) -> T:
            task = asyncio.current_task()
            assert task is not None
            self._running.add(task)
            try:
                return await job(*args)
            except asyncio.CancelledError:  # by stop(), after its grace: not an error
                logger.info("%s was stopped at shut-down", getattr(job, "__name__", job))
                return None  # type: ignore[return-value]
            finally:
                self._running.discard(task)

        return run

    def start(self) -> None:
        self.aps.start()

    async def stop(self, grace: float = 10.0) -> None:
        """Start no more jobs; give running ones ``grace`` seconds, then cancel them (their
        claimed notifications go back to the queue when the lease runs out)."""
        self.aps.pause()  # shutdown() would cancel running jobs at once
        if self._running:
            _, late = await asyncio.wait(set(self._running), timeout=grace)
            for task in late:
                task.cancel()
            await asyncio.gather(*late, return_exceptions=True)
        self.aps.shutdown(wait=False)


async def maintenance(ctx: Context) -> None:
    """Daily: lapse unanswered booking requests, ask experts to mark ended sessions, plan any
    missing daily reminders, archive curricula finished over 2 years ago, then the retention
    jobs (``domain.accounts.retention.clean_up``): warn and delete inactive accounts, move old
    session data to the archive tables, prune old notifications and update claims."""
    expired = await bookings.expire_pending(ctx.uow(), ctx.clock)
    prompted = await bookings.prompt_to_mark(ctx.uow(), ctx.clock)
    planned = await ensure_planned(ctx.uow(), ctx.clock)
    archived = await archive_finished(ctx.uow(), ctx.clock)
    logger.info(
        "maintenance: %d request(s) lapsed, %d session(s) to mark, %d reminder(s) planned, "
        "%d curricula archived",
        expired,
        prompted,
        planned,
        archived,
    )
    await clean_up(ctx.uow, ctx.clock, ctx.retention, ctx.payments)  # it logs what it did
    await waitlist.purge(ctx.uow(), ctx.clock)  # waits for days that have passed


async def lapse(ctx: Context) -> None:
    """Every few minutes: lapse the requests nobody answered in time (the learner hears of it
    with other times and similar experts; the day's waitlist of a time freed), and ask the
    learners of sessions that just ended whether they happened (each once)."""
    expired = await bookings.expire_pending(ctx.uow(), ctx.clock)
    if expired:
        logger.info("%d request(s) lapsed", expired)
    asked = await disputes.ask_happened(ctx.uow(), ctx.clock, ctx.policy)
    if asked:
        logger.info("%d learner(s) asked whether their session happened", asked)


async def backup_daily(ctx: Context, backups: Backups) -> None:
    """Daily: back up, verify, apply retention (one process of all; the admins hear of a
    failure)."""
    url = backups.engine.url.render_as_string(hide_password=False)
    done = await daily(backups.engine, url, backups.config, ctx.policy.admins, ctx.clock.now())
    if not done.ran:
        logger.info("backup: another process has today's backup")
    elif done.problem is None:
        logger.info("backup %s verified; retention deleted %d", done.backup, len(done.deleted))


async def backup_weekly(ctx: Context, backups: Backups) -> None:
    """Weekly (SYLLABOT_PITR=true): a base backup, verified (one process of all; the admins
    hear of a failure)."""
    url = backups.engine.url.render_as_string(hide_password=False)
    made, problem = await weekly(
        backups.engine, url, backups.config, ctx.policy.admins, ctx.clock.now()
    )
    if made is not None:
        logger.info("base backup %s verified (%d bytes)", made.name, made.size_bytes)
    elif problem is None:
        logger.info("base backup: another process has this week's")


async def backup_watch(ctx: Context, backups: Backups) -> None:
    """Hourly: tell the admins (once a day) if the newest verified backup is over 26 hours old."""
    await watch(backups.engine, ctx.policy.admins, ctx.clock.now())
