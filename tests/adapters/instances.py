"""Real ``syllabot run`` and ``syllabot worker`` processes on one database and one emulated
Telegram bot: starting them, posting updates to a webhook process, stopping or killing them."""

from __future__ import annotations

import asyncio
import itertools
import json
import os
import signal
import sys
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

from aiohttp import ClientSession
from sqlalchemy.ext.asyncio import AsyncEngine

from db.backups.pitr import free_port
from db.uow import SqlAlchemyUnitOfWork
from domain.accounts.model import Identity
from domain.accounts.registration import register
from domain.shared.clock import SystemClock
from tests.adapters.telegram_emulator import BotApiEmulator, TgUser

SECRET = "multi-instance-secret"
_IDS = itertools.count(6_100_001)


@dataclass
class Instance:
    """One process; ``port`` is its webhook's (None for a worker)."""

    process: asyncio.subprocess.Process
    port: int | None
    log: Path

    @property
    def webhook(self) -> str:
        return f"http://127.0.0.1:{self.port}/telegram"


def environment(api: BotApiEmulator, database_url: str, **extra: str) -> dict[str, str]:
    return {
        **os.environ,
        "DATABASE_URL": database_url,
        "TELEGRAM_BOT_TOKEN": api.token,
        "TELEGRAM_API_BASE_URL": api.base_url,
        "DISCORD_BOT_TOKEN": "",
        "LOG_LEVEL": "WARNING",
        "SYLLABOT_AUTO_MIGRATE": "false",
        "SYLLABOT_CACHE_TTL": "0",
        "SYLLABOT_DELIVER_EVERY": "0.3",
        **extra,
    }


async def start(
    command: str, api: BotApiEmulator, database_url: str, logs: Path, **extra: str
) -> Instance:
    """``syllabot run`` (in webhook mode, on a port of its own) or ``syllabot worker``,
    returned once it says it is running."""
    port = free_port() if command == "run" else None
    if port is not None:
        extra = {
            "TELEGRAM_WEBHOOK_URL": f"http://127.0.0.1:{port}/telegram",
            "TELEGRAM_WEBHOOK_SECRET": SECRET,
            "TELEGRAM_WEBHOOK_PORT": str(port),
            **extra,
        }
    log = logs / f"{command}-{uuid.uuid4().hex[:6]}.log"
    with log.open("wb") as err:
        process = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "bot",
            command,
            stdout=asyncio.subprocess.PIPE,
            stderr=err,
            env=environment(api, database_url, **extra),
        )
    instance = Instance(process, port, log)
    marker = b"Discord: off" if command == "run" else b"Syllabot worker delivering"
    said = b""
    assert process.stdout is not None
    while marker not in said:
        line = await asyncio.wait_for(process.stdout.readline(), timeout=60)
        assert line, f"syllabot {command} ended early: {said!r} {log.read_text()}"
        said += line
    return instance


async def stop(*instances: Instance) -> None:
    for instance in instances:
        if instance.process.returncode is None:
            instance.process.send_signal(signal.SIGTERM)
    for instance in instances:
        await asyncio.wait_for(instance.process.communicate(), timeout=30)


@asynccontextmanager
async def instances(
    count: int, command: str, api: BotApiEmulator, database_url: str, logs: Path, **extra: str
) -> AsyncIterator[list[Instance]]:
    """``count`` processes started side by side, all stopped at the end."""
    started = await asyncio.gather(
        *(start(command, api, database_url, logs, **extra) for _ in range(count)),
        return_exceptions=True,
    )
    running = [i for i in started if isinstance(i, Instance)]
    try:
        for failed in started:
            if isinstance(failed, BaseException):
                raise failed
        yield running
    finally:
        await stop(*running)


async def post(http: ClientSession, instance: Instance, update: dict[str, object]) -> int:
    """Deliver one update to a process's webhook, as Telegram (or a load balancer) would."""
    headers = {"Content-Type": "application/json", "X-Telegram-Bot-Api-Secret-Token": SECRET}
    async with http.post(instance.webhook, data=json.dumps(update), headers=headers) as answer:
        return answer.status


async def telegram_people(
    api: BotApiEmulator, engine: AsyncEngine, count: int
) -> dict[int, uuid.UUID]:
    """``count`` people registered on Telegram, each with a private chat in the emulator:
    chat id -> user id."""
    people = {}
    for _ in range(count):
        person = TgUser(next(_IDS), "Learner")
        api.private_chat(person)
        identity = Identity("telegram", str(person.id), str(person.id), person.first_name)
        user, _ = await register(identity, SqlAlchemyUnitOfWork(engine), SystemClock())
        people[person.id] = user.id
    return people
