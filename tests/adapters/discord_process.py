"""``syllabot run`` and ``syllabot worker`` as processes against the fake Discord.

:func:`syllabot` starts one (``python -m bot``) with the fake's REST API and gateway in its
environment and a database, waits for it to say it is up (and, for ``run``, for its gateway
sessions), and stops it with SIGTERM at the end of the block, checking it stopped cleanly with
no traceback. A :class:`Person` talks to it through the gateway: each step pushes an event and
waits, polling the fake, until the bot's answer in that person's channel says what the test
expects (or fails after a timeout with what it did say).
"""

from __future__ import annotations

import asyncio
import os
import signal
import sys
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

from tests.adapters.discord_fake import Call, DiscordFake, Guild
from tests.adapters.discord_harness import REPLIES, Member

WITHIN = 15.0  # seconds a step may take before the test fails
BANNERS = {"run": b"Discord: on", "worker": b"Syllabot worker delivering to"}


@dataclass
class BotProcess:
    """A running ``syllabot`` process and everything it has printed so far."""

    process: asyncio.subprocess.Process
    out: bytearray = field(default_factory=bytearray)
    err: bytearray = field(default_factory=bytearray)
    _readers: list[asyncio.Task[None]] = field(default_factory=list)

    def read(self) -> None:
        assert self.process.stdout is not None and self.process.stderr is not None
        for stream, into in ((self.process.stdout, self.out), (self.process.stderr, self.err)):
            self._readers.append(asyncio.create_task(_drain(stream, into)))

    async def wait_for_output(self, text: bytes, within: float = 60.0) -> None:
        async with asyncio.timeout(within):
            while text not in self.out:
                if self.process.returncode is not None or all(r.done() for r in self._readers):
                    raise AssertionError(f"syllabot ended early:\n{self.out!r}\n{self.err!r}")
                await asyncio.sleep(0.05)

    async def stop(self) -> int:
        if self.process.returncode is None:
            self.process.send_signal(signal.SIGTERM)
        code = await asyncio.wait_for(self.process.wait(), timeout=30)
        await asyncio.gather(*self._readers)
        return code


async def _drain(stream: asyncio.StreamReader, into: bytearray) -> None:
    while chunk := await stream.read(65536):
        into.extend(chunk)


@dataclass(frozen=True)
class Launch:
    """One ``syllabot <command>`` to start: its extra environment, and (``run``) the shards
    whose gateway sessions it must have opened before the test goes on."""

    command: str = "run"
    env: dict[str, str] = field(default_factory=dict)
    shards: tuple[int, ...] = (0,)


@asynccontextmanager
async def syllabots(
    fake: DiscordFake, database_url: str, *launches: Launch
) -> AsyncIterator[list[BotProcess]]:
    """The processes ``launches`` name, all started at once, on ``database_url`` and talking to
    ``fake``; stopped with SIGTERM when the block ends, each checked to have stopped cleanly
    (exit status 0, "Stopped.", no traceback)."""
    bots: list[BotProcess] = []
    failed = True
    try:
        for launch in launches:
            process = await asyncio.create_subprocess_exec(
                sys.executable,
                "-m",
                "bot",
                launch.command,
                stdout=asyncio.subprocess.PIPE,
                stderr=asyncio.subprocess.PIPE,
                env={
                    **os.environ,
                    "DATABASE_URL": database_url,
                    "LOG_LEVEL": "WARNING",
                    **fake.environment(),
                    **launch.env,
                },
            )
            bots.append(BotProcess(process))
            bots[-1].read()
        await asyncio.gather(
            *(_up(fake, bot, launch) for bot, launch in zip(bots, launches, strict=True))
        )
        yield bots
        failed = False
    finally:
        codes = await asyncio.gather(*(bot.stop() for bot in bots))
    if not failed:  # the test's own failure is the one to see
        for bot, code in zip(bots, codes, strict=True):
            assert code == 0, bytes(bot.err).decode()
            assert b"Stopped." in bot.out and b"Traceback" not in bot.err, bot.err.decode()


