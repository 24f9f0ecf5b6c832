"""The notification worker: claims due notifications from the outbox and sends them.

Any number of workers may run against one database (inside ``syllabot run`` and as separate
``syllabot worker`` processes); ``domain.dispatch`` makes sure each notification is sent once.
A ``Courier`` per platform does the sending (the Telegram adapter is one).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol

from bot.handlers import notices
from bot.handlers.base import Context, Reply
from domain import dispatch
from domain.dispatch import Due, Outcome

logger = logging.getLogger(__name__)

MAX_ATTEMPTS = 5


@dataclass(frozen=True)
class Delivery:
    """What a platform said: sent, blocked by the person, or come back after ``retry_after``."""

    sent: bool = False
    blocked: bool = False
    retry_after: float | None = None


SENT = Delivery(sent=True)
BLOCKED = Delivery(blocked=True)


class Courier(Protocol):
    async def send(self, chat_id: str, reply: Reply) -> Delivery:
        """Send one message to a chat on this courier's platform."""
        ...


class NotificationWorker:
    def __init__(
        self,
        ctx: Context,
        couriers: dict[str, Courier],
        *,
        batch: int = 500,
        lease: timedelta = dispatch.LEASE,
    ) -> None:
        self.ctx, self.couriers, self.batch, self.lease = ctx, couriers, batch, lease

    async def run_once(self) -> int:
        """Claim one batch, deliver it, record the outcomes; returns how many were claimed."""
        claimed = await dispatch.claim(
            self.ctx.uow(), self.ctx.clock, limit=self.batch, lease=self.lease
        )
        outcomes = [await self._deliver(due) for due in claimed]
        if outcomes:
            await dispatch.settle(self.ctx.uow(), self.ctx.clock, outcomes)
        return len(claimed)

    async def drain(self) -> int:
        """Deliver batches until nothing is due; returns how many were claimed in all."""
        total = 0
        while claimed := await self.run_once():
            total += claimed
        return total

    async def _deliver(self, due: Due) -> tuple[Due, Outcome, datetime | None, str | None]:
        now = self.ctx.clock.now()
        if due.expires_at is not None and now > due.expires_at:
            return due, Outcome.DROPPED, None, "too late"
        try:
            reply = await notices.render(self.ctx, due.user_id, due.kind, due.data)
            if reply is None:
                return due, Outcome.DROPPED, None, "no longer applies"
            destinations = await dispatch.destinations(
                due.user_id, set(self.couriers), self.ctx.uow()
            )
            if not destinations:
                return due, Outcome.DROPPED, None, "no reachable chat"
            platform, chat_id = destinations[0]
            result = await self.couriers[platform].send(chat_id, reply)
        except Exception as error:  # a bug or an outage: retry a few times, then give up
            logger.exception("delivering notification %s failed", due.id)
            if due.attempts >= MAX_ATTEMPTS:
                return due, Outcome.FAILED, None, repr(error)[:500]
            return due, Outcome.RETRY, now + timedelta(minutes=due.attempts), repr(error)[:500]
        if result.sent:
            return due, Outcome.SENT, None, None
        if result.blocked:
            await dispatch.mark_blocked(due.user_id, platform, chat_id, self.ctx.uow(), now)
            return due, Outcome.DROPPED, None, f"blocked on {platform}"
        wait = timedelta(seconds=result.retry_after or 1)
        return due, Outcome.RETRY, now + wait, f"retry after {wait}"
