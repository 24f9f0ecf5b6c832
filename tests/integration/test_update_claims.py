"""Dispatcher.handle_update: the at-most-once claim of a platform update, in the handler layer,
against the real repositories and PostgreSQL."""

from __future__ import annotations

import itertools
import uuid
from collections.abc import AsyncIterator

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.bootstrap import bootstrap
from bot.handlers.base import Identity, Incoming
from bot.handlers.router import Dispatcher
from bot.scheduler import maintenance
from db.admin import create_database, drop_database
from db.engine import create_engine
from db.migrate import upgrade
from tests.support import FakeClock

_IDS = itertools.count(int(uuid.uuid4().int % 10**12))


def stream() -> str:
    return f"test:{uuid.uuid4().hex[:12]}"


def person(platform: str = "telegram") -> Identity:
    external = uuid.uuid4().hex[:12]
    return Identity(platform, external, external, "Ida")


async def claimed(engine: AsyncEngine, where: str, update_id: int) -> bool:
    async with engine.connect() as conn:
        found = await conn.scalar(
            text("SELECT count(*) FROM processed_updates WHERE platform = :p AND update_id = :u"),
            {"p": where, "u": update_id},
        )
    return bool(found)


async def blocked(engine: AsyncEngine, identity: Identity) -> bool:
    async with engine.connect() as conn:
        at = await conn.scalar(
            text(
                "SELECT blocked_at FROM platform_identities "
                "WHERE platform = :p AND external_id = :e"
            ),
            {"p": identity.platform, "e": identity.external_id},
        )
    return at is not None


async def block(engine: AsyncEngine, *identities: Identity) -> None:
    async with engine.begin() as conn:
        for identity in identities:
            await conn.execute(
                text(
                    "UPDATE platform_identities SET blocked_at = now() "
                    "WHERE platform = :p AND external_id = :e"
                ),
                {"p": identity.platform, "e": identity.external_id},
            )


async def test_an_update_is_handled_once_and_its_second_delivery_is_none(
    dispatcher: Dispatcher, engine: AsyncEngine
) -> None:
    where, update_id, ida = stream(), next(_IDS), person()
    first = await dispatcher.handle_update(where, update_id, Incoming(ida, text="/help"))
    assert first is not None and "Here's what I understand" in first[0].text
    assert await dispatcher.handle_update(where, update_id, Incoming(ida, text="/help")) is None
    assert await dispatcher.handle_update(stream(), update_id, Incoming(ida, text="/help"))


async def test_group_chatter_is_neither_answered_nor_claimed(
    dispatcher: Dispatcher, engine: AsyncEngine
) -> None:
    where, update_id = stream(), next(_IDS)
    chatter = Incoming(person(), text="anyone up for a study session?", private=False)
    assert await dispatcher.handle_update(where, update_id, chatter) == []
    assert not await claimed(engine, where, update_id)


async def test_the_claim_makes_only_its_sender_reachable_again(
    dispatcher: Dispatcher, engine: AsyncEngine
) -> None:
    ida, eve = person(), person()
    for who in (ida, eve):
        await dispatcher.handle_update(stream(), next(_IDS), Incoming(who, text="/start"))
    await block(engine, ida, eve)
    # Ida is cached by now: the claim, not `register`, is what unblocks her.
    assert dispatcher.known.get(ida) is not None
    await dispatcher.handle_update(stream(), next(_IDS), Incoming(ida, text="/help"))
    assert not await blocked(engine, ida)
    assert await blocked(engine, eve)


@pytest.fixture
async def own_engine(server_url: str) -> AsyncIterator[AsyncEngine]:
    """A database of its own: the maintenance works on every row there is."""
    url = await create_database(server_url)
    await upgrade(url)
    engine = create_engine(url)
    yield engine
    await engine.dispose()
    await drop_database(server_url, url)


async def test_the_daily_maintenance_forgets_claims_older_than_two_days(
    own_engine: AsyncEngine, clock: FakeClock
) -> None:
    dispatcher = bootstrap(own_engine, clock=clock)
    where, old, recent = stream(), next(_IDS), next(_IDS)
    await dispatcher.handle_update(where, old, Incoming(person(), text="/help"))
    clock.advance(hours=47)
    await dispatcher.handle_update(where, recent, Incoming(person(), text="/help"))
    clock.advance(hours=2)
    await maintenance(dispatcher.ctx)
    assert not await claimed(own_engine, where, old)
    assert await claimed(own_engine, where, recent)
