"""Shared fixtures: a real PostgreSQL for every test that needs one.

``TEST_DATABASE_URL`` (a ``postgresql+asyncpg://`` URL to a server we may create databases on)
is used when set; otherwise the tests start the embedded server in a temporary directory.
Either way each test session migrates a brand-new database with ``alembic upgrade head``.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from bot.bootstrap import bootstrap
from bot.handlers.router import Dispatcher
from db.admin import create_database, drop_database
from db.embedded import embedded_postgres
from db.engine import create_engine, create_session_factory
from db.migrate import upgrade
from tests.support import FakeClock


@pytest.fixture(scope="session")
async def server_url() -> AsyncIterator[str]:
    """A URL to a PostgreSQL server on which the tests may create and drop databases.

    The embedded server's data lives in a directory of its own, not under pytest's temporary
    directories: pytest deletes all but its three newest runs' directories, so a fourth run at
    the same time would delete the server's data under it."""
    configured = os.environ.get("TEST_DATABASE_URL")
    if configured:
        yield configured
        return
    with tempfile.TemporaryDirectory(prefix="syllabot-test-pg-") as data:
        async with embedded_postgres(Path(data)) as url:
            yield url


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


@pytest.fixture
def clock() -> FakeClock:
    """The tests' "now" (a module may choose another), moved by hand."""
    return FakeClock()


@pytest.fixture
def dispatcher(engine: AsyncEngine, clock: FakeClock) -> Dispatcher:
    """The conversation over the session's database, on ``clock``."""
    return bootstrap(engine, clock=clock)
