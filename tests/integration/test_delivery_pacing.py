"""The worker sends as fast as a platform allows and no faster, and a 429 never loses a message.

The platform here is a courier that enforces a limit the way Telegram does (at most 30
messages in any second, one a second per chat; beyond that a 429), on a fake monotonic clock
that moves only when the worker's pacer sleeps: deterministic, no stopwatch.
"""

from __future__ import annotations

import uuid
from collections import Counter, deque
from collections.abc import AsyncIterator
from datetime import timedelta

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.bootstrap import bootstrap
from bot.handlers.base import Reply
from bot.handlers.courier import Delivery
from bot.worker import NotificationWorker, Pace
from tests.support import FakeClock, people, private_database, queue, statuses
from tests.unit.test_pacer import FakeTime

CAP = 30
PACED = {"fake": Pace(per_second=29, chat_interval=1.0)}


@pytest.fixture(scope="module")
async def engine(server_url: str) -> AsyncIterator[AsyncEngine]:
    """A database of this module's own: workers claim every due row, so no other test's."""
    async with private_database(server_url) as engine:
        yield engine


class LimitedPlatform:
    """A courier that takes at most ``CAP`` messages in any second and one a second per chat,
    answering a 429 (``retry_after``) beyond that, or as told by ``answers``."""

    def __init__(self, time: FakeTime, answers: list[Delivery] | None = None) -> None:
        self.time = time
        self.answers = list(answers or [])
        self.sent: list[tuple[float, str]] = []
        self.refused: list[float] = []
        self._window: deque[float] = deque()
        self._last: dict[str, float] = {}

    async def send(self, chat_id: str, reply: Reply) -> Delivery:
        now = self.time.now
        while self._window and self._window[0] <= now - 1:
            self._window.popleft()
        answer = self.answers.pop(0) if self.answers else None
        if answer is None and (
            len(self._window) >= CAP or now - self._last.get(chat_id, -10.0) < 1.0
        ):
            answer = Delivery(retry_after=1)
        if answer is not None:
            self.refused.append(now)
            return answer
        self._window.append(now)
        self._last[chat_id] = now
        self.sent.append((now, chat_id))
        return Delivery(sent=True)


async def chats(engine: AsyncEngine, users: list[uuid.UUID]) -> dict[str, uuid.UUID]:
    async with engine.connect() as conn:
        rows = await conn.execute(
            text("SELECT external_id, user_id FROM platform_identities WHERE user_id = ANY(:u)"),
            {"u": users},
        )
        return {chat: user for chat, user in rows}


async def test_a_paced_worker_sends_at_the_platform_cap_without_a_single_429(
    engine: AsyncEngine,
) -> None:
    clock, time = FakeClock(), FakeTime()
    users = await people(engine, 90)
    await queue(engine, users, 1, clock)
    platform = LimitedPlatform(time)
    worker = NotificationWorker(
        bootstrap(engine, clock=clock).ctx,
        {"fake": platform},
        paces=PACED,
        monotonic=time,
        sleep=time.sleep,
    )

    await worker.drain()

    assert platform.refused == []
    assert len(platform.sent) == 90
    assert await statuses(engine, users) == Counter({"sent": 90})
    first, last = platform.sent[0][0], platform.sent[-1][0]
    rate = (len(platform.sent) - 1) / (last - first)
    assert 0.95 * CAP <= rate <= CAP


async def test_one_persons_notifications_go_out_in_order_a_second_apart(
    engine: AsyncEngine,
) -> None:
    clock, time = FakeClock(), FakeTime()
    (busy,), others = await people(engine, 1), await people(engine, 5)
    await queue(engine, [busy], 3, clock)
    await queue(engine, others, 1, clock)
    platform = LimitedPlatform(time)
    worker = NotificationWorker(
        bootstrap(engine, clock=clock).ctx,
        {"fake": platform},
        paces=PACED,
        monotonic=time,
        sleep=time.sleep,
    )

    await worker.drain()

    assert platform.refused == []
    chat = next(c for c, user in (await chats(engine, [busy])).items() if user == busy)
    times = [at for at, to in platform.sent if to == chat]
    assert len(times) == 3
    assert all(later - earlier >= 1.0 for earlier, later in zip(times, times[1:], strict=False))
    assert await statuses(engine, [busy, *others]) == Counter({"sent": 8})


async def test_a_429_holds_every_send_for_its_wait_and_the_message_still_goes_out(
    engine: AsyncEngine,
) -> None:
    clock, time = FakeClock(), FakeTime()
    users = await people(engine, 20)
    await queue(engine, users, 1, clock)
    platform = LimitedPlatform(time, answers=[Delivery(retry_after=3)])
    worker = NotificationWorker(
        bootstrap(engine, clock=clock).ctx,
        {"fake": platform},
        paces=PACED,
        monotonic=time,
        sleep=time.sleep,
        concurrency=1,
    )

    await worker.drain()  # one batch, clock never moved: the wait happened inside it

    (refused_at,) = platform.refused
    assert [at for at, _ in platform.sent if refused_at < at < refused_at + 3] == []
    assert len(platform.sent) == 20
    assert await statuses(engine, users) == Counter({"sent": 20})


async def test_a_long_429_puts_the_platforms_messages_back_until_it_is_over(
    engine: AsyncEngine,
) -> None:
    clock, time = FakeClock(), FakeTime()
    users = await people(engine, 10)
    await queue(engine, users, 1, clock)
    platform = LimitedPlatform(time, answers=[Delivery(retry_after=600)])
    worker = NotificationWorker(
        bootstrap(engine, clock=clock).ctx,
        {"fake": platform},
        paces=PACED,
        monotonic=time,
        sleep=time.sleep,
    )

    await worker.drain()
    assert len(platform.refused) == 1 and platform.sent == []  # no probing the others
    assert await statuses(engine, users) == Counter({"pending": 10})

    clock.advance(seconds=601)
    await worker.drain()
    assert len(platform.sent) == 10
    assert await statuses(engine, users) == Counter({"sent": 10})


async def test_nothing_is_sent_once_the_lease_nears_its_end_and_the_rest_goes_back(
    engine: AsyncEngine,
) -> None:
    clock, time = FakeClock(), FakeTime()
    users = await people(engine, 6)
    await queue(engine, users, 1, clock)

    class Slow(LimitedPlatform):
        async def send(self, chat_id: str, reply: Reply) -> Delivery:
            answer = await super().send(chat_id, reply)
            self.time.now += 40  # a platform taking 40 s a message
            return answer

    platform = Slow(time)
    worker = NotificationWorker(
        bootstrap(engine, clock=clock).ctx,
        {"fake": platform},
        monotonic=time,
        sleep=time.sleep,
        concurrency=1,
        lease=timedelta(minutes=2),
    )

    await worker.run_once()

    assert len(platform.sent) == 3  # started at 0, 40 and 80 s; at 120 s only 30 s were left
    assert await statuses(engine, users) == Counter({"sent": 3, "pending": 3})
    assert await worker.run_once() == 3  # back in the queue at once, for any worker
