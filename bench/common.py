"""What every benchmark needs: a fresh, migrated database that is dropped afterwards."""

from __future__ import annotations

import os
import tempfile
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from pathlib import Path

from db.admin import create_database, drop_database
from db.embedded import embedded_postgres
from db.migrate import upgrade


@asynccontextmanager
async def bench_database() -> AsyncIterator[str]:
    """Yield the URL of a new database migrated to head.

    It lives on ``BENCH_DATABASE_URL``'s server when that is set, otherwise on an embedded
    PostgreSQL in a temporary directory; either way it is gone when the block ends.
    """
    async with AsyncExitStack() as stack:
        server = os.environ.get("BENCH_DATABASE_URL")
        if not server:
            data_dir = Path(stack.enter_context(tempfile.TemporaryDirectory()))
            server = await stack.enter_async_context(embedded_postgres(data_dir))
        url = await create_database(server, prefix="syllabot_bench")
        try:
            await upgrade(url)
            yield url
        finally:
            await drop_database(server, url)


def asyncpg_dsn(url: str) -> str:
    """The plain ``postgresql://`` DSN asyncpg's own ``connect`` wants, from a SQLAlchemy URL."""
    from sqlalchemy.engine import make_url

    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)
