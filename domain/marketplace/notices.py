"""Telling a booking's side what happened: through the notification outbox, in the same
transaction as the change, and never to a side whose account was deleted (``/delete_me``)."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

from domain.marketplace.model import DELETED_ACCOUNT
from domain.notifications.model import NotificationKind
from domain.unit_of_work import UnitOfWork


async def tell(
    uow: UnitOfWork, user_id: UUID, kind: NotificationKind, data: dict[str, Any], now: datetime
) -> None:
    """Queue ``kind`` for ``user_id`` unless that side of the booking is a deleted account."""
    if user_id != DELETED_ACCOUNT:
        await uow.notifications.add(user_id, kind, data, now)
