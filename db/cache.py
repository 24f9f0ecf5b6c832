"""The read-through cache of search pages and profile cards, kept right across processes.

Every change to what they show sends a NOTIFY on ``syllabot_cache`` from a trigger in the
changing transaction (migration 0013), so it arrives only once the change is committed, and a
rolled-back change sends nothing. Each process holds one asyncpg connection that LISTENs and
drops the entries a notification affects:

- ``e:<expert id>`` (profile, specialties, verification, ratings): every search page (the
  expert may now rank or match differently) and the expert's cards;
- ``s:<expert id>`` (weekly hours, time off, bookings): the expert's cards, the pages that
  show them, and the pages filtered by free time.

Bookings are the exception (migration 0015): PostgreSQL serializes the commits of all
transactions that sent a NOTIFY, which made concurrent bookings wait for each other, so their
trigger writes ``s:<expert id>`` into the unlogged table ``cache_changes`` instead, and the same
connection polls it every ``poll_every`` seconds by snapshot: it reads the rows of the
transactions that committed since its previous poll (their ``xid`` is not visible in that
poll's snapshot, whatever order they committed in). So another process's booking reaches this
cache within half a second. Rows older than a five-minute-old snapshot are pruned by whoever
polls.

While the listening connection is down nothing is kept or served (a notification could be
missed); when it is lost the cache is cleared and the connection made again. An entry loaded
while a notification arrived is not kept (it may have been read before the change). Entries
also expire after ``ttl`` seconds.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Awaitable, Callable, Hashable, Iterable
from dataclasses import dataclass
from typing import Any, TypeVar
from uuid import UUID, uuid4

import asyncpg
from cachetools import TTLCache
from sqlalchemy.ext.asyncio import AsyncEngine

logger = logging.getLogger(__name__)

CHANNEL = "syllabot_cache"
# The changes committed since the snapshot ``$1`` (the previous poll's), and the snapshot now.
_CHANGES = """
SELECT pg_current_snapshot()::text AS now,
       ARRAY(SELECT DISTINCT payload FROM cache_changes
             WHERE xid >= pg_snapshot_xmin($1::text::pg_snapshot)
               AND NOT pg_visible_in_snapshot(xid, $1::text::pg_snapshot)) AS payloads
