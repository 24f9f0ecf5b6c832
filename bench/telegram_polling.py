"""How many Telegram updates a second go through long polling, and how fast are presses answered?

The bot runs in its own process, as in production: the real python-telegram-bot
``Application`` of ``bot.adapters.telegram`` with the real dispatcher, services and PostgreSQL,
long-polling the Bot API emulator of the tests (``tests/adapters/telegram_emulator.py``) over
HTTP on 127.0.0.1. This process runs the emulator and N simulated users (10, 50 and 200 at once
by default). Each user repeats, as fast as the bot answers: ``/done`` (a session logged in the
database), ``/plan``, then a press of "Next ▶" under that plan (which the bot edits in place).

Printed per N: updates handled per second (from the first update to the last answer), the
time from a message to the bot's reply (p50, p99), and the time from a button press entering
the emulator to the emulator receiving ``answerCallbackQuery`` (p50, p99), which includes the
trip through ``getUpdates``.

By default Telegram's outgoing limits (about 30 messages a second overall, 1 a second per chat)
and the per-user flood control are off: that measures our pipeline, as against a local Bot API
server without limits. ``--limits`` switches the production limits on, and each user then acts
once a second (faster would be throttled by the flood control): throughput is capped at about
30 replies a second by design, while presses are still answered at once
(``answerCallbackQuery`` is not a chat message and is not throttled).

    python -m bench.telegram_polling                     # embedded PostgreSQL in a temp dir
    BENCH_DATABASE_URL=postgresql+asyncpg://postgres@127.0.0.1:5432/postgres \\
        python -m bench.telegram_polling [--users 10 50 200] [--rounds 5] [--limits]

``BENCH_BOT_PYTHON_ARGS="-m cProfile -o bot.prof"`` profiles the bot process.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import signal
import statistics
import sys
import time
from collections import defaultdict
from typing import Any

from bench.common import bench_database
from tests.adapters.telegram_emulator import BotApiEmulator, Call, TgUser

SESSIONS = 120  # per simulated learner: enough for --rounds up to 100


# -- the bot process -------------------------------------------------------------------------


async def serve_bot(token: str, base_url: str, database_url: str, limits: bool) -> None:
    """Run the Telegram adapter until SIGTERM (the child process)."""
    from bot.adapters.telegram import ChatRateLimiter, FloodLimit, TelegramAdapter
    from bot.bootstrap import bootstrap
    from db.engine import create_engine

    stop = asyncio.Event()
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, stop.set)
    engine = create_engine(database_url)  # the default pool, as `syllabot run` has it
    unlimited = ChatRateLimiter(per_chat_rate=0, overall_max_rate=0, group_max_rate=0)
    try:
        async with TelegramAdapter(
            bootstrap(engine),
            token,
            base_url=base_url,
            flood=FloodLimit() if limits else None,
            rate_limiter=ChatRateLimiter() if limits else unlimited,
        ):
            await stop.wait()
    finally:
        await engine.dispose()
        print(f"  (bot process: {time.process_time():.1f} s of CPU, set-up included)", flush=True)


# -- the users -------------------------------------------------------------------------------


class Waiters:
    """Futures resolved by the emulator's calls: the next reply in a chat, a query's answer."""

    def __init__(self, api: BotApiEmulator) -> None:
        self._replies: dict[int, list[asyncio.Future[Call]]] = defaultdict(list)
        self._answers: dict[str, asyncio.Future[float]] = {}
        api.listeners.append(self._seen)

    def _seen(self, call: Call) -> None:
        if call.status != 200:
            return
        method = call.method.lower()
        if method in ("sendmessage", "editmessagetext"):
            waiting = self._replies.get(int(call.params["chat_id"]))
            if waiting:
                future = waiting.pop(0)
                if not future.done():
                    future.set_result(call)
        elif method == "answercallbackquery":
            answer = self._answers.pop(str(call.params["callback_query_id"]), None)
            if answer is not None and not answer.done():
                answer.set_result(time.monotonic())

    def reply(self, chat_id: int) -> asyncio.Future[Call]:
        future: asyncio.Future[Call] = asyncio.get_running_loop().create_future()
        self._replies[chat_id].append(future)
        return future

    def answer(self, query_id: str) -> asyncio.Future[float]:
        future: asyncio.Future[float] = asyncio.get_running_loop().create_future()
        self._answers[query_id] = future
        return future


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


async def say(api: BotApiEmulator, waiters: Waiters, user: TgUser, text: str) -> Call:
    reply = waiters.reply(user.id)
    await api.send_text(user, text)
    return await asyncio.wait_for(reply, 120)


async def measure(url: str, users: int, rounds: int, limits: bool) -> None:
    async with BotApiEmulator(username="SyllabotBenchBot") as api:
        waiters = Waiters(api)
        command = [
            sys.executable,
            *os.environ.get("BENCH_BOT_PYTHON_ARGS", "").split(),
            "-m",
            "bench.telegram_polling",
            "--serve-bot",
        ]
        command += [api.token, api.base_url, url] + (["--limits"] if limits else [])
        bot = await asyncio.create_subprocess_exec(*command)
        try:
            await api.wait_for(lambda: api.calls_to("getUpdates"), within=60)
            people = [TgUser(500_000 + n, f"Bench{n}") for n in range(users)]
            for person in people:  # set up one by one: the flood control is not under test
                await say(api, waiters, person, f"/new Bench | {SESSIONS} | 30 | beginner")
            message_latency: list[float] = []
            answer_latency: list[float] = []
            pace = 1.0 if limits else 0.0  # with limits: a user acts once a second

            async def learner(person: TgUser) -> None:
                for _ in range(rounds):
                    for text in ("/done", "/plan"):
                        await asyncio.sleep(pace)
                        sent = time.monotonic()
                        reply = await say(api, waiters, person, text)
                        message_latency.append(time.monotonic() - sent)
                    plan: dict[str, Any] = reply.result
                    data = plan["reply_markup"]["inline_keyboard"][0][-1]["callback_data"]
                    await asyncio.sleep(pace)
                    edited = waiters.reply(person.id)
                    update_id = await api.press(person, plan, data)
                    query_id = api.update(update_id)["callback_query"]["id"]
                    answer = waiters.answer(query_id)
                    answered = api.queries[query_id]["answered_at"]
                    if answered is None:
                        answered = await asyncio.wait_for(answer, 120)
                    answer_latency.append(answered - api.queries[query_id]["pressed_at"])
                    await asyncio.wait_for(edited, 120)

            started = time.monotonic()
            await asyncio.gather(*(learner(p) for p in people))
            elapsed = time.monotonic() - started
        finally:
            bot.send_signal(signal.SIGTERM)
            await bot.wait()
    updates = users * rounds * 3
    ms = 1000
    print(
        f"{users:4d} users × {rounds} rounds: {updates:5d} updates in {elapsed:6.2f} s = "
        f"{updates / elapsed:6.1f} updates/s | message→reply p50 "
        f"{statistics.median(message_latency) * ms:6.1f} ms p99 "
        f"{percentile(message_latency, 0.99) * ms:6.1f} ms | press→answerCallbackQuery p50 "
        f"{statistics.median(answer_latency) * ms:6.1f} ms p99 "
        f"{percentile(answer_latency, 0.99) * ms:6.1f} ms",
        flush=True,
    )


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, nargs="+", default=[10, 50, 200])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--limits", action="store_true", help="Telegram's limits, flood control")
    parser.add_argument("--serve-bot", nargs=3, metavar=("TOKEN", "BASE_URL", "DB"))
    args = parser.parse_args()
    if args.serve_bot:
        await serve_bot(*args.serve_bot, limits=args.limits)
        return
    if not 1 <= args.rounds <= SESSIONS - 20:
        parser.error(f"--rounds must be between 1 and {SESSIONS - 20}")
    print(
        f"bot in its own process; limits {'on' if args.limits else 'off'}; "
        "each round: /done, /plan, press Next ▶",
        flush=True,
    )
    async with bench_database() as url:
        for users in args.users:
            await measure(url, users, args.rounds, args.limits)


if __name__ == "__main__":
    asyncio.run(main())
