"""An embedded PostgreSQL (the ``pgserver`` wheel) for machines with no database server."""

from __future__ import annotations

import asyncio
import logging
import warnings
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from urllib.parse import quote

from db.backups import pitr

logger = logging.getLogger(__name__)


def _asyncpg_url(socket_dir: str, port: int, database: str) -> str:
    host = quote(socket_dir, safe="/")
    return f"postgresql+asyncpg://postgres@/{database}?host={host}&port={port}"


def _archiving(pgdata: Path, wal: Path | None) -> bool:
    """Write (``wal`` set) or remove the archiving settings; True when they changed."""
    if wal is not None:
        return pitr.archive_to(pgdata, wal)
    conf = pgdata / pitr.CONF
    if conf.exists():
        conf.unlink()
        return True
    return False


@asynccontextmanager
async def embedded_postgres(
    data_dir: Path, database: str = "postgres", *, archive_to: Path | None = None
) -> AsyncIterator[str]:
    """Start (or join) the embedded server whose files live in ``data_dir / "pg"``.

    Yields a ``postgresql+asyncpg://`` URL over the server's Unix socket and stops the
    server on exit unless another process still uses it (``pgserver`` counts handles).
    With ``archive_to`` (SYLLABOT_PITR=true) the server archives its write-ahead log there;
    a server another process already runs takes a changed setting at its next start.
    """
    with warnings.catch_warnings():
        # platformdirs warns when XDG_RUNTIME_DIR is unset; pgserver then uses /tmp, as we want.
        warnings.simplefilter("ignore")
        import pgserver  # imported here: starting the app must not pay for it when unused
        from pgserver.utils import PostmasterInfo

    pgdata = data_dir / "pg"
    pgdata.mkdir(parents=True, exist_ok=True)
    fresh = not (pgdata / "PG_VERSION").exists()
    if not fresh:
        info = PostmasterInfo.read_from_pgdata(pgdata)
        running = info is not None and info.is_running()
        if await asyncio.to_thread(_archiving, pgdata, archive_to) and running:
            logger.warning(
                "the embedded server's WAL archiving changed (SYLLABOT_PITR); it applies when "
                "every Syllabot process has stopped and the server starts again"
            )
    server = await asyncio.to_thread(pgserver.get_server, pgdata, cleanup_mode="stop")
    if fresh and await asyncio.to_thread(_archiving, pgdata, archive_to):
        await asyncio.to_thread(server.cleanup)  # a new server: start it again, archiving
        server = await asyncio.to_thread(pgserver.get_server, pgdata, cleanup_mode="stop")
    try:
        info = server.get_postmaster_info()
        logger.info("embedded PostgreSQL running in %s (socket %s)", pgdata, info.socket_dir)
        yield _asyncpg_url(str(info.socket_dir), int(info.port), database)
    finally:
        await asyncio.to_thread(server.cleanup)
