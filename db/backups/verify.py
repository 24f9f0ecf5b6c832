"""``syllabot db verify``: prove that a backup restores. Check the dump's checksum (and its
mirror copy's), restore it with ``pg_restore`` into a scratch database on the same server,
compare the Alembic revision and every table's row count with the manifest, read a user, a
curriculum and an expert search through the application's own repositories, drop the scratch
database (also when something failed), and record the outcome in ``backup_runs``."""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine
from sqlalchemy.pool import NullPool

from db import admin
from db.backups import BackupConfig, BackupError, mirror, runs
from db.backups.dump import tools_for
from db.backups.facts import read_facts
from db.backups.manifest import Manifest, listed, sha256_of
from db.backups.tools import PgTools, Progress, run_tool
from db.engine import create_engine
from db.models import CurriculumRow, ExpertSpecialtyRow, UserRow
from db.uow import SqlAlchemyUnitOfWork
from domain.marketplace.model import SearchFilters

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Verification:
    name: str
    ok: bool
    problems: tuple[str, ...]
    checked: tuple[str, ...]  # what was checked and held
    seconds: float


def pick(config: BackupConfig, name: str | None) -> Manifest:
    """The backup called ``name`` (a file name or path, with or without ``.dump``), or the
    newest one."""
    found = listed(config.directory)
    if not found:
        raise BackupError(
            f"There are no backups in {config.directory}; make one with `syllabot db backup`."
        )
    if name is None:
        return found[0]
    wanted = Path(name).name.removesuffix(".json").removesuffix(".dump") + ".dump"
    for manifest in found:
        if manifest.name == wanted:
            return manifest
    raise BackupError(
        f"There is no backup {wanted} in {config.directory}; see `syllabot db backups`."
    )


async def verify(
    url: str,
    config: BackupConfig,
    name: str | None = None,
    *,
    progress: Progress | None = None,
    tools: PgTools | None = None,
) -> Verification:
    """Verify a backup (default: the newest) of the database at ``url``; the outcome is
    returned and recorded, never raised (except that there is no such backup)."""
    manifest = pick(config, name)
    live = create_async_engine(url, poolclass=NullPool)
    started = time.monotonic()
    checked: list[str] = []
    try:
        run_id = await runs.start(live, "verify", manifest.name)  # None: not migrated yet
        try:
            problems = await _check(url, config, manifest, checked, progress, tools)
        except BackupError as error:
            problems = [str(error)]
        except Exception as error:  # recorded and reported, not a crash of the scheduler
            logger.warning("verification of %s failed", manifest.name, exc_info=True)
            problems = [f"{type(error).__name__}: {error}"]
        seconds = round(time.monotonic() - started, 3)
        if run_id is not None:
            await runs.finish(
                live,
                run_id,
                runs.FAILED if problems else runs.OK,
                detail="; ".join(problems) or "; ".join(checked),
                size_bytes=manifest.size_bytes,
                seconds=seconds,
            )
    finally:
        await live.dispose()
    return Verification(manifest.name, not problems, tuple(problems), tuple(checked), seconds)


async def _check(
    url: str,
    config: BackupConfig,
    manifest: Manifest,
    checked: list[str],
    progress: Progress | None,
    tools: PgTools | None,
) -> list[str]:
    dump = config.directory / manifest.name
    if not dump.is_file():
        return [f"{dump} is missing"]
    if sha256_of(dump) != manifest.sha256:
        return [f"{dump} does not match its checksum (the file changed or is damaged)"]
    checked.append("checksum")
    problems = []
    if config.mirror is not None:
        problem = mirror.check(config.mirror, manifest)
        if problem is None:
            checked.append("mirror copy")
        else:
            problems.append(problem)
    tools = tools or await tools_for(url, config)
    scratch = await admin.create_database(url, prefix="syllabot_verify")
    try:
        await run_tool(
            tools.pg_restore,
            [
                "--no-owner",
                "--no-privileges",
                "--exit-on-error",
                "--single-transaction",
                f"--dbname={_database(scratch)}",
                str(dump),
            ],
            scratch,
            tables=len(manifest.row_counts),
            progress=progress,
        )
        checked.append("restore")
        engine = create_engine(scratch, pool_size=2)
        try:
            problems += await _compare(engine, manifest, checked)
            problems += await _read_through_repositories(engine, manifest, checked)
        finally:
            await engine.dispose()
    finally:
        await admin.drop_database(url, scratch)
    return problems


def _database(url: str) -> str:
    return make_url(url).database or ""


async def _compare(engine: AsyncEngine, manifest: Manifest, checked: list[str]) -> list[str]:
    async with engine.connect() as conn:
        facts = await read_facts(conn)
    problems = []
    if facts.alembic_revision != manifest.alembic_revision:
        problems.append(
            f"schema revision {facts.alembic_revision} restored, "
            f"{manifest.alembic_revision} in the manifest"
        )
    else:
        checked.append(f"revision {manifest.alembic_revision}")
    wrong = [
        f"{table}: {manifest.row_counts.get(table)} rows in the manifest, "
        f"{facts.row_counts.get(table)} restored"
        for table in sorted(set(manifest.row_counts) | set(facts.row_counts))
        if manifest.row_counts.get(table) != facts.row_counts.get(table)
    ]
    if wrong:
        problems.append("row counts differ: " + ", ".join(wrong))
    else:
        rows = sum(manifest.row_counts.values())
        checked.append(f"{rows:,} rows in {len(manifest.row_counts)} tables")
    return problems


async def _read_through_repositories(
    engine: AsyncEngine, manifest: Manifest, checked: list[str]
) -> list[str]:
    """A user, a curriculum and an expert search, read as the bot reads them."""
    async with engine.connect() as conn:
        user = (await conn.execute(select(UserRow.id).limit(1))).scalar()
        curriculum = (
            await conn.execute(select(CurriculumRow.id, CurriculumRow.user_id).limit(1))
        ).first()
        subject = (await conn.execute(select(ExpertSpecialtyRow.subject).limit(1))).scalar()
    async with SqlAlchemyUnitOfWork(engine) as uow:
        if user is not None:
            if (await uow.users.get(user)).id != user:
                return ["the restored users table does not read back"]
            checked.append("a user")
        if curriculum is not None:
            overview = await uow.curricula.get_owned(curriculum.id, curriculum.user_id)
            await uow.curricula.sessions(overview.id, 0, 5)
            checked.append("a curriculum")
        if subject is not None:
            await uow.experts.search(SearchFilters(subject=subject), limit=5, offset=0)
            checked.append("an expert search")
    return []
