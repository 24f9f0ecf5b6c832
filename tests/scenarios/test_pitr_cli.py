"""``syllabot db basebackup`` and ``syllabot db restore --at`` on the embedded server, as an
operator runs them: a real process, the embedded server in its own data directory."""

from __future__ import annotations

import time
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from tests.scenarios.test_cli import run_cli


def test_restore_to_a_moment_in_the_operators_zone_brings_back_that_moment(
    tmp_path: Path,
) -> None:
    env = {
        "SYLLABOT_DATA_DIR": str(tmp_path),
        "DATABASE_URL": "",
        "SYLLABOT_PITR": "true",
        "SYLLABOT_OPERATOR_TIMEZONE": "Europe/Berlin",
    }
    first = run_cli("chat", "--user", "ada", stdin="/start\n", env=env)
    assert first.returncode == 0, first.stderr
    base = run_cli("db", "basebackup", env=env)
    assert base.returncode == 0, base.stderr
    assert "checked with pg_verifybackup" in base.stdout
    kept = run_cli("chat", "--user", "ada", stdin="/new Go | 3 | 30 | beginner\n", env=env)
    assert kept.returncode == 0, kept.stderr
    time.sleep(1.1)
    moment = datetime.now(UTC).astimezone(ZoneInfo("Europe/Berlin"))
    time.sleep(1.1)
    lost = run_cli("chat", "--user", "bo", stdin="/new Rust | 3 | 30 | beginner\n", env=env)
    assert lost.returncode == 0, lost.stderr

    at = f"{moment:%Y-%m-%d %H:%M:%S}"  # Berlin wall-clock time, no zone written
    declined = run_cli("db", "restore", "--at", at, stdin="n\n", env=env)
    assert declined.returncode == 0, declined.stderr
    assert "Not switched. The restored copy stays in" in declined.stdout
    assert not list(tmp_path.glob("pg-before-restore-*"))
    time.sleep(1.1)  # the next restore's directory is named by the second
    restored = run_cli("db", "restore", "--at", at, stdin="y\n", env=env)
    assert restored.returncode == 0, restored.stderr
    assert "recovery stopping before commit" in restored.stdout
    assert "Switch the embedded server to the restored data?" in restored.stdout
    assert "Switched:" in restored.stdout
    assert [p.name for p in tmp_path.glob("pg-before-restore-*")], restored.stdout

    ada = run_cli("chat", "--user", "ada", stdin="/plans\n", env=env)
    assert "Go" in ada.stdout
    bo = run_cli("chat", "--user", "bo", stdin="/plans\n", env=env)
    assert "You have no curriculum yet" in bo.stdout  # written after the moment: gone


def test_restore_refuses_an_external_server_and_points_at_the_readme(tmp_path: Path) -> None:
    env = {
        "SYLLABOT_DATA_DIR": str(tmp_path),
        "DATABASE_URL": "postgresql+asyncpg://postgres@127.0.0.1:1/nowhere",
        "SYLLABOT_PITR": "true",
    }
    result = run_cli("db", "restore", "--at", "2026-12-01 10:15Z", "--yes", env=env)
    assert result.returncode == 1
    assert "restore an external server by hand" in result.stderr
    assert "Point-in-time recovery" in result.stderr
