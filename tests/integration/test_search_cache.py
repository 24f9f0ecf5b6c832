"""The read-through cache of search pages and profile cards, over real PostgreSQL: what it
serves, and every change that must drop it, made in this process or in another one."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import UTC, datetime, timedelta

import asyncpg
import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from db.cache import PgSearchCache
from db.engine import create_engine
from db.uow import SqlAlchemyUnitOfWork
from domain.accounts.model import Identity
from domain.accounts.registration import register
from domain.marketplace import bookings, experts, feedback, moves, payments
from domain.marketplace.commands import (
    ActOnBooking,
    AddTimeOff,
    BecomeExpert,
    BookSlot,
    EditProfile,
    RateSession,
    RemoveTimeOff,
    RescheduleBooking,
    SetAvailability,
    SuspendExpert,
    VerifyExpert,
)
from domain.marketplace.model import Action, Policy, SearchFilters
from domain.marketplace.verification import suspend_expert
from tests.support import FakeClock, expert_draft

WEEKDAYS = "mon 09:00-17:00; tue 09:00-17:00; wed 09:00-17:00; thu 09:00-17:00; fri 09:00-17:00"
SLOT = datetime(2026, 3, 3, 9, 0, tzinfo=UTC)  # Tue 10:00 in Berlin
PAY = payments.ManualPayments()


class Seconds:
    """A fake monotonic clock for the cache's time-to-live."""

    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


class Refused:
    """A unit of work that fails when opened: a read through it was served from the cache."""

    async def __aenter__(self) -> None:
        raise AssertionError("the database was read: not served from the cache")

    async def __aexit__(self, *exc: object) -> None:
        return None


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(datetime(2026, 3, 2, 6, 0, tzinfo=UTC))  # Monday 07:00 in Berlin


@pytest.fixture
def seconds() -> Seconds:
    return Seconds()


@pytest.fixture
async def cache(engine: AsyncEngine, seconds: Seconds) -> AsyncIterator[PgSearchCache]:
    cache = PgSearchCache.for_engine(engine, ttl=60, timer=seconds, retry_after=0.05)
    await cache.start()
    yield cache
    await cache.close()


@pytest.fixture
async def other(database_url: str) -> AsyncIterator[AsyncEngine]:
    """Another bot process's engine: its changes reach this one's cache only through the
    database (NOTIFY, or the bookings' change log)."""
    engine = create_engine(database_url, pool_size=2)
    yield engine
    await engine.dispose()


class Market:
    """A verified expert teaching a subject of their own, and a learner, made on ``engine``."""

    def __init__(self, engine: AsyncEngine, clock: FakeClock) -> None:
        self.engine, self.clock, self.policy = engine, clock, Policy()
        self.subject = f"Cachology{uuid.uuid4().hex[:8]}"

    def uow(self) -> SqlAlchemyUnitOfWork:
        return SqlAlchemyUnitOfWork(self.engine)

    async def person(self) -> uuid.UUID:
        name = f"c-{uuid.uuid4().hex[:8]}"
        user, _ = await register(Identity("terminal", name, name, name), self.uow(), FakeClock())
        return user.id

    async def setup(self) -> Market:
        self.expert_user = await self.person()
        draft = expert_draft(f"Ada {self.subject}", self.subject)
        made = await experts.become_expert(
            BecomeExpert(self.expert_user, draft), self.uow(), self.clock, self.policy
        )
        self.expert_id = made.id
        await experts.verify_expert(
            VerifyExpert(None, made.id, True), self.uow(), self.clock, self.policy
        )
        await experts.set_availability(SetAvailability(self.expert_user, WEEKDAYS), self.uow())
        self.learner = await self.person()
        return self

    async def book(self) -> uuid.UUID:
        made = await bookings.book(
            BookSlot(self.learner, self.expert_id, SLOT, 60), self.uow(), self.clock, self.policy
        )
        return made.id

    async def act(self, who: uuid.UUID, booking_id: uuid.UUID, action: Action) -> None:
        await bookings.act(
            ActOnBooking(who, booking_id, action), self.uow(), self.clock, self.policy, PAY
        )


