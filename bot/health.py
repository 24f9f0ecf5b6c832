"""The operator's HTTP server (SYLLABOT_HTTP_PORT), beside ``syllabot run`` and ``worker``:

- ``/healthz``: 200 ``ok`` whenever the event loop answers (liveness; a load balancer's check).
- ``/readyz``: 200 when the database answers within ``DB_TIMEOUT``, every platform the process
  serves is connected, and the oldest due, unsent notification has waited no longer than
  SYLLABOT_READY_MAX_OUTBOX_LAG; otherwise 503. Either way a JSON body with each check.
- ``/metrics``: ``bot.observability`` in Prometheus's text format.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from aiohttp import web
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.adapters.lifecycle import PlatformUnavailable
from bot.observability import CONTENT_TYPE, Metrics
from db import health

logger = logging.getLogger(__name__)

DB_TIMEOUT = 2.0  # seconds the database has to answer a readiness check or a scrape
OK = "ok"


class CannotListen(PlatformUnavailable):
    """The HTTP server cannot listen where the settings say; reported as a platform that
    cannot start is (one line, "Could not start: …"), never as the database."""


@dataclass
class Platforms:
    """The platforms a process serves (``expected``, from the settings) and their adapters as
    they come up (``adapters``: anything with a ``connected`` property)."""

    expected: tuple[str, ...] = ()
    adapters: dict[str, Any] = field(default_factory=dict)

    def connected(self) -> dict[str, bool]:
        return {name: self._up(name) for name in self.expected}

    def _up(self, name: str) -> bool:
        adapter = self.adapters.get(name)
        return adapter is not None and bool(getattr(adapter, "connected", True))


class OpsServer:
    """``async with OpsServer(...)``: serves the three paths on host:port until left."""

    def __init__(
        self,
        host: str,
        port: int,
        *,
        engine: AsyncEngine,
        metrics: Metrics,
        platforms: Platforms,
        now: Callable[[], datetime],
        max_outbox_lag: float,
        db_timeout: float = DB_TIMEOUT,
    ) -> None:
        self.host, self.port = host, port
        self._engine, self._metrics, self._platforms = engine, metrics, platforms
        self._now, self._max_lag, self._db_timeout = now, max_outbox_lag, db_timeout
        app = web.Application()
        app.router.add_get("/healthz", self._healthz)
        app.router.add_get("/readyz", self._readyz)
        app.router.add_get("/metrics", self._metrics_page)
        self._runner = web.AppRunner(app, access_log=None, shutdown_timeout=1.0)

    async def __aenter__(self) -> OpsServer:
        await self._runner.setup()
        site = web.TCPSite(self._runner, self.host, self.port)
        try:
            await site.start()
        except OSError as error:
            await self._runner.cleanup()
            raise CannotListen(
                f"the health and metrics server cannot listen on {self.host}:{self.port} "
                f"(SYLLABOT_HTTP_HOST, SYLLABOT_HTTP_PORT): "
                f"{os.strerror(error.errno) if error.errno else error}"
            ) from None
        if self.port == 0:  # a free port was asked for: which one it got
            self.port = self._runner.addresses[0][1]
        logger.info("operator HTTP server on %s:%d", self.host, self.port)
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self._runner.cleanup()

    async def _healthz(self, request: web.Request) -> web.Response:
        return web.Response(text=OK)

    async def _readyz(self, request: web.Request) -> web.Response:
        checks: dict[str, str] = {}
        outbox = await self._outbox()
        if isinstance(outbox, str):
            checks["database"] = outbox
        else:
            checks["database"] = OK
            checks["outbox"] = self._outbox_check(outbox)
        for name, up in self._platforms.connected().items():
            checks[name] = OK if up else "not connected"
        not_ready = sorted(name for name, said in checks.items() if said != OK)
        body: Mapping[str, object] = {
            "status": "not ready" if not_ready else "ready",
            "not_ready": not_ready,
            "checks": checks,
        }
        return web.json_response(body, status=503 if not_ready else 200)

    def _outbox_check(self, outbox: health.Outbox) -> str:
        if not self._max_lag or outbox.oldest_due_seconds <= self._max_lag:
            return OK
        return (
            f"the oldest due notification has waited {outbox.oldest_due_seconds:.0f} s "
            f"(limit {self._max_lag:g} s; {outbox.backlog} due)"
        )

    async def _outbox(self) -> health.Outbox | str:
        """The outbox's lag, or why the database did not say (one line)."""
        try:
            return await health.outbox(self._engine, self._now(), self._db_timeout)
        except TimeoutError:
            return f"no answer within {self._db_timeout:g} s"
        except Exception as error:  # the driver's, the pool's, the network's: all "down"
            logger.debug("readiness: the database check failed", exc_info=True)
            return f"unreachable ({type(error).__name__})"

    async def _metrics_page(self, request: web.Request) -> web.Response:
        outbox = await self._outbox()
        known = None if isinstance(outbox, str) else outbox
        pool: Any = self._engine.pool  # a QueuePool; NullPool has neither count
        self._metrics.refresh(
            backlog=known.backlog if known else None,
            oldest_due_seconds=known.oldest_due_seconds if known else None,
            pool_in_use=int(pool.checkedout()) if hasattr(pool, "checkedout") else 0,
            pool_size=int(pool.size()) if hasattr(pool, "size") else 0,
            platforms=self._platforms.connected(),
        )
        return web.Response(
            body=self._metrics.exposition(), headers={"Content-Type": CONTENT_TYPE}
        )
