"""Ports: what the domain needs from the outside world, as protocols."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Protocol

from domain.model import CurriculumSpec, PlannedSession


class Clock(Protocol):
    def now(self) -> datetime:
        """The current instant, timezone-aware (UTC)."""
        ...


class SystemClock:
    def now(self) -> datetime:
        return datetime.now(UTC)


class CurriculumPlanner(Protocol):
    def plan(self, spec: CurriculumSpec) -> list[PlannedSession]:
        """Design ``spec.total_sessions`` numbered sessions (1..N) for the spec."""
        ...
