"""How fast are reminders claimed and sent when 1,000,000 users have them planned?

Seeds, with bulk COPY, N users (1,000,000 by default) in 25 IANA zones, each with notification
preferences (a study reminder at one of seven times on most, the streak warning on all, quiet
hours on half), a Telegram identity, and the next study and streak reminders exactly as
``planning.daily_reminders`` plans them (kinds, data, dedupe keys, expiry): about two
pending rows per user, due over the coming day. 10,000 study reminders are moved into one
busy minute (the minute before "now"); nothing else is due. Then:

1. claim: ``delivery.claim`` as the worker calls it (its batch, 500) and the whole due
   set of 10,000 in one claim, each repeated, once at a tenth of the users and once at all of
   them (the due set is the same: the time must not grow with the users), with EXPLAIN
   ANALYZE of the claim's query. Target: <= 50 ms per claim.
2. dispatch: 3,000 of the busy minute's users get an ``expert_verified`` alert due now
   instead (a study reminder is only sent to someone with a plan to study, which these users
   lack), delivered by a real ``syllabot worker`` process against the Bot API emulator of
   the tests (``tests/adapters/telegram_emulator.py``) enforcing Telegram's limits: 30
   messages in any one second, one a second per chat, 429 with ``retry_after`` beyond.
   Printed: messages a second from the first accepted to the last, as a share of the cap
   (target >= 95%), and the 429s (target: none).
3. memory: the worker process's peak resident memory (``VmHWM``) over that run, start-up
   included. Target <= 150 MB.

    python -m bench.reminders                     # embedded PostgreSQL in a temp dir
    BENCH_DATABASE_URL=postgresql+asyncpg://postgres@127.0.0.1:5432/postgres \\
        python -m bench.reminders [--users 1000000] [--send 3000]

A fresh database is created, migrated and dropped at the end, as in ``bench.done_throughput``.
About 6 minutes on 2 cores at the defaults (seeding ~2, sending 3,000 at 29/s ~2).
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import os
import random
import signal
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import asyncpg
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from bench.common import asyncpg_dsn, bench_database
from bot.worker import NotificationWorker
from db.engine import create_engine
from db.uow import SqlAlchemyUnitOfWork
from domain.notifications import preferences
from domain.notifications.delivery import LEASE, claim
from domain.notifications.model import STUDY, Audience, Planned
from domain.notifications.planning import daily_reminders
from tests.adapters.telegram_emulator import BotApiEmulator, TgUser

BUSY = 10_000  # due at the busy minute
CAP = 30  # the emulator's messages a second
CHUNK = 50_000  # users per COPY
FIRST_CHAT = 6_000_000_000  # Telegram user ids (= private chat ids) of the seeded users
TARGET_CLAIM_MS = 50.0
TARGET_SHARE = 0.95
TARGET_RSS_MB = 150.0
ZONES = (
    ("Europe/Berlin", 9), ("Europe/London", 8), ("America/New_York", 10),
    ("America/Chicago", 5), ("America/Los_Angeles", 6), ("America/Sao_Paulo", 5),
    ("America/Mexico_City", 3), ("America/Bogota", 2), ("Asia/Kolkata", 9), ("Asia/Tokyo", 4),
    ("Asia/Shanghai", 4), ("Asia/Singapore", 2), ("Asia/Jakarta", 3), ("Asia/Dubai", 2),
    ("Asia/Manila", 2), ("Asia/Kathmandu", 1), ("Australia/Sydney", 2), ("Africa/Lagos", 3),
    ("Africa/Cairo", 2), ("Africa/Nairobi", 2), ("Europe/Madrid", 3), ("Europe/Istanbul", 2),
    ("Europe/Kyiv", 1), ("Pacific/Auckland", 1), ("UTC", 3),
)  # fmt: skip
STUDY_TIMES = ("07:30", "12:30", "18:00", "19:00", "19:30", "20:00", "21:00")
TEMPLATE = uuid.UUID(int=1)  # plans are computed once per zone and preferences, for this id


@dataclass(frozen=True)
class FixedClock:
    at: datetime

    def now(self) -> datetime:
        return self.at


def preference_documents() -> list[dict[str, object]]:
    """Stored preference documents, validated; the first has no quiet hours (the busy users)."""
    documents: list[dict[str, object]] = []
    for quiet in (None, {"start": "22:00", "end": "07:00"}):
        for at in STUDY_TIMES:
            raw: dict[str, object] = {"study": {"enabled": True, "at": at}}
            if quiet:
                raw["quiet"] = quiet
            documents.append(preferences.load(raw).as_json())
    documents.append({})  # the defaults: the streak warning only
    return documents


class Planner:
    """The real planner's rows for (zone, preferences), computed once and reused per user."""

    def __init__(self, documents: list[dict[str, object]], after: datetime) -> None:
        self.documents, self.after = documents, after
        self._plans: dict[tuple[str, int], list[Planned]] = {}

    def rows(self, user_id: uuid.UUID, zone: str, variant: int) -> list[Planned]:
        key = (zone, variant)
        if key not in self._plans:
            prefs = preferences.load(self.documents[variant])
            self._plans[key] = daily_reminders(TEMPLATE, zone, prefs, self.after)
        return self._plans[key]


