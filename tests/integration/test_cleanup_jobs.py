"""Old session data and old rows, on real PostgreSQL: sessions and notes of curricula archived
over two years ago move to the archive tables (still exported, restorable with one command),
old notifications and update claims are pruned, every job in batches and idempotent.

The jobs act on the whole database, so this module has a database of its own.
"""

from __future__ import annotations

import csv
import io
import json
import logging
import os
import subprocess
import sys
import uuid
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.bootstrap import bootstrap
from bot.handlers.router import Dispatcher
from bot.scheduler import maintenance
from db.uow import SqlAlchemyUnitOfWork
from domain.accounts.retention import Retention, archive_old_sessions, prune, unarchive
from domain.unit_of_work import UnitOfWork
from tests.support import FakeClock, Learner, private_database, user_id

START = datetime(2029, 1, 1, 8, 0, tzinfo=UTC)  # over two years after the database's now()
SMALL = Retention(batch=2)  # more rows than one batch in every job below


@pytest.fixture(scope="module")
async def engine(server_url: str) -> AsyncIterator[AsyncEngine]:
    async with private_database(server_url) as engine:
        yield engine


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(START)


@pytest.fixture
def dispatcher(engine: AsyncEngine, clock: FakeClock) -> Dispatcher:
    return bootstrap(engine, clock=clock)


def uow_of(engine: AsyncEngine) -> Callable[[], UnitOfWork]:
    return lambda: SqlAlchemyUnitOfWork(engine)


async def counts(engine: AsyncEngine, curriculum_id: uuid.UUID) -> tuple[int, int, int, int]:
    """(sessions, notes, archived sessions, archived notes) of one curriculum."""
    async with engine.connect() as conn:
        row = (
            await conn.execute(
                text(
                    """SELECT
                     (SELECT count(*) FROM sessions WHERE curriculum_id = :c),
                     (SELECT count(*) FROM user_notes n JOIN sessions s ON s.id = n.session_id
                       WHERE s.curriculum_id = :c),
                     (SELECT count(*) FROM archived_sessions WHERE curriculum_id = :c),
                     (SELECT count(*) FROM archived_user_notes n
                        JOIN archived_sessions s ON s.id = n.session_id
                       WHERE s.curriculum_id = :c)"""
                ),
                {"c": curriculum_id},
            )
        ).one()
    return row[0], row[1], row[2], row[3]


async def archived_plan(engine: AsyncEngine, dispatcher: Dispatcher) -> tuple[Learner, uuid.UUID]:
    """A learner with a 5-session plan, two sessions done with notes, archived (now)."""
    ada = Learner(dispatcher)
    await ada.say("/start")
    await ada.say(f"/new Spanish {uuid.uuid4().hex[:4]} | 5 | 30 | beginner")
    await ada.say("/done 25 first-note")
    await ada.say("/done 30 second-note")
    assert "is now archived" in await ada.say("/archive")
    async with engine.connect() as conn:
        curriculum_id = await conn.scalar(
            text("SELECT id FROM curricula WHERE user_id = :u"),
            {"u": await user_id(engine, ada)},
        )
    return ada, curriculum_id


async def test_old_sessions_move_to_the_archive_stay_in_the_export_and_come_back(
    dispatcher: Dispatcher, engine: AsyncEngine, clock: FakeClock
) -> None:
    ada, curriculum_id = await archived_plan(engine, dispatcher)
    before = await ada.say("/export")
    assert await counts(engine, curriculum_id) == (5, 2, 0, 0)

    # Archived "now" in the database's time: not two years ago by the clock of 2026-12 ...
    early = FakeClock(datetime.now(UTC))
    assert await archive_old_sessions(uow_of(engine), early, SMALL) == (0, 0)
    # ... but over two years before the test's clock.
    moved = await archive_old_sessions(uow_of(engine), clock, SMALL)
    assert moved[0] >= 5 and moved[1] >= 2
    assert await counts(engine, curriculum_id) == (0, 0, 5, 2)
    assert await archive_old_sessions(uow_of(engine), clock, SMALL) == (0, 0)  # idempotent

    after = await ada.say("/export")
    assert after == before  # the export still says the same
    document = json.loads(next(r for r in ada.last if r.attachment).attachment.content)  # type: ignore[union-attr]
    (plan,) = document["curricula"]
    assert [s["session_number"] for s in plan["sessions"]] == [1, 2, 3, 4, 5]
    notes = sorted((n["session_number"], n["content"]) for n in document["notes"])
    assert notes == [(1, "first-note"), (2, "second-note")]  # written at one instant
    sheet = next(r for r in ada.last if r.attachment and r.attachment.filename.endswith(".csv"))
    assert sheet.attachment is not None
    rows = list(csv.DictReader(io.StringIO(sheet.attachment.content.decode())))
    assert len(rows) == 5 and "first-note" in str(rows[0])

    assert await unarchive(curriculum_id, uow_of(engine), SMALL) == (5, 2)
    assert await counts(engine, curriculum_id) == (5, 2, 0, 0)
    assert "first-note" in await ada.say("/notes")


