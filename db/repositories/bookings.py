"""The bookings repository: requests, their lifecycle, feedback and the commission ledger."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any
from uuid import UUID

from sqlalchemy import (
    String,
    cast,
    false,
    func,
    or_,
    select,
    update,
)
from sqlalchemy.dialects.postgresql import insert

from db.models import (
    BookingMessageRow,
    BookingRow,
    CommissionRow,
    ExpertRow,
    SessionFeedbackRow,
)
from db.repositories.booking_rows import BOOKINGS, booking_from
from db.repositories.calendar import ADD_IF_FREE, holds_time, planned_records
from db.repositories.experts import _escape_like
from db.tx import Tx
from domain.marketplace.ledger_model import Earning, Payout
from domain.marketplace.model import (
    EARLIER_LESSON,
    REF_LENGTH,
    Booking,
    BookingMessage,
    BookingStatus,
    Decision,
    PaymentStatus,
)
from domain.notifications.model import NotificationKind, Planned


class SqlBookingRepository:
    def __init__(self, tx: Tx) -> None:
        self._tx = tx

    async def add(
        self,
        *,
        learner_id: UUID,
        expert_id: UUID,
        starts_at: datetime,
        minutes: int,
        price: Decimal,
        currency: str,
        expires_at: datetime,
    ) -> UUID:
        row = BookingRow(
            user_id=learner_id,
            expert_id=expert_id,
            session_date=starts_at,
            duration=minutes,
            status=BookingStatus.PENDING.value,
            payment_status=PaymentStatus.PENDING.value,
            price=price,
            currency=currency,
            expires_at=expires_at,
        )
        self._tx.orm.add(row)
        await self._tx.orm.flush()
        return row.id

    async def add_if_free(
        self,
        *,
        booking_id: UUID,
        learner_id: UUID,
        expert_user_id: UUID,
        expert_id: UUID,
        starts_at: datetime,
        minutes: int,
        price: Decimal,
        currency: str,
        expires_at: datetime,
        now: datetime,
        buffer: timedelta,
        cancel_notice: timedelta | None = None,
        reschedule_limit: int | None = None,
        trial: bool = False,
        series: tuple[UUID, int] | None = None,
        planned: Sequence[Planned] = (),
    ) -> tuple[UUID, datetime, Decimal, datetime] | None:
        """Add pending booking ``booking_id`` and notify the expert, unless held time overlaps
        the slot; ``planned`` (its nudges) are written with it, in the same statement.

        Held time is that of bookings holding it at ``now`` (``Booking.holds_time``), each
        widened by ``buffer``. One statement, run on the driver connection (it is the booking
        path's hot statement); call it under the expert's advisory lock, taken by
        ``SqlExpertRepository.lock_for_booking``, whose statement began the transaction.

        An occurrence of a series (``series``: its id and week) is added without a notice of
        its own: the expert is told of the series once (``series.book_series``).

        Returns:
            The new booking's id, start, price and expiry as stored; None if the time is held.
        """
        driver = await self._tx.driver()  # the lock's statement began the transaction
        row = await driver.fetchrow(
            ADD_IF_FREE.sql,
            *ADD_IF_FREE.args(
                {
                    "booking_id": booking_id,
                    "planned": planned_records(planned),
                    "learner_id": learner_id,
                    "expert_id": expert_id,
                    "notify": expert_user_id,
                    "notice": None if series else NotificationKind.BOOKING_REQUESTED.value,
                    "series_id": None if series is None else series[0],
                    "series_index": None if series is None else series[1],
                    "status": BookingStatus.PENDING.value,
                    "payment": PaymentStatus.PENDING.value,
                    "starts_at": starts_at,
                    "minutes": minutes,
                    "price": price,
                    "currency": currency,
                    "expires_at": expires_at,
                    "now": now,
                    "busy_from": starts_at - buffer,
                    "busy_until": starts_at + timedelta(minutes=minutes) + buffer,
                    "cancel_notice_hours": None
                    if cancel_notice is None
                    else int(cancel_notice.total_seconds() // 3600),
                    "reschedule_limit": reschedule_limit,
                    "trial": trial,
                }
            ),
        )
        return (
            None
            if row is None
            else (row["id"], row["session_date"], row["price"], row["expires_at"])
        )

    async def get(self, booking_id: UUID, *, lock: bool = False) -> Booking | None:
        query = BOOKINGS.where(BookingRow.id == booking_id)
        if lock:
            query = query.with_for_update(of=BookingRow)
        row = (await self._tx.orm.execute(query)).first()
        return None if row is None else booking_from(row)

    async def find(self, user_id: UUID | None, ref: str) -> list[Booking]:
        """Bookings of ``user_id`` (as learner or expert; None: anyone's) whose id starts
        with ``ref``."""
        query = BOOKINGS.where(_HEX.like(_escape_like(ref.lower()) + "%", escape="\\"))
        if user_id is not None:
            query = query.where(_of(user_id))
        return [booking_from(row) for row in await self._tx.orm.execute(query)]

    async def booked_before(self, learner_id: UUID, expert_id: UUID) -> bool:
        earlier = [status.value for status in EARLIER_LESSON]
        query = select(BookingRow.id).where(
            BookingRow.user_id == learner_id,
            BookingRow.expert_id == expert_id,
            BookingRow.status.in_(earlier),
        )
        return (await self._tx.orm.scalar(query.limit(1))) is not None

    async def sharing_refs(self, user_id: UUID | None, ids: list[UUID]) -> list[UUID]:
        """Ids of the bookings ``user_id`` can see (None: all) whose short reference is that
        of one of ``ids``."""
        if not ids:
            return []
        prefixes = sorted({i.hex[:REF_LENGTH] for i in ids})
        query = (
            select(BookingRow.id)
            .join(ExpertRow, ExpertRow.id == BookingRow.expert_id)
            .where(func.left(_HEX, REF_LENGTH).in_(prefixes))
        )
        if user_id is not None:
            query = query.where(_of(user_id))
        return list(await self._tx.orm.scalars(query))

    async def for_user(self, user_id: UUID) -> list[Booking]:
        rows = await self._tx.orm.execute(
            BOOKINGS.where(_of(user_id)).order_by(BookingRow.session_date.desc()).limit(50)
        )
        return [booking_from(row) for row in rows]

    async def update(self, booking_id: UUID, **values: Any) -> None:
        await self._tx.orm.execute(
            update(BookingRow).where(BookingRow.id == booking_id).values(**values)
        )

    async def save_feedback(
        self,
        booking_id: UUID,
        *,
        rating: int | None = None,
        review: str | None = None,
        expert_notes: str | None = None,
    ) -> None:
        values = {
            k: v
            for k, v in {"rating": rating, "review": review, "expert_notes": expert_notes}.items()
            if v is not None
        }
        await self._tx.orm.execute(
            insert(SessionFeedbackRow)
            .values(booking_id=booking_id, **values)
            .on_conflict_do_update(index_elements=[SessionFeedbackRow.booking_id], set_=values)
        )

    async def refresh_expert_stats(self, expert_id: UUID) -> None:
        """Recompute the expert's average rating, rating count and completed sessions."""
        rating = (
            select(func.coalesce(func.round(func.avg(SessionFeedbackRow.rating), 2), 0))
            .join(BookingRow, BookingRow.id == SessionFeedbackRow.booking_id)
            .where(BookingRow.expert_id == expert_id, SessionFeedbackRow.rating.is_not(None))
            .scalar_subquery()
        )
        sessions = (
            select(func.count())
            .where(
                BookingRow.expert_id == expert_id,
                BookingRow.status == BookingStatus.COMPLETED.value,
            )
            .scalar_subquery()
        )
        ratings = (
            select(func.count(SessionFeedbackRow.rating))
            .join(BookingRow, BookingRow.id == SessionFeedbackRow.booking_id)
            .where(BookingRow.expert_id == expert_id)
            .scalar_subquery()
        )
        await self._tx.orm.execute(
            update(ExpertRow)
            .where(ExpertRow.id == expert_id)
            .values(average_rating=rating, total_sessions=sessions, rating_count=ratings)
        )

    async def add_commission(
        self,
        booking_id: UUID,
        *,
        commission: Decimal,
        earnings: Decimal,
        rate: Decimal,
        currency: str,
        refund: Decimal = Decimal(0),
        payable_at: datetime | None = None,
        decision: Decision | None = None,
    ) -> bool:
        """Record the ledger row once; False if the booking already has one."""
        result = await self._tx.orm.execute(
            insert(CommissionRow)
            .values(
                booking_id=booking_id,
                platform_commission=commission,
                expert_earnings=earnings,
                rate=rate,
                currency=currency,
                learner_refund=refund,
                payable_at=payable_at,
                decision=None if decision is None else decision.value,
            )
            .on_conflict_do_nothing(index_elements=[CommissionRow.booking_id])
            .returning(CommissionRow.id)
        )
        return result.first() is not None

    async def earnings(self, expert_id: UUID, zone: str, now: datetime) -> list[Earning]:
        month = func.to_char(func.timezone(zone, BookingRow.session_date), "YYYY-MM")
        paid = CommissionRow.status == "paid"
        payable = paid | func.coalesce(CommissionRow.payable_at <= now, false())  # NULL: held
        earned = CommissionRow.expert_earnings

        def total(column: Any, *where: Any) -> Any:
            return func.coalesce(func.sum(column).filter(*where), 0)

        rows = await self._tx.orm.execute(
            select(
                month,
                CommissionRow.currency,
                func.count().filter(payable),
                total(BookingRow.price - CommissionRow.learner_refund, payable),
                total(CommissionRow.platform_commission, payable),
                total(earned, payable),
                total(earned, paid),
                total(earned, payable, ~paid),
                total(earned, ~payable),
            )
            .join(BookingRow, BookingRow.id == CommissionRow.booking_id)
            .where(BookingRow.expert_id == expert_id)
            .group_by(month, CommissionRow.currency)
            .order_by(month.desc())
        )
        return [Earning(*row) for row in rows]

    async def ended_unmarked(self, now: datetime, *, since: datetime) -> list[Booking]:
        """Scheduled sessions that started after ``since`` and have ended by ``now``."""
        ends = BookingRow.session_date + func.make_interval(0, 0, 0, 0, 0, BookingRow.duration)
        rows = await self._tx.orm.execute(
            BOOKINGS.where(
                BookingRow.status == BookingStatus.SCHEDULED.value,
                BookingRow.session_date >= since,
                ends <= now,
            )
        )
        return [booking_from(row) for row in rows]

    async def lapsed_pending(self, now: datetime) -> list[Booking]:
        """Requests that have stopped holding time by ``now`` (``Booking.holds_time``)."""
        rows = await self._tx.orm.execute(
            BOOKINGS.where(
                BookingRow.status == BookingStatus.PENDING.value, ~holds_time(BookingRow, now)
            ).with_for_update(of=BookingRow, skip_locked=True)
        )
        return [booking_from(row) for row in rows]

    async def pay_out(self, now: datetime) -> list[Payout]:
        """Mark paid every pending commission row payable at ``now`` (a held row's
        ``payable_at`` is NULL); what that paid each expert, per currency."""
        paid = (
            update(CommissionRow)
            .where(CommissionRow.status == "pending", CommissionRow.payable_at <= now)
            .values(status="paid", payment_date=now)
            .returning(CommissionRow.booking_id, CommissionRow.expert_earnings)
            .cte("paid")
        )
        rows = await self._tx.orm.execute(
            select(
                ExpertRow.user_id,
                BookingRow.currency,
                func.count(),
                func.sum(paid.c.expert_earnings),
            )
            .select_from(paid)
            .join(BookingRow, BookingRow.id == paid.c.booking_id)
            .join(ExpertRow, ExpertRow.id == BookingRow.expert_id)
            .group_by(ExpertRow.user_id, BookingRow.currency)
        )
        return [Payout(user, currency, count, amount) for user, currency, count, amount in rows]

    async def add_message(
        self, booking_id: UUID, sender_id: UUID, body: str, now: datetime
    ) -> UUID:
        row = BookingMessageRow(
            booking_id=booking_id, sender_id=sender_id, body=body, created_at=now
        )
        self._tx.orm.add(row)
        await self._tx.orm.flush()
        return row.id

    async def message(self, message_id: UUID) -> BookingMessage | None:
        row = await self._tx.orm.get(BookingMessageRow, message_id)
        if row is None:
            return None
        return BookingMessage(row.id, row.booking_id, row.sender_id, row.body, row.created_at)


# A booking id as the hex its references are made of.
_HEX = func.replace(cast(BookingRow.id, String), "-", "")


def _of(user_id: UUID) -> Any:
    """The bookings ``user_id`` is a side of (needs ``ExpertRow`` joined)."""
    return or_(BookingRow.user_id == user_id, ExpertRow.user_id == user_id)