async def seed(
    dsn: str,
    first: int,
    count: int,
    planner: Planner,
    rng: random.Random,
    busy_until: datetime | None,
) -> int:
    """Users ``first`` to ``first + count`` with identities and reminders; the first ``BUSY``
    study reminders of this call are moved into the minute before ``busy_until``."""
    zones, weights = zip(*ZONES, strict=True)
    documents = [json.dumps(document) for document in planner.documents]
    conn = await asyncpg.connect(dsn)
    written = busy = 0
    try:
        for start in range(first, first + count, CHUNK):
            users, identities, rows = [], [], []
            for n in range(start, min(start + CHUNK, first + count)):
                user_id, zone = uuid.uuid4(), rng.choices(zones, weights)[0]
                moving = busy_until is not None and busy < BUSY
                variant = 0 if moving else rng.randrange(len(documents))
                users.append((user_id, f"Learner {n}", zone, documents[variant]))
                chat = str(FIRST_CHAT + n)
                identities.append((user_id, "telegram", chat, chat, f"Learner {n}"))
                for plan in planner.rows(user_id, zone, variant):
                    due = plan.due_at
                    if moving and plan.kind == STUDY and busy_until is not None:
                        due = busy_until - timedelta(seconds=rng.uniform(0.5, 59.5))
                        busy += 1
                    key = plan.dedupe_key.replace(str(TEMPLATE), str(user_id))
                    data = json.dumps(plan.data)
                    rows.append((user_id, plan.kind, data, due, plan.expires_at, key))
            async with conn.transaction():
                await conn.copy_records_to_table(
                    "users", records=users, columns=["id", "name", "timezone",
                                                     "notification_preferences"]
                )  # fmt: skip
                await conn.copy_records_to_table(
                    "platform_identities",
                    records=identities,
                    columns=["user_id", "platform", "external_id", "chat_id", "display_name"],
                )
                await conn.copy_records_to_table(
                    "notifications",
                    records=rows,
                    columns=["user_id", "kind", "data", "due_at", "expires_at", "dedupe_key"],
                )
            written += len(rows)
        await conn.execute("VACUUM ANALYZE users")
        await conn.execute("VACUUM ANALYZE platform_identities")
        await conn.execute("VACUUM ANALYZE notifications")
    finally:
        await conn.close()
    return written


# -- 1. claim ------------------------------------------------------------------------------

CLAIM_SQL = """
EXPLAIN (ANALYZE, BUFFERS, COSTS OFF)
UPDATE notifications SET claimed_until = :until, attempts = attempts + 1
WHERE id = ANY(ARRAY(
    SELECT id FROM notifications
    WHERE status = 'pending' AND due_at <= :now
      AND (claimed_until IS NULL OR claimed_until <= :now)
      AND (SELECT bool_or(i.platform IN ('telegram')) FROM platform_identities i
            WHERE i.user_id = notifications.user_id AND i.blocked_at IS NULL) IS NOT false
    ORDER BY due_at LIMIT :limit FOR UPDATE SKIP LOCKED))
RETURNING id, user_id, kind, data, due_at, expires_at, attempts
"""  # SqlNotificationRepository.claim's statement for a Telegram worker, for EXPLAIN
# Whose notifications a worker with a Telegram courier claims (as `syllabot worker` here).
TELEGRAM = Audience(frozenset({"telegram"}))


