"""The point-in-time recovery drill, on a private PostgreSQL instance (the pgserver wheel's
binaries, its own data directory and port, archiving on): back up, write, note the time,
write more, restore to the noted time, and find exactly the earlier writes, intact."""

from __future__ import annotations

import asyncio
import shutil
import tempfile
import time
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path

import asyncpg
import pytest

from db.backups import BackupConfig, Keep, archive, basebackup, pitr
from db.backups.tools import PgTools, pgserver_bin, run_plain

WHEEL = pgserver_bin()  # PostgreSQL 16: initdb, pg_ctl, postgres, pg_basebackup... no contrib
DEBIAN = Path("/usr/lib/postgresql/15/bin")  # Debian's, with contrib (the amcheck extension)


@dataclass(frozen=True)
class Primary:
    pgdata: Path
    port: int
    config: BackupConfig
    tools: PgTools

    @property
    def url(self) -> str:
        return f"postgresql+asyncpg://postgres@127.0.0.1:{self.port}/postgres"


def _options(port: int) -> str:
    return f"-c port={port} -c listen_addresses=127.0.0.1 -c unix_socket_directories=''"


def _new_data_dir(folder: Path) -> Path:
    pgdata = folder / "primary"
    pgdata.mkdir()
    pitr.hand_over(pgdata)
    return pgdata


def _tail(log: Path) -> str:
    return log.read_text(errors="replace")[-2000:] if log.exists() else "(no log)"


@pytest.fixture
def folder() -> Iterator[Path]:
    """A folder of the drill's own, outside pytest's: as root the server runs as pgserver's
    user, who must reach it, and pytest resets its own folder to 0700 at every session's
    start (another session starting meanwhile would lock the server out)."""
    made = Path(tempfile.mkdtemp(prefix="syllabot-pitr-drill-"))
    made.chmod(0o755)
    try:
        yield made
    finally:
        shutil.rmtree(made, ignore_errors=True)


@pytest.fixture(
    params=[
        pytest.param(WHEEL, id="pgserver-wheel"),
        pytest.param(
            DEBIAN,
            id="debian-15-with-amcheck",
            marks=pytest.mark.skipif(
                not (DEBIAN / "pg_amcheck").exists(), reason="no Debian PostgreSQL 15"
            ),
        ),
    ]
)
async def primary(folder: Path, request: pytest.FixtureRequest) -> AsyncIterator[Primary]:
    bin_dir: Path | None = request.param
    assert bin_dir is not None and (bin_dir / "pg_basebackup").exists()
    pgdata = await asyncio.to_thread(_new_data_dir, folder)
    await run_plain(
        bin_dir / "initdb",
        ["-D", str(pgdata), "-U", "postgres", "--auth=trust", "-E", "utf8", "--data-checksums"],
        user=pitr.server_user(),
    )
    config = BackupConfig(directory=folder / "backups", embedded=True, pitr=True)
    assert pitr.archive_to(pgdata, basebackup.wal_dir(config))
    port = pitr.free_port()
    log = pgdata / "server.log"
    try:
        await pitr.pg_ctl(bin_dir, pgdata, "-w", "-l", str(log), "-o", _options(port), "start")
    except Exception as error:  # say why: the server's log
        raise AssertionError(f"{error}\n{await asyncio.to_thread(_tail, log)}") from None
    try:
        yield Primary(pgdata, port, config, PgTools(bin_dir, str(bin_dir)))
    finally:
        await pitr.stop(bin_dir, pgdata)


async def test_restore_to_a_moment_brings_back_exactly_what_was_written_before_it(
    primary: Primary,
) -> None:
    bin_dir = primary.tools.bin_dir
    started = time.monotonic()
    conn = await asyncpg.connect(host="127.0.0.1", port=primary.port, user="postgres")
    try:
        assert await conn.fetchval("SHOW archive_mode") == "on"
        await conn.execute("CREATE TABLE notes (id int PRIMARY KEY, body text NOT NULL)")
        made = await basebackup.take(primary.url, primary.config, primary.tools)
        await conn.execute("INSERT INTO notes SELECT i, 'before' FROM generate_series(1, 300) i")
        await conn.execute("CREATE INDEX notes_body ON notes (body)")
        await asyncio.sleep(0.05)
        moment = datetime.now(UTC)
        await asyncio.sleep(0.05)
        await conn.execute("INSERT INTO notes SELECT i, 'after' FROM generate_series(301, 400) i")
        await conn.execute("DELETE FROM notes WHERE id <= 10")  # a mistake to undo
        segment = await conn.fetchval("SELECT pg_walfile_name(pg_switch_wal())")
        await conn.execute("CHECKPOINT")
    finally:
        await conn.close()
    wal = basebackup.wal_dir(primary.config)
    for _ in range(100):  # the archiver copies the finished segment within moments
        if (wal / segment).exists():
            break
        await asyncio.sleep(0.1)
    assert (wal / segment).exists()
    backed_up = time.monotonic() - started

    base = basebackup.newest_before(basebackup.base_dir(primary.config), moment)
    assert base.name == made.name
    restored = primary.pgdata.with_name("restored")
    replayed = await pitr.replay(
        basebackup.base_dir(primary.config) / base.name, wal, moment, restored, bin_dir
    )
    try:
        assert "recovery stopping before commit" in replayed.stopped
        assert replayed.last_transaction is not None and replayed.last_transaction <= moment
        conn = await asyncpg.connect(host="127.0.0.1", port=replayed.port, user="postgres")
        try:
            rows = await conn.fetch("SELECT id, body FROM notes ORDER BY id")
            assert await conn.fetchval("SELECT pg_is_in_recovery()") is False
        finally:
            await conn.close()
        assert [(r["id"], r["body"]) for r in rows] == [(i, "before") for i in range(1, 301)]
        checked = await pitr.check_integrity(bin_dir, replayed.port)
    finally:
        await pitr.stop(bin_dir, restored)
    if bin_dir == DEBIAN:
        assert checked == "pg_amcheck found no corruption"
    else:  # the wheel ships pg_amcheck without the extension: every page's checksum instead
        assert "no amcheck extension" in checked
    await run_plain(
        bin_dir / "pg_checksums", ["--check", "-D", str(restored)], user=pitr.server_user()
    )
    auto = (restored / "postgresql.auto.conf").read_text(encoding="utf-8")
    assert "recovery_target_time" not in auto and not (restored / "recovery.signal").exists()
    print(  # the drill's timing, for the record (-s shows it)
        f"\nPITR drill ({bin_dir}): {checked}; "
        f"base backup {made.size_bytes} bytes in {made.seconds:.2f} s; "
        f"writes and archiving {backed_up:.2f} s; replay {replayed.seconds:.2f} s; "
        f"all {time.monotonic() - started:.2f} s"
    )


