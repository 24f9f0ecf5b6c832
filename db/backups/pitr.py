"""Point-in-time recovery: the write-ahead log archived beside the backups, and a replay of a
base backup up to a moment, into a new data directory.

- ``archive_to(pgdata, wal)``: the settings (``wal_level=replica``, ``archive_mode=on`` and an
  ``archive_command`` that never overwrites: ``test ! -f … && cp …``) in
  ``<pgdata>/syllabot-pitr.conf``, included from ``postgresql.conf``.
- ``replay(...)``: copies a base backup into a new directory, writes ``recovery.signal``,
  ``restore_command``, ``recovery_target_time`` and ``recovery_target_action=promote``, starts
  a server on it on a free port (archiving off, so a replay never writes into the archive),
  waits until it has promoted and checks the last transaction it replayed is not after the
  moment. ``switch(...)`` then puts it in place of the embedded server's directory, keeping the
  old one under a timestamped name.
"""

from __future__ import annotations

import asyncio
import os
import re
import shlex
import shutil
import socket
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import asyncpg

from db.backups import BackupError
from db.backups.tools import run_plain

CONF = "syllabot-pitr.conf"
_INCLUDE = f"include_if_exists = '{CONF}'  # Syllabot: point-in-time recovery (SYLLABOT_PITR)"
_BEGIN, _END = "# syllabot restore: begin", "# syllabot restore: end"
_STOPPED = re.compile(r"recovery stopping (before|after) .*")
_SEGMENT = re.compile(r"[0-9A-F]{24}|[0-9A-F]{8}\.history")
_FATAL = re.compile(r"(FATAL|PANIC):\s+(.*)")
PROMOTE_TIMEOUT = 600.0  # seconds a replay may take


def _quoted(value: str) -> str:
    """A postgresql.conf string literal."""
    return "'" + value.replace("'", "''") + "'"


def archive_command(wal: Path) -> str:
    """Copy a finished WAL segment into ``wal``, refusing to overwrite one already there."""
    target = f"{shlex.quote(str(wal))}/%f"
    return f"test ! -f {target} && cp %p {target}"


def archive_settings(wal: Path) -> dict[str, str]:
    return {"wal_level": "replica", "archive_mode": "on", "archive_command": archive_command(wal)}


def server_user() -> str | None:
    """The system user PostgreSQL runs as: ours, unless we are root (then pgserver's own
    ``pgserver`` user, as the embedded server does; PostgreSQL refuses to run as root)."""
    if os.geteuid() != 0:
        return None
    from pgserver.utils import ensure_user_exists

    ensure_user_exists("pgserver")
    return "pgserver"


def hand_over(path: Path) -> None:
    """Make ``path`` (and everything in it) the server user's, when that is not us."""
    user = server_user()
    if user is None:
        return
    for item in [path, *path.rglob("*")]:
        shutil.chown(item, user, user)


def archive_to(pgdata: Path, wal: Path) -> bool:
    """Write the archiving settings into ``pgdata`` (the server reads them at its next start);
    True when they changed."""
    wal.mkdir(parents=True, exist_ok=True)
    if server_user() is not None:
        from pgserver.utils import ensure_prefix_permissions

        ensure_prefix_permissions(wal)  # the folders above it, as pgserver does for its own
    hand_over(wal)
    lines = [f"{key} = {_quoted(value)}" for key, value in archive_settings(wal).items()]
    text = "# Written by Syllabot (SYLLABOT_PITR=true); do not edit.\n" + "\n".join(lines) + "\n"
    conf, main = pgdata / CONF, pgdata / "postgresql.conf"
    changed = not conf.exists() or conf.read_text(encoding="utf-8") != text
    conf.write_text(text, encoding="utf-8")
    hand_over(conf)
    current = main.read_text(encoding="utf-8")
    if _INCLUDE not in current:
        main.write_text(current.rstrip("\n") + "\n" + _INCLUDE + "\n", encoding="utf-8")
        changed = True
    return changed