async def claims(engine: AsyncEngine, at: datetime, limit: int, repeats: int) -> list[float]:
    """Seconds per ``claim`` (committed, as the worker does), after one warm-up; the
    claimed rows are released again after each."""
    seconds = []
    for _ in range(repeats + 1):
        started = time.perf_counter()
        due = await claim(
            SqlAlchemyUnitOfWork(engine), FixedClock(at), limit=limit, audience=TELEGRAM
        )
        seconds.append(time.perf_counter() - started)
        assert len(due) == min(limit, BUSY), len(due)
        async with engine.begin() as conn:
            await conn.execute(
                text(
                    "UPDATE notifications SET claimed_until = NULL, attempts = 0 "
                    "WHERE id = ANY(:ids)"
                ),
                {"ids": [d.id for d in due]},
            )
    async with engine.connect() as conn:  # the releases leave dead rows: clear them away
        await (await conn.execution_options(isolation_level="AUTOCOMMIT")).execute(
            text("VACUUM notifications")
        )
    return seconds[1:]


async def explain(engine: AsyncEngine, at: datetime, limit: int) -> list[str]:
    async with engine.connect() as conn:
        transaction = await conn.begin()
        plan = await conn.execute(
            text(CLAIM_SQL),
            {"now": at, "until": at + LEASE, "limit": limit},
        )
        lines = [line for (line,) in plan]
        await transaction.rollback()
    keep = ("Scan", "Join", "Loop", "Execution Time")
    return [line.strip() for line in lines if any(word in line for word in keep)]


async def show_plans(engine: AsyncEngine, at: datetime, batch: int) -> None:
    for limit in (batch, BUSY):
        print(f"  EXPLAIN ANALYZE of a claim of {limit:,}:", flush=True)
        for line in await explain(engine, at, limit):
            print(f"    {line}", flush=True)


def verdict(ok: bool) -> str:
    return "OK" if ok else "MISSED"


async def measure_claims(engine: AsyncEngine, at: datetime, users: int, batch: int) -> float:
    ms = 1000
    batch_times = await claims(engine, at, batch, repeats=9)
    whole_times = await claims(engine, at, BUSY, repeats=3)
    worst, whole = max(batch_times) * ms, statistics.median(whole_times) * ms
    print(
        f"claim at {users:>9,} users, {BUSY:,} due: the worker's batch of {batch}: median "
        f"{statistics.median(batch_times) * ms:5.1f} ms, max {worst:5.1f} ms "
        f"(target <= {TARGET_CLAIM_MS:g} ms: {verdict(worst <= TARGET_CLAIM_MS)}); "
        f"all {BUSY:,} in one claim (not how the worker claims): median {whole:6.1f} ms "
        f"({verdict(whole <= TARGET_CLAIM_MS)})",
        flush=True,
    )
    return statistics.median(batch_times)


# -- 2. and 3. dispatch and memory ---------------------------------------------------------


def peak_rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError("no VmHWM")


async def prepare_dispatch(engine: AsyncEngine, at: datetime, send: int) -> list[int]:
    """``send`` of the busy minute's users get an alert due now; the busy minute's reminders go
    back to a day later (so the start-up maintenance finds every reminder planned). Returns
    the chats the alerts go to."""
    async with engine.begin() as conn:
        chosen = (
            await conn.execute(
                text(
                    "SELECT n.user_id, i.external_id FROM notifications n "
                    "JOIN platform_identities i ON i.user_id = n.user_id "
                    "WHERE n.status = 'pending' AND n.due_at <= :at ORDER BY n.due_at LIMIT :n"
                ),
                {"at": at, "n": send},
            )
        ).all()
        await conn.execute(
            text(
                "UPDATE notifications SET due_at = due_at + interval '1 day' "
                "WHERE status = 'pending' AND due_at <= :at"
            ),
            {"at": at},
        )
        await conn.execute(
            text(
                "INSERT INTO notifications (user_id, kind, data, due_at) "
                "SELECT u, 'expert_verified', '{}'::jsonb, :at "
                "FROM unnest(CAST(:users AS uuid[])) AS u"
            ),
            {"at": at, "users": [user_id for user_id, _ in chosen]},
        )
    return [int(chat) for _, chat in chosen]


async def statuses(engine: AsyncEngine) -> dict[str, int]:
    """The delivered alerts' rows by status."""
    async with engine.connect() as conn:
        rows = await conn.execute(
            text(
                "SELECT status, count(*) FROM notifications "
                "WHERE kind = 'expert_verified' GROUP BY 1"
            )
        )
        return {status: count for status, count in rows}


