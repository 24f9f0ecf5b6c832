"""`syllabot db backup`, `db verify`, `db backups`, `db basebackup` and `db restore`: each
returns the lines to print (the command prints them); a progress bar on a terminal (rich;
nothing under a pipe or the scheduler)."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from bot.handlers.formatting import plural
from db.backups import BackupConfig, BackupError, archive, basebackup, pitr, runs
from db.backups.dump import backup, tools_for
from db.backups.manifest import Manifest, listed
from db.backups.runs import Run
from db.backups.scheduled import apply_retention
from db.backups.tools import PgTools, Progress, pgserver_bin
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


async def base_back_up(config: BackupConfig, url: str) -> list[str]:
    if not config.pitr:
        raise BackupError(
            "SYLLABOT_PITR is off: a base backup is only of use with the archived write-ahead "
            "log. Set SYLLABOT_PITR=true (and restart Syllabot) first."
        )
    tools = await tools_for(url, config)
    made = await basebackup.take(url, config, tools)
    where = basebackup.base_dir(config) / made.name
    return [
        f"Base backup {where} ({size(made.size_bytes)}, {made.seconds:.1f} s), checked with "
        "pg_verifybackup.",
        *await archive.after_base_backup(config, made, tools),
        'Restore to a moment after it: `syllabot db restore --at "YYYY-MM-DD HH:MM"`.',
    ]


async def restore_to(
    config: BackupConfig,
    data_dir: Path,
    at: str,
    zone: ZoneInfo,
    *,
    confirm: Callable[[str], bool],
    say: Callable[[str], None],
) -> list[str]:
    """Replay the newest base backup before ``at`` into a new directory beside the embedded
    server's and, once ``confirm`` says so, switch the server to it (the old one is kept)."""
    if not config.embedded:
        raise BackupError(
            "DATABASE_URL is set: restore an external server by hand with the same tools "
            "(README, Operating Syllabot, Point-in-time recovery)."
        )
    now = datetime.now(UTC)
    moment = pitr.parse_moment(at, zone)
    if moment >= now:
        raise BackupError(f"{moment:%Y-%m-%d %H:%M:%S} UTC is not in the past yet")
    base = basebackup.newest_before(basebackup.base_dir(config), moment)
    bin_dir = config.pg_bin or pgserver_bin()
    if bin_dir is None:
        raise BackupError("the pgserver wheel is not installed (pip install pgserver)")
    PgTools(bin_dir, "").need("pg_ctl", "postgres", "pg_amcheck")
    pgdata = data_dir / "pg"
    if await pitr.is_running(bin_dir, pgdata):
        raise BackupError(
            "the embedded server is running: stop `syllabot run`, `worker` and `chat` first"
        )
    into = data_dir / f"pg-restored-{now:%Y%m%dT%H%M%SZ}"
    local = moment.astimezone(zone)
    say(
        f"Replaying base backup {base.name} and the archived log up to "
        f"{local:%Y-%m-%d %H:%M:%S} {zone.key} ({moment:%Y-%m-%d %H:%M:%S} UTC) into {into}…"
    )
    replayed = await pitr.replay(
        basebackup.base_dir(config) / base.name,
        basebackup.wal_dir(config),
        moment,
        into,
        bin_dir,
        unarchived=pgdata / "pg_wal",
    )
    try:
        checked = await pitr.check_integrity(bin_dir, replayed.port)
        last = replayed.last_transaction
        said = [
            f"Replayed in {replayed.seconds:.1f} s: {replayed.stopped}.",
            "Last transaction kept: "
            + (f"{last.astimezone(zone):%Y-%m-%d %H:%M:%S} {zone.key}." if last else "none."),
            f"Integrity: {checked}.",
            f"Look at it now if you like: psql -h 127.0.0.1 -p {replayed.port} -U postgres",
        ]
        for line in said:
            say(line)
        switch = confirm(
            f"Switch the embedded server to the restored data? Its current data is kept as "
            f"{pgdata.name}-before-restore-{now:%Y%m%dT%H%M%SZ}"
        )
    finally:
        await pitr.stop(bin_dir, into)
    if not switch:
        return [f"Not switched. The restored copy stays in {into}; delete it when done."]
    if await pitr.is_running(bin_dir, pgdata):
        raise BackupError(f"the embedded server started meanwhile; the restored copy is {into}")
    kept = pitr.switch(pgdata, into, now)
    return [
        f"Switched: the embedded server now starts on the data as of "
        f"{local:%Y-%m-%d %H:%M} {zone.key}. The previous data is kept in {kept}.",
        "Take a base backup now (`syllabot db basebackup`): the restored server writes a new "
        "timeline of the log.",
    ]


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