def parse_moment(text: str, zone: ZoneInfo) -> datetime:
    """``2026-12-01 10:15`` in ``zone``, or with ``Z`` or an offset as given; in UTC.
    A wall-clock time that does not exist in ``zone`` or happens twice (DST) is refused."""
    raw = text.strip()
    try:
        parsed = datetime.fromisoformat(raw.replace("z", "Z"))
    except ValueError:
        raise BackupError(
            f"“{raw}” is not a moment: write it as 2026-12-01 10:15 (in {zone.key}), "
            "or 2026-12-01 10:15Z for UTC"
        ) from None
    if parsed.tzinfo is not None:
        return parsed.astimezone(UTC)
    local = parsed.replace(tzinfo=zone)
    other = parsed.replace(tzinfo=zone, fold=1)
    if local.astimezone(UTC).astimezone(zone).replace(tzinfo=None) != parsed:
        raise BackupError(f"{raw} does not exist in {zone.key} (the clocks skip it); add Z")
    if local.utcoffset() != other.utcoffset():
        raise BackupError(
            f"{raw} happens twice in {zone.key} (the clocks go back); give it with an offset, "
            "such as 2026-10-25 02:30+02:00, or in UTC with Z"
        )
    return local.astimezone(UTC)


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass(frozen=True)
class Replayed:
    """A server replayed to ``moment`` and promoted, still running on ``port``."""

    directory: Path
    port: int
    moment: datetime
    last_transaction: datetime | None  # the last commit it replayed (None: none after the base)
    stopped: str  # the server's own words: "recovery stopping before commit of …"
    seconds: float


def _recovery_block(wal: Path, moment: datetime) -> str:
    settings = {
        "restore_command": f"cp {shlex.quote(str(wal))}/%f %p",
        "recovery_target_time": moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S.%f+00"),
        "recovery_target_action": "promote",
        "recovery_target_timeline": "latest",
    }
    lines = [f"{key} = {_quoted(value)}" for key, value in settings.items()]
    return "\n".join([_BEGIN, *lines, _END]) + "\n"


def forget_recovery(directory: Path) -> None:
    """Take the restore's settings out of ``postgresql.auto.conf`` (after it promoted)."""
    auto = directory / "postgresql.auto.conf"
    text = auto.read_text(encoding="utf-8")
    start, end = text.find(_BEGIN), text.find(_END)
    if start >= 0 and end > start:
        auto.write_text(text[:start] + text[end + len(_END) + 1 :], encoding="utf-8")


async def pg_ctl(bin_dir: Path, directory: Path, *args: str) -> str:
    return await run_plain(bin_dir / "pg_ctl", ["-D", str(directory), *args], user=server_user())


async def is_running(bin_dir: Path, directory: Path) -> bool:
    """Whether a server runs on ``directory`` (``pg_ctl status``)."""
    try:
        await pg_ctl(bin_dir, directory, "status")
    except BackupError:
        return False
    return True


def _log_says(log: Path, pattern: re.Pattern[str]) -> str | None:
    text = log.read_text(encoding="utf-8", errors="replace") if log.exists() else ""
    found = [match.group(0) for match in pattern.finditer(text)]
    return found[-1] if found else None


def _lay_out(base: Path, wal: Path, moment: datetime, into: Path, unarchived: Path | None) -> None:
    """The base backup's copy in ``into``, told to replay ``wal`` up to ``moment``; with the
    segments of ``unarchived`` (the old server's ``pg_wal``) the archive does not hold yet."""
    if into.exists():
        raise BackupError(f"{into} already exists")
    shutil.copytree(base, into, symlinks=True)
    if unarchived is not None and unarchived.is_dir():
        for segment in unarchived.iterdir():
            if _SEGMENT.fullmatch(segment.name) and not (wal / segment.name).exists():
                shutil.copy2(segment, into / "pg_wal" / segment.name)
    for leftover in ("postmaster.pid", ".handle_pids.json", "backup_manifest"):
        (into / leftover).unlink(missing_ok=True)  # pgserver's handle list would outlive us
    with (into / "postgresql.auto.conf").open("a", encoding="utf-8") as auto:
        auto.write(_recovery_block(wal, moment))
    (into / "recovery.signal").touch()
    into.chmod(0o700)
    hand_over(into)
    if server_user() is not None:
        from pgserver.utils import ensure_prefix_permissions

        ensure_prefix_permissions(into)  # the folders above it (not itself: 0700 it stays)


