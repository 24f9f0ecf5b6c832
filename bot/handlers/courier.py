"""What a platform said to a message sent to it, and the courier that sends one: the contract
between the notification worker and each adapter."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from bot.handlers.base import Reply
from domain.notifications.ports import SendBudget, Unlimited  # for the adapters

__all__ = ["BLOCKED", "SENT", "Courier", "Delivery", "SendBudget", "Unlimited"]


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
