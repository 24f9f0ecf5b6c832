"""Deadlocks and serialization failures: raised by db as ``TransientConflict``, run again by
``retry_transient`` and the dispatcher, never shown. Real PostgreSQL errors, no fakes."""

from __future__ import annotations

import asyncio
import logging
import uuid

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.handlers.base import Command, Reply, Request
from bot.handlers.retry import retry_transient
from bot.handlers.router import Dispatcher
from db.tx import DriverStatement
from db.uow import SqlAlchemyUnitOfWork
from domain.shared.errors import TransientConflict
from tests.support import Learner, people

RAISE = "DO $$ BEGIN RAISE EXCEPTION 'as the server says it' USING ERRCODE = '{code}'; END $$"


@pytest.mark.parametrize("code", ["40001", "40P01"])  # serialization_failure, deadlock_detected
async def test_a_serialization_failure_or_deadlock_leaves_the_unit_of_work_as_transient(
    engine: AsyncEngine, code: str
) -> None:
    with pytest.raises(TransientConflict):
        async with SqlAlchemyUnitOfWork(engine) as uow:  # through SQLAlchemy, in a transaction
            await uow.curricula._conn.execute(text(RAISE.format(code=code)))
    with pytest.raises(TransientConflict):
        async with SqlAlchemyUnitOfWork(engine).each_statement() as uow:  # straight to asyncpg
            await uow.curricula._tx.fetchrow(DriverStatement(RAISE.format(code=code)), {})


async def test_other_database_errors_are_not_transient(engine: AsyncEngine) -> None:
    with pytest.raises(Exception) as raised:
        async with SqlAlchemyUnitOfWork(engine) as uow:
            await uow.curricula._conn.execute(text(RAISE.format(code="22012")))
    assert not isinstance(raised.value, TransientConflict)


async def _cross(
    engine: AsyncEngine,
    first: uuid.UUID,
    second: uuid.UUID,
    holding: asyncio.Event,
    other_holding: asyncio.Event,
    *,
    pause: float = 0.0,
) -> None:
    """Lock ``first``'s row, wait until the rival holds ``second``'s, then lock that too."""
    async with SqlAlchemyUnitOfWork(engine) as uow:
        await uow.curricula.lock_learner(first)
        holding.set()
        await other_holding.wait()
        await asyncio.sleep(pause)
        await uow.curricula.lock_learner(second)
        await uow.commit()


async def test_two_transactions_locking_two_rows_in_opposite_orders_both_succeed_on_retry(
    engine: AsyncEngine,
) -> None:
    a, b = await people(engine, 2)
    holding_a, holding_b = asyncio.Event(), asyncio.Event()
    conflicts = []

    def attempt(first: uuid.UUID, second: uuid.UUID, mine: asyncio.Event, theirs: asyncio.Event):
        async def run() -> None:
            try:
                await _cross(engine, first, second, mine, theirs)
            except TransientConflict as error:
                conflicts.append(error)
                raise

        return run

    await asyncio.wait_for(
        asyncio.gather(
            retry_transient(attempt(a, b, holding_a, holding_b)),
            retry_transient(attempt(b, a, holding_b, holding_a)),
        ),
        timeout=30,
    )
    assert len(conflicts) == 1  # PostgreSQL broke the deadlock once; the retry went through
    assert "deadlock detected" in str(conflicts[0].__cause__)


async def test_a_message_whose_transaction_deadlocks_runs_again_and_gets_its_answer(
    dispatcher: Dispatcher, engine: AsyncEngine, caplog: pytest.LogCaptureFixture
) -> None:
    a, b = await people(engine, 2)
    holding_a, holding_b = asyncio.Event(), asyncio.Event()
    runs = 0

    async def crossing(req: Request) -> Reply:
        nonlocal runs
        runs += 1
        await _cross(engine, a, b, holding_a, holding_b)
        return Reply(f"crossed after {runs} runs")

    dispatcher.commands["cross"] = Command("cross", crossing, "locks a, then b")
    # The rival asks for its second lock last, so the message's transaction, waiting longer,
    # is the one PostgreSQL's deadlock check finds and rolls back.
    rival = _cross(engine, b, a, holding_b, holding_a, pause=0.3)
    caplog.set_level(logging.INFO)
    reply, _ = await asyncio.wait_for(
        asyncio.gather(Learner(dispatcher).say("/cross"), rival), timeout=30
    )
    assert reply == "crossed after 2 runs"
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert any("running it again" in r.getMessage() for r in caplog.records)