async def replay(
    base: Path,
    wal: Path,
    moment: datetime,
    into: Path,
    bin_dir: Path,
    *,
    unarchived: Path | None = None,
) -> Replayed:
    """Restore ``base`` into ``into`` and replay ``wal`` up to ``moment`` (see the module),
    then what ``unarchived`` (the stopped old server's ``pg_wal``) adds: the log's newest part,
    not archived until its segment fills. The server is left running; stop it with
    :func:`stop`. :class:`BackupError` (with the server's words) when it cannot reach the
    moment."""
    clock = time.monotonic()
    await asyncio.to_thread(_lay_out, base, wal, moment, into, unarchived)
    port, log = free_port(), into / "replay.log"
    options = (
        f"-c port={port} -c listen_addresses=127.0.0.1 -c unix_socket_directories='' "
        "-c archive_mode=off"
    )
    try:
        await pg_ctl(bin_dir, into, "-w", "-t", "120", "-l", str(log), "-o", options, "start")
    except BackupError as error:
        said = _log_says(log, _FATAL)
        raise BackupError(f"the restored server did not start: {said or error}") from None
    deadline = time.monotonic() + PROMOTE_TIMEOUT
    while True:
        try:
            conn = await asyncpg.connect(host="127.0.0.1", port=port, user="postgres")
            try:
                if not await conn.fetchval("SELECT pg_is_in_recovery()"):
                    last = await conn.fetchval("SELECT pg_last_xact_replay_timestamp()")
                    break
            finally:
                await conn.close()
        except (OSError, asyncpg.PostgresError):
            if not await is_running(bin_dir, into):
                said = _log_says(log, _FATAL) or "it stopped"
                raise BackupError(
                    f"the replay to {moment:%Y-%m-%d %H:%M:%S} UTC failed: {said}"
                ) from None
        if time.monotonic() > deadline:
            await stop(bin_dir, into)
            raise BackupError(f"the replay did not finish in {PROMOTE_TIMEOUT:.0f} s")
        await asyncio.sleep(0.2)
    if last is not None and last > moment:
        await stop(bin_dir, into)
        raise BackupError(f"the replay went past {moment:%Y-%m-%d %H:%M:%S} UTC (to {last})")
    stopped = _log_says(log, _STOPPED) or "recovery reached the end of the archived log"
    return Replayed(into, port, moment, last, stopped, round(time.monotonic() - clock, 3))


async def stop(bin_dir: Path, directory: Path) -> None:
    """Stop the server on ``directory`` (fast: open sessions are ended) and forget the
    restore's settings, so it starts as an ordinary server next time."""
    if await is_running(bin_dir, directory):
        await pg_ctl(bin_dir, directory, "-w", "-m", "fast", "stop")
    forget_recovery(directory)


def switch(pgdata: Path, restored: Path, now: datetime) -> Path:
    """Put ``restored`` in place of ``pgdata``; returns where the old directory was kept."""
    kept = pgdata.with_name(f"{pgdata.name}-before-restore-{now:%Y%m%dT%H%M%SZ}")
    pgdata.rename(kept)
    restored.rename(pgdata)
    return kept


async def check_integrity(bin_dir: Path, port: int) -> str:
    """``pg_amcheck`` over every database of the server on ``port`` (heap and B-tree
    indexes, installing the ``amcheck`` extension where it is missing); what it found, or
    why it could not run (the pgserver wheel ships ``pg_amcheck`` but not the extension)."""
    conn = await asyncpg.connect(host="127.0.0.1", port=port, user="postgres")
    try:
        available = await conn.fetchval(
            "SELECT count(*) FROM pg_available_extensions WHERE name = 'amcheck'"
        )
    finally:
        await conn.close()
    if not available:
        return "pg_amcheck not run: this server has no amcheck extension"
    args = ["-h", "127.0.0.1", "-p", str(port), "-U", "postgres", "--install-missing"]
    await run_plain(bin_dir / "pg_amcheck", [*args, "--all", "--heapallindexed"])
    return "pg_amcheck found no corruption"
