"""``syllabot db restore --at``: the moment, read in the operator's zone or as UTC."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from db.backups import BackupError
from db.backups.pitr import archive_command, parse_moment

BERLIN = ZoneInfo("Europe/Berlin")


def test_a_wall_clock_time_is_read_in_the_operators_zone() -> None:
    assert parse_moment("2026-12-01 10:15", BERLIN) == datetime(2026, 12, 1, 9, 15, tzinfo=UTC)
    assert parse_moment("2026-07-01 10:15", BERLIN) == datetime(2026, 7, 1, 8, 15, tzinfo=UTC)


def test_z_or_an_offset_says_the_zone_outright() -> None:
    assert parse_moment("2026-12-01 10:15Z", BERLIN) == datetime(2026, 12, 1, 10, 15, tzinfo=UTC)
    assert parse_moment("2026-12-01T10:15+01:00", BERLIN) == datetime(
        2026, 12, 1, 9, 15, tzinfo=UTC
    )


def test_a_time_the_clocks_skip_or_repeat_is_refused_with_a_way_out() -> None:
    with pytest.raises(BackupError, match="does not exist in Europe/Berlin"):
        parse_moment("2026-03-29 02:30", BERLIN)
    with pytest.raises(BackupError, match="happens twice in Europe/Berlin"):
        parse_moment("2026-10-25 02:30", BERLIN)


def test_something_else_is_not_a_moment() -> None:
    with pytest.raises(BackupError, match="write it as 2026-12-01 10:15"):
        parse_moment("yesterday at ten", BERLIN)


def test_the_archive_command_never_overwrites_and_quotes_the_folder() -> None:
    command = archive_command(Path("/var/backups/my syllabot/wal"))
    assert command == (
        "test ! -f '/var/backups/my syllabot/wal'/%f && cp %p '/var/backups/my syllabot/wal'/%f"
    )