async def test_switching_keeps_the_old_directory_beside_the_restored_one(tmp_path: Path) -> None:
    pgdata, restored = tmp_path / "pg", tmp_path / "pg-restored"
    pgdata.mkdir()
    (pgdata / "PG_VERSION").write_text("old")
    restored.mkdir()
    (restored / "PG_VERSION").write_text("restored")
    kept = pitr.switch(pgdata, restored, datetime(2026, 12, 2, 4, 30, tzinfo=UTC))
    assert kept.name == "pg-before-restore-20261202T043000Z"
    assert (kept / "PG_VERSION").read_text() == "old"
    assert (pgdata / "PG_VERSION").read_text() == "restored" and not restored.exists()


async def _archived(conn: asyncpg.Connection, wal: Path) -> str:
    """Finish the current WAL segment and wait until the archiver has copied it."""
    segment: str = await conn.fetchval("SELECT pg_walfile_name(pg_switch_wal())")
    for _ in range(100):
        if (wal / segment).exists():
            return segment
        await asyncio.sleep(0.1)
    raise AssertionError(f"{segment} was not archived")


async def test_base_backups_and_their_log_are_mirrored_and_pruned_to_the_newest_kept(
    primary: Primary, folder: Path
) -> None:
    config = replace(primary.config, mirror=folder / "mirror", keep=Keep(weekly=2))
    wal, mirrored_wal = basebackup.wal_dir(config), folder / "mirror" / "wal"
    conn = await asyncpg.connect(host="127.0.0.1", port=primary.port, user="postgres")
    made = []
    try:
        await conn.execute("CREATE TABLE notes (id int PRIMARY KEY)")
        for week in range(3):
            await conn.execute("INSERT INTO notes VALUES ($1)", week)
            await _archived(conn, wal)
            made.append(await basebackup.take(primary.url, config, primary.tools))
            said = await archive.after_base_backup(config, made[-1], primary.tools)
            assert said and said[0].startswith("Copied to ")
            await asyncio.sleep(1.05)  # base backups are named by the second
        await conn.execute("INSERT INTO notes VALUES (3)")
        moment = datetime.now(UTC)
        await asyncio.sleep(0.05)
        await conn.execute("INSERT INTO notes VALUES (4)")
        await _archived(conn, wal)
    finally:
        await conn.close()
    assert archive.mirror_wal(config) >= 1  # what the daily job copies

    kept = [b.name for b in basebackup.listed(basebackup.base_dir(config))]
    assert kept == [made[2].name, made[1].name]  # the oldest of three went, with 2 kept
    assert [b.name for b in basebackup.listed(folder / "mirror" / "base")] == kept
    assert not (folder / "mirror" / "base" / made[0].name).exists()
    first_needed = archive.first_segment(basebackup.base_dir(config) / made[1].name)
    for directory in (wal, mirrored_wal):
        segments = sorted(p.name for p in directory.iterdir() if len(p.name) == 24)
        assert segments and segments[0] >= first_needed  # older ones were cleaned up
    assert sorted(p.name for p in wal.iterdir()) == sorted(p.name for p in mirrored_wal.iterdir())

    # The second copy alone is enough: replay the mirror's oldest kept base backup with the
    # mirror's log, past the newest base backup, to the moment.
    restored = primary.pgdata.with_name("restored-from-mirror")
    bin_dir = primary.tools.bin_dir
    replayed = await pitr.replay(
        folder / "mirror" / "base" / made[1].name, mirrored_wal, moment, restored, bin_dir
    )
    try:
        conn = await asyncpg.connect(host="127.0.0.1", port=replayed.port, user="postgres")
        try:
            ids = [r["id"] for r in await conn.fetch("SELECT id FROM notes ORDER BY id")]
        finally:
            await conn.close()
    finally:
        await pitr.stop(bin_dir, restored)
    assert ids == [0, 1, 2, 3]