async def _search(market: Market, cache: PgSearchCache, uow: object = None) -> list[str]:
    cards = await experts.search(
        SearchFilters(market.subject),
        uow or market.uow(),  # type: ignore[arg-type]
        market.clock,
        market.policy,
        cache=cache,
    )
    return [card.expert.display_name for card in cards]


async def _card(market: Market, cache: PgSearchCache, uow: object = None) -> int:
    card = await experts.profile(
        market.expert_id,
        uow or market.uow(),  # type: ignore[arg-type]
        market.clock,
        market.policy,
        cache=cache,
    )
    return len(card.next_slots)


async def _cached(market: Market, cache: PgSearchCache) -> None:
    """Load the search page and the card, and check that both are then served from memory."""
    await cache.caught_up()  # the set-up's own notifications are behind us
    first = await _search(market, cache)
    assert first == [f"Ada {market.subject}"]
    assert await _search(market, cache, Refused()) == first
    slots = await _card(market, cache)
    assert await _card(market, cache, Refused()) == slots


async def _dropped(market: Market, cache: PgSearchCache) -> None:
    await cache.caught_up()
    for read in (_search, _card):
        with pytest.raises(AssertionError, match="not served from the cache"):
            await read(market, cache, Refused())


async def test_a_search_page_and_a_card_are_served_from_the_cache(
    engine: AsyncEngine, clock: FakeClock, cache: PgSearchCache
) -> None:
    market = await Market(engine, clock).setup()
    clock.advance(minutes=5)  # 06:05: "now" in the key is 06:30, the next step of the grid
    await _cached(market, cache)
    assert cache.hits == 2 and cache.misses == 2
    # Other filters, another page or another "now" are other entries, never this one.
    with pytest.raises(AssertionError, match="not served"):
        await experts.search(
            SearchFilters(market.subject, language="de"),
            Refused(),  # type: ignore[arg-type]
            clock,
            market.policy,
            cache=cache,
        )
    with pytest.raises(AssertionError, match="not served"):
        await experts.search(
            SearchFilters(market.subject),
            Refused(),  # type: ignore[arg-type]
            clock,
            market.policy,
            page=1,
            cache=cache,
        )
    clock.advance(minutes=20)  # 06:25: still in the same 30-minute step of the slot grid
    assert await _search(market, cache, Refused()) == [f"Ada {market.subject}"]
    clock.advance(minutes=10)  # 06:35: the next step; the slots shown may differ
    with pytest.raises(AssertionError, match="not served"):
        await _search(market, cache, Refused())


Change = Callable[[Market], Awaitable[None]]


async def _rename(m: Market) -> None:
    await experts.edit_profile(
        EditProfile(m.expert_user, "name", "Ada Renamed"), m.uow(), m.clock, m.policy
    )


async def _suspend(m: Market) -> None:
    await suspend_expert(SuspendExpert(None, m.expert_id), m.uow(), m.clock, m.policy)


async def _hours(m: Market) -> None:
    await experts.set_availability(SetAvailability(m.expert_user, "mon 09:00-12:00"), m.uow())


async def _time_off(m: Market) -> None:
    await experts.add_time_off(
        AddTimeOff(m.expert_user, "2026-03-03..2026-03-04"), m.uow(), m.clock
    )


async def _booking(m: Market) -> None:
    await m.book()


CHANGES: dict[str, Change] = {
    "profile": _rename,
    "verification": _suspend,
    "availability": _hours,
    "time off": _time_off,
    "booking": _booking,
}


@pytest.mark.parametrize("where", ["this process", "another process"])
@pytest.mark.parametrize("change", list(CHANGES))
async def test_every_change_that_affects_them_drops_them_in_every_process(
    engine: AsyncEngine,
    other: AsyncEngine,
    clock: FakeClock,
    cache: PgSearchCache,
    change: str,
    where: str,
) -> None:
    market = await Market(engine, clock).setup()
    await _cached(market, cache)
    if where == "another process":
        market.engine = other
    await CHANGES[change](market)
    await _dropped(market, cache)