async def _up(fake: DiscordFake, bot: BotProcess, launch: Launch) -> None:
    await bot.wait_for_output(BANNERS[launch.command])
    if launch.command == "run":
        count = int(launch.env.get("DISCORD_SHARD_COUNT", "1"))
        await fake.wait_for(
            lambda: all((shard, count) in fake.gateway.identified() for shard in launch.shards)
        )


@asynccontextmanager
async def syllabot(
    fake: DiscordFake, database_url: str, command: str = "run"
) -> AsyncIterator[BotProcess]:
    """One ``syllabot <command>``: see :func:`syllabots`."""
    async with syllabots(fake, database_url, Launch(command)) as [bot]:
        yield bot


class Person(Member):
    """Somebody on Discord talking to a bot in another process, over the fake's gateway.

    Every step takes ``expect``: text the bot's answer must contain ("" for any answer); it
    returns when the answers since the step, in this person's channel, contain it."""

    def __init__(
        self, fake: DiscordFake, name: str = "Ada", *, guild: bool | Guild = False
    ) -> None:
        super().__init__(fake, None, name, guild=guild is not False)
        self.server = fake.guilds[0] if guild is True else guild or None
        self.payloads: list[dict[str, Any]] = []  # every interaction pushed for this person
        self._expect = ""

    @property
    def channel_id(self) -> str:
        if self.server is not None:
            return self.server.channel_id
        return self.fake.dm_channel(self.user["id"])["id"]

    async def _deliver(self, event: str, *payloads: dict[str, Any]) -> str:
        start, expect = len(self.fake.calls), self._expect
        for payload in payloads:
            if event == "INTERACTION_CREATE":
                self.payloads.append(payload)
            await self.fake.push(event, payload)

        def answered() -> bool:
            self.calls = self.fake.calls[start:]
            said = self.texts()
            return bool(said) and expect in said

        try:
            await self.fake.wait_for(answered, within=WITHIN)
        except AssertionError:
            raise AssertionError(f"expected {expect!r}; the bot said {self.texts()!r}") from None
        return self.texts()

    def replies(self) -> list[Call]:
        """The bot's successful answers in this person's channel (shown to them)."""
        return [c for c in self.calls if c.method in REPLIES and self._mine(c)]

    def _mine(self, call: Call) -> bool:
        if call.status != 200 or not isinstance(call.result, dict):
            return False
        message = call.result.get("resource", {}).get("message") or call.result
        shown_to = (message.get("interaction_metadata") or {}).get("user", self.user)
        return message.get("channel_id") == self.channel_id and shown_to["id"] == self.user["id"]

    def _slash_payload(self, name: str, args: str | None) -> dict[str, Any]:
        return self.fake.slash(self.user, name, args, guild=self.server or False)

    async def slash(self, name: str, args: str | None = None, *, expect: str = "") -> str:
        self._expect = expect
        return await self._deliver("INTERACTION_CREATE", self._slash_payload(name, args))

    async def say(self, *lines: str, expect: str = "") -> str:
        self._expect = expect
        return await super().say(*lines)

    async def press(
        self, label: str, message: dict[str, Any] | None = None, *, expect: str = ""
    ) -> str:
        self._expect = expect
        return await super().press(label, message)

    async def choose(
        self, label: str, message: dict[str, Any] | None = None, *, expect: str = ""
    ) -> str:
        self._expect = expect
        return await super().choose(label, message)

    def answered_once(self) -> bool:
        """Every interaction of this person's was answered exactly once."""
        return all(self.fake.answered(p) == 1 for p in self.payloads)


async def eventually(condition: Callable[[], Awaitable[object]], within: float = WITHIN) -> None:
    """Poll ``condition`` (a coroutine function: a database query) until it is true, or
    fail."""
    deadline = time.monotonic() + within
    while not await condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"not within {within} s: {condition.__name__}")
        await asyncio.sleep(0.1)
