"""How many Telegram updates a second do one, two and three ``syllabot run`` processes on one
database handle, beside a bare python-telegram-bot echo bot on the same emulator?

Each ``syllabot run`` is the real command in webhook mode (its own port, one database, the
shared turns of ``db.turns``), fed by this process as a load balancer would: updates go to the
processes in turn, each posted as soon as it is made. ``--users`` simulated learners each repeat
``/done`` then ``/plan`` as fast as the bot answers, for ``--rounds`` rounds. Our own limits
(flood control, pacing, the shared send budget) are off (``SYLLABOT_TELEGRAM_RATE_LIMITS=false``):
that measures the pipeline, not Telegram's 30 messages a second, which every process on one
token shares whatever their number. The echo bot (a MessageHandler that sends the text back,
PTB's own webhook server, ``concurrent_updates``) gets the same users and messages.

Printed per setup: updates handled per second (first update to last reply), message-to-reply
p50 and p99, and the ratio to the echo bot. Then one process's resident memory (RSS, after its
run) and the outbox: ``syllabot worker`` sending ``--outbox`` due notifications, limits off.

    BENCH_DATABASE_URL=postgresql+asyncpg://postgres@127.0.0.1:5432/postgres \\
        python -m bench.instances [--users 50] [--rounds 5] [--processes 1 2 3] [--outbox 2000]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import signal
import statistics
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path

import psutil
from aiohttp import ClientSession

from bench.common import bench_database
from db.backups.pitr import free_port
from db.engine import create_engine
from domain.shared.clock import SystemClock
from tests.adapters.instances import SECRET, Instance, instances, post, telegram_people
from tests.adapters.telegram_emulator import BotApiEmulator, Call, TgUser
from tests.support import queue, statuses

SESSIONS = 120
UNLIMITED = {"SYLLABOT_TELEGRAM_RATE_LIMITS": "false"}


# -- the echo bot (a child process) --------------------------------------------------------------


def serve_echo(token: str, base_url: str, port: int) -> None:
    """A bare python-telegram-bot echo bot on its own webhook, until SIGTERM."""
    from telegram import Update
    from telegram.ext import Application, ContextTypes, MessageHandler, filters

    async def echo(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        assert update.message is not None and update.message.text is not None
        await update.message.reply_text(update.message.text)

    app = Application.builder().token(token).base_url(base_url).concurrent_updates(True).build()
    app.add_handler(MessageHandler(filters.TEXT, echo))
    print("echo bot ready", flush=True)
    app.run_webhook(
        listen="127.0.0.1",
        port=port,
        url_path="telegram",
        secret_token=SECRET,
        webhook_url=f"http://127.0.0.1:{port}/telegram",
        stop_signals=(signal.SIGTERM, signal.SIGINT),
    )


async def echo_bot(api: BotApiEmulator) -> tuple[asyncio.subprocess.Process, Instance]:
    port = free_port()
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bench.instances",
        "--serve-echo",
        api.token,
        api.base_url,
        str(port),
        stdout=asyncio.subprocess.PIPE,
    )
    assert process.stdout is not None
    await asyncio.wait_for(process.stdout.readline(), 60)
    await api.wait_for(lambda: api.webhook is not None, within=60)
    for _ in range(600):  # until its server takes connections
        try:
            _, writer = await asyncio.open_connection("127.0.0.1", port)
        except OSError:
            await asyncio.sleep(0.05)
            continue
        writer.close()
        break
    return process, Instance(process, port, Path(os.devnull))


# -- the load ------------------------------------------------------------------------------------


class Replies:
    """Futures resolved by the bot's sendMessage calls, per chat, in order."""

    def __init__(self, api: BotApiEmulator) -> None:
        self._waiting: dict[int, list[asyncio.Future[Call]]] = defaultdict(list)
        api.listeners.append(self._seen)

    def _seen(self, call: Call) -> None:
        if call.status == 200 and call.method.lower() == "sendmessage":
            waiting = self._waiting.get(int(call.params["chat_id"]))
            if waiting:
                future = waiting.pop(0)
                if not future.done():
                    future.set_result(call)

    def next(self, chat: int) -> asyncio.Future[Call]:
        future: asyncio.Future[Call] = asyncio.get_running_loop().create_future()
        self._waiting[chat].append(future)
        return future


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


