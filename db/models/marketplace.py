"""Tables of the marketplace context."""

from __future__ import annotations

import uuid
from datetime import date, datetime, time
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Date,
    ForeignKey,
    Index,
    Integer,
    Numeric,
    SmallInteger,
    String,
    Text,
    Time,
    UniqueConstraint,
    Uuid,
    text,
)
from sqlalchemy.dialects.postgresql import ARRAY, JSONB
from sqlalchemy.orm import Mapped, mapped_column

from db.models.base import TIMESTAMPTZ, Base, _fk, _id, _stamp


class ExpertRow(Base):
    __tablename__ = "experts"
    __table_args__ = (
        Index("idx_experts_verification_status", "verification_status"),
        Index("idx_experts_average_rating", "average_rating"),
        UniqueConstraint("user_id"),  # 0003: one profile per user
        CheckConstraint(
            "hourly_rate_min > 0 AND hourly_rate_min <= hourly_rate_max", name="rate_range"
        ),
        CheckConstraint(
            "verification_status IN ('pending', 'verified', 'rejected', 'suspended')",  # 0010
            name="verification_status",
        ),
        CheckConstraint(  # 0021
            "cancel_notice_hours >= 0 AND trial_price > 0 AND reschedule_limit >= 0",
            name="policies",
        ),
    )

    id: Mapped[uuid.UUID] = _id()
    user_id: Mapped[uuid.UUID | None] = _fk("users.id")
    display_name: Mapped[str] = mapped_column(String(255))
    bio: Mapped[str | None] = mapped_column(Text)
    credentials: Mapped[str | None] = mapped_column(Text)
    hourly_rate_min: Mapped[Decimal] = mapped_column(Numeric(10, 2))
    hourly_rate_max: Mapped[Decimal] = mapped_column(Numeric(10, 2))
    timezone: Mapped[str] = mapped_column(String(50))
    languages: Mapped[list[str] | None] = mapped_column(
        ARRAY(Text), server_default=text("'{}'::text[]")
    )
    verification_status: Mapped[str | None] = mapped_column(
        String(50), server_default=text("'pending'")
    )
    approval_date: Mapped[datetime | None] = mapped_column(TIMESTAMPTZ)
    total_sessions: Mapped[int | None] = mapped_column(Integer, server_default=text("0"))
    average_rating: Mapped[Decimal | None] = mapped_column(
        Numeric(3, 2), server_default=text("0.00")
    )
    created_at: Mapped[datetime | None] = _stamp()
    updated_at: Mapped[datetime | None] = _stamp()
    # 0003: the currency of the rates, and the expert's own meeting room (else Jitsi).
    currency: Mapped[str] = mapped_column(String(3), server_default=text("'EUR'"))
    meeting_link: Mapped[str | None] = mapped_column(String(500))
    rating_count: Mapped[int] = mapped_column(Integer, server_default=text("0"))
    # 0010: why an admin rejected the profile (shown to the expert until they resubmit).
    rejection_reason: Mapped[str | None] = mapped_column(Text)
    # 0021: the expert's own terms (NULL: the operator's notice; no trial; unlimited moves).
    cancel_notice_hours: Mapped[int | None] = mapped_column(SmallInteger)
    trial_price: Mapped[Decimal | None] = mapped_column(Numeric(10, 2))
    reschedule_limit: Mapped[int | None] = mapped_column(SmallInteger)


class ExpertProfileChangeRow(Base):
    """0010: a verified expert's change to a reviewed field, waiting for an admin (or rejected
    with the admin's reason); the approved value stays on ``experts`` until it is approved."""

    __tablename__ = "expert_profile_changes"
    __table_args__ = (
        UniqueConstraint("expert_id", "field"),
        CheckConstraint("field IN ('credentials', 'specialties')", name="field"),
    )

    id: Mapped[uuid.UUID] = _id()
    expert_id: Mapped[uuid.UUID] = _fk("experts.id", nullable=False)
    field: Mapped[str] = mapped_column(String(20))
    value: Mapped[dict[str, Any]] = mapped_column(JSONB)
    rejected_reason: Mapped[str | None] = mapped_column(Text)
    submitted_at: Mapped[datetime] = _stamp(nullable=False)


