"""Every metric ``/metrics`` serves, defined in one place, on a registry of the process's own
(``Metrics``: nothing is registered at import time).

Counted as things happen (``Metrics`` is the handler layer's ``Meter``): updates handled by
platform and outcome, how long handling took, the worker's sends and the 429s per platform,
notifications planned (by kind) and dropped (by reason). Read when Prometheus scrapes
(``refresh``): the outbox's backlog and the age of its oldest due notification (one query
through the index of pending rows), the database pool's connections in use, and whether each
platform is connected.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

from prometheus_client import (
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    PlatformCollector,
    ProcessCollector,
)
from prometheus_client.exposition import CONTENT_TYPE_LATEST, generate_latest

CONTENT_TYPE = CONTENT_TYPE_LATEST
# Handling an update: a few ms (cached, one transaction) to seconds (a plan from a model).
LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)


class Metrics:
    """The process's metrics on ``registry`` (a new one by default); also its ``Meter``."""

    def __init__(self, registry: CollectorRegistry | None = None, *, process: bool = True):
        self.registry = registry if registry is not None else CollectorRegistry()
        r = self.registry
        if process:  # memory, CPU, open files (Linux), the Python version
            ProcessCollector(registry=r)
            PlatformCollector(registry=r)
        self.updates = Counter(
            "syllabot_updates",
            "Updates (messages, presses) handled, by platform and outcome: ok, refused (a "
            "domain error told to the person), failed, duplicate (delivered again), ignored",
            ["platform", "outcome"],
            registry=r,
        )
        self.latency = Histogram(
            "syllabot_update_handling_seconds",
            "Time from taking an update to having its replies (sending them not included)",
            ["platform"],
            buckets=LATENCY_BUCKETS,
            registry=r,
        )
        self.sends = Counter(
            "syllabot_sends",
            "Notifications the worker sent, by platform and result: sent, blocked, throttled "
            "(429), failed",
            ["platform", "result"],
            registry=r,
        )
        self.throttled = Counter(
            "syllabot_rate_limited",
            "429 Too Many Requests answers by platform (the worker's, and Telegram replies')",
            ["platform"],
            registry=r,
        )
        self.reminders = Counter(
            "syllabot_reminders_planned",
            "Notifications planned into the outbox (committed), by kind",
            ["kind"],
            registry=r,
        )
        self.drops = Counter(
            "syllabot_notifications_dropped",
            "Notifications dropped unsent, by reason: expired, obsolete, unreachable, blocked",
            ["reason"],
            registry=r,
        )
        self.backlog = Gauge(
            "syllabot_outbox_backlog",
            "Notifications due and not sent yet (read at scrape time; NaN: database down)",
            registry=r,
        )
        self.oldest_due = Gauge(
            "syllabot_outbox_oldest_due_seconds",
            "How long the oldest due, unsent notification has waited (0: none waiting)",
            registry=r,
        )
        self.database_up = Gauge(
            "syllabot_database_up", "1 if the database answered at scrape time", registry=r
        )
        self.pool_in_use = Gauge(
            "syllabot_db_pool_in_use", "Database connections checked out of the pool", registry=r
        )
        self.pool_size = Gauge(
            "syllabot_db_pool_size",
            "Connections the pool keeps (overflow not counted)",
            registry=r,
        )
        self.connected = Gauge(
            "syllabot_platform_connected",
            "1 if the platform's adapter is connected (receiving, or able to send)",
            ["platform"],
            registry=r,
        )
        self._children: dict[tuple[str, str], Any] = {}
        self._timers: dict[str, Any] = {}

    # -- the Meter ------------------------------------------------------------------------------

    def handled(self, platform: str, outcome: str, seconds: float) -> None:
        # The labelled children, looked up once: ``labels()`` costs as much as ``inc()``.
        counted = self._children.get((platform, outcome))
        if counted is None:
            counted = self._children[platform, outcome] = self.updates.labels(platform, outcome)
        timed = self._timers.get(platform)
        if timed is None:
            timed = self._timers[platform] = self.latency.labels(platform)
        counted.inc()
        timed.observe(seconds)

    def sent(self, platform: str, result: str) -> None:
        self.sends.labels(platform, result).inc()

    def rate_limited(self, platform: str) -> None:
        self.throttled.labels(platform).inc()

    def planned(self, kind: str, count: int) -> None:
        self.reminders.labels(kind).inc(count)

    def dropped(self, reason: str) -> None:
        self.drops.labels(reason).inc()

    # -- at scrape time -------------------------------------------------------------------------

    def refresh(
        self,
        *,
        backlog: int | None,
        oldest_due_seconds: float | None,
        pool_in_use: int,
        pool_size: int,
        platforms: Mapping[str, bool],
    ) -> None:
        """Set what is read when Prometheus scrapes (None: the database did not answer)."""
        self.database_up.set(0 if backlog is None else 1)
        self.backlog.set(math.nan if backlog is None else backlog)
        self.oldest_due.set(math.nan if oldest_due_seconds is None else oldest_due_seconds)
        self.pool_in_use.set(pool_in_use)
        self.pool_size.set(pool_size)
        for platform, up in platforms.items():
            self.connected.labels(platform).set(1 if up else 0)

    def exposition(self) -> bytes:
        """The registry in Prometheus's text format."""
        return generate_latest(self.registry)