async def measure_dispatch(url: str, engine: AsyncEngine, at: datetime, send: int) -> None:
    chats = await prepare_dispatch(engine, at, send)
    # The emulator stands in for Telegram's servers: a collection pause of this process would
    # hold requests back and stamp them together, 429s that the worker did not cause.
    gc.collect()
    gc.freeze()
    gc.disable()
    try:
        await dispatch_and_watch(url, engine, send, chats)
    finally:
        gc.enable()
        gc.unfreeze()


async def dispatch_and_watch(url: str, engine: AsyncEngine, send: int, chats: list[int]) -> None:
    async with BotApiEmulator(overall_limit=CAP, chat_limit=1) as api:
        for chat in chats:
            api.private_chat(TgUser(chat, "Learner"))
        with tempfile.TemporaryDirectory() as data_dir:
            env = {
                **os.environ,
                "DATABASE_URL": url,
                "TELEGRAM_BOT_TOKEN": api.token,
                "TELEGRAM_API_BASE_URL": api.base_url,
                "SYLLABOT_DATA_DIR": data_dir,
                "LOG_LEVEL": "WARNING",
            }
            worker = await asyncio.create_subprocess_exec(
                sys.executable, "-m", "bot", "worker", env=env, stdout=asyncio.subprocess.DEVNULL
            )
            try:
                accepted = lambda: api.calls_to("sendMessage")  # noqa: E731
                await api.wait_for(lambda: len(accepted()) >= send, within=send / CAP * 3 + 120)
                for _ in range(300):  # and recorded as sent
                    if (await statuses(engine)).get("sent", 0) >= send:
                        break
                    await asyncio.sleep(0.1)
                peak = peak_rss_mb(worker.pid)
            finally:
                worker.send_signal(signal.SIGTERM)
                await worker.wait()
        sent = accepted()
        rate = (len(sent) - 1) / (sent[-1].at - sent[0].at)
        throttled = api.throttled
    share = rate / CAP
    print(
        f"dispatch: {len(sent):,} messages at {rate:5.2f}/s = {share:.1%} of the {CAP}/s cap "
        f"(target >= {TARGET_SHARE:.0%}: {verdict(share >= TARGET_SHARE)}); 429s: {throttled} "
        f"(target 0: {verdict(throttled == 0)}); rows: {await statuses(engine)}",
        flush=True,
    )
    print(
        f"worker process peak RSS (VmHWM): {peak:.0f} MB "
        f"(target <= {TARGET_RSS_MB:g} MB: {verdict(peak <= TARGET_RSS_MB)})",
        flush=True,
    )


async def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=1_000_000)
    parser.add_argument("--send", type=int, default=3_000)
    args = parser.parse_args(argv)
    if args.users < 10 * BUSY or not 1 <= args.send <= BUSY:
        parser.error(f"--users must be at least {10 * BUSY:,}, --send 1 to {BUSY:,}")
    now = datetime.now(UTC).replace(second=0, microsecond=0)  # the end of the busy minute
    planner = Planner(preference_documents(), after=now + timedelta(hours=1))
    rng = random.Random(5)
    batch = NotificationWorker(None, {"telegram": None}).batch  # type: ignore[arg-type, dict-item]
    async with bench_database() as url:
        engine = create_engine(url)
        try:
            dsn, tenth, started = asyncpg_dsn(url), args.users // 10, time.perf_counter()
            rows = await seed(dsn, 0, tenth, planner, rng, busy_until=now)
            print(
                f"seeded {tenth:,} users, {rows:,} pending reminders "
                f"in {time.perf_counter() - started:.0f} s",
                flush=True,
            )
            await show_plans(engine, now, batch)
            await measure_claims(engine, now, tenth, batch)
            started = time.perf_counter()
            rows += await seed(dsn, tenth, args.users - tenth, planner, rng, busy_until=None)
            print(
                f"seeded {args.users:,} users, {rows:,} pending reminders "
                f"(the rest in {time.perf_counter() - started:.0f} s)",
                flush=True,
            )
            await show_plans(engine, now, batch)
            await measure_claims(engine, now, args.users, batch)
            await measure_dispatch(url, engine, now, args.send)
        finally:
            await engine.dispose()


if __name__ == "__main__":
    asyncio.run(main())
