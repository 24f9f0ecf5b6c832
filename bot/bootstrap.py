"""The one place that wires things together. Nothing here runs at import time."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING

from sqlalchemy.ext.asyncio import AsyncEngine

from bot.config import Settings
from bot.handlers.base import Context
from bot.handlers.meter import NoMeter
from bot.handlers.router import Dispatcher
from bot.health import OpsServer, Platforms
from bot.observability import Metrics
from db import migrate
from db.cache import PgSearchCache
from db.engine import create_engine, database_url
from db.uow import SqlAlchemyUnitOfWork
from domain.accounts.ports import LocalTurns, Turns
from domain.accounts.retention import Retention
from domain.learning.catalogue_planner import CataloguePlanner
from domain.learning.ports import CurriculumPlanner
from domain.marketplace.model import Policy
from domain.marketplace.ports import NoCache, SearchCache
from domain.notifications.ports import SendBudget
from domain.shared.clock import Clock, SystemClock

if TYPE_CHECKING:  # the platform libraries are imported only when their token is set
    from bot.adapters.discord import DiscordAdapter
    from bot.adapters.telegram import TelegramAdapter
    from bot.handlers.courier import Courier
    from bot.worker import NotificationWorker

logger = logging.getLogger(__name__)


def bootstrap(
    engine: AsyncEngine,
    *,
    clock: Clock | None = None,
    planner: CurriculumPlanner | None = None,
    policy: Policy | None = None,
    cache: SearchCache | None = None,
    retention: Retention | None = None,
    metrics: Metrics | None = None,
    turns: Turns | None = None,
) -> Dispatcher:
    """Build the dispatcher over ``engine``; tests pass their own clock and policy.
    ``cache``: search pages and profile cards (``open_cache``); none kept without it.
    ``metrics``: the process's (``bot.observability``), counting what /metrics serves.
    ``turns``: one person's turn across processes (``open_turns``); none without it."""
    on_planned = metrics.planned if metrics is not None else None
    ctx = Context(
        uow=lambda: SqlAlchemyUnitOfWork(engine, on_planned=on_planned),
        clock=clock or SystemClock(),
        planner=planner or CataloguePlanner(),
        policy=policy or Policy(),
        cache=cache or NoCache(),
        retention=retention or Retention(),
        meter=metrics if metrics is not None else NoMeter(),
        turns=turns or LocalTurns(),
    )
    return Dispatcher(ctx)


@asynccontextmanager
async def open_ops_server(
    settings: Settings,
    engine: AsyncEngine,
    metrics: Metrics,
    platforms: Platforms,
    clock: Clock,
) -> AsyncIterator[OpsServer | None]:
    """The operator's HTTP server (/healthz, /readyz, /metrics) on SYLLABOT_HTTP_HOST and
    SYLLABOT_HTTP_PORT while the block runs; none when the port is unset."""
    if settings.http_port is None:
        yield None
        return
    server = OpsServer(
        settings.http_host,
        settings.http_port,
        engine=engine,
        metrics=metrics,
        platforms=platforms,
        now=clock.now,
        max_outbox_lag=settings.ready_max_outbox_lag,
    )
    async with server:
        yield server


@asynccontextmanager
async def open_turns(settings: Settings, engine: AsyncEngine) -> AsyncIterator[Turns]:
    """Turns across processes (``db.turns``) when several processes may receive one person's
    updates: Telegram's webhook mode, and Discord sharded over processes (DISCORD_SHARD_IDS:
    DMs reach shard 0, a server's interactions its shard). Polling has one receiver (Telegram
    refuses a second getUpdates), whose own order suffices, as does one process's Discord.
    Behind PgBouncer the advisory locks need a session of their own: SYLLABOT_LISTEN_URL's, as
    the cache's LISTEN."""
    webhook = bool(settings.telegram_bot_token and settings.telegram_webhook_url)
    sharded = bool(settings.discord_bot_token and settings.discord_shard_ids is not None)
    if not (webhook or sharded):
        yield LocalTurns()
        return
    from db.turns import PgTurns

    direct = settings.listen_url if settings.pgbouncer and settings.listen_url else None
    url = direct or engine.url.render_as_string(hide_password=False)
    locking = create_engine(url, pool_size=1)  # its one connection, outside the pool's count
    turns = PgTurns(locking)
    try:
        yield turns
    finally:
        await turns.close()
        await locking.dispose()


def send_budgets(settings: Settings, engine: AsyncEngine) -> dict[str, SendBudget]:
    """The send budget of each platform whose token is set, shared by every process on it."""
    from db.budget import PgSendBudget, budget_name

    telegram = settings.telegram_send_budget if settings.telegram_rate_limits else 0
    tokens = {
        "telegram": (settings.telegram_bot_token, telegram),
        "discord": (settings.discord_bot_token, settings.discord_send_budget),
    }
    return {
        platform: PgSendBudget(engine, budget_name(platform, token), per_second)
        for platform, (token, per_second) in tokens.items()
        if token and per_second > 0
    }


