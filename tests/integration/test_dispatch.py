"""Workers deliver the outbox: each notification once, whatever the workers do."""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import AsyncIterator
from datetime import timedelta

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.bootstrap import bootstrap
from bot.handlers.base import Reply
from bot.handlers.courier import BLOCKED, SENT, Delivery
from bot.worker import NotificationWorker
from domain.notifications.delivery import LEASE, claim
from tests.support import FakeClock, people, private_database, queue, statuses


@pytest.fixture(scope="module")
async def engine(server_url: str) -> AsyncIterator[AsyncEngine]:
    """A database of this module's own: workers claim every due row, so no other test's."""
    async with private_database(server_url) as engine:
        yield engine


class RecordingCourier:
    """A platform that records what it was asked to send; can answer 429s or 403s."""

    def __init__(self, answers: list[Delivery] | None = None) -> None:
        self.sent: list[tuple[str, str]] = []
        self.answers = list(answers or [])

    async def send(self, chat_id: str, reply: Reply) -> Delivery:
        answer = self.answers.pop(0) if self.answers else SENT
        if answer.sent:
            self.sent.append((chat_id, reply.text))
        await asyncio.sleep(0)  # let the other worker run in between
        return answer


async def test_two_workers_send_ten_thousand_due_notifications_exactly_once(
    engine: AsyncEngine,
) -> None:
    clock = FakeClock()
    ctx = bootstrap(engine, clock=clock).ctx
    users = await people(engine, 20)
    await queue(engine, users, 500, clock)
    couriers = [RecordingCourier(), RecordingCourier()]
    workers = [NotificationWorker(ctx, {"fake": c}, batch=250) for c in couriers]

    claimed = await asyncio.gather(*(worker.drain() for worker in workers))

    assert sum(claimed) == 10_000
    assert all(claimed), "both workers took a share"
    assert len(couriers[0].sent) + len(couriers[1].sent) == 10_000
    assert await statuses(engine, users) == Counter({"sent": 10_000})


async def test_a_killed_workers_claims_are_sent_by_another_once_the_lease_runs_out(
    engine: AsyncEngine,
) -> None:
    clock = FakeClock()
    ctx = bootstrap(engine, clock=clock).ctx
    users = await people(engine, 3)
    await queue(engine, users, 10, clock)
    crashed = await claim(ctx.uow(), clock, limit=1_000)  # claims, never settles
    assert len([d for d in crashed if d.user_id in users]) == 30

    courier = RecordingCourier()
    survivor = NotificationWorker(ctx, {"fake": courier})
    await survivor.drain()
    assert courier.sent == []  # still leased to the dead worker
    clock.advance(seconds=LEASE.total_seconds() + 1)
    await survivor.drain()
    assert len(courier.sent) == 30
    assert (await statuses(engine, users))["sent"] == 30


async def test_429_is_retried_later_and_403_stops_sending_there(engine: AsyncEngine) -> None:
    clock = FakeClock()
    ctx = bootstrap(engine, clock=clock).ctx
    (throttled,), (blocker,) = await people(engine, 1), await people(engine, 1)
    await queue(engine, [throttled], 1, clock)
    courier = RecordingCourier([Delivery(retry_after=30)])
    worker = NotificationWorker(ctx, {"fake": courier})
    await worker.drain()
    assert courier.sent == [] and (await statuses(engine, [throttled]))["pending"] == 1
    clock.advance(seconds=31)
    await worker.drain()
    assert len(courier.sent) == 1 and (await statuses(engine, [throttled]))["sent"] == 1

    await queue(engine, [blocker], 2, clock)
    courier = RecordingCourier([BLOCKED])
    worker = NotificationWorker(ctx, {"fake": courier})
    await worker.drain()
    assert courier.sent == []
    assert await statuses(engine, [blocker]) == Counter({"dropped": 2})  # no endless retries


async def test_a_notification_past_its_expiry_is_dropped_not_sent(engine: AsyncEngine) -> None:
    clock = FakeClock()
    ctx = bootstrap(engine, clock=clock).ctx
    users = await people(engine, 1)
    await queue(engine, users, 1, clock, expires_at=clock.now() - timedelta(seconds=1))
    courier = RecordingCourier()
    await NotificationWorker(ctx, {"fake": courier}).drain()
    assert courier.sent == []
    assert await statuses(engine, users) == Counter({"dropped": 1})
