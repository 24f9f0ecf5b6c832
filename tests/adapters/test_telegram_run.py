"""``syllabot run`` with TELEGRAM_BOT_TOKEN: a real process talking to the emulator."""

from __future__ import annotations

import asyncio
import os
import signal
import sys

from tests.adapters.telegram_emulator import BotApiEmulator, TgUser


async def test_run_serves_telegram_beside_the_database_and_stops_cleanly_on_sigterm(
    api: BotApiEmulator, database_url: str
) -> None:
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot",
        "run",
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        env={
            **os.environ,
            "DATABASE_URL": database_url,
            "TELEGRAM_BOT_TOKEN": api.token,
            "TELEGRAM_API_BASE_URL": api.base_url,
            "DISCORD_BOT_TOKEN": "",
            "LOG_LEVEL": "WARNING",
        },
    )
    assert process.stdout is not None
    try:
        banner = b""
        while b"Discord" not in banner:
            line = await asyncio.wait_for(process.stdout.readline(), timeout=60)
            assert line, f"syllabot run ended early: {banner!r}"  # EOF: it exited
            banner += line
        assert b"Telegram: on, as @SyllabotTestBot (long polling)." in banner

        user = TgUser(31337, "Sam")
        await api.send_text(user, "/start")
        await api.wait_for(lambda: api.calls_to("sendMessage", user.id), within=30)
        assert "Hi Sam! I'm Syllabot" in api.calls_to("sendMessage", user.id)[0].result["text"]
        assert api.commands["default"]  # the menu was published at start-up
    finally:
        if process.returncode is None:
            process.send_signal(signal.SIGTERM)
        out, err = await asyncio.wait_for(process.communicate(), timeout=30)
    assert process.returncode == 0, err
    assert b"Stopped." in out and b"Traceback" not in err


async def test_a_rejected_token_stops_run_with_one_line_and_no_token_in_it(
    api: BotApiEmulator, database_url: str
) -> None:
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot",
        "run",
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        env={
            **os.environ,
            "DATABASE_URL": database_url,
            "TELEGRAM_BOT_TOKEN": "123:not-the-emulators-token",
            "TELEGRAM_API_BASE_URL": api.base_url,
            "LOG_LEVEL": "WARNING",
        },
    )
    _out, err = await asyncio.wait_for(process.communicate(), timeout=60)
    assert process.returncode == 1
    assert err.decode().strip().splitlines() == [
        "Could not start: Telegram rejected the bot token"
    ]