"""
_PRUNE = "DELETE FROM cache_changes WHERE xid < pg_snapshot_xmin($1::text::pg_snapshot)"
PRUNE_EVERY = 300.0  # seconds; a row is pruned once a snapshot this old had it committed
T = TypeVar("T")


@dataclass(frozen=True)
class _Entry:
    value: Any
    experts: frozenset[UUID]
    free_time: bool
    search: bool


class PgSearchCache:
    """Implements ``domain.marketplace.ports.SearchCache``; ``start()`` before use, ``close()``
    after. ``timer``: seconds as a float (tests pass a fake clock's)."""

    def __init__(
        self,
        connect: Callable[[], Awaitable[Any]],
        *,
        ttl: float = 60.0,
        maxsize: int = 4096,
        timer: Callable[[], float] = time.monotonic,
        check_every: float = 30.0,
        retry_after: float = 1.0,
        poll_every: float = 0.5,
    ) -> None:
        self._connect = connect
        self._entries: TTLCache[Hashable, _Entry] = TTLCache(maxsize, ttl, timer=timer)
        self._check_every, self._retry_after = check_every, retry_after
        self._poll_every = poll_every
        self._snapshot: str | None = None  # the previous poll's, of cache_changes
        self._polling = asyncio.Lock()  # one query at a time on the connection
        self._prune_below: str | None = None  # a snapshot about PRUNE_EVERY old
        self._prune_at = 0.0
        self._conn: Any = None
        self._live = False
        self._generation = 0  # bumped by every invalidation
        self._closing = False
        self._task: asyncio.Task[None] | None = None
        self._lost = asyncio.Event()
        self.hits = self.misses = self.invalidations = 0
        self._barriers: dict[str, asyncio.Future[None]] = {}
        self.connected = asyncio.Event()
        self.reconnected = asyncio.Event()  # set each time the listener is made again

    @classmethod
    def for_engine(cls, engine: AsyncEngine, **options: Any) -> PgSearchCache:
        """A cache whose listening connection goes where ``engine``'s connections go."""
        args, kwargs = engine.dialect.create_connect_args(engine.url)
        for sqlalchemy_only in ("prepared_statement_cache_size", "prepared_statement_name_func"):
            kwargs.pop(sqlalchemy_only, None)
        return cls(lambda: asyncpg.connect(*args, **kwargs), **options)

    @property
    def caching(self) -> bool:
        return True

    @property
    def hit_ratio(self) -> float:
        asked = self.hits + self.misses
        return self.hits / asked if asked else 0.0

    @property
    def listener_pid(self) -> int | None:
        """The server process of the listening connection (None while it is down)."""
        return None if self._conn is None else int(self._conn.get_server_pid())

    def __len__(self) -> int:
        return len(self._entries)

    async def read(
        self,
        key: Hashable,
        load: Callable[[], Awaitable[T]],
        *,
        experts: Callable[[T], Iterable[UUID]],
        free_time: bool = False,
    ) -> T:
        if self._live:
            entry = self._entries.get(key)
            if entry is not None:
                self.hits += 1
                value: T = entry.value
                return value
        self.misses += 1
        generation = self._generation
        value = await load()
        if self._live and generation == self._generation:
            search = isinstance(key, tuple) and bool(key) and key[0] == "search"
            self._entries[key] = _Entry(value, frozenset(experts(value)), free_time, search)
        return value

    def clear(self) -> None:
        self._generation += 1
        self._entries.clear()

    def invalidate(self, payload: str) -> None:
        """Drop what one notification (``<kind>:<expert id>``) affects; anything else: all."""
        kind, _, expert = payload.partition(":")
        if kind == "sync":  # caught_up()'s own: every earlier one has been applied
            waiter = self._barriers.pop(expert, None)
            if waiter is not None and not waiter.done():
                waiter.set_result(None)
            return
        try:
            expert_id = UUID(expert)
        except ValueError:
            kind = "?"
        self._generation += 1
        self.invalidations += 1
        if kind not in ("e", "s"):
            self._entries.clear()
            return
        for key, entry in list(self._entries.items()):
            if expert_id in entry.experts or (entry.search and (kind == "e" or entry.free_time)):
                self._entries.pop(key, None)

    async def caught_up(self) -> None:
        """Wait until every change committed before this call has been applied here
        (notifications arrive in commit order; this one comes after them)."""
        token = uuid4().hex
        waiter = self._barriers[token] = asyncio.get_running_loop().create_future()
        try:
            async with self._polling:
                await self._conn.execute("SELECT pg_notify($1, $2)", CHANNEL, f"sync:{token}")
            await asyncio.wait_for(waiter, 10)
        finally:
            self._barriers.pop(token, None)
        await self._poll()

    async def _poll(self) -> None:
        """Apply the bookings' changes committed since the previous poll."""
        async with self._polling:
            row = await self._conn.fetchrow(_CHANGES, self._snapshot)
            self._snapshot = row["now"]
            for payload in row["payloads"]:
                self.invalidate(payload)
            if time.monotonic() >= self._prune_at:
                if self._prune_below is not None:
                    await self._conn.execute(_PRUNE, self._prune_below)
                self._prune_below, self._prune_at = self._snapshot, time.monotonic() + PRUNE_EVERY

    async def start(self) -> None:
        """Connect the listener (waiting for the first connection) and keep it connected."""
        await self._listen()
        self._task = asyncio.create_task(self._keep_listening())

    async def close(self) -> None:
        self._closing = True
        self._live = False
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        await self._drop_connection()
        self.clear()

    async def _listen(self) -> None:
        conn = await self._connect()
        conn.add_termination_listener(self._terminated)
        await conn.add_listener(CHANNEL, self._notified)
        self._snapshot = await conn.fetchval("SELECT pg_current_snapshot()::text")
        self._conn = conn
        self.clear()  # whatever changed while nobody listened
        self._live = True
        self._lost.clear()
        self.connected.set()

    def _notified(self, _conn: object, _pid: int, _channel: str, payload: str) -> None:
        self.invalidate(payload)

    def _terminated(self, _conn: object) -> None:
        if not self._closing:
            self._went_away("the listening connection was closed")

    def _went_away(self, why: str) -> None:
        if self._live:
            logger.warning("search cache: %s; cleared, reconnecting", why)
        self._live = False
        self.connected.clear()
        self.clear()
        self._lost.set()

    async def _keep_listening(self) -> None:
        while not self._closing:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._lost.wait(), self._poll_every)
            if not self._lost.is_set():
                try:  # also how a connection that died without telling (a cut network) is found
                    await asyncio.wait_for(self._poll(), self._check_every)
                    continue
                except Exception:  # noqa: BLE001 - any failure means the listener is gone
                    self._went_away("the listening connection stopped answering")
            await self._drop_connection()
            while not self._closing:
                try:
                    await self._listen()
                    self.reconnected.set()
                    break
                except Exception as exc:  # noqa: BLE001 - down, refused, auth: try again
                    logger.warning("search cache: reconnecting failed (%s)", exc)
                    await asyncio.sleep(self._retry_after)

    async def _drop_connection(self) -> None:
        conn, self._conn = self._conn, None
        if conn is not None and not conn.is_closed():
            with contextlib.suppress(Exception):
                conn.remove_termination_listener(self._terminated)
                await conn.close(timeout=2)