class ExpertSpecialtyRow(Base):
    __tablename__ = "expert_specialties"
    __table_args__ = (
        Index("idx_expert_specialties_subject", "subject"),
        Index("idx_expert_specialties_expert_id", "expert_id"),  # 0003
        Index("idx_expert_specialties_subject_lower", text("lower(subject)")),  # 0003
        Index(  # 0003: word-prefix search with core PostgreSQL (no pg_trgm on the embedded one)
            "idx_expert_specialties_subject_words",
            text("to_tsvector('simple', subject)"),
            postgresql_using="gin",
        ),
        CheckConstraint(
            "proficiency_level IN ('beginner', 'intermediate', 'advanced', 'expert')",
            name="proficiency_level",
        ),
    )

    id: Mapped[uuid.UUID] = _id()
    expert_id: Mapped[uuid.UUID | None] = _fk("experts.id")
    subject: Mapped[str] = mapped_column(String(255))
    proficiency_level: Mapped[str] = mapped_column(String(50))
    created_at: Mapped[datetime | None] = _stamp()


class ExpertAvailabilityRow(Base):
    __tablename__ = "expert_availability"
    __table_args__ = (
        UniqueConstraint("expert_id", "day_of_week"),  # 0003: one row per weekday
        CheckConstraint("day_of_week BETWEEN 0 AND 6", name="day_of_week_range"),
    )

    id: Mapped[uuid.UUID] = _id()
    expert_id: Mapped[uuid.UUID | None] = _fk("experts.id")
    day_of_week: Mapped[int] = mapped_column(Integer)  # 0 = Sunday
    time_slots: Mapped[list[Any]] = mapped_column(JSONB)
    timezone: Mapped[str] = mapped_column(String(50))
    created_at: Mapped[datetime | None] = _stamp()
    updated_at: Mapped[datetime | None] = _stamp()


