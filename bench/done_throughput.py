"""How many ``/done`` per second go through the handler layer into PostgreSQL?

Many simulated learners send ``/done`` concurrently (16 and 64 at once) through the real
``Dispatcher`` (identity lookup, routing, service, repository: a read, then one atomic write,
two round trips and no BEGIN/COMMIT). In the same run a raw asyncpg baseline does the whole
``/done`` in one statement (data-modifying CTEs, streak in SQL, a single round trip), and the
ratio is printed, with the machine's load average before and after (other work on the same
cores moves both figures; compare ratios from one run).

    python -m bench.done_throughput                 # embedded PostgreSQL in a temp dir
    BENCH_DATABASE_URL=postgresql+asyncpg://postgres@127.0.0.1:5432/postgres \
        python -m bench.done_throughput             # an existing server
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import time
import uuid
from collections.abc import Awaitable, Callable

import asyncpg
from sqlalchemy import text
from sqlalchemy.engine import make_url

from bench.common import bench_database
from bot.bootstrap import bootstrap
from bot.handlers.base import Incoming
from db.engine import create_engine
from domain.accounts.model import Identity

SESSIONS = 365

# The baseline: the whole /done transaction (current curriculum, next session, streak on the
# learner's local day, progress, note, curriculum completion) as one statement.
RAW_DONE = """
WITH u AS (
    SELECT id, timezone, (now() AT TIME ZONE timezone)::date AS today
      FROM users WHERE id = $1
), c AS (
    SELECT cu.id, cu.session_duration, cu.total_sessions FROM curricula cu, u
     WHERE cu.id = (SELECT current_curriculum_id FROM users WHERE id = u.id)
       AND cu.status = 'active'
), nxt AS (
    SELECT s.id FROM sessions s, c
     WHERE s.curriculum_id = c.id AND s.completed_at IS NULL
     ORDER BY s.session_number LIMIT 1
), p AS (
    UPDATE user_progress up
       SET sessions_completed = up.sessions_completed + 1,
           total_time_spent = up.total_time_spent + c.session_duration,
           current_streak = CASE
               WHEN up.last_session_local_date = u.today THEN greatest(up.current_streak, 1)
               WHEN up.last_session_local_date = u.today - 1 THEN up.current_streak + 1
               ELSE 1 END,
           last_session_date = now(),
           last_session_local_date = u.today
      FROM u, c
     WHERE up.user_id = u.id AND up.curriculum_id = c.id AND EXISTS (SELECT 1 FROM nxt)
    RETURNING up.current_streak, up.sessions_completed
), s AS (
    UPDATE sessions SET completed_at = now(), completed_local_date = u.today,
                        minutes_spent = c.session_duration
      FROM u, c, nxt
     WHERE sessions.id = nxt.id AND EXISTS (SELECT 1 FROM p)
    RETURNING sessions.id
), n AS (
    INSERT INTO user_notes (user_id, session_id, content)
    SELECT $1, s.id, $2 FROM s WHERE $2::text IS NOT NULL
)
SELECT current_streak, sessions_completed FROM p
"""


async def seed(url: str, learners: int) -> list[tuple[uuid.UUID, str]]:
    """Create learners, each with one 365-session curriculum, through the real handlers."""
    engine = create_engine(url, pool_size=8)
    dispatcher = bootstrap(engine)
    names = [f"bench-{uuid.uuid4().hex[:10]}" for _ in range(learners)]

    async def one(name: str) -> None:
        identity = Identity("bench", name, name, name)
        replies = await dispatcher.handle(
            Incoming(identity, text=f"/new Topic {name} | {SESSIONS} | 30 | intermediate")
        )
        assert "Created" in replies[0].text, replies[0].text

    for start in range(0, learners, 8):
        await asyncio.gather(*(one(n) for n in names[start : start + 8]))
    async with engine.connect() as conn:
        rows = await conn.execute(
            text(
                "SELECT i.user_id, i.external_id FROM platform_identities i "
                "WHERE i.platform = 'bench' AND i.external_id = ANY(:names)"
            ),
            {"names": names},
        )
        users = [(row.user_id, row.external_id) for row in rows]
    await engine.dispose()
    return users


async def measure(
    workers: int, per_worker: int, command: Callable[[int], Awaitable[None]]
) -> tuple[float, list[float]]:
    latencies: list[float] = []

    async def worker(index: int) -> None:
        for _ in range(per_worker):
            started = time.perf_counter()
            await command(index)
            latencies.append(time.perf_counter() - started)

    started = time.perf_counter()
    await asyncio.gather(*(worker(i) for i in range(workers)))
    return len(latencies) / (time.perf_counter() - started), latencies


def latency(seconds: list[float]) -> str:
    """ "p50 x ms, p99 y ms" of the given latencies."""
    cuts = statistics.quantiles(seconds, n=100)
    return f"p50 {cuts[49] * 1000:5.1f} ms, p99 {cuts[98] * 1000:5.1f} ms"


async def via_handlers(
    url: str, identities: list[Identity], per_worker: int
) -> tuple[float, list[float]]:
    """``/done`` through the dispatcher, one pooled connection per simulated learner."""
    engine = create_engine(url, pool_size=len(identities))
    dispatcher = bootstrap(engine)

    async def done(i: int) -> None:
        replies = await dispatcher.handle(Incoming(identities[i], text="/done 30 bench note"))
        if "done:" not in replies[0].text:
            raise RuntimeError(replies[0].text)

    try:
        await measure(len(identities), 3, done)  # warm-up: pool, statement caches
        return await measure(len(identities), per_worker, done)
    finally:
        await engine.dispose()


async def via_raw(
    dsn: str, user_ids: list[uuid.UUID], per_worker: int
) -> tuple[float, list[float]]:
    """The same transaction as one statement on a plain asyncpg pool."""
    pool = await asyncpg.create_pool(dsn, min_size=len(user_ids), max_size=len(user_ids))

    async def done(i: int) -> None:
        async with pool.acquire() as conn:
            if await conn.fetchrow(RAW_DONE, user_ids[i], "bench note") is None:
                raise RuntimeError("raw /done completed nothing")

    try:
        await measure(len(user_ids), 3, done)
        return await measure(len(user_ids), per_worker, done)
    finally:
        await pool.close()


async def run(url: str, concurrency: list[int], per_worker: int) -> None:
    users = await seed(url, sum(concurrency) * 2)
    dsn = make_url(url).set(drivername="postgresql").render_as_string(False)
    print(f"{per_worker} /done per learner; PostgreSQL at {url.split('@')[-1]}; {_load()}")
    offset = 0
    for workers in concurrency:
        mine, theirs = (
            users[offset : offset + workers],
            users[offset + workers : offset + 2 * workers],
        )
        offset += 2 * workers
        # Only one side's pool is open at a time, so max_connections (100) is never the limit.
        identities = [Identity("bench", name, name, name) for _, name in mine]
        handler_rate, handler_lat = await via_handlers(url, identities, per_worker)
        raw_rate, raw_lat = await via_raw(dsn, [user_id for user_id, _ in theirs], per_worker)
        print(
            f"concurrency {workers:>3}: handler layer {handler_rate:7.0f} /done/s "
            f"({latency(handler_lat)}) | raw asyncpg {raw_rate:7.0f} /s ({latency(raw_lat)})"
            f" | ratio {handler_rate / raw_rate:4.2f}"
        )
    print(f"done; {_load()}")


def _load() -> str:
    one, five, _ = os.getloadavg()
    return f"load average {one:.2f} (1 min), {five:.2f} (5 min) on {os.cpu_count()} cores"


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--concurrency", type=int, nargs="+", default=[16, 64])
    parser.add_argument("--per-learner", type=int, default=150)
    args = parser.parse_args()
    if args.per_learner + 6 > SESSIONS:
        parser.error(f"--per-learner must be at most {SESSIONS - 6}")
    async with bench_database() as url:
        await run(url, args.concurrency, args.per_learner)


if __name__ == "__main__":
    asyncio.run(main())
