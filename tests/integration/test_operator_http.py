"""/healthz, /readyz and /metrics (SYLLABOT_HTTP_PORT), over real HTTP, on a database of their
own (the outbox lag is about every pending notification in it)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any

import pytest
from aiohttp import ClientSession
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import delete, insert, select
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.bootstrap import bootstrap
from bot.handlers.base import Incoming
from bot.health import CannotListen, OpsServer, Platforms
from bot.observability import Metrics
from db.admin import create_database, drop_database
from db.backups.pitr import free_port
from db.engine import create_engine
from db.migrate import upgrade
from db.models import NotificationRow, UserRow
from domain.accounts.model import Identity
from tests.support import FakeClock


@pytest.fixture(scope="module")
async def own_engine(server_url: str) -> AsyncIterator[AsyncEngine]:
    url = await create_database(server_url)
    await upgrade(url)
    engine = create_engine(url)
    yield engine
    await engine.dispose()
    await drop_database(server_url, url)


class Adapter:
    def __init__(self, connected: bool) -> None:
        self.connected = connected


async def serve(
    engine: AsyncEngine,
    clock: FakeClock,
    *,
    metrics: Metrics | None = None,
    platforms: Platforms | None = None,
    max_outbox_lag: float = 300.0,
) -> OpsServer:
    return OpsServer(
        "127.0.0.1",
        0,
        engine=engine,
        metrics=metrics or Metrics(),
        platforms=platforms or Platforms(("telegram",), {"telegram": Adapter(True)}),
        now=clock.now,
        max_outbox_lag=max_outbox_lag,
        db_timeout=2.0,
    )


async def get(server: OpsServer, path: str) -> tuple[int, str, Any]:
    async with ClientSession() as http:
        async with http.get(f"http://127.0.0.1:{server.port}{path}") as response:
            body = await response.text()
            data = await response.json() if path == "/readyz" else None
            return response.status, body, data


def samples(page: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    found = {}
    for family in text_string_to_metric_families(page):
        for sample in family.samples:
            found[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return found


async def test_healthz_answers_ok_while_the_loop_runs(own_engine: AsyncEngine) -> None:
    async with await serve(own_engine, FakeClock()) as server:
        status, body, _ = await get(server, "/healthz")
    assert (status, body) == (200, "ok")


async def test_readyz_is_ready_with_the_database_up_the_platform_connected_and_no_lag(
    own_engine: AsyncEngine,
) -> None:
    async with await serve(own_engine, FakeClock()) as server:
        status, _, data = await get(server, "/readyz")
    assert status == 200, data
    assert data == {
        "status": "ready",
        "not_ready": [],
        "checks": {"database": "ok", "outbox": "ok", "telegram": "ok"},
    }


async def test_readyz_names_an_unreachable_database(own_engine: AsyncEngine) -> None:
    nowhere = create_engine(f"postgresql+asyncpg://postgres@127.0.0.1:{free_port()}/none")
    try:
        async with await serve(nowhere, FakeClock()) as server:
            status, _, data = await get(server, "/readyz")
            metrics_status, page, _ = await get(server, "/metrics")
    finally:
        await nowhere.dispose()
    assert status == 503
    assert data["not_ready"] == ["database"]
    assert data["checks"]["database"].startswith("unreachable")
    assert metrics_status == 200  # a scrape still answers, saying the database is down
    assert samples(page)[("syllabot_database_up", ())] == 0


async def test_readyz_names_a_platform_not_connected_or_still_starting(
    own_engine: AsyncEngine,
) -> None:
    platforms = Platforms(("telegram", "discord"), {"telegram": Adapter(False)})
    async with await serve(own_engine, FakeClock(), platforms=platforms) as server:
        status, _, data = await get(server, "/readyz")
    assert status == 503
    assert data["not_ready"] == ["discord", "telegram"]
    assert data["checks"]["telegram"] == "not connected"


async def test_readyz_says_the_outbox_lags_when_a_due_notification_waited_too_long(
    own_engine: AsyncEngine,
) -> None:
    clock = FakeClock()
    dispatcher = bootstrap(own_engine, clock=clock)
    await dispatcher.handle(Incoming(Identity("telegram", "4242", "4242", "Kim"), text="/start"))
    async with own_engine.begin() as conn:
        user_id = (await conn.execute(select(UserRow.id).limit(1))).scalar_one()
        late = (
            await conn.execute(
                insert(NotificationRow)
                .values(
                    user_id=user_id,
                    kind="booking_requested",
                    data={},
                    due_at=clock.now() - timedelta(minutes=10),
                )
                .returning(NotificationRow.id)
            )
        ).scalar_one()
    try:
        async with await serve(own_engine, clock, max_outbox_lag=300) as server:
            status, _, data = await get(server, "/readyz")
            _, page, _ = await get(server, "/metrics")
        async with await serve(own_engine, clock, max_outbox_lag=0) as unchecked:
            unchecked_status, _, _ = await get(unchecked, "/readyz")
        clock.advance(minutes=-6)  # the same notification, 4 minutes late: within the limit
        async with await serve(own_engine, clock, max_outbox_lag=300) as server:
            in_time_status, _, _ = await get(server, "/readyz")
    finally:
        async with own_engine.begin() as conn:
            await conn.execute(delete(NotificationRow).where(NotificationRow.id == late))
    assert status == 503
    assert data["not_ready"] == ["outbox"]
    assert data["checks"]["outbox"].startswith("the oldest due notification has waited 600 s")
    found = samples(page)
    assert found[("syllabot_outbox_backlog", ())] == 1
    assert found[("syllabot_outbox_oldest_due_seconds", ())] == 600
    assert unchecked_status == 200  # SYLLABOT_READY_MAX_OUTBOX_LAG=0: not checked
    assert in_time_status == 200


async def test_metrics_count_updates_latency_planned_reminders_and_the_pool(
    own_engine: AsyncEngine,
) -> None:
    clock = FakeClock()
    metrics = Metrics()
    dispatcher = bootstrap(own_engine, clock=clock, metrics=metrics)
    sam = Identity("telegram", "1001", chat_id="1001", display_name="Sam")
    await dispatcher.handle_update("telegram:1", 1, Incoming(sam, text="/start"))
    await dispatcher.handle_update("telegram:1", 1, Incoming(sam, text="/start"))  # again
    await dispatcher.handle_update("telegram:1", 2, Incoming(sam, text="/plan"))
    await dispatcher.handle_update("telegram:1", 3, Incoming(sam, payload="garbage"))
    async with await serve(own_engine, clock, metrics=metrics) as server:
        status, page, _ = await get(server, "/metrics")
    assert status == 200
    found = samples(page)
    updates = {
        dict(labels)["outcome"]: value
        for (name, labels), value in found.items()
        if name == "syllabot_updates_total" and dict(labels)["platform"] == "telegram"
    }
    # /start; /start delivered again; /plan without a subject and a stale press: told why
    assert updates == {"ok": 1, "duplicate": 1, "refused": 2}
    assert found[("syllabot_update_handling_seconds_count", (("platform", "telegram"),))] == 4
    planned = sum(v for (n, _), v in found.items() if n == "syllabot_reminders_planned_total")
    assert planned >= 1  # a newcomer's default daily reminders, once committed
    assert found[("syllabot_db_pool_in_use", ())] == 0  # every unit of work gave its back
    assert found[("syllabot_db_pool_size", ())] == 10
    assert found[("syllabot_database_up", ())] == 1
    assert found[("syllabot_platform_connected", (("platform", "telegram"),))] == 1
    assert any(n.startswith("process_") for n, _ in found)  # memory and CPU of the process


async def test_a_port_already_taken_is_said_as_such_not_as_the_database(
    own_engine: AsyncEngine,
) -> None:
    async with await serve(own_engine, FakeClock()) as first:
        second = OpsServer(
            "127.0.0.1",
            first.port,
            engine=own_engine,
            metrics=Metrics(),
            platforms=Platforms(),
            now=FakeClock().now,
            max_outbox_lag=300,
        )
        with pytest.raises(CannotListen) as error:
            await second.__aenter__()
    assert str(error.value).startswith(
        f"the health and metrics server cannot listen on 127.0.0.1:{first.port} "
        "(SYLLABOT_HTTP_HOST, SYLLABOT_HTTP_PORT): "
    )
