"""What travels to PostgreSQL for one message: the statements asyncpg sends, as its query
logger sees them (BEGIN and COMMIT included)."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from typing import Any

import pytest
from sqlalchemy import event, text
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.bootstrap import bootstrap
from bot.handlers.base import Incoming
from bot.handlers.router import Dispatcher
from db.engine import create_engine
from db.uow import SqlAlchemyUnitOfWork
from domain.accounts.model import Identity
from domain.learning.model import Completion, Progress
from tests.support import FakeClock, Learner, snapshot


class Person:
    """Someone writing to the dispatcher itself (no adapter: the terminal asks for alerts too)."""

    def __init__(self, dispatcher: Dispatcher) -> None:
        self.dispatcher = dispatcher
        name = f"watched-{uuid.uuid4().hex[:8]}"
        self.identity = Identity("fake", name, name, name)

    async def say(self, line: str) -> str:
        replies = await self.dispatcher.handle(Incoming(self.identity, text=line))
        return "\n".join(reply.text for reply in replies)


class Watched:
    def __init__(self, engine: AsyncEngine) -> None:
        self.engine = engine
        self.queries: list[str] = []

    async def sent(self) -> list[str]:
        """The statements sent since the last call (first letters upper-cased: BEGIN, SELECT)."""
        await asyncio.sleep(0)  # asyncpg calls its query loggers soon, not at once
        sent, self.queries = self.queries, []
        return [" ".join(query.split()).upper()[:40] for query in sent]


@pytest.fixture
async def watched(database_url: str) -> AsyncIterator[Watched]:
    engine = create_engine(database_url, pool_size=1)
    watched = Watched(engine)

    @event.listens_for(engine.sync_engine, "connect")
    def log_queries(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.driver_connection.add_query_logger(
            lambda record: watched.queries.append(record.query)
        )

    yield watched
    await engine.dispose()


async def test_a_done_is_a_read_and_one_write_with_no_begin_or_commit(
    watched: Watched, clock: FakeClock
) -> None:
    ada = Person(bootstrap(watched.engine, clock=clock))
    await ada.say("/new Go | 5 | 20 | beginner")
    await ada.say("/done")  # first contact and warm statement caches
    await watched.sent()
    assert "Session 2 of 5 done" in await ada.say("/done 25 a note")
    sent = await watched.sent()
    assert len(sent) == 2, sent
    assert sent[0].startswith("SELECT U.TIMEZONE")  # the completion context
    assert sent[1].startswith("WITH U AS ( SELECT CURRENT_CURRICULUM_ID")  # the learner's row
    assert not [s for s in sent if s.startswith(("BEGIN", "COMMIT"))]


async def test_pausing_and_resuming_are_one_transaction_each(
    watched: Watched, clock: FakeClock
) -> None:
    bo = Person(bootstrap(watched.engine, clock=clock))
    await bo.say("/new Go | 5 | 20 | beginner")
    await watched.sent()
    for command, expected in (("/pause", "now paused"), ("/resume", "now active")):
        assert expected in await bo.say(command)
        sent = await watched.sent()
        assert (sent.count("BEGIN;"), sent.count("COMMIT;")) == (1, 1), sent


async def test_a_completion_whose_session_is_no_longer_pending_writes_nothing_at_all(
    engine: AsyncEngine, clock: FakeClock, dispatcher: Dispatcher
) -> None:
    """The one-statement write is all or nothing: should the progress still match but the
    session be done already (or moved by a /plan edit), it fails as a whole instead of moving the
    progress alone, and says it wrote nothing."""
    cy = Learner(dispatcher)
    await cy.say("/new Go | 5 | 20 | beginner")
    await cy.say("/done")
    async with engine.connect() as conn:
        row = (
            await conn.execute(
                text(
                    """SELECT p.user_id, p.curriculum_id, s.id AS session_id, p.current_streak,
                              p.last_session_local_date
                         FROM user_progress p JOIN sessions s USING (curriculum_id)
                         JOIN platform_identities i ON i.user_id = p.user_id
                        WHERE i.external_id = :name AND s.session_number = 1"""
                ),
                {"name": cy.name},
            )
        ).one()
    before = await snapshot(engine)
    done_already = Completion(
        user_id=row.user_id,
        curriculum_id=row.curriculum_id,
        session_id=row.session_id,  # session 1, completed above
        at=clock.now(),
        local_day=clock.now().date(),
        minutes=20,
        streak=1,
        note="never stored",
        previous=Progress(1, 20, row.current_streak, None, row.last_session_local_date),
        completes_curriculum=False,
    )
    async with SqlAlchemyUnitOfWork(engine).each_statement() as uow:
        assert not await uow.curricula.record_completion(done_already)  # so /done runs again
    assert await snapshot(engine) == before
