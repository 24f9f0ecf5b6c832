"""What `syllabot db backup`, `db verify` and `db backups` show: a progress bar on a terminal
(rich; nothing under a pipe or the scheduler), the outcome in one line, the list of backups."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime

from bot.handlers.formatting import plural
from db.backups.manifest import Manifest
from db.backups.runs import Run
from db.backups.tools import Progress


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