async def load(
    api: BotApiEmulator, targets: list[Instance], users: int, rounds: int, base: int, setup: bool
) -> tuple[float, list[float]]:
    """Users acting as fast as answered; (updates a second, message-to-reply latencies)."""
    replies = Replies(api)
    turn = iter(range(10**9))
    async with ClientSession() as http:

        async def say(person: TgUser, text: str) -> None:
            reply = replies.next(person.id)
            update = api.update(await api.send_text(person, text))
            status = await post(http, targets[next(turn) % len(targets)], update)
            assert status == 200, status
            await asyncio.wait_for(reply, 120)

        people = [TgUser(base + n, f"Bench{n}") for n in range(users)]
        if setup:
            await asyncio.gather(
                *(say(p, f"/new Bench | {SESSIONS} | 30 | beginner") for p in people)
            )
        latencies: list[float] = []

        async def learner(person: TgUser) -> None:
            for _ in range(rounds):
                for text in ("/done", "/plan"):
                    sent = time.monotonic()
                    await say(person, text)
                    latencies.append(time.monotonic() - sent)

        started = time.monotonic()
        await asyncio.gather(*(learner(p) for p in people))
        elapsed = time.monotonic() - started
    return users * rounds * 2 / elapsed, latencies


def line(name: str, rate: float, latencies: list[float], baseline: float | None) -> str:
    ms = 1000
    ratio = f" | {rate / baseline:5.2f}× the echo bot" if baseline else ""
    return (
        f"{name:<22} {rate:7.1f} updates/s | message→reply p50 "
        f"{statistics.median(latencies) * ms:6.1f} ms p99 {percentile(latencies, 0.99) * ms:6.1f}"
        f" ms{ratio}"
    )


async def outbox(url: str, count: int, logs: Path) -> tuple[float, float]:
    """One ``syllabot worker`` sending ``count`` due notifications; (sends/s, its RSS MiB)."""
    engine = create_engine(url)
    try:
        async with BotApiEmulator() as api:
            people = await telegram_people(api, engine, count)
            users = list(people.values())
            async with instances(1, "worker", api, url, logs, **UNLIMITED) as (worker,):
                await queue(engine, users, 1, SystemClock())  # type: ignore[arg-type]
                await api.wait_for(lambda: len(api.calls_to("sendMessage")) >= 1, within=60)
                await api.wait_for(lambda: len(api.calls_to("sendMessage")) >= count, 600)
                rss = psutil.Process(worker.process.pid).memory_info().rss / 2**20
            sent = sorted(c.at for c in api.calls_to("sendMessage"))
            assert (await statuses(engine, users))["sent"] == count  # type: ignore[arg-type]
    finally:
        await engine.dispose()
    return (len(sent) - 1) / (sent[-1] - sent[0]), rss


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=50)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--processes", type=int, nargs="+", default=[1, 2, 3])
    parser.add_argument("--outbox", type=int, default=2000)
    args = parser.parse_args()
    print(
        f"{os.cpu_count()} CPUs; {args.users} users × {args.rounds} rounds of /done, /plan; "
        "our limits off",
        flush=True,
    )
    logs = Path(tempfile.mkdtemp(prefix="syllabot-bench-"))
    async with bench_database() as url:
        async with BotApiEmulator(push_webhook=False) as api:
            process, echo = await echo_bot(api)
            try:
                rate, latencies = await load(api, [echo], args.users, args.rounds, 900_000, False)
            finally:
                process.send_signal(signal.SIGTERM)
                await process.wait()
        baseline = rate
        print(line("python-telegram-bot echo", rate, latencies, None), flush=True)
        rss: dict[int, float] = {}
        for count in args.processes:
            async with (
                BotApiEmulator(push_webhook=False) as api,
                instances(count, "run", api, url, logs, **UNLIMITED) as running,
            ):
                base = 910_000 + count * 10_000
                rate, latencies = await load(api, running, args.users, args.rounds, base, True)
                rss[count] = psutil.Process(running[0].process.pid).memory_info().rss / 2**20
            name = f"syllabot run × {count}"
            print(line(name, rate, latencies, baseline), flush=True)
        for count, mib in rss.items():
            print(f"RSS of one `syllabot run` (of {count}) after its run: {mib:.0f} MiB")
        sends, worker_rss = await outbox(url, args.outbox, logs)
        print(
            f"outbox: one `syllabot worker`, {args.outbox} due notifications, limits off: "
            f"{sends:.0f} sends/s; its RSS {worker_rss:.0f} MiB",
            flush=True,
        )


if __name__ == "__main__":
    if sys.argv[1:2] == ["--serve-echo"]:  # PTB's run_webhook runs its own event loop
        serve_echo(sys.argv[2], sys.argv[3], int(sys.argv[4]))
    else:
        asyncio.run(main())
