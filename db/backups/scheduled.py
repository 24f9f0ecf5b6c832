"""The scheduler's backup jobs: the daily backup-then-verify (once across all processes),
retention after a verified backup, the weekly base backup (point-in-time recovery), and the
admins' alerts through the notification outbox."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncEngine

from db.backups import BackupConfig, BackupError, archive, basebackup, mirror, runs
from db.backups.dump import backup, tools_for
from db.backups.manifest import listed, manifest_path, taken_at
from db.backups.retention import to_delete
from db.backups.verify import verify
from db.uow import SqlAlchemyUnitOfWork
from domain.notifications.model import NotificationKind, Planned

logger = logging.getLogger(__name__)

STALE_AFTER = timedelta(hours=26)  # a daily backup missed once, with slack


@dataclass(frozen=True)
class DailyOutcome:
    ran: bool  # False: another process had already claimed today's backup
    backup: str | None = None
    verified: bool = False
    problem: str | None = None
    deleted: tuple[str, ...] = ()


async def apply_retention(engine: AsyncEngine, config: BackupConfig) -> list[str]:
    """Delete the backups (and their mirror copies) the retention rule lets go; never the
    newest, never the newest verified one. Returns their names."""
    newest = await runs.newest_verified(engine)
    found = [(m.name, m.created_at) for m in listed(config.directory)]
    doomed = sorted(to_delete(found, config.keep, protected=newest.backup if newest else None))
    for name in doomed:
        (config.directory / name).unlink(missing_ok=True)
        manifest_path(config.directory / name).unlink(missing_ok=True)
        if config.mirror is not None:
            mirror.remove(config.mirror, name)
    if doomed:
        logger.info("retention deleted %d backup(s): %s", len(doomed), ", ".join(doomed))
    return doomed


async def alert_admins(
    engine: AsyncEngine, admins: frozenset[tuple[str, str]], problem: str, now: datetime, key: str
) -> int:
    """Queue a backup alert for each admin (once per ``key``); returns how many were queued."""
    logger.warning("backup alert: %s", problem)
    async with SqlAlchemyUnitOfWork(engine) as uow:
        planned = [
            Planned(
                admin,
                NotificationKind.BACKUP_ALERT,
                {"problem": problem},
                now,
                None,
                f"backup:{key}:{admin}",
            )
            for admin in sorted(await uow.users.ids_for_identities(admins))
        ]
        queued = await uow.notifications.plan(planned)
        await uow.commit()
    return queued


async def daily(
    engine: AsyncEngine,
    url: str,
    config: BackupConfig,
    admins: frozenset[tuple[str, str]],
    now: datetime,
) -> DailyOutcome:
    """Today's backup, then its verification, then retention; run by the one process whose
    claim on today is written first. A failure is recorded and told to the admins, and then
    nothing is deleted."""
    day = now.date().isoformat()
    run_id = await runs.start(engine, "backup", "(starting)", claim=f"daily:{day}")
    if run_id is None:
        return DailyOutcome(ran=False)
    try:
        made = await backup(url, config)
    except Exception as error:
        problem = (
            str(error) if isinstance(error, BackupError) else f"{type(error).__name__}: {error}"
        )
        await runs.finish(engine, run_id, runs.FAILED, detail=problem)
        await alert_admins(engine, admins, f"the backup failed: {problem}", now, f"failed:{day}")
        return DailyOutcome(ran=True, problem=problem)
    await runs.finish(
        engine, run_id, runs.OK, backup=made.name, size_bytes=made.size_bytes, seconds=made.seconds
    )
    return await after_backup(engine, url, config, made.name, admins, now)


async def after_backup(
    engine: AsyncEngine,
    url: str,
    config: BackupConfig,
    name: str,
    admins: frozenset[tuple[str, str]],
    now: datetime,
) -> DailyOutcome:
    """Verify backup ``name``; if it holds, apply retention (and, with point-in-time
    recovery, copy the archived log to the mirror), else tell the admins."""
    result = await verify(url, config, name)
    if not result.ok:
        problem = "; ".join(result.problems)
        await alert_admins(
            engine,
            admins,
            f"the backup {name} failed verification: {problem}",
            now,
            f"verify:{name}",
        )
        return DailyOutcome(ran=True, backup=name, problem=problem)
    deleted = tuple(await apply_retention(engine, config))
    if config.pitr:  # the mirror's copy of the archived log, at most a day behind
        try:
            archive.mirror_wal(config)
        except BackupError as error:
            key = f"wal-mirror:{now.date().isoformat()}"
            await alert_admins(engine, admins, str(error), now, key)
            return DailyOutcome(ran=True, backup=name, verified=True, problem=str(error))
    return DailyOutcome(ran=True, backup=name, verified=True, deleted=deleted)


async def watch(
    engine: AsyncEngine, admins: frozenset[tuple[str, str]], now: datetime
) -> str | None:
    """Tell the admins (once a day) when the newest verified backup is older than 26 hours,
    or none was verified although backups started that long ago; returns the problem."""
    newest = await runs.newest_verified(engine)
    if newest is not None:
        age = now - taken_at(newest.backup)
        if age <= STALE_AFTER:
            return None
        hours = int(age.total_seconds() // 3600)
        problem = f"the newest verified backup, {newest.backup}, is {hours} hours old"
    else:
        first = await runs.first_started(engine)
        if first is None or now - first <= STALE_AFTER:
            return None
        problem = "no backup has been verified yet"
    await alert_admins(engine, admins, problem, now, f"stale:{now.date().isoformat()}")
    return problem


async def weekly(
    engine: AsyncEngine,
    url: str,
    config: BackupConfig,
    admins: frozenset[tuple[str, str]],
    now: datetime,
) -> tuple[basebackup.BaseBackup | None, str | None]:
    """This ISO week's base backup, by the one process whose claim on the week is written
    first, then its second copy and retention (``archive.after_base_backup``): (the backup,
    None), (None, the problem: the admins are told), or (None, None) when another process has
    the week."""
    year, week, _ = now.isocalendar()
    key = f"base:{year}-W{week:02}"
    run_id = await runs.start(engine, "basebackup", "(starting)", claim=key)
    if run_id is None:
        return None, None
    try:
        tools = await tools_for(url, config)
        made = await basebackup.take(url, config, tools)
        for line in await archive.after_base_backup(config, made, tools):
            logger.info("%s", line)
    except Exception as error:
        problem = str(error) if isinstance(error, BackupError) else f"{type(error).__name__}"
        await runs.finish(engine, run_id, runs.FAILED, detail=problem)
        await alert_admins(engine, admins, f"the weekly base backup failed: {problem}", now, key)
        return None, problem
    await runs.finish(
        engine,
        run_id,
        runs.OK,
        backup=f"{basebackup.BASE}/{made.name}",
        size_bytes=made.size_bytes,
        seconds=made.seconds,
    )
    return made, None
