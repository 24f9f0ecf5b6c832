"""The bookings repository: requests, their lifecycle, feedback and the commission ledger."""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any
from uuid import UUID

from sqlalchemy import (
    String,
    cast,
    func,
    or_,
    select,
    update,
)
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.orm import aliased

from db.models import (
    BookingMessageRow,
    BookingRow,
    BookingSeriesRow,
    CommissionRow,
    CurriculumRow,
    ExpertRow,
    HomeworkRow,
    SessionFeedbackRow,
    UserRow,
)
from db.repositories.calendar import ADD_IF_FREE, holds_time
from db.repositories.experts import _escape_like
from db.tx import Tx
from domain.marketplace.model import (
    DELETED_ACCOUNT,
    DELETED_NAME,
    EARLIER_LESSON,
    REF_LENGTH,
    Booking,
    BookingMessage,
    BookingStatus,
    CancelKind,
    Earning,
    PaymentStatus,
    Payout,
)
from domain.marketplace.share_model import SHAREABLE
from domain.notifications.model import NotificationKind

_Learner = aliased(UserRow, name="learner")
_Shared = aliased(CurriculumRow, name="shared_plan")
_Plans = aliased(CurriculumRow, name="plans")
# How many plans the learner could share (``Booking.shareable_plans``).
_SHAREABLE = (
    select(func.count())
    .where(
        _Plans.user_id == BookingRow.user_id,
        _Plans.status.in_([status.value for status in SHAREABLE]),
    )
    .correlate(BookingRow)
    .scalar_subquery()
)


# A booking with the names and zones both sides need, and whether it was rated; built once.
_BOOKINGS = (
    select(
        BookingRow,
        ExpertRow.user_id.label("expert_user_id"),
        ExpertRow.display_name,
        ExpertRow.timezone.label("expert_timezone"),
        _Learner.name.label("learner_name"),
        _Learner.timezone.label("learner_timezone"),
        SessionFeedbackRow.rating,
        SessionFeedbackRow.review,
        SessionFeedbackRow.expert_notes,
        BookingSeriesRow.weeks.label("series_weeks"),
        _Shared.title.label("shared_plan_title"),
        _SHAREABLE.label("shareable_plans"),
        HomeworkRow.id.label("homework_id"),
        HomeworkRow.accepted.label("homework_answer"),
    )
    .outerjoin(ExpertRow, ExpertRow.id == BookingRow.expert_id)  # NULL: a deleted account
    .outerjoin(_Learner, _Learner.id == BookingRow.user_id)
    .outerjoin(SessionFeedbackRow, SessionFeedbackRow.booking_id == BookingRow.id)
    .outerjoin(BookingSeriesRow, BookingSeriesRow.id == BookingRow.series_id)
    .outerjoin(_Shared, _Shared.id == BookingRow.shared_curriculum_id)
    .outerjoin(HomeworkRow, HomeworkRow.booking_id == BookingRow.id)
)


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
    ) -> tuple[UUID, datetime, Decimal, datetime] | None:
        """Add a pending booking and notify the expert, unless held time overlaps the slot.

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
        query = _BOOKINGS.where(BookingRow.id == booking_id)
        if lock:
            query = query.with_for_update(of=BookingRow)
        row = (await self._tx.orm.execute(query)).first()
        return None if row is None else _booking(row)

    async def find(self, user_id: UUID | None, ref: str) -> list[Booking]:
        """Bookings of ``user_id`` (as learner or expert; None: anyone's) whose id starts
        with ``ref``."""
        query = _BOOKINGS.where(_HEX.like(_escape_like(ref.lower()) + "%", escape="\\"))
        if user_id is not None:
            query = query.where(_of(user_id))
        return [_booking(row) for row in await self._tx.orm.execute(query)]

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
            _BOOKINGS.where(_of(user_id)).order_by(BookingRow.session_date.desc()).limit(50)
        )
        return [_booking(row) for row in rows]

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
            )
            .on_conflict_do_nothing(index_elements=[CommissionRow.booking_id])
            .returning(CommissionRow.id)
        )
        return result.first() is not None

    async def earnings(self, expert_id: UUID, zone: str) -> list[Earning]:
        month = func.to_char(func.timezone(zone, BookingRow.session_date), "YYYY-MM")
        paid = CommissionRow.status == "paid"
        rows = await self._tx.orm.execute(
            select(
                month,
                CommissionRow.currency,
                func.count(),
                func.sum(BookingRow.price),
                func.sum(CommissionRow.platform_commission),
                func.sum(CommissionRow.expert_earnings),
                func.coalesce(func.sum(CommissionRow.expert_earnings).filter(paid), 0),
                func.coalesce(func.sum(CommissionRow.expert_earnings).filter(~paid), 0),
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
            _BOOKINGS.where(
                BookingRow.status == BookingStatus.SCHEDULED.value,
                BookingRow.session_date >= since,
                ends <= now,
            )
        )
        return [_booking(row) for row in rows]

    async def lapsed_pending(self, now: datetime) -> list[Booking]:
        """Requests that have stopped holding time by ``now`` (``Booking.holds_time``)."""
        rows = await self._tx.orm.execute(
            _BOOKINGS.where(
                BookingRow.status == BookingStatus.PENDING.value, ~holds_time(BookingRow, now)
            ).with_for_update(of=BookingRow, skip_locked=True)
        )
        return [_booking(row) for row in rows]

    async def pay_out(self, now: datetime) -> list[Payout]:
        """Mark every pending commission row paid; what that paid each expert, per currency."""
        paid = (
            update(CommissionRow)
            .where(CommissionRow.status == "pending")
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


def _booking(row: Any) -> Booking:
    b: BookingRow = row[0]
    return Booking(
        id=b.id,
        learner_id=b.user_id or DELETED_ACCOUNT,
        expert_id=b.expert_id or DELETED_ACCOUNT,
        expert_user_id=row.expert_user_id or DELETED_ACCOUNT,
        expert_name=row.display_name or DELETED_NAME,
        learner_name=row.learner_name or DELETED_NAME,
        starts_at=b.session_date,
        minutes=b.duration,
        status=BookingStatus(b.status or "scheduled"),
        payment_status=PaymentStatus(b.payment_status or "pending"),
        price=b.price,
        currency=b.currency,
        meeting_link=b.meeting_link,
        cancel_reason=b.cancel_reason,
        expires_at=b.expires_at,
        proposed_start=b.proposed_start,
        proposed_by=b.proposed_by,
        move_reason=b.move_reason,
        has_feedback=row.rating is not None,
        expert_timezone=row.expert_timezone,
        learner_timezone=row.learner_timezone or "UTC",
        cancel_kind=None if b.cancel_kind is None else CancelKind(b.cancel_kind),
        cancelled_at=b.cancelled_at,
        cancelled_by=b.cancelled_by,
        rating=row.rating,
        review=row.review,
        expert_notes=row.expert_notes,
        cancel_notice=None
        if b.cancel_notice_hours is None
        else timedelta(hours=b.cancel_notice_hours),
        reschedule_limit=b.reschedule_limit,
        reschedules=b.reschedules or 0,
        trial=bool(b.trial),
        series_id=b.series_id,
        series_index=b.series_index,
        series_weeks=row.series_weeks,
        invite_sequence=b.invite_sequence,
        invited_at=b.invited_at,
        shared_curriculum_id=b.shared_curriculum_id,
        shared_plan_title=row.shared_plan_title,
        shareable_plans=row.shareable_plans or 0,
        homework_id=row.homework_id,
        homework_answer=row.homework_answer,
    )
