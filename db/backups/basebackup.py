"""``syllabot db basebackup``: a base backup for point-in-time recovery (its weekly job is
``scheduled.weekly``).

``pg_basebackup`` copies the whole data directory (plain format, with the write-ahead log it
needs streamed alongside, so the copy is consistent on its own) into
``<backup dir>/base/<UTC time>/``; ``pg_verifybackup`` then checks every file against the
backup manifest PostgreSQL wrote. A copy is made under ``….partial`` and renamed only once it
is verified, and a small ``<UTC time>.json`` beside it says when it started and ended (a
restore needs a base backup that ended before the moment it replays to).
"""

from __future__ import annotations

import json
import logging
import shutil
import time
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path

from db.backups import BackupConfig, BackupError
from db.backups.tools import PgTools, libpq_env, run_plain

logger = logging.getLogger(__name__)

BASE, WAL = "base", "wal"  # the folders under the backup directory


@dataclass(frozen=True)
class BaseBackup:
    """One verified base backup: ``name`` is its folder (``20261202T033000Z``)."""

    name: str
    started_at: datetime
    finished_at: datetime
    size_bytes: int
    seconds: float

    def to_json(self) -> str:
        document = asdict(self) | {
            "started_at": self.started_at.isoformat(),
            "finished_at": self.finished_at.isoformat(),
        }
        return json.dumps(document, indent=2, sort_keys=True) + "\n"

    @classmethod
    def from_json(cls, text: str) -> BaseBackup:
        document = json.loads(text)
        for key in ("started_at", "finished_at"):
            document[key] = datetime.fromisoformat(document[key]).astimezone(UTC)
        return cls(**document)


def base_dir(config: BackupConfig) -> Path:
    return config.directory / BASE


def wal_dir(config: BackupConfig) -> Path:
    return config.directory / WAL


def listed(directory: Path) -> list[BaseBackup]:
    """The verified base backups in ``directory`` (``<backup dir>/base``), newest first."""
    if not directory.is_dir():
        return []
    found = [
        BaseBackup.from_json(path.read_text(encoding="utf-8"))
        for path in directory.glob("*.json")
        if (directory / path.stem).is_dir()
    ]
    return sorted(found, key=lambda backup: backup.started_at, reverse=True)


def newest_before(directory: Path, moment: datetime) -> BaseBackup:
    """The newest base backup that ended before ``moment``; :class:`BackupError` if none."""
    for backup in listed(directory):
        if backup.finished_at < moment:
            return backup
    oldest = listed(directory)[-1:] or None
    hint = (
        f"; the oldest ended at {oldest[0].finished_at:%Y-%m-%d %H:%M:%S} UTC"
        if oldest
        else "; take one with `syllabot db basebackup` (SYLLABOT_PITR=true)"
    )
    raise BackupError(
        f"No base backup in {directory} ended before {moment:%Y-%m-%d %H:%M:%S} UTC{hint}"
    )


def _size(directory: Path) -> int:
    return sum(path.stat().st_size for path in directory.rglob("*") if path.is_file())


async def take(url: str, config: BackupConfig, tools: PgTools) -> BaseBackup:
    """Copy the server at ``url`` into ``<backup dir>/base/<UTC time>/`` and verify the copy;
    nothing half-made is left behind when either step fails."""
    bins = tools.need("pg_basebackup", "pg_verifybackup")
    started = datetime.now(UTC)
    clock = time.monotonic()
    name = started.strftime("%Y%m%dT%H%M%SZ")
    target = base_dir(config) / name
    if target.exists():
        raise BackupError(f"{target} already exists; try again in a second")
    partial = target.with_name(f"{name}.partial")
    partial.parent.mkdir(parents=True, exist_ok=True)
    try:
        await run_plain(
            bins["pg_basebackup"],
            [
                f"--pgdata={partial}",
                "--format=plain",
                "--wal-method=stream",
                "--checkpoint=fast",
                "--manifest-checksums=SHA256",
                "--no-password",
            ],
            env=libpq_env(url),
        )
        await run_plain(bins["pg_verifybackup"], ["--quiet", str(partial)])
    except BaseException:
        shutil.rmtree(partial, ignore_errors=True)
        raise
    partial.replace(target)
    made = BaseBackup(
        name=name,
        started_at=started,
        finished_at=datetime.now(UTC),
        size_bytes=_size(target),
        seconds=round(time.monotonic() - clock, 3),
    )
    (target.parent / f"{name}.json").write_text(made.to_json(), encoding="utf-8")
    logger.info("base backup %s: %d bytes in %.1f s", name, made.size_bytes, made.seconds)
    return made
