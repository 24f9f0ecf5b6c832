"""Pool settings reach the engine, and SYLLABOT_PGBOUNCER=true runs behind a real PgBouncer in
transaction pooling (Debian's ``pgbouncer``; skipped, saying so, when it is not installed)."""

from __future__ import annotations

import asyncio
import shutil
import socket
import subprocess
import uuid
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import make_url, text
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.bootstrap import open_database
from bot.config import Settings
from db.engine import create_engine
from db.uow import SqlAlchemyUnitOfWork
from domain.accounts.model import Identity
from domain.accounts.registration import register
from domain.learning.commands import CreateCurriculum, LogSession
from domain.learning.curricula import create_curriculum
from domain.learning.model import CurriculumSpec, SkillLevel
from domain.learning.planner import TemplatePlanner
from domain.learning.sessions import log_session
from domain.marketplace import bookings, experts, payments
from domain.marketplace.commands import (
    ActOnBooking,
    BecomeExpert,
    BookSlot,
    SetAvailability,
    VerifyExpert,
)
from domain.marketplace.model import Action, Policy
from tests.support import FakeClock, expert_draft

WEEKDAYS = "mon 09:00-17:00; tue 09:00-17:00; wed 09:00-17:00; thu 09:00-17:00; fri 09:00-17:00"


async def test_pool_settings_reach_the_engine(database_url: str, tmp_path: Path) -> None:
    settings = Settings(
        DATABASE_URL=database_url,  # type: ignore[call-arg]
        SYLLABOT_DATA_DIR=tmp_path,
        SYLLABOT_AUTO_MIGRATE=False,
        SYLLABOT_DB_POOL_SIZE=3,
        SYLLABOT_DB_MAX_OVERFLOW=2,
        SYLLABOT_DB_POOL_TIMEOUT=7,
        SYLLABOT_DB_POOL_RECYCLE=600,
        SYLLABOT_DB_POOL_PRE_PING=True,
    )
    async with open_database(settings) as engine:
        pool = engine.sync_engine.pool
        assert pool.size() == 3  # type: ignore[attr-defined]
        assert pool._max_overflow == 2  # type: ignore[attr-defined]
        assert pool._timeout == 7  # type: ignore[attr-defined]
        assert pool._recycle == 600
        assert pool._pre_ping is True
        async with engine.connect() as conn:
            assert await conn.scalar(text("SELECT 1")) == 1
    defaults = Settings(_env_file=None)  # type: ignore[call-arg]
    assert (defaults.db_pool_size, defaults.db_max_overflow, defaults.db_pool_timeout) == (
        10,
        0,
        30,
    )
    assert (defaults.db_pool_recycle, defaults.db_pool_pre_ping, defaults.pgbouncer) == (
        1800,
        False,
        False,
    )


