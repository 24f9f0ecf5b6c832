"""A booking as every repository reads it: one query with the names and zones both sides
need, its rating, series, after-session state and shared plan, and the row's ``Booking``."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import aliased

from db.models import (
    BookingDisputeRow,
    BookingRow,
    BookingSeriesRow,
    CommissionRow,
    CurriculumRow,
    ExpertRow,
    HomeworkRow,
    SessionFeedbackRow,
    UserRow,
)
from domain.marketplace.model import (
    DELETED_ACCOUNT,
    DELETED_NAME,
    Booking,
    BookingStatus,
    CancelKind,
    Decision,
    DisputeMark,
    PaymentStatus,
    Role,
)
from domain.marketplace.share_model import SHAREABLE

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
BOOKINGS = (
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
        BookingDisputeRow.opened_by.label("dispute_by"),  # 0025: after the session
        BookingDisputeRow.answered_at.label("dispute_answered_at"),
        BookingDisputeRow.decision.label("dispute_decision"),
        CommissionRow.status.label("ledger_status"),
        _Shared.title.label("shared_plan_title"),
        _SHAREABLE.label("shareable_plans"),
        HomeworkRow.id.label("homework_id"),
        HomeworkRow.accepted.label("homework_answer"),
    )
    .outerjoin(ExpertRow, ExpertRow.id == BookingRow.expert_id)  # NULL: a deleted account
    .outerjoin(_Learner, _Learner.id == BookingRow.user_id)
    .outerjoin(SessionFeedbackRow, SessionFeedbackRow.booking_id == BookingRow.id)
    .outerjoin(BookingSeriesRow, BookingSeriesRow.id == BookingRow.series_id)
    .outerjoin(BookingDisputeRow, BookingDisputeRow.booking_id == BookingRow.id)
    .outerjoin(CommissionRow, CommissionRow.booking_id == BookingRow.id)
    .outerjoin(_Shared, _Shared.id == BookingRow.shared_curriculum_id)
    .outerjoin(HomeworkRow, HomeworkRow.booking_id == BookingRow.id)
)


def booking_from(row: Any) -> Booking:
    """The ``Booking`` of a row of ``BOOKINGS``."""
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
        happened_at=b.happened_at,
        dispute=None
        if row.dispute_by is None
        else DisputeMark(
            Role(row.dispute_by),
            row.dispute_answered_at is not None,
            None if row.dispute_decision is None else Decision(row.dispute_decision),
        ),
        paid_out=row.ledger_status == "paid",
        shared_curriculum_id=b.shared_curriculum_id,
        shared_plan_title=row.shared_plan_title,
        shareable_plans=row.shareable_plans or 0,
        homework_id=row.homework_id,
        homework_answer=row.homework_answer,
    )
