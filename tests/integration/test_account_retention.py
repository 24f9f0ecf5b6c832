"""Retention of inactive accounts on real PostgreSQL: the warning 30 days ahead with its keep
button, deletion after, and who is never deleted automatically.

The jobs act on every user of a database, so this module has a database of its own; each
test moves the clock on from where its own people were last seen.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.bootstrap import bootstrap
from bot.handlers.router import Dispatcher
from db.uow import SqlAlchemyUnitOfWork
from domain.accounts.model import CleanupReport
from domain.accounts.retention import Retention, clean_up
from domain.marketplace import bookings, experts
from domain.marketplace.commands import (
    ActOnBooking,
    BecomeExpert,
    BookSlot,
    SetAvailability,
    VerifyExpert,
)
from domain.marketplace.model import Action, Policy
from domain.marketplace.payments import ManualPayments
from tests.support import FakeClock, Learner, expert_draft, private_database, user_id

START = datetime(2029, 1, 1, 8, 0, tzinfo=UTC)  # a Monday, after the database's own now()
RULES = Retention()
WEEKDAYS = "mon 09:00-17:00; tue 09:00-17:00; wed 09:00-17:00; thu 09:00-17:00; fri 09:00-17:00"


@pytest.fixture(scope="module")
async def engine(server_url: str) -> AsyncIterator[AsyncEngine]:
    async with private_database(server_url) as engine:
        yield engine


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(START)


@pytest.fixture
def dispatcher(engine: AsyncEngine, clock: FakeClock) -> Dispatcher:
    return bootstrap(engine, clock=clock)


async def run(engine: AsyncEngine, clock: FakeClock, rules: Retention = RULES) -> CleanupReport:
    return await clean_up(lambda: SqlAlchemyUnitOfWork(engine), clock, rules, ManualPayments())


async def user_row(engine: AsyncEngine, who: uuid.UUID) -> tuple[object, ...] | None:
    async with engine.connect() as conn:
        row = (
            await conn.execute(
                text("SELECT last_seen_at, inactive_warned_at FROM users WHERE id = :u"),
                {"u": who},
            )
        ).first()
    return None if row is None else tuple(row)


async def test_writing_records_activity_at_most_once_a_day(
    dispatcher: Dispatcher, engine: AsyncEngine, clock: FakeClock
) -> None:
    ada = Learner(dispatcher)
    await ada.say("/start")
    ada_id = await user_id(engine, ada)
    assert await user_row(engine, ada_id) == (START, None)
    clock.advance(hours=20)
    await ada.say("/help")
    assert await user_row(engine, ada_id) == (START, None)  # within a day: nothing written
    clock.advance(hours=5)
    await ada.say("/help")
    assert await user_row(engine, ada_id) == (START + timedelta(hours=25), None)


async def test_an_inactive_person_is_warned_30_days_ahead_and_the_button_keeps_the_account(
    dispatcher: Dispatcher, engine: AsyncEngine, clock: FakeClock
) -> None:
    ada = Learner(dispatcher)
    await ada.say("/start")
    await ada.say(f"/new Spanish {uuid.uuid4().hex[:4]} | 5 | 30 | beginner")
    ada_id = await user_id(engine, ada)

    clock.advance(days=699)
    await run(engine, clock)
    assert (await user_row(engine, ada_id))[1] is None  # type: ignore[index]  # not yet
    clock.advance(days=1, hours=1)
    report = await run(engine, clock)
    assert report.warned >= 1
    assert (await user_row(engine, ada_id))[1] == clock.now()  # type: ignore[index]
    assert (await run(engine, clock)).warned == 0  # told once

    shown = await ada.say("/help")  # the worker delivers the warning into the chat
    assert "I will delete your account and everything in it on 1 January 2031" in shown
    assert ada.notice_buttons() == ["Keep my account"]
    assert "Glad you're staying" in await ada.press("Keep my account")
    assert await user_row(engine, ada_id) == (clock.now(), None)

    clock.advance(days=31)
    await run(engine, clock)
    assert await user_row(engine, ada_id) is not None  # kept


async def test_writing_anything_after_the_warning_keeps_the_account(
    dispatcher: Dispatcher, engine: AsyncEngine, clock: FakeClock
) -> None:
    bo = Learner(dispatcher)
    await bo.say("/start")
    bo_id = await user_id(engine, bo)
    clock.advance(days=700, hours=1)
    await run(engine, clock)
    assert (await user_row(engine, bo_id))[1] is not None  # type: ignore[index]
    clock.advance(days=10)
    await bo.say("/help")
    assert await user_row(engine, bo_id) == (clock.now(), None)
    clock.advance(days=25)
    await run(engine, clock)
    assert await user_row(engine, bo_id) == (clock.now() - timedelta(days=25), None)


async def test_still_inactive_30_days_after_the_warning_the_account_is_deleted(
    dispatcher: Dispatcher, engine: AsyncEngine, clock: FakeClock
) -> None:
    cy = Learner(dispatcher)
    await cy.say("/start")
    await cy.say(f"/new Piano {uuid.uuid4().hex[:4]} | 5 | 30 | beginner")
    await cy.say("/done 25 my-note")
    cy_id = await user_id(engine, cy)
    clock.advance(days=700, hours=1)
    await run(engine, clock)
    clock.advance(days=29)
    await run(engine, clock)
    assert await user_row(engine, cy_id) is not None  # 29 days: still there
    clock.advance(days=1)
    report = await run(engine, clock)
    assert report.deleted >= 1
    assert await user_row(engine, cy_id) is None
    async with engine.connect() as conn:
        for table in ("curricula", "user_notes", "platform_identities", "notifications"):
            left = await conn.scalar(
                text(f"SELECT count(*) FROM {table} WHERE user_id = :u"),  # noqa: S608
                {"u": cy_id},
            )
            assert left == 0, table
    assert (await run(engine, clock)).deleted == 0  # idempotent


async def test_an_expert_owed_money_is_never_deleted_automatically(
    dispatcher: Dispatcher, engine: AsyncEngine, clock: FakeClock
) -> None:
    policy = Policy()
    ex, ada = Learner(dispatcher), Learner(dispatcher)
    await ex.say("/start")
    await ada.say("/start")
    ex_id, ada_id = await user_id(engine, ex), await user_id(engine, ada)

    def uow() -> SqlAlchemyUnitOfWork:
        return SqlAlchemyUnitOfWork(engine)

    subject = f"Rust{uuid.uuid4().hex[:6]}"
    expert = await experts.become_expert(
        BecomeExpert(ex_id, expert_draft("Grace Hopper", subject)), uow(), clock, policy
    )
    await experts.verify_expert(VerifyExpert(None, expert.id, True), uow(), clock, policy)
    await experts.set_availability(SetAvailability(ex_id, WEEKDAYS), uow())
    at = datetime(2029, 1, 8, 9, 0, tzinfo=UTC)  # Monday 10:00 in Berlin
    booked = await bookings.book(BookSlot(ada_id, expert.id, at, 60), uow(), clock, policy)
    for action, when in ((Action.CONFIRM, None), (Action.COMPLETE, at + timedelta(hours=2))):
        if when is not None:
            clock.set(when)
        command = ActOnBooking(ex_id, booked.id, action)
        await bookings.act(command, uow(), clock, policy, ManualPayments())
    # Completed, not paid yet: the learner owes the expert; once paid, the expert's payout
    # (the commission row) is still owed to them.
    clock.advance(days=800)
    report = await run(engine, clock)
    assert report.protected >= 2
    assert (await user_row(engine, ex_id))[1] is None  # type: ignore[index]  # not even warned
    assert (await user_row(engine, ada_id))[1] is None  # type: ignore[index]

    command = ActOnBooking(ex_id, booked.id, Action.MARK_PAID)
    await bookings.act(command, uow(), clock, policy, ManualPayments())
    clock.advance(days=31)
    await run(engine, clock)
    clock.advance(days=31)
    await run(engine, clock)
    assert await user_row(engine, ex_id) is not None  # the payout is owed to the expert
    assert await user_row(engine, ada_id) is None  # the learner owed nothing any more
