"""Backups against real PostgreSQL: a dump with its manifest, a restore that proves it, the
second copy, retention on disk, the daily job once across processes and the admins' alerts.

``pg_dump`` must match the server's major version: the tests use whichever the application
would (PATH, Debian's directory, the pgserver wheel) and skip, saying why, if none matches.
"""

from __future__ import annotations

import asyncio
import re
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, time, timedelta
from pathlib import Path

import pytest
from alembic.script import ScriptDirectory
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.bootstrap import bootstrap
from db.backups import BackupConfig, BackupError, Keep, runs
from db.backups.dump import backup, tools_for
from db.backups.manifest import Manifest, dump_name, listed, sha256_of, write
from db.backups.scheduled import after_backup, apply_retention, daily, watch
from db.backups.tools import PgTools
from db.backups.verify import verify
from db.migrate import alembic_config
from domain.marketplace.model import Policy
from tests.integration.test_marketplace import onboard
from tests.scenarios.test_cli import run_cli
from tests.support import Learner, private_database, user_id

HEAD = ScriptDirectory.from_config(alembic_config()).get_current_head()  # the migrated revision


@pytest.fixture
async def engine(server_url: str) -> AsyncIterator[AsyncEngine]:
    """A database of this test's own: its backup runs and claims are its own."""
    async with private_database(server_url) as engine:
        yield engine


@pytest.fixture
def url(engine: AsyncEngine) -> str:
    return engine.url.render_as_string(hide_password=False)


@pytest.fixture
def config(tmp_path: Path) -> BackupConfig:
    return BackupConfig(directory=tmp_path / "backups", mirror=tmp_path / "mirror")


@pytest.fixture
async def tools(url: str, config: BackupConfig) -> PgTools:
    try:
        return await tools_for(url, config)
    except BackupError as error:
        pytest.skip(f"no pg_dump matches the test server: {error}")


@pytest.fixture
def admin_name() -> str:
    return f"admin-{uuid.uuid4().hex[:6]}"


@pytest.fixture
def admins(admin_name: str) -> frozenset[tuple[str, str]]:
    return frozenset({("terminal", admin_name)})


async def seed(engine: AsyncEngine, admin_name: str) -> Learner:
    """A learner with a curriculum, an admin, and a verified expert: what verify reads."""
    dispatcher = bootstrap(engine, policy=Policy(admins=frozenset({("terminal", admin_name)})))
    admin = Learner(dispatcher, admin_name)
    await admin.say("/start")
    await onboard(dispatcher, admin, "Statistics")
    ada = Learner(dispatcher)
    await ada.say("/new Linear algebra | 4 | 30 | beginner")
    await ada.say("/done")
    return admin


async def counts(engine: AsyncEngine, *tables: str) -> dict[str, int]:
    async with engine.connect() as conn:
        return {
            table: await conn.scalar(text(f"SELECT count(*) FROM {table}"))  # noqa: S608
            for table in tables
        }


async def alerts(engine: AsyncEngine, person: uuid.UUID) -> list[str]:
    async with engine.connect() as conn:
        rows = await conn.execute(
            text(
                "SELECT data->>'problem' FROM notifications"
                " WHERE user_id = :u AND kind = 'backup_alert' ORDER BY created_at"
            ),
            {"u": person},
        )
        return [problem for (problem,) in rows]


