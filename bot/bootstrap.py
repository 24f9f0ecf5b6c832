"""The one place that wires things together. Nothing here runs at import time."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from sqlalchemy.ext.asyncio import AsyncEngine

from bot.config import Settings
from bot.handlers.base import Context
from bot.handlers.router import Dispatcher
from db import migrate
from db.engine import create_engine, database_url
from db.uow import SqlAlchemyUnitOfWork
from domain.planner import TemplatePlanner
from domain.ports import Clock, CurriculumPlanner, SystemClock

logger = logging.getLogger(__name__)


def bootstrap(
    engine: AsyncEngine,
    *,
    clock: Clock | None = None,
    planner: CurriculumPlanner | None = None,
) -> Dispatcher:
    """Build the dispatcher over ``engine``; tests pass their own clock."""
    ctx = Context(
        uow=lambda: SqlAlchemyUnitOfWork(engine),
        clock=clock or SystemClock(),
        planner=planner or TemplatePlanner(),
    )
    return Dispatcher(ctx)


@asynccontextmanager
async def open_database(settings: Settings) -> AsyncIterator[AsyncEngine]:
    """Start the embedded server if no DATABASE_URL is set, migrate, and yield an engine.

    Everything opened here is closed on exit, the embedded server included.
    """
    async with database_url(settings.database_url, settings.data_dir) as url:
        if settings.auto_migrate:
            await migrate.upgrade(url)
        engine = create_engine(url, pool_size=settings.db_pool_size)
        try:
            yield engine
        finally:
            await engine.dispose()
