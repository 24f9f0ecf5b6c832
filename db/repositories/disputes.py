"""The disputes repository: problems reported with bookings, and the ledger rows they hold."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any
from uuid import UUID

from sqlalchemy import func, select, update
from sqlalchemy.dialects.postgresql import insert

from db.models import BookingDisputeRow, BookingRow, CommissionRow
from db.repositories.booking_rows import BOOKINGS, booking_from
from db.tx import Tx
from domain.marketplace.dispute_model import Dispute, ProblemKind
from domain.marketplace.model import DURATIONS, Booking, BookingStatus, Decision, Role

# The sessions whose learner is asked whether they happened.
_ASKED = (BookingStatus.SCHEDULED.value, BookingStatus.COMPLETED.value)


class SqlDisputeRepository:
    def __init__(self, tx: Tx) -> None:
        self._tx = tx

    async def add(
        self,
        booking_id: UUID,
        opened_by: Role,
        kind: ProblemKind,
        details: str | None,
        now: datetime,
    ) -> bool:
        result = await self._tx.orm.execute(
            insert(BookingDisputeRow)
            .values(
                booking_id=booking_id,
                opened_by=opened_by.value,
                kind=kind.value,
                details=details,
                opened_at=now,
            )
            .on_conflict_do_nothing(index_elements=[BookingDisputeRow.booking_id])
            .returning(BookingDisputeRow.id)
        )
        return result.first() is not None

    async def get(self, booking_id: UUID) -> Dispute | None:
        row = await self._tx.orm.scalar(
            select(BookingDisputeRow).where(BookingDisputeRow.booking_id == booking_id)
        )
        return None if row is None else _dispute(row)

    async def answer(self, booking_id: UUID, text: str, now: datetime) -> None:
        await self._tx.orm.execute(
            update(BookingDisputeRow)
            .where(BookingDisputeRow.booking_id == booking_id)
            .values(answer=text, answered_at=now)
        )

    async def decide(
        self, booking_id: UUID, decision: Decision, by: UUID | None, now: datetime
    ) -> None:
        await self._tx.orm.execute(
            update(BookingDisputeRow)
            .where(BookingDisputeRow.booking_id == booking_id)
            .values(decision=decision.value, decided_by=by, decided_at=now)
        )

    async def open(self, limit: int) -> list[Dispute]:
        rows = await self._tx.orm.scalars(
            select(BookingDisputeRow)
            .where(BookingDisputeRow.decided_at.is_(None))
            .order_by(BookingDisputeRow.opened_at)
            .limit(limit)
        )
        return [_dispute(row) for row in rows]

    async def count_open(self) -> int:
        count = await self._tx.orm.scalar(
            select(func.count()).where(BookingDisputeRow.decided_at.is_(None))
        )
        return int(count or 0)

    async def lock_ledger(self, booking_id: UUID) -> str | None:
        status: str | None = await self._tx.orm.scalar(
            select(CommissionRow.status)
            .where(CommissionRow.booking_id == booking_id)
            .with_for_update()
        )
        return status

    async def set_ledger(self, booking_id: UUID, **values: Any) -> None:
        await self._tx.orm.execute(
            update(CommissionRow).where(CommissionRow.booking_id == booking_id).values(**values)
        )

    async def to_ask(self, now: datetime, since: datetime) -> list[Booking]:
        ends = BookingRow.session_date + func.make_interval(0, 0, 0, 0, 0, BookingRow.duration)
        rows = await self._tx.orm.execute(
            BOOKINGS.where(
                BookingRow.status.in_(_ASKED),
                BookingRow.happened_at.is_(None),
                BookingDisputeRow.id.is_(None),
                BookingRow.session_date >= since - timedelta(minutes=max(DURATIONS)),  # the index
                ends <= now,
                ends > since,
            )
        )
        return [booking_from(row) for row in rows]


def _dispute(row: BookingDisputeRow) -> Dispute:
    return Dispute(
        booking_id=row.booking_id,
        opened_by=Role(row.opened_by),
        kind=ProblemKind(row.kind),
        details=row.details,
        opened_at=row.opened_at,
        answer=row.answer,
        answered_at=row.answered_at,
        decision=None if row.decision is None else Decision(row.decision),
        decided_at=row.decided_at,
    )
