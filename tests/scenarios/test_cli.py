"""``syllabot`` as a user runs it: a real process, standard input through a pipe."""

from __future__ import annotations

import asyncio
import os
import pty
import re
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from db.backups.pitr import free_port

SCRIPT = """\
/timezone europe/berlin
/new
Linear algebra
4
30
#2
be ready for a machine learning course
#1
/plan
/next
/done 25 eigenvectors finally click
/progress
/notes
/frobnicate
#9
/done
/undo
"""


def run_cli(
    *args: str, stdin: str = "", env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "bot", *args],
        input=stdin,
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "LOG_LEVEL": "WARNING", **(env or {})},
    )


@pytest.fixture
def db_env(database_url: str) -> dict[str, str]:
    return {"DATABASE_URL": database_url}


def test_piped_chat_runs_a_whole_learner_journey(db_env: dict[str, str]) -> None:
    result = run_cli("chat", "--user", "pipe-ada", stdin=SCRIPT, env=db_env)
    out = result.stdout
    assert result.returncode == 0, result.stderr
    assert "Time zone set to Europe/Berlin" in out
    assert "[#5.1 Beginner]  [#5.2 Intermediate]  [#5.3 Advanced]" in out
    assert "Created “Linear algebra (intermediate)”: 4 sessions × 30 min" in out
    assert "Session 1 of 4 done" in out and "Note saved" in out
    assert "1/4 sessions · 25%" in out
    assert "eigenvectors finally click" in out
    assert "I don't know “/frobnicate”" in out
    assert "there is no button 9" in out
    assert "Undone: session 2" in out
    assert "Traceback" not in out + result.stderr


def test_two_user_names_are_two_learners(db_env: dict[str, str]) -> None:
    run_cli("chat", "--user", "pipe-bea", stdin="/new Go | 3 | 30 | beginner\n/done\n", env=db_env)
    other = run_cli("chat", "--user", "pipe-cat", stdin="/progress\n", env=db_env)
    assert "no curriculum yet" in other.stdout
    same = run_cli("chat", "--user", "pipe-bea", stdin="/progress\n", env=db_env)
    assert "1/3 sessions" in same.stdout


def test_every_command_has_help() -> None:
    for args in (
        (),
        ("chat",),
        ("run",),
        ("worker",),
        ("db",),
        ("db", "upgrade"),
        ("db", "downgrade"),
        ("admin",),
        ("admin", "verify"),
    ):
        result = run_cli(*args, "--help")
        assert result.returncode == 0, (args, result.stderr)
        assert "Usage:" in result.stdout


def test_a_wrong_setting_gets_one_line_naming_the_variable() -> None:
    result = run_cli("chat", env={"DATABASE_URL": "postgresql://nope"})
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [
        "Configuration error: DATABASE_URL must be a PostgreSQL URL that starts with "
        "postgresql+asyncpg://, such as postgresql+asyncpg://user:password@localhost:5432/syllabot"
        " (or unset, to run the embedded server)"
    ]
    result = run_cli("chat", env={"SYLLABOT_DB_POOL_SIZE": "lots"})
    assert (
        result.returncode == 2
        and "SYLLABOT_DB_POOL_SIZE must be a whole number from 1 to 200" in result.stderr
    )
    result = run_cli("chat", env={"SYLLABOT_CURRENCY": "euro"})
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [
        "Configuration error: SYLLABOT_CURRENCY must be a three-letter currency code such as EUR"
    ]


def test_an_unreachable_database_is_one_clear_line_not_a_traceback() -> None:
    url = "postgresql+asyncpg://postgres@127.0.0.1:1/nowhere"
    result = run_cli("chat", stdin="/start\n", env={"DATABASE_URL": url})
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    assert "database" in result.stderr.lower()


def test_chat_on_the_embedded_database_with_no_database_url(tmp_path: Path) -> None:
    env = {"SYLLABOT_DATA_DIR": str(tmp_path), "DATABASE_URL": ""}
    first = run_cli(
        "chat", "--user", "solo", stdin="/new Go | 3 | 30 | beginner\n/done\n", env=env
    )
    assert first.returncode == 0, first.stderr
    assert "Session 1 of 3 done" in first.stdout
    again = run_cli("chat", "--user", "solo", stdin="/progress\n", env=env)
    assert "1/3 sessions" in again.stdout  # the data outlived the process
    assert (tmp_path / "pg" / "PG_VERSION").exists()


