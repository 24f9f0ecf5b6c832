"""Engine and session factories, and the one place that decides which database to use."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any
from uuid import uuid4

from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)

from db.embedded import embedded_postgres


def create_engine(
    url: str,
    *,
    pool_size: int = 10,
    max_overflow: int = 0,
    pool_timeout: float = 30.0,
    pool_recycle: int = 1800,
    pool_pre_ping: bool = False,
    pgbouncer: bool = False,
) -> AsyncEngine:
    """An asyncpg engine; ``url`` must name the driver (``postgresql+asyncpg://``).

    ``pgbouncer``: for PgBouncer in transaction pooling, where consecutive transactions may run
    on different server connections: no statement is kept prepared on the server (asyncpg's
    statement cache and SQLAlchemy's are off; what SQLAlchemy still prepares gets a unique
    name, the recipe of SQLAlchemy's documentation), and ``each_statement()`` units of work
    run in a transaction (``is_pgbouncer``).
    """
    connect_args: dict[str, Any] = {}
    if pgbouncer:
        connect_args = {
            "statement_cache_size": 0,
            "prepared_statement_cache_size": 0,
            "prepared_statement_name_func": lambda: f"__asyncpg_{uuid4()}__",
        }
    return create_async_engine(
        url,
        pool_size=pool_size,
        max_overflow=max_overflow,
        pool_timeout=pool_timeout,
        pool_recycle=pool_recycle,
        pool_pre_ping=pool_pre_ping,
        connect_args=connect_args,
        execution_options={PGBOUNCER: pgbouncer},
    )


PGBOUNCER = "syllabot_pgbouncer"


def is_pgbouncer(engine: AsyncEngine) -> bool:
    """Whether ``engine`` was made for PgBouncer's transaction pooling."""
    return bool(engine.get_execution_options().get(PGBOUNCER))


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