async def test_a_backup_restores_with_its_rows_revision_and_mirror_copy(
    engine: AsyncEngine, url: str, config: BackupConfig, tools: PgTools, admin_name: str
) -> None:
    await seed(engine, admin_name)
    seen: list[tuple[int, int]] = []
    made = await backup(
        url, config, tools=tools, progress=lambda done, of: seen.append((done, of))
    )

    dump = config.directory / made.name
    assert made.name == dump_name(made.created_at) and dump.is_file()
    on_disk = Manifest.from_json(dump.with_suffix(".json").read_text())
    assert on_disk == made
    assert made.sha256 == sha256_of(dump) and made.size_bytes == dump.stat().st_size
    assert made.alembic_revision == HEAD and made.server_major == tools_major(tools)
    expected = await counts(engine, "users", "curricula", "sessions", "experts", "bookings")
    assert {table: made.row_counts[table] for table in expected} == expected
    assert expected["users"] == 3 and expected["sessions"] == 4
    assert seen and seen[-1] == (len(made.row_counts), len(made.row_counts))
    assert sha256_of(config.mirror / made.name) == made.sha256  # type: ignore[operator]
    assert (config.mirror / f"{Path(made.name).stem}.json").is_file()  # type: ignore[operator]

    result = await verify(url, config, tools=tools)
    assert result.ok, result.problems
    assert result.name == made.name
    assert {"checksum", "mirror copy", "restore", f"revision {HEAD}"} <= set(result.checked)
    assert {"a user", "a curriculum", "an expert search"} <= set(result.checked)
    async with engine.connect() as conn:
        recorded = (
            await conn.execute(text("SELECT kind, backup, outcome FROM backup_runs"))
        ).all()
        scratch = await conn.scalar(
            text("SELECT count(*) FROM pg_database WHERE datname LIKE 'syllabot_verify%'")
        )
    assert recorded == [("verify", made.name, "ok")]
    assert scratch == 0  # the scratch database is gone
    assert (await runs.newest_verified(engine)).backup == made.name  # type: ignore[union-attr]


def tools_major(tools: PgTools) -> int:
    from db.backups.tools import major_of

    major = major_of(tools.version)
    assert major is not None
    return major