class BookingRow(Base):
    __tablename__ = "bookings"
    __table_args__ = (
        Index("idx_bookings_user_id", "user_id"),
        Index("idx_bookings_expert_id", "expert_id"),
        Index("idx_bookings_session_date", "session_date"),
        Index("idx_bookings_status", "status"),
        Index("idx_bookings_expert_id_session_date", "expert_id", "session_date"),  # 0003
        Index(  # 0003: the bookings that hold time, without the history
            "idx_bookings_expert_id_holding",
            "expert_id",
            "session_date",
            postgresql_where=text("status IN ('pending', 'scheduled')"),
        ),
        CheckConstraint(
            "status IN ('pending', 'scheduled', 'completed', 'cancelled', 'no_show')",
            name="status",
        ),
        CheckConstraint(
            "payment_status IN ('pending', 'paid', 'refunded')", name="payment_status"
        ),
        CheckConstraint("duration > 0 AND price >= 0", name="duration_price"),
        CheckConstraint(  # 0007
            "cancel_kind IN ('declined', 'cancelled', 'expired')", name="cancel_kind"
        ),
        CheckConstraint(  # 0021
            "cancel_notice_hours >= 0 AND reschedule_limit >= 0 AND reschedules >= 0",
            name="policies",
        ),
        Index(  # 0023: a series' occurrences
            "idx_bookings_series_id", "series_id", postgresql_where=text("series_id IS NOT NULL")
        ),
    )

    id: Mapped[uuid.UUID] = _id()
    # 0011: SET NULL, not the seed's CASCADE: a deleted account's bookings stay the other side's
    user_id: Mapped[uuid.UUID | None] = mapped_column(
        Uuid, ForeignKey("users.id", ondelete="SET NULL")
    )
    expert_id: Mapped[uuid.UUID | None] = mapped_column(
        Uuid, ForeignKey("experts.id", ondelete="SET NULL")
    )
    session_date: Mapped[datetime] = mapped_column(TIMESTAMPTZ)
    duration: Mapped[int] = mapped_column(Integer)  # minutes
    status: Mapped[str | None] = mapped_column(String(50), server_default=text("'scheduled'"))
    payment_status: Mapped[str | None] = mapped_column(
        String(50), server_default=text("'pending'")
    )
    meeting_link: Mapped[str | None] = mapped_column(String(500))
    session_notes: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime | None] = _stamp()
    updated_at: Mapped[datetime | None] = _stamp()
    # 0003: the price fixed at booking time, how a booking ended, and when a pending one lapses.
    price: Mapped[Decimal] = mapped_column(Numeric(10, 2))
    currency: Mapped[str] = mapped_column(String(3))
    cancel_reason: Mapped[str | None] = mapped_column(Text)
    cancelled_by: Mapped[uuid.UUID | None] = mapped_column(
        Uuid, ForeignKey("users.id", ondelete="SET NULL")
    )
    confirmed_at: Mapped[datetime | None] = mapped_column(TIMESTAMPTZ)
    expires_at: Mapped[datetime | None] = mapped_column(TIMESTAMPTZ)
    # 0007: how a booking ended (declined, cancelled, expired) and when.
    cancel_kind: Mapped[str | None] = mapped_column(String(20))
    cancelled_at: Mapped[datetime | None] = mapped_column(TIMESTAMPTZ)
    # 0009: a new time proposed by one side, until the other accepts or declines it.
    proposed_start: Mapped[datetime | None] = mapped_column(TIMESTAMPTZ)
    proposed_by: Mapped[uuid.UUID | None] = mapped_column(
        Uuid, ForeignKey("users.id", ondelete="SET NULL")
    )
    move_reason: Mapped[str | None] = mapped_column(Text)
    # 0021: the expert's terms when it was booked, how often it moved, and a trial lesson.
    cancel_notice_hours: Mapped[int | None] = mapped_column(SmallInteger)
    reschedule_limit: Mapped[int | None] = mapped_column(SmallInteger)
    reschedules: Mapped[int] = mapped_column(Integer, server_default=text("0"))
    trial: Mapped[bool] = mapped_column(Boolean, server_default=text("false"))
    # 0023: the weekly series this booking is an occurrence of (NULL: a single booking).
    series_id: Mapped[uuid.UUID | None] = mapped_column(
        Uuid, ForeignKey("booking_series.id", ondelete="SET NULL")
    )
    series_index: Mapped[int | None] = mapped_column(SmallInteger)  # 1..weeks
    # 0024: the version of the booking's calendar invite (NULL: none) and when it was made.
    invite_sequence: Mapped[int | None] = mapped_column(Integer)
    invited_at: Mapped[datetime | None] = mapped_column(TIMESTAMPTZ)
    # 0025: when the learner said the session happened (its earnings are payable from then).
    happened_at: Mapped[datetime | None] = mapped_column(TIMESTAMPTZ)
    # 0025: the learner's plan shared with the expert (NULL: none; ``plan_shares``).
    shared_curriculum_id: Mapped[uuid.UUID | None] = mapped_column(
        Uuid, ForeignKey("curricula.id", ondelete="SET NULL")
    )


class BookingSeriesRow(Base):
    """0023: a weekly series of bookings: the learner's weekday and wall-clock time in their
    zone (what each occurrence keeps across DST), how many weeks and how long."""

    __tablename__ = "booking_series"
    __table_args__ = (
        CheckConstraint("weekday BETWEEN 0 AND 6", name="weekday"),
        CheckConstraint("weeks BETWEEN 2 AND 52", name="weeks"),
    )

    id: Mapped[uuid.UUID] = _id()
    learner_id: Mapped[uuid.UUID | None] = mapped_column(
        Uuid, ForeignKey("users.id", ondelete="SET NULL")
    )
    expert_id: Mapped[uuid.UUID | None] = mapped_column(
        Uuid, ForeignKey("experts.id", ondelete="SET NULL")
    )
    weekday: Mapped[int] = mapped_column(SmallInteger)
    local_time: Mapped[time] = mapped_column(Time)
    timezone: Mapped[str] = mapped_column(String(64))
    weeks: Mapped[int] = mapped_column(SmallInteger)
    minutes: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = _stamp(nullable=False)