def notification_worker(
    settings: Settings,
    dispatcher: Dispatcher,
    couriers: dict[str, Courier],
    budgets: dict[str, SendBudget],
) -> NotificationWorker:
    """The worker delivering to ``couriers``: each platform paced no faster than its shared
    budget, the lease SYLLABOT_OUTBOX_LEASE long."""
    from datetime import timedelta

    from bot.worker import PACES, NotificationWorker, Pace

    shares = {"telegram": settings.telegram_send_budget, "discord": settings.discord_send_budget}
    paces = dict(PACES)
    for platform, per_second in shares.items():
        pace = paces.get(platform, Pace())
        if platform in budgets and per_second < (pace.per_second or float("inf")):
            paces[platform] = Pace(per_second=per_second, chat_interval=pace.chat_interval)
    if not settings.telegram_rate_limits:
        paces["telegram"] = Pace()
    return NotificationWorker(
        dispatcher.ctx,
        couriers,
        lease=timedelta(seconds=settings.outbox_lease_seconds),
        paces=paces,
        budgets=budgets,
    )


@asynccontextmanager
async def open_cache(settings: Settings, engine: AsyncEngine) -> AsyncIterator[SearchCache]:
    """The search cache, listening for invalidations, closed on exit. None is kept with
    SYLLABOT_CACHE_TTL=0, or behind PgBouncer without SYLLABOT_LISTEN_URL (LISTEN needs a
    session of its own, which transaction pooling does not give)."""
    if settings.cache_ttl_seconds == 0 or (settings.pgbouncer and not settings.listen_url):
        if settings.cache_ttl_seconds:
            logger.warning("search cache off: SYLLABOT_PGBOUNCER is set without a LISTEN_URL")
        yield NoCache()
        return
    listening = create_engine(settings.listen_url) if settings.listen_url else engine
    cache = PgSearchCache.for_engine(listening, ttl=settings.cache_ttl_seconds)
    try:
        await cache.start()
        yield cache
    finally:
        await cache.close()
        if listening is not engine:
            await listening.dispose()


def planner_for(settings: Settings) -> CurriculumPlanner:
    """The offline catalogue planner, or, with SYLLABOT_LLM_BASE_URL set, the language-model
    planner that falls back to it."""
    offline = CataloguePlanner()
    if not settings.llm_base_url:
        return offline
    from bot.llm_planner import LanguageModelPlanner

    assert settings.llm_model  # the settings refuse a base URL without a model
    key = settings.llm_api_key
    return LanguageModelPlanner(
        base_url=settings.llm_base_url,
        model=settings.llm_model,
        offline=offline,
        api_key=key.get_secret_value() if key else None,
        timeout=settings.llm_timeout_seconds,
    )


@asynccontextmanager
async def open_database(settings: Settings) -> AsyncIterator[AsyncEngine]:
    """Start the embedded server if no DATABASE_URL is set, migrate, and yield an engine.

    Everything opened here is closed on exit, the embedded server included.
    """
    async with database_url(
        settings.database_url, settings.data_dir, archive_to=settings.wal_archive()
    ) as url:
        if settings.auto_migrate:
            await migrate.upgrade(url)
        engine = create_engine(
            url,
            pool_size=settings.db_pool_size,
            max_overflow=settings.db_max_overflow,
            pool_timeout=settings.db_pool_timeout,
            pool_recycle=settings.db_pool_recycle,
            pool_pre_ping=settings.db_pool_pre_ping,
            pgbouncer=settings.pgbouncer,
        )
        try:
            yield engine
        finally:
            await engine.dispose()


def telegram_adapter(
    settings: Settings,
    dispatcher: Dispatcher,
    *,
    receive: bool = True,
    budget: SendBudget | None = None,
) -> TelegramAdapter:
    """The Telegram adapter the settings describe (polling unless a webhook URL is set;
    ``receive=False``: it only sends, for a worker process)."""
    from bot.adapters.telegram import ChatRateLimiter, FloodLimit, TelegramAdapter, Webhook

    assert settings.telegram_bot_token, "TELEGRAM_BOT_TOKEN is not set"
    webhook = None
    if settings.telegram_webhook_url:
        assert settings.telegram_webhook_secret  # the settings refuse a webhook without one
        webhook = Webhook(
            url=settings.telegram_webhook_url,
            secret=settings.telegram_webhook_secret,
            listen=settings.telegram_webhook_listen,
            port=settings.telegram_webhook_port,
        )
    limits = settings.telegram_rate_limits
    unlimited = ChatRateLimiter(per_chat_rate=0, overall_max_rate=0, group_max_rate=0)
    return TelegramAdapter(
        dispatcher,
        settings.telegram_bot_token,
        base_url=settings.telegram_api_base_url,
        webhook=webhook,
        max_working=settings.db_pool_size,  # as many in the handlers as there are connections
        receive=receive,
        budget=budget,
        flood=FloodLimit() if limits else None,
        rate_limiter=None if limits else unlimited,
    )


def discord_adapter(
    settings: Settings, dispatcher: Dispatcher, *, receive: bool = True
) -> DiscordAdapter:
    """The Discord adapter the settings describe (commands synced to DISCORD_GUILD_ID if set);
    with ``receive=False`` only a courier: no gateway, no command sync."""
    from bot.adapters.discord import DiscordAdapter

    assert settings.discord_bot_token, "DISCORD_BOT_TOKEN is not set"
    return DiscordAdapter(
        dispatcher,
        settings.discord_bot_token,
        guild_id=settings.discord_guild_id,
        serve=receive,
        api_base_url=settings.discord_api_base_url,
        gateway_url=settings.discord_gateway_url,
        shard_count=settings.discord_shard_count,
        shard_ids=settings.discord_shards(),
    )
