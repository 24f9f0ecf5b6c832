"""An embedded PostgreSQL (the ``pgserver`` wheel) for machines with no database server."""

from __future__ import annotations

import asyncio
import logging
import warnings
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from urllib.parse import quote

logger = logging.getLogger(__name__)


def _asyncpg_url(socket_dir: str, port: int, database: str) -> str:
    host = quote(socket_dir, safe="/")
    return f"postgresql+asyncpg://postgres@/{database}?host={host}&port={port}"


@asynccontextmanager
async def embedded_postgres(data_dir: Path, database: str = "postgres") -> AsyncIterator[str]:
    """Start (or join) the embedded server whose files live in ``data_dir / "pg"``.

    Yields a ``postgresql+asyncpg://`` URL over the server's Unix socket and stops the
    server on exit unless another process still uses it (``pgserver`` counts handles).
    """
    with warnings.catch_warnings():
        # platformdirs warns when XDG_RUNTIME_DIR is unset; pgserver then uses /tmp, as we want.
        warnings.simplefilter("ignore")
        import pgserver  # imported here: starting the app must not pay for it when unused

    pgdata = data_dir / "pg"
    pgdata.mkdir(parents=True, exist_ok=True)
    server = await asyncio.to_thread(pgserver.get_server, pgdata, cleanup_mode="stop")
    try:
        info = server.get_postmaster_info()
        logger.info("embedded PostgreSQL running in %s (socket %s)", pgdata, info.socket_dir)
        yield _asyncpg_url(str(info.socket_dir), int(info.port), database)
    finally:
        await asyncio.to_thread(server.cleanup)
