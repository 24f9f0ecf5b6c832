"""What notifications need from outside: the outbox repository."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any, Protocol
from uuid import UUID

from domain.notifications.model import Audience, Due, NotificationKind, Planned


class NotificationRepository(Protocol):
    """The outbox: written in the transaction of the change it announces."""

    async def add(
        self, user_id: UUID, kind: NotificationKind, data: dict[str, Any], due_at: datetime
    ) -> None: ...

    async def plan(self, planned: Sequence[Planned]) -> int:
        """Write planned notifications, skipping occurrences already written; returns how many."""
        ...

    async def withdraw(
        self,
        user_ids: Sequence[UUID],
        kinds: Sequence[NotificationKind],
        *,
        booking_id: UUID | None = None,
    ) -> int:
        """Delete pending notifications of ``kinds`` for the users (of one booking)."""
        ...

    async def claim(
        self, now: datetime, lease: timedelta, limit: int, audience: Audience | None = None
    ) -> list[Due]:
        """Lease up to ``limit`` due notifications (of ``audience``, if given), oldest first
        (SKIP LOCKED). A row of a kind this code does not know is dropped, not returned."""
        ...

    async def settle(
        self,
        notification_id: UUID,
        status: str,
        at: datetime,
        *,
        retry_at: datetime | None = None,
        error: str | None = None,
    ) -> None: ...


class SendBudget(Protocol):
    """The messages a second one bot token may send, shared by every process sending on it."""

    async def take(self, cost: float = 1.0) -> float:
        """Reserve ``cost`` sends; the seconds to wait before sending them (0: at once)."""
        ...


class Unlimited:
    """No shared budget (one process, or a platform without a limit)."""

    async def take(self, cost: float = 1.0) -> float:
        return 0.0