class HomeworkRow(Base):
    """0025: homework a booking's expert sent after the session, for the shared plan: a
    session the learner accepts into it (or declines). One per booking."""

    __tablename__ = "homework"
    __table_args__ = (
        UniqueConstraint("booking_id"),
        CheckConstraint("proposed_position > 0", name="proposed_position"),
        CheckConstraint("(answered_at IS NULL) = (accepted IS NULL)", name="answer"),
    )

    id: Mapped[uuid.UUID] = _id()
    booking_id: Mapped[uuid.UUID] = _fk("bookings.id", nullable=False)
    curriculum_id: Mapped[uuid.UUID | None] = mapped_column(
        Uuid, ForeignKey("curricula.id", ondelete="SET NULL")
    )
    title: Mapped[str] = mapped_column(String(255))
    description: Mapped[str | None] = mapped_column(Text)
    proposed_position: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = _stamp(nullable=False)
    answered_at: Mapped[datetime | None] = mapped_column(TIMESTAMPTZ)
    accepted: Mapped[bool | None] = mapped_column(Boolean)


class BookingMessageRow(Base):
    """0007: a message relayed between a booking's learner and expert (``/message``)."""

    __tablename__ = "booking_messages"
    __table_args__ = (Index("idx_booking_messages_booking_id", "booking_id", "created_at"),)

    id: Mapped[uuid.UUID] = _id()
    booking_id: Mapped[uuid.UUID] = _fk("bookings.id", nullable=False)
    sender_id: Mapped[uuid.UUID] = _fk("users.id", nullable=False)
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = _stamp(nullable=False)


class SessionFeedbackRow(Base):
    __tablename__ = "session_feedback"
    __table_args__ = (
        CheckConstraint("rating >= 1 AND rating <= 5", name="rating_range"),
        UniqueConstraint("booking_id"),  # 0003: one feedback per booking
    )

    id: Mapped[uuid.UUID] = _id()
    booking_id: Mapped[uuid.UUID | None] = _fk("bookings.id")
    rating: Mapped[int | None] = mapped_column(Integer)
    review: Mapped[str | None] = mapped_column(Text)
    user_notes: Mapped[str | None] = mapped_column(Text)
    expert_notes: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime | None] = _stamp()


class CommissionRow(Base):
    __tablename__ = "commissions"
    __table_args__ = (
        UniqueConstraint("booking_id"),  # 0003: one ledger row per booking
        CheckConstraint("status IN ('pending', 'paid', 'failed')", name="status"),
        CheckConstraint(  # 0025
            "platform_commission >= 0 AND expert_earnings >= 0 AND learner_refund >= 0",
            name="amounts",
        ),
        CheckConstraint("decision IN ('refund', 'pay', 'split')", name="decision"),
        Index(  # 0025: what a payout run pays
            "idx_commissions_payable",
            "payable_at",
            postgresql_where=text("status = 'pending' AND payable_at IS NOT NULL"),
        ),
    )

    id: Mapped[uuid.UUID] = _id()
    booking_id: Mapped[uuid.UUID | None] = _fk("bookings.id")
    expert_earnings: Mapped[Decimal] = mapped_column(Numeric(10, 2))
    platform_commission: Mapped[Decimal] = mapped_column(Numeric(10, 2))
    payment_date: Mapped[datetime | None] = mapped_column(TIMESTAMPTZ)
    status: Mapped[str | None] = mapped_column(String(50), server_default=text("'pending'"))
    created_at: Mapped[datetime | None] = _stamp()
    # 0003: the rate applied and the currency, so the ledger explains itself.
    rate: Mapped[Decimal] = mapped_column(Numeric(5, 4))
    currency: Mapped[str] = mapped_column(String(3))
    # 0025: when it may be paid out (NULL: held by a dispute), what went back to the learner
    # (commission + earnings + refund = the booking's price) and the admin's decision, if any.
    payable_at: Mapped[datetime | None] = mapped_column(TIMESTAMPTZ)
    learner_refund: Mapped[Decimal] = mapped_column(Numeric(10, 2), server_default=text("0"))
    decision: Mapped[str | None] = mapped_column(String(10))


