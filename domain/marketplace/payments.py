"""How a booking is paid and where it meets: the payment provider port and its manual default,
the expert's earnings and the payout run."""

from __future__ import annotations

import secrets
from datetime import datetime
from decimal import Decimal
from typing import Protocol
from uuid import UUID

from domain.marketplace.ledger_model import Earning
from domain.marketplace.model import Booking, Policy
from domain.marketplace.notices import tell
from domain.marketplace.rules import payable_at, settle
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


async def earnings(user_id: UUID, uow: UnitOfWork, clock: Clock) -> list[Earning]:
    """The expert's earnings by month (in their zone): what is payable, of it what is paid out
    and pending, and what is held (the learner has not said yes yet, or a problem is open)."""
    async with uow:
        expert = await uow.experts.by_user(user_id)
        if expert is None:
            raise NotFound("Only experts have earnings. See /become_expert.")
        return await uow.bookings.earnings(expert.id, expert.timezone, clock.now())


def ledger_values(booking: Booking, policy: Policy, now: datetime) -> dict[str, object]:
    """The columns of ``booking``'s ledger row: its amounts (its dispute's decision applied,
    if any: ``rules.settle``) and when it becomes payable (``rules.payable_at``)."""
    decision = None if booking.dispute is None else booking.dispute.decision
    commission, earned, refund = settle(booking.price, policy.commission_rate, decision)
    return {
        "platform_commission": commission,
        "expert_earnings": earned,
        "learner_refund": refund,
        "payable_at": payable_at(booking, policy, now),
        "decision": None if decision is None else decision.value,
    }


async def record_ledger(uow: UnitOfWork, booking: Booking, policy: Policy, now: datetime) -> None:
    """Write ``booking``'s one ledger row (a second call changes nothing)."""
    decision = None if booking.dispute is None else booking.dispute.decision
    commission, earned, refund = settle(booking.price, policy.commission_rate, decision)
    await uow.bookings.add_commission(
        booking.id,
        commission=commission,
        earnings=earned,
        rate=policy.commission_rate,
        currency=booking.currency,
        refund=refund,
        payable_at=payable_at(booking, policy, now),
        decision=decision,
    )


async def pay_out(uow: UnitOfWork, clock: Clock) -> tuple[int, Decimal]:
    """Mark every payable, unpaid commission row paid (the payout run: never a row held by a
    problem or still waiting for the learner) and tell each expert what was paid to them;
    returns (rows, total)."""
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
