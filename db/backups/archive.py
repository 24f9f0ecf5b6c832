"""The point-in-time archive's second copy and retention: base backups and archived WAL.

- ``mirror_base``: a verified base backup is copied to ``<mirror>/base/<name>`` (under
  ``….partial``, renamed once ``pg_verifybackup`` accepts the copy), with its ``.json``.
- ``mirror_wal``: archived segments the mirror lacks are copied to ``<mirror>/wal`` (each under
  a temporary name, then renamed), after every daily backup and every base backup; so the
  mirror's log is at most a day behind the archive.
- ``prune``: the newest ``keep.weekly`` base backups are kept (at least one: the recovery
  window is that many weeks), older ones go, here and in the mirror; then ``pg_archivecleanup``
  deletes the segments older than the oldest kept base backup's first one, which no replay can
  use any more. History files (``*.history``) always stay.
"""

from __future__ import annotations

import logging
import re
import shutil
from dataclasses import dataclass
from pathlib import Path

from db.backups import BackupConfig, BackupError
from db.backups.basebackup import BASE, WAL, BaseBackup, base_dir, listed, wal_dir
from db.backups.tools import PgTools, run_plain

logger = logging.getLogger(__name__)

# backup_label: "START WAL LOCATION: 0/2000028 (file 000000010000000000000002)"
_START = re.compile(r"^START WAL LOCATION: .*\(file ([0-9A-F]{24})\)$", re.MULTILINE)
_SEGMENT = re.compile(r"[0-9A-F]{24}")


@dataclass(frozen=True)
class Pruned:
    base_backups: tuple[str, ...]  # names of the base backups deleted
    segments: int  # archived WAL files deleted (here; the mirror's are deleted alike)


def first_segment(backup: Path) -> str:
    """The first WAL segment a replay of the base backup in ``backup`` needs."""
    try:
        label = (backup / "backup_label").read_text(encoding="utf-8")
    except OSError as error:
        raise BackupError(f"cannot read the backup_label of {backup}: {error}") from None
    found = _START.search(label)
    if found is None:
        raise BackupError(f"the backup_label of {backup} names no start segment")
    return found.group(1)


async def mirror_base(config: BackupConfig, made: BaseBackup, tools: PgTools) -> Path | None:
    """Copy base backup ``made`` to the mirror and check the copy; its path (None: no mirror)."""
    if config.mirror is None:
        return None
    source = base_dir(config) / made.name
    target = config.mirror / BASE / made.name
    partial = target.with_name(f"{made.name}.partial")
    try:
        shutil.rmtree(partial, ignore_errors=True)
        shutil.copytree(source, partial)
    except OSError as error:
        shutil.rmtree(partial, ignore_errors=True)
        problem = f"could not copy {made.name} to the mirror {config.mirror}: {error}"
        raise BackupError(problem) from None
    try:
        verify = tools.need("pg_verifybackup")["pg_verifybackup"]
        await run_plain(verify, ["--quiet", str(partial)])
    except BaseException:
        shutil.rmtree(partial, ignore_errors=True)
        raise
    shutil.rmtree(target, ignore_errors=True)
    partial.replace(target)
    (target.parent / f"{made.name}.json").write_text(made.to_json(), encoding="utf-8")
    return target


def mirror_wal(config: BackupConfig) -> int:
    """Copy the archived WAL files the mirror lacks; how many were copied."""
    source = wal_dir(config)
    if config.mirror is None or not source.is_dir():
        return 0
    target = config.mirror / WAL
    copied = 0
    try:
        target.mkdir(parents=True, exist_ok=True)
        for path in sorted(source.iterdir()):
            if not path.is_file() or (target / path.name).exists():
                continue
            partial = target / f"{path.name}.partial"
            shutil.copyfile(path, partial)
            partial.replace(target / path.name)
            copied += 1
    except OSError as error:
        raise BackupError(f"could not copy the archived log to the mirror: {error}") from None
    if copied:
        logger.info("mirrored %d archived WAL file(s) to %s", copied, target)
    return copied


def _segments(directory: Path) -> set[str]:
    if not directory.is_dir():
        return set()
    return {p.name for p in directory.iterdir() if _SEGMENT.fullmatch(p.name)}


async def prune(config: BackupConfig, tools: PgTools) -> Pruned:
    """Keep the newest ``config.keep.weekly`` base backups (at least one) and the log they
    need; delete the rest, here and in the mirror."""
    kept_count = max(config.keep.weekly, 1)
    backups = listed(base_dir(config))  # newest first
    if not backups:
        return Pruned((), 0)
    kept, doomed = backups[:kept_count], backups[kept_count:]
    places = [base_dir(config)] + ([config.mirror / BASE] if config.mirror else [])
    for backup in doomed:
        for place in places:
            shutil.rmtree(place / backup.name, ignore_errors=True)
            (place / f"{backup.name}.json").unlink(missing_ok=True)
    oldest = first_segment(base_dir(config) / kept[-1].name)
    cleanup = tools.need("pg_archivecleanup")["pg_archivecleanup"]
    before = len(_segments(wal_dir(config)))
    for wal in [wal_dir(config)] + ([config.mirror / WAL] if config.mirror else []):
        if wal.is_dir():
            await run_plain(cleanup, [str(wal), oldest])
    removed = before - len(_segments(wal_dir(config)))
    if doomed or removed:
        logger.info(
            "base backup retention deleted %d base backup(s) and %d archived WAL file(s) "
            "before %s",
            len(doomed),
            removed,
            oldest,
        )
    return Pruned(tuple(b.name for b in doomed), removed)


async def after_base_backup(config: BackupConfig, made: BaseBackup, tools: PgTools) -> list[str]:
    """What follows a verified base backup: the second copy, the log's copy, retention. The
    lines say what was done."""
    lines = []
    copy = await mirror_base(config, made, tools)
    if copy is not None:
        segments = mirror_wal(config)
        lines.append(
            f"Copied to {copy} (checked with pg_verifybackup) and {segments} archived WAL "
            "file(s) to the mirror."
        )
    pruned = await prune(config, tools)
    if pruned.base_backups or pruned.segments:
        gone = ", ".join(pruned.base_backups) or "no base backup"
        lines.append(
            f"Retention deleted {gone} and {pruned.segments} archived WAL file(s) no kept base "
            "backup needs."
        )
    return lines
