"""How fast are expert search, profile cards and booking on a marketplace of realistic size?

Seeds, with bulk COPY (seconds, not minutes), 10,000 verified experts with 5 specialties each
drawn from ~300 subjects (a common subject matches a few hundred experts), weekly hours in
varied IANA zones, and 100,000 bookings (mostly completed or cancelled in the past, a few
thousand pending or scheduled in the next 30 days, ratings on a share of the completed ones).
Then, through the real services (``domain.marketplace``) on
``SqlAlchemyUnitOfWork``, it measures:

1. search plus the first page of profile cards: ``experts.search(page=0)``, which returns the
   page's cards with recent reviews and next-7-day slots, one learner at a time, over 200
   queries with varied subjects and filters (max rate, language, level, and a
   few with ``free_within_days=7``). Target: p95 <= 30 ms. Then the same queries through the
   bot's read-through cache (``db.cache``): p95 cold (an empty cache) and warm (again), and
   the hit ratio.
2. booking: ``bookings.book`` by 100 learners at once (each a distinct user, each a distinct
   open slot of a different expert, taken from ``experts.available_slots``), the same 100
   arriving evenly over 2 s, one at a time, and 100 pairs of learners racing for the same slot
   (exactly one of each pair must win: asserted). Target: p95 <= 50 ms. With the burst it
   prints the CPU this process spent per booking (x 100: what the burst costs its one core)
   and the latency of as many transactions with a booking's round trips doing nothing (what
   pool, driver and server cost before any work), measured in turn with the bookings' bursts
   so that both meet the same load; the booking's p95 is to be at most 1.5x that floor's.
   The bursts are measured after ``WARM_UP_BURSTS`` of each, once PostgreSQL has settled the
   plans of every pooled connection's prepared statements (as a running bot's have).
3. the booking walk's transactions: a learner on an expert's card presses 📅 Book, a length, a
   day, a time and ✅ Confirm, through the real ``Dispatcher``; every BEGIN sent to the server
   is counted (``Transactions``, from asyncpg's query log). Target: at most 8
   (tests/integration/test_booking_walk.py asserts it too).

    python -m bench.marketplace                     # embedded PostgreSQL in a temp dir
    BENCH_DATABASE_URL=postgresql+asyncpg://postgres@127.0.0.1:5432/postgres \\
        python -m bench.marketplace                 # an existing server
    python -m bench.marketplace --pool 10           # the bot's default pool size

A fresh database is created, migrated and dropped at the end, as in ``bench.done_throughput``.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import os
import random
import statistics
import time
import uuid
from collections import Counter, defaultdict
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import asyncpg
from sqlalchemy import event, text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine

from bench.common import bench_database
from bot.bootstrap import bootstrap
from bot.handlers import payloads
from bot.handlers.base import Incoming, Reply
from bot.handlers.router import Dispatcher
from db.cache import PgSearchCache
from db.engine import create_engine
from db.uow import SqlAlchemyUnitOfWork
from domain.accounts.model import Identity
from domain.marketplace import bookings, experts
from domain.marketplace.availability import TimeRange, WeeklyAvailability
from domain.marketplace.commands import BookSlot
from domain.marketplace.model import Policy, Proficiency, SearchFilters
from domain.marketplace.rules import price_for

NOW = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)  # the fixed "now" of every service call
EXPERTS = 10_000
SPECIALTIES_PER_EXPERT = 5
BOOKINGS = 100_000
UPCOMING = 4_000  # of BOOKINGS: pending or scheduled in the next 30 days
HISTORY_LEARNERS = 20_000
BENCH_LEARNERS = 2_000  # fresh users for the booking runs, one per booking attempt
# PostgreSQL plans a prepared statement afresh for its first five executions on a connection,
# then settles on a plan; a bot's pooled connections are long past that. The booking runs are
# measured after this many warm-up bursts, enough for every pooled connection to be past it.
WARM_UP_BURSTS = 6
POOL_SIZE = 90  # 100 learners share it (max_connections is 100), less what others hold
SEARCH_TARGET_MS, BOOK_TARGET_MS = 30, 50
WALK_TRANSACTIONS_MAX = 8
BOOK_FLOOR_RATIO = 1.5  # booking p95 at most this times the no-op round trips' p95

LANGUAGES = (
    "Spanish French German Italian Portuguese Japanese Mandarin Korean Arabic Russian Dutch "
    "Swedish Polish Turkish Greek Hindi Hebrew Vietnamese Thai Ukrainian Czech Norwegian "
    "Danish Finnish Indonesian"
).split()
TECH = (
    "Python,JavaScript,TypeScript,Java,C++,C#,Go programming,Rust,Kotlin,Swift,Ruby,PHP,SQL,"
    "R programming,MATLAB,React,Vue.js,Angular,Node.js,Django,Flask,Spring Boot,Docker,"
    "Kubernetes,AWS,Azure,Linux,Git,Machine learning,Deep learning,Data science,Data analysis,"
    "Excel,Power BI,Tableau,Cybersecurity,Networking,Web design,UX design,Figma,Photoshop,"
    "Blender,Unity,Unreal Engine,iOS development,Android development,Algorithms,System design,"
    "DevOps,Blockchain"
).split(",")
ACADEMIC = (
    "Algebra,Geometry,Trigonometry,Calculus,Linear algebra,Statistics,Probability,"
    "Discrete mathematics,Physics,Chemistry,Organic chemistry,Biology,Anatomy,Economics,"
    "Microeconomics,Accounting,Finance,Marketing,Public speaking,Creative writing,"
    "Essay writing,English literature,History,Philosophy,Psychology,Sociology,Law,Astronomy,"
    "Geography,Music theory,Piano,Guitar,Violin,Drums,Singing,Drawing,Painting,Photography,"
    "Chess,Yoga,Nutrition,Cooking,Project management,Product management,Negotiation,"
    "Leadership,Interview preparation,SAT math,IELTS,TOEFL"
).split(",")
# (subject as an expert lists it, the word a learner types to find it): 300 subjects.
VOCABULARY = (
    [(f"{lang}{form}", lang) for lang in LANGUAGES for form in ("", " conversation", " grammar")]
    + [(f"Business {lang}", lang) for lang in LANGUAGES]
    + [(f"{form}{x}", x) for x in TECH for form in ("", "Advanced ")]
    + [(f"{x}{form}", x) for x in ACADEMIC for form in ("", " for beginners")]
)
# Popular subjects first, each drawn (by experts and by learners) with weight 1/sqrt(rank).
POPULAR = random.Random(0).sample(VOCABULARY, len(VOCABULARY))
WEIGHTS = [1 / (rank + 1) ** 0.5 for rank in range(len(POPULAR))]
ZONES = (
    "Europe/Berlin Europe/London Europe/Madrid Europe/Paris Europe/Warsaw Europe/Kyiv "
    "Europe/Istanbul America/New_York America/Chicago America/Denver America/Los_Angeles "
    "America/Sao_Paulo America/Mexico_City America/Toronto Asia/Kolkata Asia/Kathmandu "
    "Asia/Tokyo Asia/Shanghai Asia/Singapore Australia/Sydney Pacific/Auckland Africa/Lagos"
).split()
SPOKEN = ("es", "de", "fr", "it", "pt", "nl", "pl", "uk", "tr", "ar", "hi", "ja", "zh", "ko")
LEVELS = tuple(Proficiency)


@dataclass(frozen=True)
class FixedClock:
    at: datetime

    def now(self) -> datetime:
        return self.at


@dataclass
class Seeded:
    expert_ids: list[uuid.UUID]
    subjects: dict[str, set[uuid.UUID]]  # lower-case subject -> experts listing it
    learners: list[uuid.UUID]  # fresh users for the booking runs
    counts: dict[str, int]


# -- seeding ---------------------------------------------------------------------------------


def weekly_hours(rng: random.Random) -> WeeklyAvailability:
    """3-5 weekdays, each with a morning range and sometimes an afternoon or evening one."""
    days: list[tuple[TimeRange, ...]] = [()] * 7
    for weekday in rng.sample(range(7), rng.randint(3, 5)):
        start = rng.choice(range(7 * 60, 11 * 60 + 1, 30))
        ranges = [TimeRange(start, start + rng.choice((120, 180, 240)))]
        if rng.random() < 0.5:
            later = rng.choice(range(16 * 60, 19 * 60 + 1, 30))
            ranges.append(TimeRange(later, later + rng.choice((120, 180))))
        days[weekday] = tuple(ranges)
    return WeeklyAvailability(tuple(days))


def upcoming_start(
    rng: random.Random, weekly: WeeklyAvailability, zone: str, taken: set[datetime]
) -> datetime | None:
    """A free whole-hour start inside the expert's hours in the next 30 days, or None."""
    tz = ZoneInfo(zone)
    for _ in range(20):
        day = NOW.astimezone(tz).date() + timedelta(days=rng.randint(1, 30))
        ranges = weekly.ranges_on(day)
        if not ranges:
            continue
        r = rng.choice(ranges)
        minute = rng.choice(range(r.start, r.end - 60 + 1, 60))
        local = datetime(day.year, day.month, day.day, minute // 60, minute % 60, tzinfo=tz)
        start = local.astimezone(UTC)
        if start not in taken and start > NOW + timedelta(hours=1):
            taken.add(start)
            return start
    return None


async def copy(
    conn: asyncpg.Connection,
    table: str,
    columns: Sequence[str],
    rows: Sequence[tuple[object, ...]],
) -> None:
    await conn.copy_records_to_table(table, records=rows, columns=list(columns))


async def seed(dsn: str, rng: random.Random) -> Seeded:
    """Fill the marketplace with bulk COPY; stats and ANALYZE at the end."""
    users: list[tuple[uuid.UUID, str, str]] = []
    expert_users = [uuid.uuid4() for _ in range(EXPERTS)]
    history = [uuid.uuid4() for _ in range(HISTORY_LEARNERS)]
    fresh = [uuid.uuid4() for _ in range(BENCH_LEARNERS)]
    for kind, ids in (("expert", expert_users), ("learner", history), ("bench", fresh)):
        users += [(uid, f"{kind} {i}", rng.choice(ZONES)) for i, uid in enumerate(ids)]

    expert_rows, specialty_rows, availability_rows = [], [], []
    subjects: dict[str, set[uuid.UUID]] = defaultdict(set)
    profiles: dict[uuid.UUID, tuple[WeeklyAvailability, str, Decimal, Decimal, float]] = {}
    for i, user_id in enumerate(expert_users):
        expert_id, zone = uuid.uuid4(), rng.choice(ZONES)
        low = Decimal(rng.randrange(15, 90))
        high = low + Decimal(rng.choice((0, 5, 10, 20, 40)))
        languages = ["en", rng.choice(SPOKEN)] if rng.random() < 0.7 else [rng.choice(SPOKEN)]
        link = f"https://meet.example/expert-{i}" if rng.random() < 0.3 else None
        expert_rows.append(
            (expert_id, user_id, f"Expert {i}", f"Teaching since {2000 + i % 25}.", None, low,
             high, zone, languages, "verified", NOW - timedelta(days=400), "EUR", link)
        )  # fmt: skip
        chosen: dict[str, None] = {}
        while len(chosen) < SPECIALTIES_PER_EXPERT:
            chosen[rng.choices(POPULAR, WEIGHTS)[0][0]] = None
        for subject in chosen:
            level = rng.choices(LEVELS, (5, 25, 40, 30))[0]
            specialty_rows.append((expert_id, subject, level.value))
            subjects[subject.lower()].add(expert_id)
        weekly = weekly_hours(rng)
        availability_rows += [
            (expert_id, day, json.dumps(slots), zone) for day, slots in weekly.to_rows()
        ]
        profiles[expert_id] = (weekly, zone, low, high, rng.uniform(2.8, 4.9))

    ids = list(profiles)
    demand = [rng.paretovariate(1.5) for _ in ids]  # a few experts are much busier
    booking_rows, feedback_rows = [], []
    taken: dict[uuid.UUID, set[datetime]] = defaultdict(set)
    upcoming = 0
    for n, expert_id in enumerate(rng.choices(ids, demand, k=BOOKINGS)):
        weekly, zone, low, high, quality = profiles[expert_id]
        booking_id, learner = uuid.uuid4(), rng.choice(history)
        minutes = rng.choices((30, 60, 90), (2, 6, 2))[0]
        confirmed = expires = reason = link = None
        start = upcoming_start(rng, weekly, zone, taken[expert_id]) if n < UPCOMING else None
        if start is not None:  # None: no free hour found; a past booking instead
            minutes, upcoming = 60, upcoming + 1
            created = NOW - timedelta(hours=rng.randint(1, 40))
            if rng.random() < 0.25:
                status, expires = "pending", min(created + timedelta(hours=48), start)
            else:
                status, confirmed = "scheduled", created + timedelta(hours=2)
                link = f"https://meet.jit.si/syllabot-{booking_id.hex}"
            payment = "pending"
        else:
            start = NOW - timedelta(minutes=30 * rng.randint(48, 365 * 48))
            created = start - timedelta(days=rng.randint(1, 20))
            status = rng.choices(("completed", "cancelled", "no_show"), (72, 22, 6))[0]
            payment = {"completed": "paid", "cancelled": "refunded", "no_show": "paid"}[status]
            reason = "Something came up." if status == "cancelled" else None
            if status == "completed" and rng.random() < 0.4:
                rating = min(5, max(1, round(rng.gauss(quality, 0.8))))
                review = rng.choice((None, None, "Clear and patient.", "Very helpful!", "Ok."))
                feedback_rows.append(
                    (booking_id, rating, review, start + timedelta(hours=rng.randint(1, 72)))
                )
        booking_rows.append(
            (booking_id, learner, expert_id, start, minutes, status, payment, link,
             price_for(low, high, minutes), "EUR", confirmed, expires, reason, created)
        )  # fmt: skip

    conn = await asyncpg.connect(dsn)
    try:
        await copy(conn, "users", ("id", "name", "timezone"), users)
        await copy(
            conn,
            "experts",
            ("id", "user_id", "display_name", "bio", "credentials", "hourly_rate_min",
             "hourly_rate_max", "timezone", "languages", "verification_status", "approval_date",
             "currency", "meeting_link"),
            expert_rows,
        )  # fmt: skip
        await copy(
            conn, "expert_specialties", ("expert_id", "subject", "proficiency_level"),
            specialty_rows,
        )  # fmt: skip
        await copy(
            conn, "expert_availability", ("expert_id", "day_of_week", "time_slots", "timezone"),
            availability_rows,
        )  # fmt: skip
        await copy(
            conn,
            "bookings",
            ("id", "user_id", "expert_id", "session_date", "duration", "status",
             "payment_status", "meeting_link", "price", "currency", "confirmed_at",
             "expires_at", "cancel_reason", "created_at"),
            booking_rows,
        )  # fmt: skip
        await copy(
            conn, "session_feedback", ("booking_id", "rating", "review", "created_at"),
            feedback_rows,
        )  # fmt: skip
        # What SqlBookingRepository.refresh_expert_stats keeps, for every expert at once.
        await conn.execute(
            """
            UPDATE experts e
               SET average_rating = s.rating, total_sessions = s.sessions
              FROM (SELECT b.expert_id,
                           coalesce(round(avg(f.rating), 2), 0) AS rating,
                           count(*) FILTER (WHERE b.status = 'completed') AS sessions
                      FROM bookings b LEFT JOIN session_feedback f ON f.booking_id = b.id
                     GROUP BY b.expert_id) s
             WHERE e.id = s.expert_id
            """
        )
        await conn.execute("ANALYZE")
    finally:
        await conn.close()
    counts = {
        "experts": len(expert_rows),
        "specialties": len(specialty_rows),
        "availability rows": len(availability_rows),
        "bookings": len(booking_rows),
        "upcoming": upcoming,
        "ratings": len(feedback_rows),
    }
    return Seeded(ids, subjects, fresh, counts)


# -- measuring -------------------------------------------------------------------------------


def ms(seconds: Sequence[float]) -> str:
    """ "p50 x ms, p95 y ms" of the given latencies."""
    cuts = statistics.quantiles(seconds, n=100, method="inclusive")
    return f"p50 {cuts[49] * 1000:5.1f} ms, p95 {cuts[94] * 1000:5.1f} ms"


def p95(seconds: Sequence[float]) -> float:
    return statistics.quantiles(seconds, n=100, method="inclusive")[94]


def verdict(seconds: Sequence[float], target_ms: int) -> str:
    met = p95(seconds) * 1000 <= target_ms
    return f"[target p95 <= {target_ms} ms: {'met' if met else 'MISSED'}]"


def search_queries(rng: random.Random, count: int) -> list[SearchFilters]:
    """Subjects as learners type them (common ones more often) with a mix of filters."""
    queries = []
    for i in range(count):
        full, word = rng.choices(POPULAR, WEIGHTS)[0]
        subject = full if rng.random() < 0.2 else word
        kind = i % 10
        queries.append(
            SearchFilters(
                subject=subject.lower() if rng.random() < 0.5 else subject,
                max_rate=Decimal(rng.choice((30, 45, 60))) if kind in (1, 2, 7) else None,
                language=rng.choice(("en", "es", "de", "fr")) if kind in (3, 4, 7) else None,
                proficiency=rng.choice(LEVELS[1:]) if kind in (5, 6) else None,
                free_within_days=7 if kind == 9 else None,
            )
        )
    return queries


async def search_and_cards(
    engine: AsyncEngine, queries: list[SearchFilters], seeded: Seeded
) -> None:
    clock, policy = FixedClock(NOW), Policy()
    found_per_query, slots_per_card = [], []

    async def one(filters: SearchFilters) -> float:
        started = time.perf_counter()
        cards = await experts.search(filters, SqlAlchemyUnitOfWork(engine), clock, policy, page=0)
        elapsed = time.perf_counter() - started
        slots_per_card.extend(len(card.next_slots) for card in cards)
        found_per_query.append(len(cards))
        return elapsed

    for filters in queries[:20]:  # warm-up: SQLAlchemy's compiled cache, prepared statements
        await one(filters)
    found_per_query.clear()
    slots_per_card.clear()
    total: list[float] = []
    split: dict[bool, list[float]] = {True: [], False: []}
    for filters in queries:
        elapsed = await one(filters)
        total.append(elapsed)
        split[filters.free_within_days is not None].append(elapsed)

    matches = [
        len(set().union(*(e for s, e in seeded.subjects.items() if f.subject.lower() in s)))
        for f in queries
    ]
    print(
        f"search + first page of profile cards, {len(queries)} queries one at a time "
        f"(subject matches: median {statistics.median(matches):.0f}, max {max(matches)} "
        f"experts; page sizes {dict(sorted(Counter(found_per_query).items()))}; "
        f"cards with a slot in 7 days: {sum(1 for s in slots_per_card if s)}/"
        f"{len(slots_per_card)})"
    )
    print(f"  {'all queries':<31}{ms(total)} {verdict(total, SEARCH_TARGET_MS)}")
    for free, label in ((False, "without free_within_days"), (True, "free_within_days=7")):
        print(f"  {label + f' ({len(split[free])})':<31}{ms(split[free])}")
    await through_the_cache(engine, queries)


async def through_the_cache(engine: AsyncEngine, queries: list[SearchFilters]) -> None:
    """The same queries through the bot's read-through cache (``db.cache``, listening on its
    own connection): once into an empty cache (cold), then again (warm)."""
    clock, policy = FixedClock(NOW), Policy()
    cache = PgSearchCache.for_engine(engine)
    await cache.start()
    try:
        passes: dict[str, list[float]] = {"cold": [], "warm": []}
        for label, latencies in passes.items():
            hits = cache.hits
            for filters in queries:
                started = time.perf_counter()
                await experts.search(
                    filters, SqlAlchemyUnitOfWork(engine), clock, policy, page=0, cache=cache
                )
                latencies.append(time.perf_counter() - started)
            cuts = statistics.quantiles(latencies, n=100, method="inclusive")
            print(
                f"  {f'through the cache, {label}':<31}p50 {cuts[49] * 1000:7.3f} ms, "
                f"p95 {cuts[94] * 1000:7.3f} ms (hits {cache.hits - hits}/{len(queries)})"
            )
        print(
            f"  search cache hit ratio over both passes: {cache.hit_ratio:.0%} "
            f"({cache.hits} hits, {cache.misses} misses, {len(cache)} entries)"
        )
    finally:
        await cache.close()


async def open_slots(
    engine: AsyncEngine, expert_ids: list[uuid.UUID], wanted: int
) -> list[tuple[uuid.UUID, datetime]]:
    """One open 60-minute slot per expert, from ``experts.available_slots``."""
    clock, policy = FixedClock(NOW), Policy()
    picked: list[tuple[uuid.UUID, datetime]] = []
    while len(picked) < wanted:
        expert_id = expert_ids.pop()
        uow = SqlAlchemyUnitOfWork(engine)
        slots = await experts.available_slots(expert_id, 60, uow, clock, policy)
        if slots:
            picked.append((expert_id, slots[len(slots) // 2]))
    return picked


async def timed(
    calls: list[Callable[[], Awaitable[object]]], spread: float = 0.0
) -> tuple[float, list[float], list[object]]:
    """Run the calls concurrently, call i starting ``i * spread / len(calls)`` s after the
    first (all at once by default): (wall seconds, each call's latency, each result or error).
    """
    latencies: list[float] = [0.0] * len(calls)

    async def one(i: int) -> object:
        await asyncio.sleep(i * spread / len(calls))
        started = time.perf_counter()
        try:
            return await calls[i]()
        finally:
            latencies[i] = time.perf_counter() - started

    started = time.perf_counter()
    results = await asyncio.gather(*(one(i) for i in range(len(calls))), return_exceptions=True)
    return time.perf_counter() - started, latencies, results


async def booking(
    engine: AsyncEngine, pool: int, seeded: Seeded, learners: int, rounds: int
) -> None:
    clock, policy = FixedClock(NOW), Policy()
    spare = list(seeded.learners)  # every attempt is by a learner who never booked before
    experts_left = random.Random(7).sample(seeded.expert_ids, len(seeded.expert_ids))

    def book(expert_id: uuid.UUID, at: datetime) -> Callable[[], Awaitable[object]]:
        learner, uow = spare.pop(), SqlAlchemyUnitOfWork(engine)
        return lambda: bookings.book(BookSlot(learner, expert_id, at, 60), uow, clock, policy)

    async def run_all(size: int, spread: float = 0.0) -> tuple[float, float, list[float]]:
        """(wall seconds, seconds the event loop's thread was on the CPU, latencies)."""
        calls = [book(e, at) for e, at in await open_slots(engine, experts_left, size)]
        cpu_started = time.thread_time()
        wall, latencies, results = await timed(calls, spread)
        cpu = time.thread_time() - cpu_started
        for result in results:
            if isinstance(result, BaseException):
                raise result
        return wall, cpu, latencies

    for _ in range(WARM_UP_BURSTS):  # opens the pool's connections, settles statement caches
        await run_all(learners)
        await round_trips_only(engine, learners)
    walls, cpus, together, floor = 0.0, 0.0, list[float](), list[float]()
    each: list[str] = []
    for _ in range(rounds):  # bookings and the floor in turn, so that both meet the same load
        wall, cpu, latencies = await run_all(learners)
        walls, cpus, together = walls + wall, cpus + cpu, together + latencies
        nothing = await round_trips_only(engine, learners)
        floor += nothing
        each.append(f"{p95(latencies) * 1000:.0f}/{p95(nothing) * 1000:.0f}")
    per_booking = cpus / len(together)
    print(
        f"booking, {learners} learners at once x {rounds} rounds (pool {pool}): "
        f"{ms(together)}, {len(together) / walls:4.0f} bookings/s "
        f"{verdict(together, BOOK_TARGET_MS)}\n"
        f"  (the event loop's thread was on the CPU {cpus / walls:.0%} of that time: "
        f"{per_booking * 1e6:.0f} us per booking, so {learners} at once need "
        f"{per_booking * learners * 1000:.0f} ms of this process's one core)"
    )
    print(
        f"  the same round trips doing nothing (BEGIN, 2 x SELECT 1, COMMIT), {learners} at "
        f"once x {rounds}, in turn with them: {ms(floor)}"
    )
    ratio = p95(together) / p95(floor)
    print(
        f"  booking p95 / that floor's p95: {ratio:.2f} (each round's, ms: {', '.join(each)}) "
        f"[target <= {BOOK_FLOOR_RATIO}: {'met' if ratio <= BOOK_FLOOR_RATIO else 'MISSED'}]"
    )
    _, _, spaced = await run_all(learners, spread=2.0)
    print(
        f"booking, {learners} learners arriving evenly over 2 s: {ms(spaced)} "
        f"{verdict(spaced, BOOK_TARGET_MS)}"
    )
    alone = []
    for expert_id, at in await open_slots(engine, experts_left, learners):
        alone += (await timed([book(expert_id, at)]))[1]
    print(f"booking, one learner at a time ({len(alone)} bookings):  {ms(alone)}")

    pairs = await open_slots(engine, experts_left, learners)
    calls = [book(e, at) for e, at in pairs for _ in range(2)]
    wall, latencies, results = await timed(calls)
    for i in range(0, len(results), 2):
        pair = results[i : i + 2]
        won = [r for r in pair if not isinstance(r, BaseException)]
        lost = [r for r in pair if isinstance(r, bookings.SlotTaken)]
        assert len(won) == 1 and len(lost) == 1, f"pair {i // 2}: {pair!r}"
    async with engine.connect() as conn:
        stored = await conn.scalar(
            text(
                "SELECT count(*) FROM bookings b JOIN unnest(CAST(:experts AS uuid[]),"
                " CAST(:starts AS timestamptz[])) AS s(expert_id, starts_at)"
                " ON b.expert_id = s.expert_id AND b.session_date = s.starts_at"
            ),
            {"experts": [e for e, _ in pairs], "starts": [at for _, at in pairs]},
        )
    assert stored == len(pairs), f"{stored} bookings stored for {len(pairs)} raced slots"
    print(
        f"race, {len(pairs)} pairs of learners for {len(pairs)} slots at once: exactly one "
        f"winner per pair, the other refused with SlotTaken (asserted, {stored} rows stored); "
        f"{ms(latencies)}, {len(calls) / wall:4.0f} attempts/s"
    )


async def round_trips_only(engine: AsyncEngine, size: int) -> list[float]:
    """Latencies of ``size`` transactions at once shaped like a booking's (BEGIN, two statements,
    COMMIT) doing nothing: what the pool, the driver and the server cost before any work."""
    nothing = text("SELECT 1")

    async def one() -> None:
        async with engine.connect() as conn:
            await conn.execute(nothing)
            await conn.execute(nothing)
            await conn.commit()

    return (await timed([one] * size))[1]


class Transactions:
    """Counts the transactions the server is asked to begin while the block runs: the BEGINs
    asyncpg sends on the engine's connections (its query log), whoever began them."""

    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine.sync_engine
        self._watched: list[Any] = []  # the asyncpg connections whose queries are logged
        self.count = 0

    def _checkout(self, dbapi_connection: Any, *_: object) -> None:
        driver = dbapi_connection.driver_connection
        driver.add_query_logger(self._logged)
        self._watched.append(driver)

    def _logged(self, query: Any) -> None:
        if query.query.lstrip().upper().startswith("BEGIN"):
            self.count += 1

    async def __aenter__(self) -> Transactions:
        event.listen(self._engine, "checkout", self._checkout)
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        event.remove(self._engine, "checkout", self._checkout)
        await asyncio.sleep(0)  # asyncpg calls its query loggers soon after each query
        for driver in self._watched:
            driver.remove_query_logger(self._logged)


async def press(
    dispatcher: Dispatcher, identity: Identity, replies: list[Reply], label: str | None = None
) -> list[Reply]:
    """Press the button labelled ``label`` (None: the first; "60 min" presses "60 min · 30.00
    EUR") under ``replies``, as a person."""
    for reply in replies:
        for button in (b for row in reply.buttons for b in row):
            if button.payload and (label is None or button.label.split(" · ")[0] == label):
                return await dispatcher.handle(Incoming(identity, payload=button.payload))
    raise LookupError(f"no button {label or ''!r} in {[r.text for r in replies]}")


async def booking_walk(
    dispatcher: Dispatcher, engine: AsyncEngine, identity: Identity, expert_id: uuid.UUID
) -> tuple[int, list[Reply]]:
    """A learner opens an expert's card, then presses 📅 Book, 60 min, the first day, the first
    time and ✅ Confirm, through ``dispatcher`` as an adapter would. Returns the transactions
    from the Book press on, and the replies of each press."""

    card = await dispatcher.handle(
        Incoming(identity, text=f"/start {payloads.deep_link('e', expert_id.hex)}")
    )
    pressed = []
    async with Transactions(engine) as transactions:
        replies = await press(dispatcher, identity, card, "📅 Book")
        for label in ("60 min", None, None, "✅ Confirm"):
            pressed.append(replies)
            replies = await press(dispatcher, identity, replies, label)
    return transactions.count, [*pressed, replies]


async def walk_transactions(engine: AsyncEngine, seeded: Seeded) -> None:
    """The booking walk's transactions, through the real dispatcher."""
    dispatcher = bootstrap(engine, clock=FixedClock(NOW), policy=Policy())
    for attempt, expert_id in enumerate(seeded.expert_ids[:20]):
        name = f"walker-{attempt}"
        identity = Identity("terminal", name, f"terminal:{name}", name)
        try:
            count, replies = await booking_walk(dispatcher, engine, identity, expert_id)
        except LookupError:  # an expert without free time soon: try the next
            continue
        assert "Requested!" in replies[-1][-1].text, replies[-1][-1].text
        met = count <= WALK_TRANSACTIONS_MAX
        print(
            f"booking walk (Book, length, day, time, Confirm) through the dispatcher: "
            f"{count} transactions [target <= {WALK_TRANSACTIONS_MAX}: "
            f"{'met' if met else 'MISSED'}]"
        )
        return
    raise AssertionError("no expert with free time to walk to")


async def pool_size(dsn: str, wanted: int = POOL_SIZE) -> int:
    """``wanted``, or fewer when other clients of a shared server hold connections."""
    conn = await asyncpg.connect(dsn)
    try:
        free = await conn.fetchval(
            "SELECT current_setting('max_connections')::int - count(*)"
            " FROM pg_stat_activity WHERE backend_type = 'client backend'"
        )
    finally:
        await conn.close()
    return max(1, min(wanted, free - 5))  # 5 spare for whoever connects next


async def run(url: str, args: argparse.Namespace) -> None:
    rng = random.Random(args.seed)
    dsn = make_url(url).set(drivername="postgresql").render_as_string(False)
    started = time.perf_counter()
    seeded = await seed(dsn, rng)
    c = seeded.counts
    where = url.split("@")[-1].split("?")[0]
    print(
        f"PostgreSQL at {where}" + ("" if os.environ.get("BENCH_DATABASE_URL") else " (embedded)")
    )
    print(
        f"seeded {c['experts']:,} experts, {c['specialties']:,} specialties "
        f"({len(VOCABULARY)} subjects), {c['availability rows']:,} availability rows, "
        f"{c['bookings']:,} bookings ({c['upcoming']:,} upcoming), {c['ratings']:,} ratings "
        f"in {time.perf_counter() - started:.1f} s (with ANALYZE)"
    )
    pool = await pool_size(dsn, args.pool)
    engine = create_engine(url, pool_size=pool)
    try:
        await walk_transactions(engine, seeded)
        await search_and_cards(engine, search_queries(rng, args.queries), seeded)
        # What this process has made so far (the seed's rows and lists, the search runs) lives
        # to the end of the run; frozen, the collector no longer walks it, which otherwise costs
        # one burst of each run a full collection (50-120 ms measured here) that a bot process,
        # holding none of it, would not pay.
        gc.collect()
        gc.freeze()
        await booking(engine, pool, seeded, args.learners, args.rounds)
    finally:
        await engine.dispose()


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--learners", type=int, default=100)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument(
        "--pool",
        type=int,
        default=POOL_SIZE,
        help=f"connections in the pool (default {POOL_SIZE}; the bot's default is 10)",
    )
    args = parser.parse_args()
    if args.learners * (args.rounds + WARM_UP_BURSTS + 4) > BENCH_LEARNERS:
        parser.error(
            f"--learners x (--rounds + {WARM_UP_BURSTS + 4}) must be at most {BENCH_LEARNERS}"
        )
    async with bench_database() as url:
        await run(url, args)


if __name__ == "__main__":
    asyncio.run(main())
