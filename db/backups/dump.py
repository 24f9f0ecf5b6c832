"""``syllabot db backup``: a compressed custom-format dump (``pg_dump -Fc``) and its manifest.

The dump and the row counts come from one snapshot: a repeatable-read transaction exports it
(``pg_export_snapshot()``), counts the rows, and stays open while ``pg_dump --snapshot``
reads the same data; so the manifest describes exactly what the dump holds, even while
learners keep writing.
"""

from __future__ import annotations

import logging
import time
from datetime import UTC, datetime

from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine
from sqlalchemy.pool import NullPool

from db.backups import BackupConfig, BackupError, mirror
from db.backups.facts import read_facts, server_major
from db.backups.manifest import Manifest, dump_name, sha256_of, write
from db.backups.tools import PgTools, Progress, candidates, find_tools, run_tool

logger = logging.getLogger(__name__)


async def tools_for(url: str, config: BackupConfig) -> PgTools:
    """The ``pg_dump``/``pg_restore`` matching the server at ``url``."""
    engine = create_async_engine(url, poolclass=NullPool)
    try:
        async with engine.connect() as conn:
            _, major = await server_major(conn)
    finally:
        await engine.dispose()
    if config.pg_bin is not None:
        return await find_tools(major, [config.pg_bin])
    return await find_tools(major, candidates(major, embedded=config.embedded))


async def backup(
    url: str,
    config: BackupConfig,
    *,
    progress: Progress | None = None,
    tools: PgTools | None = None,
) -> Manifest:
    """Dump the database at ``url`` into ``config.directory`` (and its mirror); return the
    manifest written beside it. Raises :class:`BackupError` (nothing half-written is left)."""
    tools = tools or await tools_for(url, config)
    config.directory.mkdir(parents=True, exist_ok=True)
    engine = create_async_engine(url, poolclass=NullPool)
    started = time.monotonic()
    try:
        async with engine.connect() as conn:
            await conn.execution_options(isolation_level="REPEATABLE READ")
            async with conn.begin():
                snapshot = str(await conn.scalar(text("SELECT pg_export_snapshot()")))
                at = datetime.now(UTC)
                facts = await read_facts(conn)
                name = dump_name(at)
                target = config.directory / name
                partial = target.with_suffix(".dump.partial")
                try:
                    await run_tool(
                        tools.pg_dump,
                        ["--format=custom", f"--snapshot={snapshot}", f"--file={partial}"],
                        url,
                        tables=len(facts.row_counts),
                        progress=progress,
                    )
                except BaseException:
                    partial.unlink(missing_ok=True)
                    raise
    finally:
        await engine.dispose()
    if target.exists():
        partial.unlink(missing_ok=True)
        raise BackupError(f"{target} already exists; try again in a second")
    partial.replace(target)
    result = Manifest(
        name=name,
        created_at=at,
        sha256=sha256_of(target),
        size_bytes=target.stat().st_size,
        seconds=round(time.monotonic() - started, 3),
        server_version=facts.server_version,
        server_major=facts.server_major,
        pg_dump=tools.version,
        alembic_revision=facts.alembic_revision,
        row_counts=facts.row_counts,
    )
    write(config.directory, result)
    if config.mirror is not None:
        mirror.copy(config.directory, config.mirror, result)
    logger.info("backup %s: %d bytes in %.1f s", name, result.size_bytes, result.seconds)
    return result