async def test_a_corrupted_dump_fails_verification_tells_the_admins_and_deletes_nothing(
    engine: AsyncEngine,
    url: str,
    config: BackupConfig,
    tools: PgTools,
    admin_name: str,
    admins: frozenset[tuple[str, str]],
) -> None:
    admin = await seed(engine, admin_name)
    good = await backup(url, config, tools=tools)
    assert (await verify(url, config, good.name, tools=tools)).ok
    await asyncio.sleep(1.1)  # dumps are named by the second
    bad = await backup(url, config, tools=tools)
    dump = config.directory / bad.name
    damaged = bytearray(dump.read_bytes())
    damaged[len(damaged) // 2] ^= 0xFF
    dump.write_bytes(bytes(damaged))
    keep_one = BackupConfig(config.directory, config.mirror, Keep(daily=1, weekly=0, monthly=0))

    outcome = await after_backup(engine, url, keep_one, bad.name, admins, datetime.now(UTC))

    assert not outcome.verified and outcome.deleted == ()
    assert "does not match its checksum" in (outcome.problem or "")
    assert {m.name for m in listed(config.directory)} == {good.name, bad.name}
    assert dump.read_bytes() == bytes(damaged)  # kept as it is, for the operator to look at
    told = await alerts(engine, await user_id(engine, admin))
    assert len(told) == 1 and bad.name in told[0] and "failed verification" in told[0]
    async with engine.connect() as conn:
        outcome_of = dict(
            (await conn.execute(text("SELECT backup, outcome FROM backup_runs"))).all()
        )
    assert outcome_of == {good.name: "ok", bad.name: "failed"}


async def test_a_dump_that_does_not_restore_fails_even_with_a_matching_checksum(
    engine: AsyncEngine, url: str, config: BackupConfig, tools: PgTools, admin_name: str
) -> None:
    await seed(engine, admin_name)
    made = await backup(url, config, tools=tools)
    dump = config.directory / made.name
    dump.write_bytes(dump.read_bytes()[: made.size_bytes // 2])  # truncated, then re-summed
    resummed = Manifest(**{**made.__dict__, "sha256": sha256_of(dump)})
    write(config.directory, resummed)

    result = await verify(url, config, tools=tools)

    assert not result.ok
    assert "pg_restore failed" in result.problems[0]
    async with engine.connect() as conn:
        scratch = await conn.scalar(
            text("SELECT count(*) FROM pg_database WHERE datname LIKE 'syllabot_verify%'")
        )
    assert scratch == 0  # dropped on failure too


async def test_a_mirror_copy_that_differs_fails_verification(
    engine: AsyncEngine, url: str, config: BackupConfig, tools: PgTools
) -> None:
    made = await backup(url, config, tools=tools)
    assert config.mirror is not None
    (config.mirror / made.name).write_bytes(b"not a dump")
    result = await verify(url, config, tools=tools)
    assert not result.ok
    assert result.problems == (
        f"the mirror's copy {config.mirror / made.name} does not match its checksum",
    )


async def test_a_missing_pg_dump_is_one_clear_message(
    engine: AsyncEngine,
    url: str,
    config: BackupConfig,
    tmp_path: Path,
    admin_name: str,
    admins: frozenset[tuple[str, str]],
) -> None:
    empty = tmp_path / "no-tools"
    empty.mkdir()
    nothing = BackupConfig(config.directory, pg_bin=empty)
    with pytest.raises(
        BackupError, match=r"No pg_dump for PostgreSQL \d+ \(the server's version\)"
    ):
        await backup(url, nothing)

    result = run_cli(
        "db",
        "backup",
        env={
            "DATABASE_URL": url,
            "SYLLABOT_BACKUP_DIR": str(config.directory),
            "SYLLABOT_PG_BIN": str(empty),
        },
    )
    assert result.returncode == 1
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in result.stderr
    assert lines[0].startswith("Backup: No pg_dump for PostgreSQL")
    assert "SYLLABOT_PG_BIN" in lines[0] and str(empty) in lines[0]

    # the scheduled run records the failure and tells the admins
    dispatcher = bootstrap(engine, policy=Policy(admins=admins))
    admin = Learner(dispatcher, admin_name)
    await admin.say("/start")
    outcome = await daily(engine, url, nothing, admins, datetime(2026, 5, 1, 3, 30, tzinfo=UTC))
    assert outcome.ran and "No pg_dump" in (outcome.problem or "")
    told = await alerts(engine, await user_id(engine, admin))
    assert len(told) == 1 and told[0].startswith("the backup failed: No pg_dump")
    assert not config.directory.exists() or not list(config.directory.iterdir())


async def test_the_daily_backup_runs_once_across_processes_then_verifies(
    engine: AsyncEngine, url: str, config: BackupConfig, tools: PgTools, admin_name: str
) -> None:
    await seed(engine, admin_name)
    admins = frozenset({("terminal", admin_name)})
    at = datetime.now(UTC)
    first, second = await asyncio.gather(
        daily(engine, url, config, admins, at), daily(engine, url, config, admins, at)
    )
    assert sorted([first.ran, second.ran]) == [False, True]
    done = first if first.ran else second
    assert done.verified and done.problem is None
    assert [m.name for m in listed(config.directory)] == [done.backup]
    async with engine.connect() as conn:
        kinds = (
            await conn.execute(text("SELECT kind, outcome, claim FROM backup_runs ORDER BY kind"))
        ).all()
    assert kinds == [("backup", "ok", f"daily:{at.date()}"), ("verify", "ok", None)]

    # fresh: nothing to say; 27 hours on with no newer verified backup: the admins are told once
    assert await watch(engine, admins, at) is None
    later = at + timedelta(hours=27)
    problem = await watch(engine, admins, later)
    assert problem is not None and re.search(r"is 2[67] hours old$", problem), problem
    assert await watch(engine, admins, later + timedelta(minutes=5)) is not None
    dispatcher = bootstrap(engine)
    told = await alerts(engine, await user_id(engine, Learner(dispatcher, admin_name)))
    assert told == [problem]  # once a day, however often the watch looks


async def test_retention_deletes_old_backups_and_their_copies_but_not_the_newest_verified(
    engine: AsyncEngine, config: BackupConfig
) -> None:
    assert config.mirror is not None
    config.directory.mkdir(parents=True)
    config.mirror.mkdir(parents=True)
    start = datetime(2026, 1, 1, 3, 30, tzinfo=UTC)
    names = []
    for day in range(40):
        at = start + timedelta(days=day)
        manifest = Manifest(dump_name(at), at, "0" * 64, 1, 0.1, "15.0", 15, "pg_dump", "0007", {})
        for where in (config.directory, config.mirror):
            (where / manifest.name).write_bytes(b"x")
            write(where, manifest)
        names.append(manifest.name)
    verified = names[2]  # an old one that passed; every newer one was never verified
    run_id = await runs.start(engine, "verify", verified)
    assert run_id is not None
    await runs.finish(engine, run_id, runs.OK)

    kept_rule = BackupConfig(config.directory, config.mirror, Keep(daily=3, weekly=3, monthly=2))
    deleted = await apply_retention(engine, kept_rule)

    left = {m.name for m in listed(config.directory)}
    # Feb 9, 8, 7 (days), Sun Feb 1 (the week before last), Jan 31 (January), and Jan 3
    assert left == {names[i] for i in (39, 38, 37, 31, 30, 2)}
    assert set(deleted) == set(names) - left
    assert {p.name for p in config.mirror.iterdir()} == {
        f for name in left for f in (name, name.replace(".dump", ".json"))
    }
    assert await apply_retention(engine, kept_rule) == []


async def test_the_commands_back_up_verify_and_list_quietly_under_a_pipe(
    url: str, config: BackupConfig, tools: PgTools, tmp_path: Path
) -> None:
    env = {
        "DATABASE_URL": url,
        "SYLLABOT_BACKUP_DIR": str(config.directory),
        "SYLLABOT_BACKUP_MIRROR": str(config.mirror),
        "SYLLABOT_PG_BIN": str(tools.bin_dir),
    }
    made = run_cli("db", "backup", env=env)
    assert made.returncode == 0, made.stderr
    assert made.stderr == ""  # no progress bar under a pipe
    assert made.stdout.startswith(f"Backed up to {config.directory}/syllabot-")
    assert f"copied to {config.mirror}" in made.stdout
    (name,) = [m.name for m in listed(config.directory)]

    checked = run_cli("db", "verify", env=env)
    assert checked.returncode == 0, checked.stderr
    assert checked.stdout.startswith(f"{name} restores: checksum, mirror copy, restore")

    shown = run_cli("db", "backups", env=env)
    assert shown.returncode == 0, shown.stderr
    (line,) = shown.stdout.splitlines()
    assert line.startswith(name) and "verified" in line and "(newest verified: kept)" in line

    (config.directory / name).write_bytes(b"damaged")
    failed = run_cli("db", "verify", name, env=env)
    assert failed.returncode == 1 and "Traceback" not in failed.stderr
    assert failed.stderr.strip() == (
        f"Backup: {name} FAILED verification: {config.directory / name} does not match its "
        "checksum (the file changed or is damaged)"
    )
    assert "FAILED verification" in run_cli("db", "backups", env=env).stdout
    missing = run_cli("db", "verify", "syllabot-20200101T000000Z.dump", env=env)
    assert missing.returncode == 1
    assert "There is no backup syllabot-20200101T000000Z.dump" in missing.stderr


async def test_the_scheduler_backs_up_and_verifies_daily_at_the_configured_utc_time(
    engine: AsyncEngine, config: BackupConfig, tools: PgTools, admins: frozenset[tuple[str, str]]
) -> None:
    from bot.scheduler import Backups, Scheduler, backup_daily
    from bot.worker import NotificationWorker
    from tests.support import FakeClock

    dispatcher = bootstrap(
        engine, clock=FakeClock(datetime.now(UTC)), policy=Policy(admins=admins)
    )
    backups = Backups(engine, config, time(4, 15))
    worker = NotificationWorker(dispatcher.ctx, {})
    scheduler = Scheduler(worker, dispatcher.ctx, maintenance_at_start=False, backups=backups)
    assert str(scheduler.aps.get_job("backup").trigger) == "cron[hour='4', minute='15']"
    assert str(scheduler.aps.get_job("backup_watch").trigger) == "interval[1:00:00]"
    plain = Scheduler(worker, dispatcher.ctx, maintenance_at_start=False)  # `syllabot chat`
    assert plain.aps.get_job("backup") is None

    await backup_daily(dispatcher.ctx, backups)
    await backup_daily(dispatcher.ctx, backups)  # the same day again: already done

    (made,) = listed(config.directory)
    assert (await runs.newest_verified(engine)).backup == made.name  # type: ignore[union-attr]