async def _work(engine: AsyncEngine) -> None:
    """The booking path, /done and the ORM, several at once, so that transactions move between
    the server connections behind PgBouncer."""
    clock = FakeClock(datetime(2026, 3, 2, 6, 0, tzinfo=UTC))
    policy = Policy()

    def uow() -> SqlAlchemyUnitOfWork:
        return SqlAlchemyUnitOfWork(engine)

    async def person() -> uuid.UUID:
        name = f"p-{uuid.uuid4().hex[:8]}"
        user, _ = await register(Identity("terminal", name, name, name), uow(), FakeClock())
        return user.id

    expert_user = await person()
    made = await experts.become_expert(
        BecomeExpert(expert_user, expert_draft(f"B {uuid.uuid4().hex[:6]}")), uow(), clock, policy
    )
    await experts.verify_expert(VerifyExpert(None, made.id, True), uow(), clock, policy)
    await experts.set_availability(SetAvailability(expert_user, WEEKDAYS), uow())

    async def one(i: int) -> None:
        learner = await person()
        start = datetime(2026, 3, 3, 9, 0, tzinfo=UTC) + timedelta(days=i // 3, hours=2 * (i % 3))
        booked = await bookings.book(BookSlot(learner, made.id, start, 60), uow(), clock, policy)
        await bookings.act(
            ActOnBooking(expert_user, booked.id, Action.CONFIRM),
            uow(),
            clock,
            policy,
            payments.ManualPayments(),
        )
        spec = CurriculumSpec("Go", 3, 25, SkillLevel.BEGINNER)
        await create_curriculum(CreateCurriculum(learner, spec), uow(), TemplatePlanner())
        for _ in range(2):
            await log_session(LogSession(learner), uow(), clock)
        async with uow() as check:
            progress = await check.curricula.completion_context(learner)
        assert progress is not None and progress.next_session_number == 3, progress

    await asyncio.gather(*(one(i) for i in range(6)))
    async with uow() as check:
        found = await check.bookings.for_user(expert_user)
    assert len(found) == 6


async def test_pgbouncer_mode_runs_the_booking_path_and_done_on_postgresql(
    database_url: str,
) -> None:
    engine = create_engine(database_url, pool_size=4, pgbouncer=True)
    try:
        await _work(engine)
        async with engine.connect() as conn:
            raw = await conn.get_raw_connection()
            assert raw.driver_connection._stmt_cache.get_max_size() == 0  # type: ignore[union-attr]
    finally:
        await engine.dispose()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def pgbouncer(server_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[int]:
    """A PgBouncer in transaction pooling in front of the tests' server; its port."""
    binary = shutil.which("pgbouncer") or (
        "/usr/sbin/pgbouncer" if Path("/usr/sbin/pgbouncer").exists() else None
    )
    if binary is None:
        pytest.skip("pgbouncer is not installed (Debian: apt-get install pgbouncer)")
    server = make_url(server_url)
    if not server.host or server.host.startswith("/"):
        pytest.skip("PgBouncer is tested against a TCP server (TEST_DATABASE_URL)")
    folder = tmp_path_factory.mktemp("pgbouncer")
    folder.chmod(0o777)
    port = _free_port()
    user = server.username or "postgres"
    (folder / "users.txt").write_text(f'"{user}" "{server.password or ""}"\n')
    (folder / "pgbouncer.ini").write_text(
        f"""[databases]
* = host={server.host} port={server.port or 5432}

[pgbouncer]
listen_addr = 127.0.0.1
listen_port = {port}
unix_socket_dir =
auth_type = trust
auth_file = {folder / "users.txt"}
pool_mode = transaction
default_pool_size = 2
max_client_conn = 200
ignore_startup_parameters = extra_float_digits
"""
    )
    for item in folder.iterdir():
        item.chmod(0o644)
    command = [binary, str(folder / "pgbouncer.ini")]
    if hasattr(__import__("os"), "geteuid") and __import__("os").geteuid() == 0:
        command[1:1] = ["-u", "postgres"]  # PgBouncer refuses to run as root
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        for _ in range(100):
            with socket.socket() as s:
                if s.connect_ex(("127.0.0.1", port)) == 0:
                    break
            if process.poll() is not None:
                out = process.stdout.read().decode() if process.stdout else ""
                pytest.fail(f"pgbouncer did not start: {out}")
            subprocess.run(["sleep", "0.05"], check=True)
        yield port
    finally:
        process.terminate()
        process.wait(timeout=10)


@pytest.fixture
async def through_pgbouncer(database_url: str, pgbouncer: int) -> AsyncIterator[AsyncEngine]:
    url = make_url(database_url).set(host="127.0.0.1", port=pgbouncer)
    engine = create_engine(url.render_as_string(hide_password=False), pool_size=6, pgbouncer=True)
    yield engine
    await engine.dispose()


async def test_pgbouncer_in_transaction_pooling_runs_the_booking_path_and_done(
    through_pgbouncer: AsyncEngine,
) -> None:
    async with through_pgbouncer.connect() as conn:  # really through PgBouncer, 2 servers
        assert await conn.scalar(text("SELECT current_setting('application_name')")) is not None
    await _work(through_pgbouncer)
