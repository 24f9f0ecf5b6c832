"""Which pg_dump a backup uses, and how libpq tools are pointed at our database."""

from __future__ import annotations

from pathlib import Path

import pytest

from db.backups import BackupError
from db.backups.tools import candidates, find_tools, libpq_env, major_of, pgserver_bin


def test_the_embedded_server_uses_the_wheels_tools_first_an_external_one_path_first() -> None:
    wheel = pgserver_bin()
    assert wheel is not None and wheel.parts[-3:] == ("pgserver", "pginstall", "bin")
    embedded = candidates(16, embedded=True, search_path="/opt/pg/bin:/usr/bin")
    external = candidates(15, embedded=False, search_path="/opt/pg/bin:/usr/bin")
    assert embedded[0] == wheel
    assert external[:3] == [
        Path("/opt/pg/bin"),
        Path("/usr/bin"),
        Path("/usr/lib/postgresql/15/bin"),
    ]
    assert external[-1] == wheel


async def test_the_wheel_ships_a_pg_dump_and_pg_restore_for_postgresql_16() -> None:
    wheel = pgserver_bin()
    assert wheel is not None
    tools = await find_tools(16, [wheel])
    assert major_of(tools.version) == 16 and tools.pg_restore.is_file()


async def test_a_version_that_does_not_match_is_named_in_the_message() -> None:
    wheel = pgserver_bin()
    assert wheel is not None
    with pytest.raises(BackupError) as raised:
        await find_tools(99, [wheel])
    message = str(raised.value)
    assert message.startswith("No pg_dump for PostgreSQL 99 (the server's version) was found")
    assert f"{wheel / 'pg_dump'} is for PostgreSQL 16" in message
    assert "postgresql-client-99" in message


def test_versions_are_read_from_the_tools_own_words() -> None:
    assert major_of("pg_dump (PostgreSQL) 15.20 (Debian 15.20-0+deb12u1)") == 15
    assert major_of("pg_restore (PostgreSQL) 16.2") == 16
    assert major_of("something else") is None


def test_a_unix_socket_url_becomes_libpq_variables_and_a_password_stays_off_the_command_line() -> (
    None
):
    socket = libpq_env("postgresql+asyncpg://postgres@/syllabot?host=/tmp/pg%20x&port=5433")
    assert socket == {
        "PGHOST": "/tmp/pg x",
        "PGPORT": "5433",
        "PGUSER": "postgres",
        "PGDATABASE": "syllabot",
    }
    tcp = libpq_env("postgresql+asyncpg://bot:s3cret@db.example:5432/prod")
    assert tcp == {
        "PGHOST": "db.example",
        "PGPORT": "5432",
        "PGUSER": "bot",
        "PGPASSWORD": "s3cret",
        "PGDATABASE": "prod",
    }


def test_backups_default_under_the_data_dir_daily_at_0330_utc(tmp_path: Path) -> None:
    from datetime import time

    from bot.config import SettingsError, load_settings
    from db.backups import Keep

    settings = load_settings(SYLLABOT_DATA_DIR=str(tmp_path))
    config = settings.backup_config()
    assert config.directory == tmp_path / "backups" and config.mirror is None
    assert config.keep == Keep(daily=7, weekly=4, monthly=12)
    assert settings.backup_at == time(3, 30)
    chosen = load_settings(
        SYLLABOT_BACKUP_AT="04:15",
        SYLLABOT_BACKUP_MIRROR=str(tmp_path / "far"),
        SYLLABOT_BACKUP_KEEP_WEEKLY="8",
    )
    assert chosen.backup_at == time(4, 15)
    assert chosen.backup_config().mirror == tmp_path / "far"
    assert chosen.backup_config().keep.weekly == 8
    with pytest.raises(SettingsError, match="^SYLLABOT_BACKUP_AT must be a UTC time"):
        load_settings(SYLLABOT_BACKUP_AT="25:00")
