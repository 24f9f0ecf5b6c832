"""The booking series repository: a weekly series and its occurrences (``bookings.series_id``)."""

from __future__ import annotations

from datetime import time
from uuid import UUID

from db.models import BookingRow, BookingSeriesRow
from db.repositories.booking_rows import BOOKINGS, booking_from
from db.tx import Tx
from domain.marketplace.model import Booking


class SqlSeriesRepository:
    def __init__(self, tx: Tx) -> None:
        self._tx = tx

    async def add(
        self,
        *,
        learner_id: UUID,
        expert_id: UUID,
        weekday: int,
        local_time: time,
        timezone: str,
        weeks: int,
        minutes: int,
    ) -> UUID:
        row = BookingSeriesRow(
            learner_id=learner_id,
            expert_id=expert_id,
            weekday=weekday,
            local_time=local_time,
            timezone=timezone,
            weeks=weeks,
            minutes=minutes,
        )
        self._tx.orm.add(row)
        await self._tx.orm.flush()
        return row.id

    async def occurrences(self, series_id: UUID, *, lock: bool = False) -> list[Booking]:
        """The series' bookings, soonest first (with ``lock``, each row locked for update)."""
        query = BOOKINGS.where(BookingRow.series_id == series_id).order_by(
            BookingRow.session_date, BookingRow.id
        )
        if lock:
            query = query.with_for_update(of=BookingRow)
        return [booking_from(row) for row in await self._tx.orm.execute(query)]
