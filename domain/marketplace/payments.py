"""How a booking is paid and where it meets: the payment provider port and its manual default."""

from __future__ import annotations

import secrets
from typing import Protocol

from domain.marketplace.model import (
    Booking,
)


class PaymentProvider(Protocol):
    """Moves money. Statuses are the services' business; the provider does the transfer."""

    async def refund(self, booking: Booking) -> None: ...


class ManualPayments:
    """The built-in provider: experts and admins mark payments by hand, refunds too."""

    async def refund(self, booking: Booking) -> None:
        return None


def jitsi_room() -> str:
    """A Jitsi Meet room nobody can guess."""
    return f"https://meet.jit.si/syllabot-{secrets.token_urlsafe(18)}"
