"""The terminal is a courier like Telegram and Discord: the notification worker of
``syllabot chat`` delivers the person's reminders and alerts there, with expiry, quiet hours
and the next daily reminder as everywhere, and takes nobody else's."""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator
from datetime import UTC, datetime

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.bootstrap import bootstrap
from bot.handlers.base import Reply
from bot.handlers.courier import SENT, Delivery
from bot.handlers.router import Dispatcher
from bot.worker import NotificationWorker
from tests.support import FakeClock, Learner, private_database, queue, statuses, user_id


@pytest.fixture(scope="module")
async def engine(server_url: str) -> AsyncIterator[AsyncEngine]:
    """This module's own database: one worker here serves whole platforms."""
    async with private_database(server_url) as engine:
        yield engine


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(datetime(2026, 6, 1, 8, 0, tzinfo=UTC))  # Monday 10:00 in Berlin


class Phone:
    """Another platform's courier, recording what it was given."""

    def __init__(self) -> None:
        self.received: list[tuple[str, Reply]] = []

    async def send(self, chat_id: str, reply: Reply) -> Delivery:
        self.received.append((chat_id, reply))
        await asyncio.sleep(0)
        return SENT


async def outbox(engine: AsyncEngine, person: Learner, kind: str) -> list[tuple[object, ...]]:
    async with engine.connect() as conn:
        rows = await conn.execute(
            text(
                "SELECT status, due_at, last_error FROM notifications"
                " WHERE user_id = :u AND kind = :k ORDER BY due_at"
            ),
            {"u": await user_id(engine, person), "k": kind},
        )
        return [tuple(row) for row in rows]


async def studying(dispatcher: Dispatcher) -> Learner:
    """A learner in Berlin with a plan and a study reminder at 19:00 (17:00 UTC in June)."""
    ann = Learner(dispatcher)
    await ann.say("/timezone Europe/Berlin")
    await ann.say("/new Python | 40 | 30 | beginner")
    await ann.say("/remind 19:00")
    return ann


def test_the_dispatcher_has_no_second_way_to_read_the_outbox(dispatcher: Dispatcher) -> None:
    assert not hasattr(dispatcher, "notices")


async def test_a_study_reminder_reaches_the_terminal_and_the_next_one_is_planned(
    dispatcher: Dispatcher, engine: AsyncEngine, clock: FakeClock
) -> None:
    ann = await studying(dispatcher)
    clock.set(datetime(2026, 6, 1, 17, 0, tzinfo=UTC))
    assert await ann.worker.drain() == 1
    (reminder,) = ann.notices
    assert "Time to study “Python (beginner)”: session 1" in reminder.text
    shown = ann.out.getvalue()
    assert re.search(r"📬 Notice #\d+ \(not an answer to what you typed\):\n  │ 📚 Time to", shown)
    assert await outbox(engine, ann, "study_reminder") == [
        ("sent", datetime(2026, 6, 1, 17, 0, tzinfo=UTC), None),
        ("pending", datetime(2026, 6, 2, 17, 0, tzinfo=UTC), None),  # the chain goes on
    ]


async def test_a_reminder_too_late_for_the_terminal_is_dropped_and_the_chain_goes_on(
    dispatcher: Dispatcher, engine: AsyncEngine, clock: FakeClock
) -> None:
    ann = await studying(dispatcher)
    clock.set(datetime(2026, 6, 1, 18, 30, tzinfo=UTC))  # the chat was closed until 20:30
    await ann.say("/progress")
    assert ann.notices == []
    assert await outbox(engine, ann, "study_reminder") == [
        ("dropped", datetime(2026, 6, 1, 17, 0, tzinfo=UTC), "too late"),
        ("pending", datetime(2026, 6, 2, 17, 0, tzinfo=UTC), None),
    ]


async def test_an_alert_in_quiet_hours_reaches_the_terminal_when_they_end(
    dispatcher: Dispatcher, engine: AsyncEngine, clock: FakeClock
) -> None:
    ann = Learner(dispatcher)
    await ann.say("/timezone Europe/Berlin")
    await ann.say("/quiet 22:00-07:30")
    clock.set(datetime(2026, 6, 1, 21, 0, tzinfo=UTC))  # 23:00 in Berlin
    await queue(engine, [await user_id(engine, ann)], 1, clock)
    await ann.say("/help")
    assert ann.notices == []
    clock.set(datetime(2026, 6, 2, 5, 30, tzinfo=UTC))  # 07:30 in Berlin
    assert "Your expert profile is verified" in await ann.say("/help")
    assert [n.text for n in ann.notices] == [
        "🎉 Your expert profile is verified. Learners can now find and book you."
    ]


async def test_a_chat_takes_only_its_own_persons_notifications(
    dispatcher: Dispatcher, engine: AsyncEngine, clock: FakeClock
) -> None:
    ann, bo = Learner(dispatcher), Learner(dispatcher)
    await ann.say("/start")
    await bo.say("/start")
    people = [await user_id(engine, ann), await user_id(engine, bo)]
    await queue(engine, people, 1, clock)
    await ann.worker.drain()
    assert len(ann.notices) == 1 and bo.notices == []
    assert await statuses(engine, people[1:]) == {"pending": 1}  # waiting for Bo's chat
    await bo.worker.drain()
    assert len(bo.notices) == 1 and await statuses(engine, people) == {"sent": 2}


async def test_other_platforms_workers_leave_the_terminals_notifications_alone(
    engine: AsyncEngine, clock: FakeClock
) -> None:
    dispatcher = bootstrap(engine, clock=clock)
    ann = Learner(dispatcher)  # only in the terminal
    await ann.say("/start")
    gone = Learner(dispatcher)  # blocked the bot everywhere: reachable nowhere
    await gone.say("/start")
    async with engine.begin() as conn:
        await conn.execute(
            text("UPDATE platform_identities SET blocked_at = now() WHERE external_id = :n"),
            {"n": gone.name},
        )
    terminal_only, nowhere = await user_id(engine, ann), await user_id(engine, gone)
    await queue(engine, [terminal_only, nowhere], 1, clock)
    telegram = Phone()
    await NotificationWorker(dispatcher.ctx, {"telegram": telegram}).drain()  # `syllabot run`
    assert telegram.received == []
    assert await statuses(engine, [terminal_only]) == {"pending": 1}  # left for the terminal
    assert await statuses(engine, [nowhere]) == {"dropped": 1}  # as before: no reachable chat
    await ann.worker.drain()
    assert len(ann.notices) == 1
