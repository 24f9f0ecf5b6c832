"""How a booking is paid and where it meets: the payment provider port and its manual default,
the expert's earnings and the payout run."""

from __future__ import annotations

import secrets
from decimal import Decimal
from typing import Protocol
from uuid import UUID

from domain.marketplace.model import Booking, Earning
from domain.marketplace.notices import tell
from domain.notifications.model import NotificationKind
from domain.shared.clock import Clock
from domain.shared.errors import NotFound
from domain.unit_of_work import UnitOfWork


class PaymentProvider(Protocol):
    """Moves money. Statuses are the services' business; the provider does the transfer."""

    async def refund(self, booking: Booking) -> bool:
        """Send the booking's payment back; False if that is left to a person to do."""
        ...


class ManualPayments:
    """The built-in provider: experts and admins mark payments by hand, refunds too."""

    async def refund(self, booking: Booking) -> bool:
        return False  # a refund is owed until the expert or an admin marks it made


def jitsi_room() -> str:
    """A Jitsi Meet room nobody can guess."""
    return f"https://meet.jit.si/syllabot-{secrets.token_urlsafe(18)}"


async def earnings(user_id: UUID, uow: UnitOfWork) -> list[Earning]:
    """The expert's earnings by month (in their zone) with what is paid out and pending."""
    async with uow:
        expert = await uow.experts.by_user(user_id)
        if expert is None:
            raise NotFound("Only experts have earnings. See /become_expert.")
        return await uow.bookings.earnings(expert.id, expert.timezone)


async def pay_out(uow: UnitOfWork, clock: Clock) -> tuple[int, Decimal]:
    """Mark every pending commission row paid (the payout run) and tell each expert what was
    paid to them; returns (rows, total)."""
    now = clock.now()
    async with uow:
        payouts = await uow.bookings.pay_out(now)
        for payout in payouts:
            data = {
                "amount": str(payout.amount),
                "currency": payout.currency,
                "sessions": payout.sessions,
            }
            await tell(uow, payout.expert_user_id, NotificationKind.PAYOUT_MADE, data, now)
        await uow.commit()
    rows = sum(p.sessions for p in payouts)
    return rows, sum((p.amount for p in payouts), Decimal("0"))
