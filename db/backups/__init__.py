"""Backups that are proven to restore: a custom-format dump with a manifest (``dump``,
``manifest``), a restore into a scratch database that checks it (``verify``), a second copy
(``mirror``), the keep-7-daily-4-weekly-12-monthly rule (``retention``), and the record of
every run in ``backup_runs`` (``runs``). ``scheduled`` is the daily job of the scheduler.
Point-in-time recovery: base backups (``basebackup``), the archived write-ahead log and a
replay to a moment (``pitr``)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from db.backups.retention import Keep


class BackupError(Exception):
    """A backup or verification could not run; the message is one line for the operator."""


@dataclass(frozen=True)
class BackupConfig:
    """Where backups go and how many are kept (from ``Settings.backup_config()``)."""

    directory: Path
    mirror: Path | None = None
    keep: Keep = field(default_factory=Keep)
    embedded: bool = False  # the database is the embedded server (its own pg_dump)
    pg_bin: Path | None = None  # use the tools in this directory only (SYLLABOT_PG_BIN)
    pitr: bool = False  # archive the embedded server's WAL, weekly base backups (SYLLABOT_PITR)


__all__ = ["BackupConfig", "BackupError", "Keep"]
