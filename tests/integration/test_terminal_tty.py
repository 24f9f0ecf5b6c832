"""``syllabot chat`` in a real (pseudo-)terminal: it greets once, leaves at once on Ctrl+C
(status 130) with a goodbye, says goodbye on Ctrl+D and /quit, and refuses an empty name."""

from __future__ import annotations

import asyncio
import fcntl
import os
import pty
import signal
import sys
import termios
import time
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass

import pytest

from bot.adapters.terminal import GOODBYE
from bot.handlers.accounts.welcome import WELCOME_BACK
from tests.scenarios.test_cli import Screen, run_cli

FULL_WELCOME = "I'm Syllabot, your study companion"


@dataclass
class Terminal:
    screen: Screen
    process: asyncio.subprocess.Process
    fd: int

    def type(self, keys: bytes) -> None:
        os.write(self.fd, keys)

    async def status(self, within: float = 20) -> int:
        return await asyncio.wait_for(self.process.wait(), timeout=within)


def _own_terminal() -> None:
    """In the child: a session of its own whose controlling terminal is the pty (standard
    input), as in a terminal window, so that Ctrl+C there is SIGINT to the chat; and SIGINT
    not ignored (as it is for a background job of a script that runs the tests)."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)
    os.setsid()
    fcntl.ioctl(0, termios.TIOCSCTTY, 0)


@asynccontextmanager
async def terminal(database_url: str, name: str) -> AsyncIterator[Terminal]:
    """``syllabot chat --user name`` with a pseudo-terminal as its standard input and output."""
    screen, tty = pty.openpty()
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot",
        "chat",
        "--user",
        name,
        stdin=tty,
        stdout=tty,
        stderr=asyncio.subprocess.PIPE,
        preexec_fn=_own_terminal,
        env={**os.environ, "LOG_LEVEL": "WARNING", "DATABASE_URL": database_url},
    )
    os.close(tty)
    try:
        yield Terminal(Screen(screen), process, screen)
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()
        os.close(screen)
    assert process.stderr is not None
    assert b"Traceback" not in await process.stderr.read()


def newcomer() -> str:
    return f"tty-{uuid.uuid4().hex[:6]}"


async def test_ctrl_c_quits_at_once_with_a_goodbye_and_status_130(database_url: str) -> None:
    async with terminal(database_url, newcomer()) as chat:
        await chat.screen.until("you> ")
        pressed = time.monotonic()
        chat.type(b"\x03")  # Ctrl+C, and no Enter after it
        assert GOODBYE in await chat.screen.until(GOODBYE)
        assert await chat.status() == 130
        assert time.monotonic() - pressed < 10


@pytest.mark.parametrize(("keys", "why"), [(b"\x04", "Ctrl+D"), (b"/quit\n", "/quit")])
async def test_ctrl_d_and_quit_say_goodbye(database_url: str, keys: bytes, why: str) -> None:
    async with terminal(database_url, newcomer()) as chat:
        await chat.screen.until("you> ")
        chat.type(keys)
        assert GOODBYE in await chat.screen.until(GOODBYE), why
        assert await chat.status() == 0


async def test_a_newcomer_is_welcomed_once_and_welcomed_back_after_a_restart(
    database_url: str,
) -> None:
    name = newcomer()
    async with terminal(database_url, name) as chat:
        opened = await chat.screen.until("you> ")
        assert opened.count(FULL_WELCOME) == 1  # the chat's opening is /start's welcome
        chat.type(b"/start\n")
        again = await chat.screen.until("you> ")
        assert FULL_WELCOME not in again and WELCOME_BACK.format(name=name) in again
        chat.type(b"/new Python | 5 | 30 | beginner\n")
        await chat.screen.until("you> ")
        chat.type(b"/quit\n")
        assert await chat.status() == 0
    async with terminal(database_url, name) as chat:
        opened = await chat.screen.until("you> ")
        assert FULL_WELCOME not in opened
        assert WELCOME_BACK.format(name=name) in opened
        assert "Next up in “Python (beginner)”: session 1 of 5" in opened
        chat.type(b"\x04")
        assert await chat.status() == 0


@pytest.mark.parametrize("name", ["", "   "])
def test_an_empty_user_name_is_refused(database_url: str, name: str) -> None:
    result = run_cli("chat", "--user", name, stdin="/start\n", env={"DATABASE_URL": database_url})
    assert result.returncode == 2
    assert "--user needs a name" in result.stderr
    assert result.stdout == ""
