"""What watching the bot costs, each beside its baseline from the same run:

1. updates a second through the dispatcher (a registered person's ``/help``, answered from
   memory, the worst case for the meter's share, and ``/plans``, one database read) with the
   Prometheus meter against ``NoMeter``;
2. microseconds a log record takes through a handler with the redaction filter (five
   secrets) against the same handler without it;
3. a ``/metrics`` scrape (its outbox query) with 20,000 due notifications waiting, against a
   ``/healthz`` request to the same server (the HTTP round trip alone).

    python -m bench.operating          (BENCH_DATABASE_URL: a server to use; else embedded)
"""

from __future__ import annotations

import asyncio
import io
import logging
import statistics
import time
from datetime import timedelta

from aiohttp import ClientSession
from sqlalchemy import insert, select

from bench.common import bench_database
from bot.bootstrap import bootstrap
from bot.handlers.base import Incoming
from bot.health import OpsServer, Platforms
from bot.logs import Redactor
from bot.observability import Metrics
from db.engine import create_engine
from db.models import NotificationRow, UserRow
from domain.accounts.model import Identity
from domain.shared.clock import SystemClock

UPDATES, ROUNDS = 400, 3
RECORDS = 20_000
BACKLOG = 20_000
SCRAPES = 50


async def updates_per_second(dispatcher, who: Identity, text: str) -> float:
    started = time.perf_counter()
    for _ in range(UPDATES):
        await dispatcher.handle(Incoming(who, text=text))
    return UPDATES / (time.perf_counter() - started)


def microseconds_per_record(redactor: Redactor | None) -> float:
    handler = logging.StreamHandler(io.StringIO())
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    if redactor is not None:
        handler.addFilter(redactor)
    logger = logging.getLogger(f"bench.operating.{id(handler)}")
    logger.propagate, logger.level = False, logging.INFO
    logger.addHandler(handler)
    started = time.perf_counter()
    for i in range(RECORDS):
        logger.info("HTTP Request: POST %s/bot%s/sendMessage %d", "http://127.0.0.1", "x", i)
    return (time.perf_counter() - started) / RECORDS * 1e6


async def milliseconds(http: ClientSession, url: str) -> float:
    times = []
    for _ in range(SCRAPES):
        started = time.perf_counter()
        async with http.get(url) as response:
            await response.read()
            assert response.status == 200
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times)


async def main() -> None:
    async with bench_database() as url:
        engine = create_engine(url)
        try:
            who = Identity("telegram", "1", chat_id="1", display_name="Bench")
            plain = bootstrap(engine)
            metered = bootstrap(engine, metrics=Metrics())
            await plain.handle(Incoming(who, text="/start"))
            for text, what in (("/help", "from memory"), ("/plans", "a database read")):
                rates: dict[str, list[float]] = {"NoMeter": [], "Metrics": []}
                for _ in range(ROUNDS):  # interleaved, so that a warm cache favours neither
                    rates["NoMeter"].append(await updates_per_second(plain, who, text))
                    rates["Metrics"].append(await updates_per_second(metered, who, text))
                base, metered_rate = (statistics.median(rates[k]) for k in rates)
                print(
                    f"dispatcher {text} ({what}): {metered_rate:,.0f} updates/s metered, "
                    f"{base:,.0f} with NoMeter (ratio {metered_rate / base:.3f})"
                )

            secrets = ["123456789:" + "A" * 35, "discord", "hook-secret", "pg-pass", "sk-key"]
            bare = statistics.median(microseconds_per_record(None) for _ in range(3))
            masked = statistics.median(
                microseconds_per_record(Redactor(secrets)) for _ in range(3)
            )
            print(
                f"log record: {masked:.1f} µs with the redactor, {bare:.1f} µs without "
                f"(ratio {masked / bare:.2f})"
            )

            now = SystemClock().now()
            async with engine.begin() as conn:
                user_id = (await conn.execute(select(UserRow.id).limit(1))).scalar_one()
                await conn.execute(
                    insert(NotificationRow),
                    [
                        {
                            "user_id": user_id,
                            "kind": "booking_requested",
                            "data": {},
                            "due_at": now - timedelta(seconds=i),
                        }
                        for i in range(BACKLOG)
                    ],
                )
            server = OpsServer(
                "127.0.0.1",
                0,
                engine=engine,
                metrics=Metrics(),
                platforms=Platforms(),
                now=SystemClock().now,
                max_outbox_lag=300,
            )
            async with server, ClientSession() as http:
                root = f"http://127.0.0.1:{server.port}"
                await milliseconds(http, f"{root}/metrics")  # warm
                scrape = await milliseconds(http, f"{root}/metrics")
                health = await milliseconds(http, f"{root}/healthz")
            print(
                f"/metrics with {BACKLOG:,} due: {scrape:.2f} ms median, /healthz "
                f"{health:.2f} ms (the round trip alone)"
            )
        finally:
            await engine.dispose()


if __name__ == "__main__":
    asyncio.run(main())
