"""The PostgreSQL client tools that match the server, and running them.

``pg_dump`` refuses a server newer than itself and a newer ``pg_dump`` writes archives an
older ``pg_restore`` cannot read, so we use tools of exactly the server's major version: for
the embedded server the ones in the ``pgserver`` wheel (PostgreSQL 16), for an external one the
first on ``PATH`` (or in Debian's ``/usr/lib/postgresql/<major>/bin``) whose major matches.
"""

from __future__ import annotations

import asyncio
import importlib.util
import os
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy.engine import make_url

from db.backups import BackupError

Progress = Callable[[int, int], None]  # (tables done, tables in all)

_VERSION = re.compile(r"\(PostgreSQL\)\s+(\d+)(?:\.(\d+))?")
# pg_dump -v / pg_restore -v: one line as each table's rows are written or read
_TABLE_DONE = re.compile(r"(dumping contents of table|processing data for table) ")


@dataclass(frozen=True)
class PgTools:
    """``pg_dump`` and ``pg_restore`` of one PostgreSQL major version, from one directory."""

    bin_dir: Path
    version: str  # e.g. "pg_dump (PostgreSQL) 15.20"

    @property
    def pg_dump(self) -> Path:
        return self.bin_dir / "pg_dump"

    @property
    def pg_restore(self) -> Path:
        return self.bin_dir / "pg_restore"

    def need(self, *names: str) -> dict[str, Path]:
        """The other tools of this directory (``pg_basebackup``, ``pg_ctl``...) by name;
        :class:`BackupError` naming those missing."""
        found = {name: self.bin_dir / name for name in names}
        missing = [name for name, path in found.items() if not os.access(path, os.X_OK)]
        if missing:
            raise BackupError(
                f"{', '.join(missing)} not found in {self.bin_dir} (next to its pg_dump); "
                "install the server's full PostgreSQL tools there, or set SYLLABOT_PG_BIN"
            )
        return found


def pgserver_bin() -> Path | None:
    """``<site-packages>/pgserver/pginstall/bin``, found without importing ``pgserver``."""
    spec = importlib.util.find_spec("pgserver")
    if spec is None or not spec.submodule_search_locations:
        return None
    return Path(next(iter(spec.submodule_search_locations))) / "pginstall" / "bin"


def candidates(server_major: int, *, embedded: bool, search_path: str | None = None) -> list[Path]:
    """Directories to look in, in order (duplicates removed)."""
    on_path = [Path(p) for p in (search_path or os.environ.get("PATH", "")).split(os.pathsep) if p]
    debian = Path(f"/usr/lib/postgresql/{server_major}/bin")
    wheel = [b] if (b := pgserver_bin()) is not None else []
    ordered = [*wheel, *on_path, debian] if embedded else [*on_path, debian, *wheel]
    return list(dict.fromkeys(ordered))


async def _version(executable: Path) -> str | None:
    if not os.access(executable, os.X_OK):
        return None
    process = await asyncio.create_subprocess_exec(
        str(executable),
        "--version",
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.DEVNULL,
    )
    out, _ = await process.communicate()
    return out.decode(errors="replace").strip() if process.returncode == 0 else None


def major_of(version: str) -> int | None:
    found = _VERSION.search(version)
    return int(found.group(1)) if found else None


async def find_tools(server_major: int, directories: Sequence[Path]) -> PgTools:
    """The first of ``directories`` with a ``pg_dump`` and ``pg_restore`` of ``server_major``;
    :class:`BackupError` naming what was found and what is missing otherwise."""
    seen = []
    for directory in directories:
        dump_version = await _version(directory / "pg_dump")
        if dump_version is None:
            continue
        seen.append(f"{directory / 'pg_dump'} is for PostgreSQL {major_of(dump_version)}")
        if major_of(dump_version) == server_major:
            restore = await _version(directory / "pg_restore")
            if restore is not None and major_of(restore) == server_major:
                return PgTools(directory, dump_version)
            seen[-1] += " (without a matching pg_restore)"
    looked = ", ".join(str(d) for d in directories)
    found = "; ".join(seen) if seen else f"no pg_dump in {looked}"
    raise BackupError(
        f"No pg_dump for PostgreSQL {server_major} (the server's version) was found ({found}). "
        f"Install the PostgreSQL {server_major} client tools (Debian: "
        f"apt install postgresql-client-{server_major}) and put them on PATH, "
        "or set SYLLABOT_PG_BIN to their directory."
    )


def libpq_env(url: str) -> dict[str, str]:
    """The ``PG*`` environment that points libpq tools at ``url`` (no password on a command
    line, where ``ps`` would show it)."""
    parsed = make_url(url)

    def query(key: str) -> str | None:
        value = parsed.query.get(key)
        return (value[0] if isinstance(value, tuple) else value) or None

    values = {
        "PGHOST": query("host") or parsed.host,
        "PGPORT": query("port") or (str(parsed.port) if parsed.port else None),
        "PGUSER": parsed.username,
        "PGPASSWORD": parsed.password,
        "PGDATABASE": parsed.database,
    }
    return {key: str(value) for key, value in values.items() if value}


async def run_tool(
    executable: Path,
    args: Sequence[str],
    url: str,
    *,
    tables: int = 0,
    progress: Progress | None = None,
) -> None:
    """Run ``executable args`` (verbose) against ``url``; ``progress`` hears of each table.
    A failure raises :class:`BackupError` with the tool's last words."""
    environment = {**os.environ, **libpq_env(url)}
    process = await asyncio.create_subprocess_exec(
        str(executable),
        "--verbose",
        *args,
        env=environment,
        stdin=asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.PIPE,
    )
    assert process.stderr is not None
    done, errors = 0, []
    if progress is not None:
        progress(0, tables)
    async for raw in process.stderr:
        line = raw.decode(errors="replace").rstrip()
        if _TABLE_DONE.search(line):
            done += 1
            if progress is not None:
                progress(min(done, tables), tables)
        elif "error" in line.lower() or "fatal" in line.lower():
            errors.append(line)
    if await process.wait() != 0:
        said = errors[-1] if errors else f"exit status {process.returncode}"
        raise BackupError(f"{executable.name} failed: {said}")


async def run_plain(
    executable: Path,
    args: Sequence[str],
    *,
    env: dict[str, str] | None = None,
    user: str | None = None,
) -> str:
    """Run a tool that needs no table-by-table progress (``pg_basebackup``, ``pg_ctl``,
    ``pg_verifybackup``...); returns what it printed, :class:`BackupError` with its last
    words when it fails."""
    process = await asyncio.create_subprocess_exec(
        str(executable),
        *args,
        env={**os.environ, **(env or {})},
        stdin=asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
        user=user,  # the server's own user when we are root (see db.backups.pitr)
    )
    out, _ = await process.communicate()
    said = out.decode(errors="replace").strip()
    if process.returncode != 0:
        last = said.splitlines()[-1] if said else f"exit status {process.returncode}"
        raise BackupError(f"{executable.name} failed: {last}")
    return said
