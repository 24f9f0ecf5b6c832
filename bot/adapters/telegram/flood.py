"""Flood control for incoming updates: a token bucket per Telegram user."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from enum import Enum


@dataclass(frozen=True)
class FloodLimit:
    """Per user: a burst of ``burst`` updates, refilled at ``per_second``."""

    burst: int = 8
    per_second: float = 1.0


class Verdict(Enum):
    ALLOW = "allow"
    NOTICE = "notice"  # over the limit for the first time: say so once
    DROP = "drop"  # over the limit again: skip silently


class FloodGate:
    """Token buckets per user, kept in memory (one bot process sees all of a user's updates)."""

    MAX_TRACKED = 10_000

    def __init__(self, limit: FloodLimit, clock: Callable[[], float] = time.monotonic) -> None:
        self._limit = limit
        self._clock = clock
        self._buckets: dict[int, tuple[float, float, bool]] = {}  # tokens, at, noticed

    def admit(self, user: int) -> Verdict:
        now = self._clock()
        tokens, at, noticed = self._buckets.get(user, (float(self._limit.burst), now, False))
        tokens = min(float(self._limit.burst), tokens + (now - at) * self._limit.per_second)
        if tokens >= 1.0:
            self._remember(user, (tokens - 1.0, now, False))
            return Verdict.ALLOW
        self._remember(user, (tokens, now, True))
        return Verdict.DROP if noticed else Verdict.NOTICE

    def _remember(self, user: int, bucket: tuple[float, float, bool]) -> None:
        self._buckets[user] = bucket
        if len(self._buckets) > self.MAX_TRACKED:  # forget the users whose bucket is full again
            now, limit = self._clock(), self._limit
            self._buckets = {
                key: (tokens, at, noticed)
                for key, (tokens, at, noticed) in self._buckets.items()
                if tokens + (now - at) * limit.per_second < limit.burst
            }
