"""Several processes on one database: two and three real ``syllabot run`` (webhook mode) and
``syllabot worker`` processes against one PostgreSQL and one emulated Telegram bot.

What must hold: one person's updates are answered in the order they arrived even when they
alternate between two processes' webhooks; an update delivered to both is handled once; two
workers send each notification once; a worker killed mid-batch (SIGKILL) leaves its rest to the
other, nothing lost and nothing doubled; and three workers together keep to the send budget.
"""

from __future__ import annotations

import asyncio
import re
import signal
from collections import Counter
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from aiohttp import ClientSession
from sqlalchemy.ext.asyncio import AsyncEngine

from domain.shared.clock import SystemClock
from tests.adapters.instances import instances, post, telegram_people
from tests.adapters.telegram_emulator import BotApiEmulator, TgUser
from tests.support import private_database, queue, statuses


@pytest.fixture(scope="module")
async def engine(server_url: str) -> AsyncIterator[AsyncEngine]:
    """A database of this module's own: the processes' workers claim every due row."""
    async with private_database(server_url) as engine:
        yield engine


@pytest.fixture
def url(engine: AsyncEngine) -> str:
    return engine.url.render_as_string(hide_password=False)


def sent_to(api: BotApiEmulator, chat: int) -> list[str]:
    return [c.params["text"] for c in api.calls_to("sendMessage", chat)]


async def recorded(engine: AsyncEngine, people: dict[int, object], count: int) -> Counter[str]:
    """The people's notifications by status, once ``count`` are recorded as sent (a send's
    outcome is recorded just after it) or 10 s have passed."""
    users = list(people.values())
    for _ in range(100):
        found = await statuses(engine, users)  # type: ignore[arg-type]
        if found["sent"] >= count:
            break
        await asyncio.sleep(0.1)
    return found


async def test_one_persons_messages_alternating_between_two_processes_are_answered_in_order(
    url: str, engine: AsyncEngine, tmp_path: Path
) -> None:
    async with (
        BotApiEmulator(push_webhook=False) as api,
        instances(2, "run", api, url, tmp_path) as (a, b),
        ClientSession() as http,
    ):
        person = TgUser(6_000_001, "Ada")
        assert await post(http, a, api.update(await api.send_text(person, "/start"))) == 200
        await api.wait_for(lambda: sent_to(api, person.id), within=20)
        for n in range(1, 11):  # each posted once the other process has answered 200
            update = api.update(await api.send_text(person, f"/zq{n:02d}"))
            assert await post(http, (a, b)[n % 2], update) == 200
        await api.wait_for(lambda: len(sent_to(api, person.id)) >= 11, within=25)

        answered = [re.search(r"/zq(\d\d)", text) for text in sent_to(api, person.id)[1:]]
        assert [int(m.group(1)) for m in answered if m] == list(range(1, 11))


async def test_an_update_delivered_to_two_processes_at_once_is_handled_once(
    url: str, engine: AsyncEngine, tmp_path: Path
) -> None:
    async with (
        BotApiEmulator(push_webhook=False) as api,
        instances(2, "run", api, url, tmp_path) as (a, b),
        ClientSession() as http,
    ):
        people = [TgUser(6_000_100 + n, "Bo") for n in range(5)]
        for person in people:
            update = api.update(await api.send_text(person, "/help"))
            statuses_ = await asyncio.gather(post(http, a, update), post(http, b, update))
            assert statuses_ == [200, 200]
        await api.wait_for(lambda: all(sent_to(api, p.id) for p in people), within=20)
        # Both processes are idle again: their answers to the same update would be out by now.
        marker = TgUser(6_000_199, "Marker")
        await post(http, a, api.update(await api.send_text(marker, "/help")))
        await post(http, b, api.update(await api.send_text(marker, "/help")))
        await api.wait_for(lambda: len(sent_to(api, marker.id)) == 2, within=20)

        assert {p.id: len(sent_to(api, p.id)) for p in people} == {p.id: 1 for p in people}


async def test_two_workers_on_one_outbox_send_each_notification_once(
    url: str, engine: AsyncEngine, tmp_path: Path
) -> None:
    async with BotApiEmulator() as api:
        people = await telegram_people(api, engine, 40)
        await queue(engine, list(people.values()), 1, SystemClock())  # type: ignore[arg-type]
        async with instances(2, "worker", api, url, tmp_path, SYLLABOT_TELEGRAM_SEND_BUDGET="40"):
            await api.wait_for(lambda: len(api.calls_to("sendMessage")) >= 40, within=25)
            assert await recorded(engine, people, 40) == {"sent": 40}

        assert Counter(int(c.params["chat_id"]) for c in api.calls_to("sendMessage")) == {
            chat: 1 for chat in people
        }


async def test_a_worker_killed_mid_batch_leaves_the_rest_to_the_other_nothing_lost_or_doubled(
    url: str, engine: AsyncEngine, tmp_path: Path
) -> None:
    async with BotApiEmulator() as api:
        people = await telegram_people(api, engine, 40)
        await queue(engine, list(people.values()), 1, SystemClock())  # type: ignore[arg-type]
        budget = {"SYLLABOT_TELEGRAM_SEND_BUDGET": "10", "SYLLABOT_OUTBOX_LEASE": "8"}
        async with instances(2, "worker", api, url, tmp_path, **budget) as (doomed, _other):
            await api.wait_for(lambda: len(api.calls_to("sendMessage")) >= 8, within=25)
            # Between two sends (a slot is 0.1 s): none of the doomed worker's is on its way.
            await asyncio.sleep(0.05)
            doomed.process.send_signal(signal.SIGKILL)
            await doomed.process.wait()
            assert len(api.calls_to("sendMessage")) < 40  # killed mid-batch
            await api.wait_for(lambda: len(api.calls_to("sendMessage")) >= 40, within=25)
            assert await recorded(engine, people, 40) == {"sent": 40}

        assert doomed.process.returncode == -signal.SIGKILL
        assert Counter(int(c.params["chat_id"]) for c in api.calls_to("sendMessage")) == {
            chat: 1 for chat in people
        }


async def test_three_workers_together_keep_within_the_shared_send_budget(
    url: str, engine: AsyncEngine, tmp_path: Path
) -> None:
    budget = 10
    async with BotApiEmulator(overall_limit=budget + 2) as api:  # Telegram's flood control
        people = await telegram_people(api, engine, 60)
        await queue(engine, list(people.values()), 1, SystemClock())  # type: ignore[arg-type]
        settings = {"SYLLABOT_TELEGRAM_SEND_BUDGET": str(budget), "SYLLABOT_OUTBOX_LEASE": "8"}
        async with instances(3, "worker", api, url, tmp_path, **settings):
            await api.wait_for(lambda: len(api.calls_to("sendMessage")) >= 60, within=25)

        sent = sorted(c.at for c in api.calls_to("sendMessage"))
        rate = (len(sent) - 1) / (sent[-1] - sent[0])
        assert rate <= budget * 1.1, f"{rate:.1f} messages a second"
        assert api.throttled == 0
        assert len(sent) == 60