async def test_deleting_an_account_deletes_its_archived_sessions(
    dispatcher: Dispatcher, engine: AsyncEngine, clock: FakeClock
) -> None:
    ada, curriculum_id = await archived_plan(engine, dispatcher)
    await archive_old_sessions(uow_of(engine), clock, SMALL)
    assert await counts(engine, curriculum_id) == (0, 0, 5, 2)
    await ada.say("/delete_me")
    assert "deleted" in (await ada.press("🗑 Delete everything")).lower()
    assert await counts(engine, curriculum_id) == (0, 0, 0, 0)


async def test_old_notifications_and_update_claims_are_pruned_in_batches(
    dispatcher: Dispatcher, engine: AsyncEngine, clock: FakeClock
) -> None:
    ada = Learner(dispatcher)
    await ada.say("/start")
    ada_id = await user_id(engine, ada)
    old, recent = START - timedelta(days=91), START - timedelta(days=89)
    stream = f"test:{uuid.uuid4().hex[:8]}"
    async with engine.begin() as conn:
        for i, (status, sent) in enumerate(
            [("sent", old)] * 3 + [("dropped", old), ("failed", old), ("sent", recent)]
        ):
            await conn.execute(
                text(
                    """INSERT INTO notifications (user_id, kind, due_at, sent_at, status)
                       VALUES (:u, 'study_reminder', :due, :sent, :status)"""
                ),
                {
                    "u": ada_id,
                    "due": sent,
                    "sent": sent if status == "sent" else None,
                    "status": status,
                },
            )
            await conn.execute(
                text(
                    "INSERT INTO processed_updates (platform, update_id, received_at) "
                    "VALUES (:p, :i, :at)"
                ),
                {"p": stream, "i": i, "at": START - timedelta(hours=49 if i < 5 else 47)},
            )
        await conn.execute(  # pending: never pruned, however old
            text(
                "INSERT INTO notifications (user_id, kind, due_at) "
                "VALUES (:u, 'study_reminder', :due)"
            ),
            {"u": ada_id, "due": old},
        )

    notifications, claims = await prune(uow_of(engine), clock, SMALL)
    assert notifications >= 5 and claims >= 5
    async with engine.connect() as conn:
        left = await conn.execute(
            text("SELECT status, due_at FROM notifications WHERE user_id = :u AND due_at < :now"),
            {"u": ada_id, "now": START},
        )
        assert sorted(left.all()) == [("pending", old), ("sent", recent)]
        kept = await conn.scalar(
            text("SELECT count(*) FROM processed_updates WHERE platform = :p"), {"p": stream}
        )
        assert kept == 1
    assert await prune(uow_of(engine), clock, SMALL) == (0, 0)  # idempotent


def test_the_commands_clean_up_and_unarchive(engine: AsyncEngine) -> None:
    env = {
        **os.environ,
        "LOG_LEVEL": "WARNING",
        "DATABASE_URL": engine.url.render_as_string(hide_password=False),
    }

    def cli(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "bot", "db", *args],
            capture_output=True,
            text=True,
            timeout=120,
            env=env,
        )

    done = cli("cleanup")
    assert done.returncode == 0, done.stderr
    assert "Inactive accounts: 0 people warned, 0 accounts deleted" in done.stdout
    assert "Archived: 0 sessions and 0 notes" in done.stdout
    assert "Pruned:" in done.stdout

    missing = cli("unarchive", str(uuid.uuid4()))
    assert missing.returncode == 1 and "no such curriculum" in missing.stderr
    wrong = cli("unarchive", "not-an-id")
    assert wrong.returncode == 2 and "is not a curriculum id" in wrong.stderr


async def test_the_daily_maintenance_runs_the_jobs_and_logs_what_they_did(
    dispatcher: Dispatcher, engine: AsyncEngine, caplog: pytest.LogCaptureFixture
) -> None:
    _, curriculum_id = await archived_plan(engine, dispatcher)
    with caplog.at_level(logging.INFO, logger="domain.accounts.retention"):
        await maintenance(dispatcher.ctx)
    assert await counts(engine, curriculum_id) == (0, 0, 5, 2)
    (line,) = [r.getMessage() for r in caplog.records if r.getMessage().startswith("clean-up:")]
    assert "session(s) and" in line and "pruned" in line