class BookingDisputeRow(Base):
    """0025: a problem reported with a booking (one per booking), the other side's account
    and the admin's decision."""

    __tablename__ = "booking_disputes"
    __table_args__ = (
        UniqueConstraint("booking_id"),
        CheckConstraint("opened_by IN ('learner', 'expert')", name="opened_by"),
        CheckConstraint(
            "kind IN ('expert_absent', 'cut_short', 'other', 'no_show_disputed')", name="kind"
        ),
        CheckConstraint("decision IN ('refund', 'pay', 'split')", name="decision"),
        CheckConstraint("(decision IS NULL) = (decided_at IS NULL)", name="decided"),
        Index(
            "idx_booking_disputes_open", "opened_at", postgresql_where=text("decided_at IS NULL")
        ),
    )

    id: Mapped[uuid.UUID] = _id()
    booking_id: Mapped[uuid.UUID] = _fk("bookings.id", nullable=False)
    opened_by: Mapped[str] = mapped_column(String(10))
    kind: Mapped[str] = mapped_column(String(20))
    details: Mapped[str | None] = mapped_column(Text)
    answer: Mapped[str | None] = mapped_column(Text)
    opened_at: Mapped[datetime] = mapped_column(TIMESTAMPTZ)
    answered_at: Mapped[datetime | None] = mapped_column(TIMESTAMPTZ)
    decided_at: Mapped[datetime | None] = mapped_column(TIMESTAMPTZ)
    decided_by: Mapped[uuid.UUID | None] = mapped_column(
        Uuid, ForeignKey("users.id", ondelete="SET NULL")
    )
    decision: Mapped[str | None] = mapped_column(String(10))


class ExpertTimeOffRow(Base):
    """0003: whole local dates an expert is away (``/timeoff``)."""

    __tablename__ = "expert_time_off"
    __table_args__ = (
        CheckConstraint("starts_on <= ends_on", name="range"),
        Index("idx_expert_time_off_expert_id", "expert_id"),
    )

    id: Mapped[uuid.UUID] = _id()
    expert_id: Mapped[uuid.UUID] = _fk("experts.id", nullable=False)
    starts_on: Mapped[date] = mapped_column(Date)
    ends_on: Mapped[date] = mapped_column(Date)
    created_at: Mapped[datetime] = _stamp(nullable=False)


class WaitlistEntryRow(Base):
    """0022: a learner waiting for a time to free up on an expert's local dates (told once)."""

    __tablename__ = "waitlist_entries"
    __table_args__ = (
        UniqueConstraint("user_id", "expert_id", "starts_on", "ends_on"),
        CheckConstraint("ends_on >= starts_on", name="dates"),
        CheckConstraint("minutes > 0", name="minutes"),
        Index("idx_waitlist_entries_expert_id", "expert_id", "starts_on"),
    )

    id: Mapped[uuid.UUID] = _id()
    user_id: Mapped[uuid.UUID] = _fk("users.id", nullable=False)
    expert_id: Mapped[uuid.UUID] = _fk("experts.id", nullable=False)
    starts_on: Mapped[date] = mapped_column(Date)
    ends_on: Mapped[date] = mapped_column(Date)
    minutes: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(TIMESTAMPTZ)
    expires_at: Mapped[datetime] = mapped_column(TIMESTAMPTZ)
