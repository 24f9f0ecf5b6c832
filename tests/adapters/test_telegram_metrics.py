"""What /metrics counts on Telegram: the 429s on replies (which the rate limiter retries) and
the worker's sends, 429s and drops, through the real adapter and the emulator."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncEngine

from bot.adapters.telegram import TelegramAdapter
from bot.bootstrap import bootstrap
from bot.observability import Metrics
from bot.worker import NotificationWorker
from tests.adapters.harness import Person
from tests.adapters.telegram_emulator import BotApiEmulator
from tests.adapters.test_telegram_notifications import user_of
from tests.support import FakeClock, queue


def value(metrics: Metrics, name: str, **labels: str) -> float:
    return metrics.registry.get_sample_value(name, labels) or 0.0


async def test_a_429_on_a_reply_is_counted_and_the_reply_still_goes(
    api: BotApiEmulator, engine: AsyncEngine, clock: FakeClock
) -> None:
    metrics = Metrics(process=False)
    dispatcher = bootstrap(engine, clock=clock, metrics=metrics)
    # The adapter as bootstrap builds it: its own rate limiter, told of each 429.
    async with TelegramAdapter(
        dispatcher, api.token, base_url=api.base_url, poll_timeout=5
    ) as bot:
        lu = Person(api, bot, "Lu")
        api.fail_next("sendMessage", 1, retry_after=1)
        assert "Here's what I understand" in await lu.say("/help")
    assert value(metrics, "syllabot_rate_limited_total", platform="telegram") == 1
    assert value(metrics, "syllabot_updates_total", platform="telegram", outcome="ok") == 1


async def test_the_workers_sends_429s_and_blocks_are_counted(
    api: BotApiEmulator, engine: AsyncEngine, clock: FakeClock
) -> None:
    metrics = Metrics(process=False)
    dispatcher = bootstrap(engine, clock=clock, metrics=metrics)
    async with TelegramAdapter(
        dispatcher, api.token, base_url=api.base_url, poll_timeout=5
    ) as bot:
        ada = Person(api, bot, "Ada")
        await ada.say("/start")
        user_id = await user_of(engine, ada)
        worker = NotificationWorker(dispatcher.ctx, {"telegram": bot})

        await queue(engine, [user_id], 1, clock)
        api.fail_next("sendMessage", 1, retry_after=1)  # waited out, then sent
        await worker.drain()
        api.fail_next("sendMessage", code=403)  # Ada blocked the bot
        await queue(engine, [user_id], 1, clock)
        await worker.drain()

    def sends(result: str) -> float:
        return value(metrics, "syllabot_sends_total", platform="telegram", result=result)

    assert (sends("sent"), sends("throttled"), sends("blocked")) == (1, 1, 1)
    assert value(metrics, "syllabot_rate_limited_total", platform="telegram") == 1
    assert value(metrics, "syllabot_notifications_dropped_total", reason="blocked") == 1
    planned = [
        sample.value
        for family in metrics.registry.collect()
        if family.name == "syllabot_reminders_planned"
        for sample in family.samples
        if sample.name.endswith("_total")
    ]
    assert sum(planned) >= 1  # Ada's default reminders, planned at her first message