async def test_run_starts_explains_the_tokens_and_stops_cleanly_on_sigterm(
    db_env: dict[str, str],
) -> None:
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot",
        "run",
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        env={**os.environ, **db_env, "TELEGRAM_BOT_TOKEN": "", "DISCORD_BOT_TOKEN": ""},
    )
    assert process.stdout is not None
    banner = b""
    while b"Discord" not in banner:
        line = await asyncio.wait_for(process.stdout.readline(), timeout=60)
        assert line, f"syllabot run ended early: {banner!r}"
        banner += line
    assert b"Set TELEGRAM_BOT_TOKEN" in banner and b"Set DISCORD_BOT_TOKEN" in banner
    process.send_signal(signal.SIGTERM)
    out, err = await asyncio.wait_for(process.communicate(), timeout=30)
    assert process.returncode == 0, err
    assert b"Stopped." in out and b"Traceback" not in err


def test_admin_commands_list_verify_and_pay_out(db_env: dict[str, str]) -> None:
    name = "cli-expert-" + os.urandom(3).hex()
    onboarding = "\n".join(
        [
            "/become_expert",
            f"Dr {name}",
            "#1",
            "#1",
            "30-50",
            "Europe/Paris",
            "fr, en",
            "french: expert",
        ]
    )
    chat = run_cli("chat", "--user", name, stdin=onboarding + "\n", env=db_env)
    assert "waiting for an admin" in chat.stdout, chat.stdout

    listed = run_cli("admin", "experts", env=db_env)
    line = next(row for row in listed.stdout.splitlines() if f"Dr {name}" in row)
    expert_id = line.split()[0]
    assert "pending (waiting for review)  30.00 EUR–50.00 EUR an hour  [french]" in line

    assert "not an expert id" in run_cli("admin", "verify", "nope", env=db_env).stderr
    no_reason = run_cli("admin", "verify", expert_id, "--reject", env=db_env)
    assert no_reason.returncode == 2 and "needs --reason" in no_reason.stderr
    verified = run_cli("admin", "verify", expert_id, env=db_env)
    assert verified.returncode == 0 and f"Dr {name} is now verified." in verified.stdout
    again = run_cli("admin", "verify", expert_id, env=db_env)
    assert again.returncode == 1 and "is verified; nothing waits for review" in again.stderr
    assert f"Dr {name}" in run_cli("admin", "experts", "--status", "verified", env=db_env).stdout
    assert (
        f"Dr {name}" not in run_cli("admin", "experts", "--status", "pending", env=db_env).stdout
    )
    bogus = run_cli("admin", "experts", "--status", "bogus", env=db_env)
    assert bogus.returncode == 2 and "all, pending, verified, rejected, suspended" in bogus.stderr

    suspended = run_cli("admin", "suspend", expert_id, env=db_env)
    assert f"Dr {name} is now suspended." in suspended.stdout
    listed = run_cli("admin", "experts", "--status", "suspended", env=db_env)
    assert f"{expert_id}  Dr {name}  suspended" in listed.stdout
    assert (
        f"Dr {name} is now verified."
        in run_cli("admin", "reinstate", expert_id, env=db_env).stdout
    )

    told = run_cli("chat", "--user", name, stdin="/expert\n", env=db_env)
    assert "Your expert profile is verified" in told.stdout
    paid = run_cli("admin", "payouts", env=db_env).stdout  # other tests' payouts may be due
    assert re.fullmatch(
        r"Marked (1 payout|\d+ payouts) paid, [\d,]+\.\d\d EUR in expert earnings\.\n", paid
    )


def test_worker_starts_says_where_it_delivers_and_stops_cleanly(db_env: dict[str, str]) -> None:
    process = subprocess.Popen(
        [sys.executable, "-m", "bot", "worker"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, **db_env, "TELEGRAM_BOT_TOKEN": ""},
    )
    assert process.stdout is not None
    banner = process.stdout.readline()
    assert "Syllabot worker delivering to no chat platform" in banner
    process.send_signal(signal.SIGTERM)
    out, err = process.communicate(timeout=30)
    assert process.returncode == 0, err
    assert "Stopped." in out and "Traceback" not in err


