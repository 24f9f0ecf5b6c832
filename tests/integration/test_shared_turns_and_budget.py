"""What several processes share through PostgreSQL, each "process" here an engine of its own:
a person's turn (db.turns: advisory locks plus the arrivals still waiting) and the send budget
of a bot token (db.budget: one token bucket row)."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from datetime import timedelta

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from db.budget import PgSendBudget, budget_name
from db.engine import create_engine
from db.turns import PgTurns
from db.uow import SqlAlchemyUnitOfWork
from domain.accounts import inbound
from domain.accounts.model import Identity
from tests.support import FakeClock


@pytest.fixture
async def other(database_url: str) -> AsyncIterator[AsyncEngine]:
    """A second process's engine on the same database."""
    engine = create_engine(database_url)
    yield engine
    await engine.dispose()


def a_stream() -> str:
    return f"test:{uuid.uuid4().hex[:10]}"


async def entered(turn: object, within: float = 0.3) -> bool:
    """Whether the turn (an async context manager) is entered within ``within`` seconds; if
    it is, it is left again."""

    async def enter() -> None:
        async with turn:  # type: ignore[attr-defined]
            pass

    try:
        await asyncio.wait_for(enter(), within)
    except TimeoutError:
        return False
    return True


async def test_a_persons_turn_held_in_one_process_waits_in_another_and_others_go_on(
    engine: AsyncEngine, other: AsyncEngine, clock: FakeClock
) -> None:
    here, there, stream = PgTurns(engine), PgTurns(other), a_stream()
    before = clock.now() - timedelta(seconds=15)
    try:
        async with here.turn(stream, "ada", 1, before):
            assert not await entered(there.turn(stream, "ada", 2, before))
            assert await entered(there.turn(stream, "bo", 3, before))  # someone else: at once
        assert await entered(there.turn(stream, "ada", 2, before), within=5)
    finally:
        await here.close()
        await there.close()


async def test_an_earlier_arrival_waiting_in_another_process_goes_first(
    engine: AsyncEngine, other: AsyncEngine, clock: FakeClock
) -> None:
    here, there, stream = PgTurns(engine), PgTurns(other), a_stream()
    ada = Identity("telegram", "ada", "ada", "Ada")
    for update_id in (10, 11):
        assert await inbound.arrived(stream, update_id, ada, SqlAlchemyUnitOfWork(engine), clock)
    before = clock.now() - timedelta(seconds=15)
    try:
        assert not await entered(there.turn(stream, "ada", 11, before))  # 10 is waiting
        async with here.turn(stream, "ada", 10, before):
            pass  # handled: no longer waiting
        assert await entered(there.turn(stream, "ada", 11, before), within=5)
        # An arrival waiting longer than ORDER_WAIT (its process died) holds nobody up.
        assert await inbound.arrived(stream, 12, ada, SqlAlchemyUnitOfWork(engine), clock)
        later = clock.now() + timedelta(seconds=1)
        assert await entered(there.turn(stream, "ada", 13, later))
    finally:
        await here.close()
        await there.close()


async def test_a_turn_dies_with_its_processs_connection(
    engine: AsyncEngine, other: AsyncEngine, clock: FakeClock
) -> None:
    doomed, there, stream = PgTurns(engine), PgTurns(other), a_stream()
    before = clock.now() - timedelta(seconds=15)
    held = doomed.turn(stream, "ada", 1, before)
    await held.__aenter__()  # never left: the process "crashes" holding it
    assert not await entered(there.turn(stream, "ada", 2, before))
    await doomed.close()  # the connection goes, as with kill -9
    try:
        assert await entered(there.turn(stream, "ada", 2, before), within=5)
    finally:
        await there.close()


async def test_takers_in_two_processes_get_one_slot_each_at_the_budgets_pace(
    engine: AsyncEngine, other: AsyncEngine
) -> None:
    name = budget_name("telegram", uuid.uuid4().hex)
    budgets = [PgSendBudget(engine, name, 10.0), PgSendBudget(other, name, 10.0)]
    waits = sorted(await asyncio.gather(*(budgets[n % 2].take() for n in range(20))))

    assert waits[0] == 0.0  # a fresh budget: the first goes at once
    gaps = [later - earlier for earlier, later in zip(waits, waits[1:], strict=False)]
    assert min(gaps) > 0.05  # every taker has a slot of its own, a tenth of a second apart
    assert waits[-1] > 1.5  # twenty sends at ten a second take about two seconds


async def test_a_slot_given_back_is_taken_by_the_next(engine: AsyncEngine) -> None:
    budget = PgSendBudget(engine, budget_name("discord", uuid.uuid4().hex), 2.0)
    assert await budget.take() == 0.0
    assert await budget.take() > 0.4  # the next slot is half a second on
    await budget.take(-1.0)  # not used after all
    assert 0.4 < await budget.take() < 0.75  # the given-back slot, not a second one on
