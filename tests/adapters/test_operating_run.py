"""``syllabot run`` and ``syllabot worker`` as an operator runs them: the HTTP server on
SYLLABOT_HTTP_PORT, the log as JSON at DEBUG, and no secret anywhere in what they print."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import sys
import uuid
from collections.abc import AsyncIterator
from urllib.parse import urlsplit, urlunsplit

import asyncpg
import pytest
from aiohttp import ClientError, ClientSession

from db.backups.pitr import free_port
from tests.adapters.telegram_emulator import BotApiEmulator, TgUser

PASSWORD = "pw-" + uuid.uuid4().hex  # a database password that must never be printed


@pytest.fixture
async def url_with_password(database_url: str) -> AsyncIterator[str]:
    """``database_url`` as a role of its own that logs in with :data:`PASSWORD`."""
    role = f"syllabot_ops_{uuid.uuid4().hex[:8]}"
    admin = database_url.replace("postgresql+asyncpg://", "postgresql://")
    conn = await asyncpg.connect(admin)
    try:
        await conn.execute(f"CREATE ROLE {role} LOGIN SUPERUSER PASSWORD '{PASSWORD}'")
        parts = urlsplit(database_url)
        netloc = f"{role}:{PASSWORD}@{parts.hostname}:{parts.port or 5432}"
        yield urlunsplit(parts._replace(netloc=netloc))
    finally:
        await conn.execute(f"DROP ROLE IF EXISTS {role}")
        await conn.close()


async def get(port: int, path: str) -> tuple[int, str]:
    async with ClientSession() as http:
        async with http.get(f"http://127.0.0.1:{port}{path}") as response:
            return response.status, await response.text()


async def until_ready(port: int, within: float = 30.0) -> dict[str, object]:
    """The /readyz body once it says 200 (the platform connects after the server is up)."""
    deadline = asyncio.get_running_loop().time() + within
    said: object = None
    while asyncio.get_running_loop().time() < deadline:
        try:
            status, body = await get(port, "/readyz")
        except ClientError as error:
            said = error
        else:
            said = body
            if status == 200:
                return dict(json.loads(body))
        await asyncio.sleep(0.2)
    raise AssertionError(f"/readyz never said ready: {said}")


async def start(command: str, env: dict[str, str]) -> asyncio.subprocess.Process:
    return await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot",
        command,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        env={**os.environ, "DISCORD_BOT_TOKEN": "", **env},
    )


async def banner(process: asyncio.subprocess.Process, last: bytes) -> bytes:
    assert process.stdout is not None
    said = b""
    while last not in said:
        line = await asyncio.wait_for(process.stdout.readline(), timeout=60)
        assert line, f"it ended early: {said!r}"
        said += line
    return said


async def stopped(process: asyncio.subprocess.Process) -> tuple[bytes, bytes]:
    if process.returncode is None:
        process.send_signal(signal.SIGTERM)
    out, err = await asyncio.wait_for(process.communicate(), timeout=30)
    return out, err


async def test_run_at_debug_serves_health_and_metrics_and_logs_json_without_a_secret(
    api: BotApiEmulator, url_with_password: str
) -> None:
    api.token = f"{api.bot_id}:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw-realistic"
    port = free_port()
    process = await start(
        "run",
        {
            "DATABASE_URL": url_with_password,
            "TELEGRAM_BOT_TOKEN": api.token,
            "TELEGRAM_API_BASE_URL": api.base_url,
            "LOG_LEVEL": "DEBUG",
            "LOG_FORMAT": "json",
            "SYLLABOT_HTTP_PORT": str(port),
            # The session's database holds other tests' notifications, due on their fake
            # clocks' days; the lag check is tested on a database of its own (test_operator_http).
            "SYLLABOT_READY_MAX_OUTBOX_LAG": "0",
        },
    )
    try:
        said = await banner(process, b"Discord")
        assert f"http://127.0.0.1:{port}/healthz".encode() in said
        assert await get(port, "/healthz") == (200, "ok")
        ready = await until_ready(port)
        assert ready["checks"] == {"database": "ok", "outbox": "ok", "telegram": "ok"}

        user = TgUser(40404, "Ada")
        await api.send_text(user, "/start")
        await api.send_text(user, "/help")
        await api.wait_for(lambda: len(api.calls_to("sendMessage", user.id)) >= 2, within=30)
        status, page = await get(port, "/metrics")
    finally:
        out, err = await stopped(process)
    assert process.returncode == 0, err[-2000:]
    assert status == 200
    assert 'syllabot_updates_total{outcome="ok",platform="telegram"} 2.0' in page
    assert 'syllabot_platform_connected{platform="telegram"} 1.0' in page

    printed = out + err
    assert api.token.encode() not in printed
    assert api.token.split(":")[1].encode() not in printed
    assert PASSWORD.encode() not in printed
    lines = [line for line in err.decode().splitlines() if line.strip()]
    records = [json.loads(line) for line in lines]  # every line of the log is one object
    assert {"timestamp", "level", "logger", "message"} <= set(records[0])
    assert any(r["level"] == "DEBUG" for r in records)  # it did log at DEBUG
    assert any("<redacted>" in json.dumps(r) for r in records)  # and had secrets to mask


async def test_a_worker_serves_health_too_and_is_ready_once_it_can_send(
    api: BotApiEmulator, database_url: str
) -> None:
    port = free_port()
    process = await start(
        "worker",
        {
            "DATABASE_URL": database_url,
            "TELEGRAM_BOT_TOKEN": api.token,
            "TELEGRAM_API_BASE_URL": api.base_url,
            "LOG_LEVEL": "INFO",
            "SYLLABOT_HTTP_PORT": str(port),
            "SYLLABOT_READY_MAX_OUTBOX_LAG": "0",  # as above: other tests' old notifications
        },
    )
    try:
        await banner(process, b"worker delivering to telegram")
        assert await get(port, "/healthz") == (200, "ok")
        ready = await until_ready(port)
        assert ready["checks"] == {"database": "ok", "outbox": "ok", "telegram": "ok"}
    finally:
        out, err = await stopped(process)
    assert process.returncode == 0, err[-2000:]
    assert api.token.encode() not in out + err  # httpx's request lines at INFO are held back