def test_a_chat_restarted_in_the_middle_of_a_wizard_shows_the_open_step_again(
    db_env: dict[str, str],
) -> None:
    name = "pipe-restart-" + os.urandom(3).hex()
    first = run_cli("chat", "--user", name, stdin="/new\nLinear algebra\n4\n30\n", env=db_env)
    assert "step 4 of 6: What is your level?" in first.stdout, first.stdout
    again = run_cli("chat", "--user", name, stdin="#2\n#1\n#1\n", env=db_env)
    assert again.returncode == 0, again.stderr
    assert again.stdout.startswith("(Where we left off:)\nbot> New curriculum, step 4 of 6")
    assert "[#1.1 Beginner]  [#1.2 Intermediate]  [#1.3 Advanced]" in again.stdout
    assert "Created “Linear algebra (intermediate)”: 4 sessions × 30 min" in again.stdout
    assert "Traceback" not in again.stdout + again.stderr


def test_a_piped_start_prints_the_welcome_once(db_env: dict[str, str]) -> None:
    result = run_cli("chat", "--user", "pipe-" + os.urandom(3).hex(), stdin="/start\n", env=db_env)
    assert result.returncode == 0, result.stderr
    assert result.stdout.count("I'm Syllabot, your study companion") == 1


async def test_an_interactive_chat_shows_a_notification_as_it_arrives(
    db_env: dict[str, str], engine: AsyncEngine
) -> None:
    name = "tty-" + os.urandom(3).hex()
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
        env={**os.environ, "LOG_LEVEL": "WARNING", **db_env},
    )
    os.close(tty)
    shown = Screen(screen)
    try:
        await shown.until("you> ")
        async with engine.begin() as conn:  # an admin verifies them meanwhile, elsewhere
            await conn.execute(
                text(
                    "INSERT INTO notifications (user_id, kind, data, due_at)"
                    " SELECT user_id, 'expert_verified', '{}'::jsonb, now()"
                    " FROM platform_identities WHERE platform = 'terminal' AND external_id = :n"
                ),
                {"n": name},
            )
        arrived = await shown.until("you> ")  # typed nothing: it came by itself
        assert "📬 Notice #2 (not an answer to what you typed):" in arrived
        assert "Your expert profile is verified" in arrived
        os.write(screen, b"/quit\n")
        assert await asyncio.wait_for(process.wait(), timeout=30) == 0
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()
        os.close(screen)
    assert process.stderr is not None
    assert b"Traceback" not in await process.stderr.read()


class Screen:
    """What a terminal shows: the pseudo-terminal's output, read as it comes."""

    WAIT = 60.0  # seconds for a marker to appear

    def __init__(self, fd: int) -> None:
        self.fd, self.text, self.read = fd, "", 0

    async def until(self, marker: str) -> str:
        """What was printed since the last call, up to and including ``marker``."""
        while marker not in self.text[self.read :]:
            chunk = await asyncio.wait_for(asyncio.to_thread(os.read, self.fd, 4096), self.WAIT)
            assert chunk, f"the chat ended early: {self.text!r}"
            self.text += chunk.decode(errors="replace").replace("\r\n", "\n")
        end = self.text.index(marker, self.read) + len(marker)
        shown, self.read = self.text[self.read : end], end
        return shown


@pytest.mark.parametrize("platform", ["Telegram", "Discord"])
def test_an_unreachable_platform_is_named_not_taken_for_the_database(
    db_env: dict[str, str], platform: str
) -> None:
    port = free_port()
    if platform == "Telegram":
        token, where = "123456:SECRET-telegram", f"http://127.0.0.1:{port}/bot"
        env = {"TELEGRAM_BOT_TOKEN": token, "TELEGRAM_API_BASE_URL": where}
    else:
        token, where = "SECRET-discord", f"http://127.0.0.1:{port}/api/v10"
        env = {"DISCORD_BOT_TOKEN": token, "DISCORD_API_BASE_URL": where}
    result = run_cli("run", env={**db_env, **env})
    assert result.returncode == 1
    [said] = [line for line in result.stderr.splitlines() if line.startswith("Could not")]
    assert said.startswith(f"Could not start: Could not reach {platform} at {where}")
    assert "database" not in result.stderr and token not in result.stderr + result.stdout
