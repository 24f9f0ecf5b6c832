"""The record of backup runs (``backup_runs``): one row per backup or verification."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

from sqlalchemy import func, select, text, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncEngine

from db.models import BackupRunRow

OK, FAILED, RUNNING = "ok", "failed", "running"

# A database not yet migrated to 0007 can be backed up (before an upgrade, say); it just has no
# record of runs, so these read as "none" and a verification there goes unrecorded.
_EXISTS = text("SELECT to_regclass('public.backup_runs') IS NOT NULL")


@dataclass(frozen=True)
class Run:
    kind: str
    backup: str
    outcome: str
    detail: str | None
    started_at: datetime
    finished_at: datetime | None


async def start(
    engine: AsyncEngine, kind: str, backup: str, *, claim: str | None = None
) -> UUID | None:
    """Record a run as started; with ``claim``, only if no run claimed it before (of several
    processes, the one whose row is written runs it): None when it was taken."""
    statement = (
        insert(BackupRunRow)
        .values(kind=kind, backup=backup, claim=claim)
        .on_conflict_do_nothing(index_elements=[BackupRunRow.claim])
    )
    async with engine.begin() as conn:
        if not await conn.scalar(_EXISTS):
            return None
        return await conn.scalar(statement.returning(BackupRunRow.id))


async def finish(
    engine: AsyncEngine,
    run_id: UUID,
    outcome: str,
    *,
    backup: str | None = None,
    detail: str | None = None,
    size_bytes: int | None = None,
    seconds: float | None = None,
) -> None:
    values: dict[str, object] = {
        "outcome": outcome,
        "detail": detail,
        "size_bytes": size_bytes,
        "seconds": seconds,
        "finished_at": func.now(),
    }
    if backup is not None:
        values["backup"] = backup
    async with engine.begin() as conn:
        await conn.execute(update(BackupRunRow).where(BackupRunRow.id == run_id).values(values))


async def latest_verifications(engine: AsyncEngine) -> dict[str, Run]:
    """Each backup's latest finished verification, by file name."""
    row = BackupRunRow
    statement = (
        select(row.kind, row.backup, row.outcome, row.detail, row.started_at, row.finished_at)
        .where(row.kind == "verify", row.outcome != RUNNING)
        .order_by(row.started_at)
    )
    async with engine.connect() as conn:  # one row a day: a later one replaces an earlier
        if not await conn.scalar(_EXISTS):
            return {}
        return {r.backup: Run(*r) for r in (await conn.execute(statement)).all()}


async def newest_verified(engine: AsyncEngine) -> Run | None:
    """The newest backup whose latest verification passed (by when it was verified)."""
    passed = [run for run in (await latest_verifications(engine)).values() if run.outcome == OK]
    return max(passed, key=lambda run: run.backup, default=None)


async def first_started(engine: AsyncEngine) -> datetime | None:
    """When the first run was started (None: backups never ran here)."""
    async with engine.connect() as conn:
        if not await conn.scalar(_EXISTS):
            return None
        return await conn.scalar(select(func.min(BackupRunRow.started_at)))