async def test_cancelling_moving_and_rating_a_booking_drop_them_from_another_process(
    engine: AsyncEngine, other: AsyncEngine, clock: FakeClock, cache: PgSearchCache
) -> None:
    market = await Market(engine, clock).setup()
    booking_id = await market.book()
    await _cached(market, cache)
    market.engine = other
    await market.act(market.learner, booking_id, Action.CANCEL)
    await _dropped(market, cache)

    booking_id = await market.book()
    await market.act(market.expert_user, booking_id, Action.CONFIRM)
    clock.advance(days=2)
    await market.act(market.expert_user, booking_id, Action.COMPLETE)
    await _cached(market, cache)
    await feedback.rate(
        RateSession(market.learner, booking_id, 5), market.uow(), clock, market.policy
    )
    await _dropped(market, cache)


async def test_moving_a_booking_drops_them_from_another_process(
    engine: AsyncEngine, other: AsyncEngine, clock: FakeClock, cache: PgSearchCache
) -> None:
    market = await Market(engine, clock).setup()
    booking_id = await market.book()
    await _cached(market, cache)
    market.engine = other
    later = SLOT + timedelta(days=1)
    await moves.reschedule(
        RescheduleBooking(market.learner, booking_id, later), market.uow(), clock, market.policy
    )
    await _dropped(market, cache)


async def test_removing_time_off_drops_them(
    engine: AsyncEngine, other: AsyncEngine, clock: FakeClock, cache: PgSearchCache
) -> None:
    market = await Market(engine, clock).setup()
    await _time_off(market)
    await _cached(market, cache)
    market.engine = other
    await experts.remove_time_off(
        RemoveTimeOff(market.expert_user, "2026-03-03..2026-03-04"), market.uow(), clock
    )
    await _dropped(market, cache)


async def test_a_rolled_back_change_sends_no_invalidation(
    engine: AsyncEngine, other: AsyncEngine, clock: FakeClock, cache: PgSearchCache
) -> None:
    market = await Market(engine, clock).setup()
    await _cached(market, cache)
    async with other.connect() as conn:
        await conn.execute(
            text("UPDATE experts SET display_name = 'Never' WHERE id = :id"),
            {"id": market.expert_id},
        )
        await conn.execute(
            text(
                "INSERT INTO expert_time_off (expert_id, starts_on, ends_on) "
                "VALUES (:id, '2026-03-03', '2026-03-03')"
            ),
            {"id": market.expert_id},
        )
        await conn.rollback()
    await cache.caught_up()
    assert await _search(market, cache, Refused()) == [f"Ada {market.subject}"]
    await _card(market, cache, Refused())
    # The same change committed does drop them.
    async with other.begin() as conn:
        await conn.execute(
            text("UPDATE experts SET display_name = 'Now' WHERE id = :id"),
            {"id": market.expert_id},
        )
    await _dropped(market, cache)
    assert await _search(market, cache) == ["Now"]


async def test_entries_expire_after_their_time_to_live(
    engine: AsyncEngine, clock: FakeClock, cache: PgSearchCache, seconds: Seconds
) -> None:
    market = await Market(engine, clock).setup()
    await _cached(market, cache)
    seconds.now += 59
    await _search(market, cache, Refused())
    seconds.now += 2
    await _dropped(market, cache)


async def test_a_lost_listener_clears_the_cache_and_listens_again(
    engine: AsyncEngine, other: AsyncEngine, clock: FakeClock, cache: PgSearchCache
) -> None:
    market = await Market(engine, clock).setup()
    await _cached(market, cache)
    async with other.begin() as conn:
        await conn.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": cache.listener_pid})
    async with asyncio.timeout(10):
        await cache.reconnected.wait()
    await _dropped(market, cache)  # cleared: a change may have been missed meanwhile
    await _cached(market, cache)
    market.engine = other
    await _rename(market)  # and it hears the other process again
    await _dropped(market, cache)


async def _served(market: Market, cache: PgSearchCache) -> bool:
    try:
        await _search(market, cache, Refused())
    except AssertionError:
        return False
    return True


