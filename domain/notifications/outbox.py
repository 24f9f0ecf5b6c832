"""The outbox of notifications: what is due for a user, taken exactly once."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from domain.shared.clock import Clock
from domain.unit_of_work import UnitOfWork


async def take_due(
    user_id: UUID, uow: UnitOfWork, clock: Clock
) -> list[tuple[str, dict[str, Any]]]:
    """The user's due notifications, marked sent in the same transaction (at most once)."""
    async with uow:
        due = await uow.notifications.take_due(user_id, clock.now())
        await uow.commit()
    return due
