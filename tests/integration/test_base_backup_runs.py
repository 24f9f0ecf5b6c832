"""The weekly base backup (SYLLABOT_PITR=true) in the scheduler: once a week across all
processes, a failure recorded and told to the admins; the command refuses without PITR."""

from __future__ import annotations

from datetime import UTC, datetime, time
from pathlib import Path

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.bootstrap import bootstrap
from db.backups import BackupConfig, scheduled
from domain.marketplace.model import Policy
from tests.integration.test_backups import admin_name, admins, alerts, engine, url
from tests.scenarios.test_cli import run_cli
from tests.support import Learner, user_id

__all__ = ["admin_name", "admins", "engine", "url"]  # the fixtures, shared


async def test_the_weekly_base_backup_is_claimed_once_a_week_and_a_failure_tells_the_admins(
    engine: AsyncEngine,
    url: str,
    tmp_path: Path,
    admin_name: str,
    admins: frozenset[tuple[str, str]],
) -> None:
    empty = tmp_path / "no-tools"
    empty.mkdir()
    config = BackupConfig(tmp_path / "backups", pg_bin=empty, pitr=True)
    admin = Learner(bootstrap(engine, policy=Policy(admins=admins)), admin_name)
    await admin.say("/start")
    sunday = datetime(2026, 12, 6, 3, 30, tzinfo=UTC)

    made, problem = await scheduled.weekly(engine, url, config, admins, sunday)
    assert made is None and problem is not None and "No pg_dump" in problem
    again = await scheduled.weekly(engine, url, config, admins, datetime(2026, 12, 2, tzinfo=UTC))
    assert again == (None, None)  # Wednesday of the same ISO week: already claimed

    async with engine.connect() as conn:
        rows = (await conn.execute(text("SELECT kind, outcome, claim FROM backup_runs"))).all()
    assert [tuple(row) for row in rows] == [("basebackup", "failed", "base:2026-W49")]
    told = await alerts(engine, await user_id(engine, admin))
    assert len(told) == 1 and told[0].startswith("the weekly base backup failed: No pg_dump")
    assert not (tmp_path / "backups" / "base").exists() or not list(
        (tmp_path / "backups" / "base").iterdir()
    )


async def test_the_scheduler_takes_a_base_backup_on_sundays_only_with_pitr(
    engine: AsyncEngine, tmp_path: Path, admins: frozenset[tuple[str, str]]
) -> None:
    from bot.scheduler import Backups, Scheduler
    from bot.worker import NotificationWorker

    dispatcher = bootstrap(engine, policy=Policy(admins=admins))
    worker = NotificationWorker(dispatcher.ctx, {})
    with_pitr = Backups(engine, BackupConfig(tmp_path, pitr=True), time(4, 15))
    scheduler = Scheduler(worker, dispatcher.ctx, maintenance_at_start=False, backups=with_pitr)
    trigger = str(scheduler.aps.get_job("basebackup").trigger)
    assert trigger == "cron[day_of_week='sun', hour='4', minute='15']"
    without = Backups(engine, BackupConfig(tmp_path), time(4, 15))
    plain = Scheduler(worker, dispatcher.ctx, maintenance_at_start=False, backups=without)
    assert plain.aps.get_job("basebackup") is None


def test_basebackup_without_pitr_says_what_to_set(url: str, tmp_path: Path) -> None:
    result = run_cli(
        "db",
        "basebackup",
        env={"DATABASE_URL": url, "SYLLABOT_BACKUP_DIR": str(tmp_path), "SYLLABOT_PITR": "false"},
    )
    assert result.returncode == 1
    assert result.stderr.strip().startswith("Backup: SYLLABOT_PITR is off")
    assert "SYLLABOT_PITR=true" in result.stderr