async def test_a_booking_sends_no_notify_and_reaches_the_cache_by_its_change_log_alone(
    engine: AsyncEngine, other: AsyncEngine, clock: FakeClock, cache: PgSearchCache
) -> None:
    """PostgreSQL serializes the commits of transactions that NOTIFY, so bookings (the hot
    write) must not: the cache finds them by polling, within a few polls, with no help."""
    market = await Market(engine, clock).setup()
    heard: list[str] = []
    ended = asyncio.Event()

    def hear(*notification: object) -> None:
        heard.append(str(notification[-1]))
        if heard[-1] == "sync:end":
            ended.set()

    args, kwargs = other.dialect.create_connect_args(other.url)
    kwargs.pop("prepared_statement_cache_size", None)
    kwargs.pop("prepared_statement_name_func", None)
    listener = await asyncpg.connect(*args, **kwargs)
    await listener.add_listener("syllabot_cache", hear)
    try:
        await _cached(market, cache)
        market.engine = other
        await market.book()
        for _ in range(100):  # polled every 0.5 s: dropped within a few polls
            if not await _served(market, cache):
                break
            await asyncio.sleep(0.05)
        assert not await _served(market, cache)
        await listener.execute("SELECT pg_notify('syllabot_cache', 'sync:end')")
        await asyncio.wait_for(ended.wait(), 5)
    finally:
        await listener.close()
    assert [payload for payload in heard if not payload.startswith("sync:")] == []


async def test_a_change_committed_after_a_newer_one_is_still_seen(
    engine: AsyncEngine, other: AsyncEngine, clock: FakeClock, cache: PgSearchCache
) -> None:
    """The change log is read by snapshot, not by position: an older transaction that
    commits after a newer one (already polled past) is applied at the next poll."""
    market = await Market(engine, clock).setup()
    async with other.connect() as older, other.connect() as newer:
        await older.execute(text("SELECT pg_current_xact_id()"))  # the older transaction id
        await newer.execute(
            text("INSERT INTO cache_changes (payload) VALUES (:p)"), {"p": f"s:{uuid.uuid4()}"}
        )
        await newer.commit()
        await cache.caught_up()  # polled past the newer one
        await _cached(market, cache)
        await older.execute(
            text("INSERT INTO cache_changes (payload) VALUES (:p)"), {"p": f"s:{market.expert_id}"}
        )
        await older.commit()
    await _dropped(market, cache)


async def test_the_change_log_is_pruned_once_every_poller_has_seen_it(
    engine: AsyncEngine, monkeypatch: pytest.MonkeyPatch, cache: PgSearchCache
) -> None:
    monkeypatch.setattr("db.cache.PRUNE_EVERY", 0.0)
    async with engine.begin() as conn:
        await conn.execute(text("INSERT INTO cache_changes (payload) VALUES ('s:pruned')"))
    await cache.caught_up()  # sees it, remembers this snapshot for pruning
    await cache.caught_up()  # prunes below that snapshot's horizon
    await cache.caught_up()
    async with engine.connect() as conn:
        left = await conn.scalar(
            text("SELECT count(*) FROM cache_changes WHERE payload = 's:pruned'")
        )
    assert left == 0


async def test_while_nobody_listens_nothing_is_kept(
    engine: AsyncEngine, clock: FakeClock, seconds: Seconds
) -> None:
    market = await Market(engine, clock).setup()
    never = PgSearchCache.for_engine(engine, timer=seconds)  # not started
    await _search(market, never)
    with pytest.raises(AssertionError, match="not served"):
        await _search(market, never, Refused())
    assert len(never) == 0


def test_rounded_now_never_shows_a_slot_too_soon() -> None:
    # "now" is rounded up to the grid step, so the earliest slot is never before the notice
    got = experts._now_for(
        PgSearchCache(lambda: asyncio.sleep(0)),
        FakeClock(datetime(2026, 3, 2, 6, 1, tzinfo=UTC)),
        Policy(),
    )
    assert got == datetime(2026, 3, 2, 6, 30, tzinfo=UTC)
    assert got - timedelta(minutes=29) == datetime(2026, 3, 2, 6, 1, tzinfo=UTC)
