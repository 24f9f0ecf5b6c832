"""Delivering the outbox: workers claim due notifications, send them, and record the outcome.

A claim is a lease: the claiming worker has ``LEASE`` to settle each row; if it dies, the rows
become claimable again when the lease runs out, so another worker sends them. Two workers
never hold one row at once (``FOR UPDATE SKIP LOCKED``), so each notification is sent once,
unless a worker dies after sending and before settling (then at most once more: the lease is
the trade between never losing a reminder and never repeating one).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any
from uuid import UUID

from domain.ports import Clock, UnitOfWork

LEASE = timedelta(minutes=2)


@dataclass(frozen=True)
class Due:
    """A claimed notification."""

    id: UUID
    user_id: UUID
    kind: str
    data: dict[str, Any]
    due_at: datetime
    expires_at: datetime | None
    attempts: int


class Outcome(StrEnum):
    SENT = "sent"
    DROPPED = "dropped"  # too late, no longer applies, or nowhere to send it
    FAILED = "failed"  # gave up after retries
    RETRY = "pending"  # try again later


async def claim(
    uow: UnitOfWork, clock: Clock, *, limit: int, lease: timedelta = LEASE
) -> list[Due]:
    """Lease up to ``limit`` due notifications (committed before this returns)."""
    async with uow:
        due = await uow.notifications.claim(clock.now(), lease, limit)
        await uow.commit()
    return due


async def settle(
    uow: UnitOfWork,
    clock: Clock,
    outcomes: list[tuple[Due, Outcome, datetime | None, str | None]],
) -> None:
    """Record the outcomes of a batch: (notification, outcome, retry at, error)."""
    async with uow:
        for due, outcome, retry_at, error in outcomes:
            await uow.notifications.settle(
                due.id, outcome.value, clock.now(), retry_at=retry_at, error=error
            )
        await uow.commit()


async def destinations(
    user_id: UUID, platforms: set[str], uow: UnitOfWork
) -> list[tuple[str, str]]:
    """Where the user can be reached: (platform, chat id), most recently used first, leaving
    out platforms with no courier and chats where the user blocked the bot."""
    async with uow:
        return [
            (platform, chat_id)
            for platform, chat_id in await uow.users.reachable(user_id)
            if platform in platforms
        ]


async def mark_blocked(
    user_id: UUID, platform: str, chat_id: str, uow: UnitOfWork, at: datetime
) -> None:
    """Stop sending to a chat where the user blocked the bot (until they write again)."""
    async with uow:
        await uow.users.mark_blocked(user_id, platform, chat_id, at)
        await uow.commit()
