"""How many Discord interactions a second do one, two and three ``syllabot run`` processes (one
shard each) answer, and how fast, beside a bare discord.py bot on the same fake Discord?

Both bots run in their own process and talk to the fake Discord of the tests
(``tests/adapters/discord_fake.py``: REST and the gateway WebSocket on 127.0.0.1), run by this
process together with N simulated users (10 and 50 at once by default). Each user sends slash
commands in a server, one after the other, each as soon as the last was answered; with P
processes (``--processes``, 1 2 3 by default) there are P shards (``DISCORD_SHARD_COUNT``, one
``DISCORD_SHARD_IDS`` each, so the turns go across processes) and a server on each, the users
spread over them. The bare bot runs alone, one shard, its users on one server.

- ``syllabot run``: the real process (``python -m bot run``, ``DISCORD_API_BASE_URL`` and
  ``DISCORD_GATEWAY_URL`` pointing at the fake) with the real dispatcher, services and
  PostgreSQL. Each user first creates a curriculum (``/new Bench | 120 | 30 | beginner``, not
  measured), then repeats ``/done`` (a session logged in the database) and ``/progress``.
- the baseline: a bare ``discord.AutoShardedClient`` that answers every interaction the way
  Syllabot does (defer with "thinking…", then edit the original response), with a fixed text:
  what discord.py and the fake cost without any of our code or the database.

Printed per N and bot: interactions answered per second (from the first push to the last
answer), the time from the fake pushing an ``INTERACTION_CREATE`` on the gateway to it
receiving the edit of the original response (p50, p99) and the deferral (p99: Discord drops
an interaction not acknowledged within 3 seconds), and Syllabot's figures beside the
baseline's.

    python -m bench.discord_process                      # embedded PostgreSQL in a temp dir
    BENCH_DATABASE_URL=postgresql+asyncpg://postgres@127.0.0.1:5432/postgres \\
        python -m bench.discord_process [--users 10 50] [--rounds 5] [--processes 1 2 3]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import signal
import statistics
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from bench.common import bench_database
from tests.adapters.discord_fake import Call, DiscordFake

SESSIONS = 120  # per simulated learner: enough for --rounds up to 100
ROUND = ("done", "progress")


# -- the baseline bot process ----------------------------------------------------------------


async def serve_bare() -> None:
    """A bare discord.py bot until SIGTERM (the child process): defer, then edit."""
    import discord
    import discord.gateway
    import discord.http
    import yarl

    discord.http.Route.BASE = os.environ["DISCORD_API_BASE_URL"]
    discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(os.environ["DISCORD_GATEWAY_URL"])
    client = discord.AutoShardedClient(intents=discord.Intents.default())

    @client.event
    async def on_interaction(interaction: discord.Interaction) -> None:
        await interaction.response.defer(thinking=True)
        await interaction.edit_original_response(content="Noted.")

    stop = asyncio.Event()
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, stop.set)
    async with client:
        await client.login(os.environ["DISCORD_BOT_TOKEN"])
        gateway = asyncio.create_task(client.connect())
        await stop.wait()
    gateway.cancel()
    print(f"  (bare bot process: {time.process_time():.1f} s of CPU)", flush=True)


# -- the users -------------------------------------------------------------------------------


class Answers:
    """Futures resolved when the fake receives an interaction's callback (the deferral, which
    Discord wants within 3 seconds) and the edit of its original response (the last step of
    an answer), by interaction token."""

    def __init__(self, fake: DiscordFake) -> None:
        self._waiting: dict[tuple[str, str], asyncio.Future[float]] = {}
        fake.listeners.append(self._seen)

    def _seen(self, call: Call) -> None:
        parts = call.path.split("/")
        if call.status != 200 or len(parts) < 4:
            return
        if call.method == "POST" and parts[-1] == "callback":  # /interactions/<id>/<token>/...
            key = ("ack", parts[3])
        elif call.method == "PATCH" and parts[-1] == "@original":  # /webhooks/<app>/<token>/...
            key = ("reply", parts[3])
        else:
            return
        future = self._waiting.pop(key, None)
        if future is not None and not future.done():
            future.set_result(call.at)

    def expect(self, step: str, payload: dict[str, Any]) -> asyncio.Future[float]:
        future: asyncio.Future[float] = asyncio.get_running_loop().create_future()
        self._waiting[(step, payload["token"])] = future
        return future


@dataclass
class Figures:
    interactions: int
    elapsed: float
    latencies: list[float]  # push -> the edited original response
    acks: list[float]  # push -> the deferral

    @property
    def per_second(self) -> float:
        return self.interactions / self.elapsed

    def line(self, name: str) -> str:
        ms = 1000
        return (
            f"{name:>15}: {self.interactions:5d} interactions in {self.elapsed:6.2f} s = "
            f"{self.per_second:6.1f}/s | push→reply p50 "
            f"{statistics.median(self.latencies) * ms:6.1f} ms p99 "
            f"{percentile(self.latencies, 0.99) * ms:6.1f} ms | push→deferral p99 "
            f"{percentile(self.acks, 0.99) * ms:6.1f} ms"
        )


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


async def wait_until(condition: Callable[[], object], within: float) -> None:
    deadline = time.monotonic() + within
    while not condition():
        if time.monotonic() > deadline:
            raise TimeoutError(f"not within {within} s")
        await asyncio.sleep(0.05)


def sharded(processes: int) -> list[dict[str, str]]:
    """Each process's environment: one shard each when there are several (their turns then
    go across processes, ``db.turns``), none for one."""
    if processes == 1:
        return [{}]
    count = {"DISCORD_SHARD_COUNT": str(processes)}
    return [{**count, "DISCORD_SHARD_IDS": str(n)} for n in range(processes)]


async def measure(
    command: list[str], database_url: str, users: int, rounds: int, processes: int = 1
) -> Figures:
    """Start ``processes`` of ``command`` (shard ``n`` each) against a fresh fake with one
    server per shard, the users spread over the servers; let them run ``rounds`` rounds."""
    async with DiscordFake() as fake:
        answers = Answers(fake)
        servers = [fake.add_guild(shard=n, count=processes) for n in range(processes)]
        env = {**os.environ, **fake.environment(), "DATABASE_URL": database_url}
        bots = [
            await asyncio.create_subprocess_exec(
                *command,
                env={**env, "LOG_LEVEL": "WARNING", **extra},
                stdout=asyncio.subprocess.DEVNULL,
            )
            for extra in sharded(processes)
        ]
        try:
            await wait_until(lambda: len(fake.gateway.identified()) >= processes, within=120)

            async def slash(
                user: dict[str, Any], name: str, args: str | None = None
            ) -> tuple[float, float]:
                payload = fake.slash(user, name, args, guild=where[user["id"]])
                acked, answered = answers.expect("ack", payload), answers.expect("reply", payload)
                sent = time.monotonic()
                await fake.push("INTERACTION_CREATE", payload)
                done = await asyncio.wait_for(answered, 120)
                return await acked - sent, done - sent

            people = [fake.user(f"Bench{n}") for n in range(users)]
            where = {p["id"]: servers[n % processes] for n, p in enumerate(people)}
            await asyncio.gather(
                *(slash(p, "new", f"Bench | {SESSIONS} | 30 | beginner") for p in people)
            )
            latencies: list[float] = []
            acks: list[float] = []

            async def learner(user: dict[str, Any]) -> None:
                for _ in range(rounds):
                    for name in ROUND:
                        ack, reply = await slash(user, name)
                        acks.append(ack)
                        latencies.append(reply)

            started = time.monotonic()
            await asyncio.gather(*(learner(p) for p in people))
            elapsed = time.monotonic() - started
        finally:
            for bot in bots:
                bot.send_signal(signal.SIGTERM)
            for bot in bots:
                await bot.wait()
        failed = [c for c in fake.calls if c.status >= 400]
        assert not failed, f"{len(failed)} failed calls, such as {failed[0]}"
    return Figures(len(latencies), elapsed, latencies, acks)


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, nargs="+", default=[10, 50])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--processes", type=int, nargs="+", default=[1, 2, 3])
    parser.add_argument("--serve-bare", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve_bare:
        await serve_bare()
        return
    if not 1 <= args.rounds <= SESSIONS - 20:
        parser.error(f"--rounds must be between 1 and {SESSIONS - 20}")
    print(
        f"each bot in its own process; each user: {' then '.join('/' + r for r in ROUND)}, "
        "as soon as answered",
        flush=True,
    )
    syllabot = [sys.executable, "-m", "bot", "run"]
    bare = [sys.executable, "-m", "bench.discord_process", "--serve-bare"]
    async with bench_database() as url:
        for users in args.users:
            baseline = await measure(bare, url, users, args.rounds)
            print(f"{users} users × {args.rounds} rounds:")
            print(baseline.line("bare discord.py"))
            for processes in args.processes:
                ours = await measure(syllabot, url, users, args.rounds, processes)
                name = f"{processes} × run"
                rate = ours.per_second / baseline.per_second
                p99 = percentile(ours.latencies, 0.99) / percentile(baseline.latencies, 0.99)
                print(ours.line(name))
                print(
                    f"{'ratio':>15}: {name} answers {rate:.2f}× the bare bot's rate; "
                    f"its p99 is {p99:.1f}×",
                    flush=True,
                )


if __name__ == "__main__":
    asyncio.run(main())
