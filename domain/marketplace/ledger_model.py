"""The commission ledger as read back: an expert's earnings by month and what a payout run
paid (the rows themselves are written by ``bookings.act`` and ``disputes``; their amounts by
``rules.settle``)."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from uuid import UUID


@dataclass(frozen=True)
class Payout:
    """What one payout run paid one expert, in one currency."""

    expert_user_id: UUID
    currency: str
    sessions: int
    amount: Decimal


@dataclass(frozen=True)
class Earning:
    month: str  # "2026-11", in the expert's zone
    currency: str
    sessions: int
    gross: Decimal
    commission: Decimal
    earnings: Decimal
    paid: Decimal
    pending: Decimal
    held: Decimal = Decimal("0")  # not payable yet: waiting for the learner, or disputed
