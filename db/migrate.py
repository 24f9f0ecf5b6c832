"""Run the Alembic migrations from the application and the tests (no ``alembic.ini`` needed).

Each call opens one connection (``NullPool``), starts a transaction, takes a transaction-level
advisory lock and hands the connection to ``migrations/env.py`` via
``config.attributes["connection"]``. The lock makes two processes starting at once migrate one
after the other (the second finds the schema at head); two calls in one process are serialised
the same way, which matters because Alembic's ``context`` is process-global. PostgreSQL DDL is
transactional: a failed migration leaves nothing behind.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from sqlalchemy import text
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import create_async_engine
from sqlalchemy.pool import NullPool

import migrations

logger = logging.getLogger(__name__)

# Any fixed bigint, the same in every process: "Syllabot" in ASCII.
MIGRATION_LOCK_KEY = 0x53796C6C61626F74

AlembicCommand = Callable[[Config, str], None]

_LOCK = text("SELECT pg_advisory_xact_lock(:key)")


def alembic_config() -> Config:
    """An Alembic config pointing at the installed ``migrations`` package, whatever the cwd."""
    config = Config()
    script_location = str(Path(migrations.__file__).parent)
    config.set_main_option("script_location", script_location.replace("%", "%%"))
    config.set_main_option("path_separator", "os")
    return config


async def upgrade(url: str, revision: str = "head") -> None:
    """Migrate the database at ``url`` up to ``revision``."""
    logger.info("migrating database up to %s", revision)
    await _run_locked(url, command.upgrade, revision)


async def downgrade(url: str, revision: str = "base") -> None:
    """Migrate the database at ``url`` down to ``revision`` (``base``: drop everything)."""
    logger.info("migrating database down to %s", revision)
    await _run_locked(url, command.downgrade, revision)


async def current(url: str) -> str | None:
    """The revision the database at ``url`` is at, or ``None`` if it was never migrated."""
    engine = create_async_engine(url, poolclass=NullPool)
    try:
        async with engine.connect() as conn:
            return await conn.run_sync(
                lambda sync_conn: MigrationContext.configure(sync_conn).get_current_revision()
            )
    finally:
        await engine.dispose()


async def _run_locked(url: str, alembic_command: AlembicCommand, revision: str) -> None:
    engine = create_async_engine(url, poolclass=NullPool)
    try:
        async with engine.begin() as conn:
            await conn.execute(_LOCK, {"key": MIGRATION_LOCK_KEY})
            await conn.run_sync(_run_command, alembic_command, revision)
    finally:
        await engine.dispose()


def _run_command(connection: Connection, alembic_command: AlembicCommand, revision: str) -> None:
    config = alembic_config()
    config.attributes["connection"] = connection
    alembic_command(config, revision)
