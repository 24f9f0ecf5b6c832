"""`syllabot db backup`, `db verify` and `db backups`: each returns the lines to print (the
command prints them); a progress bar on a terminal (rich; nothing under a pipe or the
scheduler)."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime

from bot.handlers.formatting import plural
from db.backups import BackupConfig, BackupError, runs
from db.backups.dump import backup
from db.backups.manifest import Manifest, listed
from db.backups.runs import Run
from db.backups.scheduled import apply_retention
from db.backups.tools import Progress
from db.backups.verify import verify
from db.engine import create_engine


async def back_up(config: BackupConfig, url: str) -> list[str]:
    with progress_bar("Backing up") as progress:
        made = await backup(url, config, progress=progress)
    copied = f"; copied to {config.mirror}" if config.mirror else ""
    lines = [f"Backed up to {config.directory / made.name} ({summary(made)}){copied}."]
    engine = create_engine(url, pool_size=1)
    try:
        deleted = await apply_retention(engine, config)
    finally:
        await engine.dispose()
    if deleted:
        lines.append(f"Retention deleted {', '.join(deleted)}.")
    return [*lines, "Prove it restores: `syllabot db verify`."]


async def verify_one(config: BackupConfig, url: str, name: str | None) -> list[str]:
    with progress_bar("Restoring") as progress:
        result = await verify(url, config, name, progress=progress)
    if not result.ok:
        raise BackupError(f"{result.name} FAILED verification: {'; '.join(result.problems)}")
    return [f"{result.name} restores: {', '.join(result.checked)} ({result.seconds:.1f} s)."]


async def list_all(config: BackupConfig, url: str) -> list[str]:
    engine = create_engine(url, pool_size=1)
    try:
        verifications = await runs.latest_verifications(engine)
        newest = await runs.newest_verified(engine)
    finally:
        await engine.dispose()
    found = listed(config.directory)
    if not found:
        return [f"No backups in {config.directory} yet; make one with `syllabot db backup`."]
    return listing(found, verifications, newest.backup if newest else None, datetime.now(UTC))


@contextmanager
def progress_bar(label: str) -> Iterator[Progress | None]:
    """A bar counting tables on standard error when it is a terminal; else None (quiet)."""
    if not sys.stderr.isatty():
        yield None
        return
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeElapsedColumn

    with Progress(
        f"[bold]{label}",
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=Console(stderr=True),
        transient=True,
    ) as bar:
        task = bar.add_task(label, total=None)

        def advance(done: int, total: int) -> None:
            bar.update(task, completed=done, total=total or None)

        yield advance


def size(size_bytes: int) -> str:
    value = float(size_bytes)
    for unit in ("B", "KB", "MB", "GB"):
        if value < 1024 or unit == "GB":
            return f"{value:.0f} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1024
    raise AssertionError("unreachable")


def age(then: datetime, now: datetime) -> str:
    minutes = int((now - then).total_seconds() // 60)
    if minutes < 60:
        return plural(max(minutes, 0), "minute")
    if minutes < 48 * 60:
        return plural(minutes // 60, "hour")
    return plural(minutes // (24 * 60), "day")


def summary(manifest: Manifest) -> str:
    rows = sum(manifest.row_counts.values())
    return (
        f"{size(manifest.size_bytes)}, {plural(rows, 'row')} in "
        f"{plural(len(manifest.row_counts), 'table')}, {manifest.seconds:.1f} s"
    )


def listing(
    manifests: list[Manifest],
    verifications: dict[str, Run],
    newest_verified: str | None,
    now: datetime,
) -> list[str]:
    """One line per backup, newest first: name, size, age and its latest verification."""
    lines = []
    for manifest in manifests:
        run = verifications.get(manifest.name)
        if run is None:
            checked = "not verified"
        elif run.outcome == "ok":
            checked = f"verified {age(run.finished_at or run.started_at, now)} ago"
        else:
            checked = f"FAILED verification: {run.detail}"
        mark = "  (newest verified: kept)" if manifest.name == newest_verified else ""
        lines.append(
            f"{manifest.name}  {size(manifest.size_bytes):>9}  "
            f"{age(manifest.created_at, now) + ' old':>13}  {checked}{mark}"
        )
    return lines
