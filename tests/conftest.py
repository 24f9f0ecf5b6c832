"""Shared fixtures: a real PostgreSQL for every test that needs one.

``TEST_DATABASE_URL`` (a ``postgresql+asyncpg://`` URL to a server we may create databases on)
is used when set; otherwise the tests start the embedded server in a temporary directory.
Either way each test session migrates a brand-new database with ``alembic upgrade head``.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from db.migrate import upgrade
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from db.embedded import embedded_postgres
from db.engine import create_engine, create_session_factory


@pytest.fixture(scope="session")
async def server_url(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[str]:
    """A URL to a PostgreSQL server on which the tests may create and drop databases."""
    configured = os.environ.get("TEST_DATABASE_URL")
    if configured:
        yield configured
        return
    async with embedded_postgres(Path(tmp_path_factory.mktemp("embedded-pg"))) as url:
        yield url


async def create_database(server: str) -> str:
    """Create an empty database with a fresh name on ``server`` and return its URL."""
    name = f"syllabot_test_{uuid.uuid4().hex[:12]}"
    admin = create_engine(server).execution_options(isolation_level="AUTOCOMMIT")
    async with admin.connect() as conn:
        await conn.execute(text(f'CREATE DATABASE "{name}"'))  # name is ours: hex digits only
    await admin.dispose()
    return make_url(server).set(database=name).render_as_string(hide_password=False)


async def drop_database(server: str, url: str) -> None:
    name = make_url(url).database
    admin = create_engine(server).execution_options(isolation_level="AUTOCOMMIT")
    async with admin.connect() as conn:
        await conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    await admin.dispose()


@pytest.fixture(scope="session")
async def database_url(server_url: str) -> AsyncIterator[str]:
    """A fresh database, migrated to head, for this test session."""
    url = await create_database(server_url)
    await upgrade(url)
    yield url
    await drop_database(server_url, url)


@pytest.fixture(scope="session")
async def engine(database_url: str) -> AsyncIterator[AsyncEngine]:
    engine = create_engine(database_url)
    yield engine
    await engine.dispose()


@pytest.fixture(scope="session")
def session_factory(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return create_session_factory(engine)
