"""Engine and session factories, and the one place that decides which database to use."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)

from db.embedded import embedded_postgres


def create_engine(url: str, *, pool_size: int = 10) -> AsyncEngine:
    """An asyncpg engine; ``url`` must name the driver (``postgresql+asyncpg://``)."""
    return create_async_engine(url, pool_size=pool_size, max_overflow=0)


def create_session_factory(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return async_sessionmaker(engine, expire_on_commit=False)


@asynccontextmanager
async def database_url(
    configured: str | None, data_dir: Path, *, archive_to: Path | None = None
) -> AsyncIterator[str]:
    """Yield the configured URL, or start the embedded server under ``data_dir`` and yield its
    (archiving its write-ahead log into ``archive_to``, when set)."""
    if configured:
        yield configured
        return
    async with embedded_postgres(data_dir, archive_to=archive_to) as url:
        yield url
