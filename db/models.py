"""SQLAlchemy models: the seed schema (``seed-schema.md``) plus what a chat product needs.

The migrations own the schema; these models mirror them exactly (an integration test runs
alembic's ``compare_metadata`` against a migrated database). Columns the seed leaves without
NOT NULL stay nullable here, defaults are server defaults written as the seed writes them, and
``updated_at`` is maintained by the ``set_updated_at()`` trigger, not by the ORM.

Deviations from the seed, each with its reason:

* ``users.email`` and ``users.password_hash`` are nullable: chat-created users have neither.
* ``users.current_curriculum_id``: the curriculum ``/plan``, ``/next`` and ``/done`` act on.
* ``sessions.minutes_spent`` (``/undo`` subtracts exactly this) and
  ``sessions.completed_local_date``, ``user_progress.last_session_local_date`` (streaks count
  the learner's local dates, so a later time-zone change does not rewrite history).
* ``UNIQUE(curriculum_id, session_number)`` on sessions and CHECKs on curricula.
* Tables ``platform_identities`` (who someone is on Telegram/Discord/terminal) and
  ``conversation_states`` (multi-step wizards survive restarts and second instances).
* One foreign key per column, named ``fk_<table>_<column>`` (the seed adds a second, named
  copy of four inline REFERENCES).
"""

from __future__ import annotations

import uuid
from datetime import date, datetime, time
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    Numeric,
    String,
    Text,
    Time,
    UniqueConstraint,
    Uuid,
    text,
)
from sqlalchemy.dialects.postgresql import ARRAY, JSONB
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s",
    "pk": "pk_%(table_name)s",
}

TIMESTAMPTZ = DateTime(timezone=True)
NOW = text("now()")


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


def _id() -> Mapped[uuid.UUID]:
    return mapped_column(Uuid, primary_key=True, server_default=text("gen_random_uuid()"))


def _fk(target: str, *, nullable: bool = True) -> Mapped[Any]:
    """A UUID column referencing ``target`` with ON DELETE CASCADE (nullable, as in the seed)."""
    return mapped_column(Uuid, ForeignKey(target, ondelete="CASCADE"), nullable=nullable)


def _stamp(*, nullable: bool = True) -> Mapped[Any]:
    """``created_at``/``updated_at``: ``DEFAULT now()``; a trigger moves ``updated_at``."""
    return mapped_column(TIMESTAMPTZ, nullable=nullable, server_default=NOW)


class UserRow(Base):
    __tablename__ = "users"
    __table_args__ = (
        Index("idx_users_email", "email"),
        Index("idx_users_created_at", "created_at"),
    )

    id: Mapped[uuid.UUID] = _id()
    email: Mapped[str | None] = mapped_column(String(255), unique=True)
    password_hash: Mapped[str | None] = mapped_column(String(255))
    name: Mapped[str] = mapped_column(String(255))
    timezone: Mapped[str | None] = mapped_column(String(50), server_default=text("'UTC'"))
    notification_preferences: Mapped[dict[str, Any] | None] = mapped_column(
        JSONB, server_default=text("'{}'::jsonb")
    )
    created_at: Mapped[datetime | None] = _stamp()
    updated_at: Mapped[datetime | None] = _stamp()
    current_curriculum_id: Mapped[uuid.UUID | None] = mapped_column(
        Uuid, ForeignKey("curricula.id", ondelete="SET NULL", use_alter=True)
    )


class CurriculumRow(Base):
    __tablename__ = "curricula"
    __table_args__ = (
        CheckConstraint("total_sessions BETWEEN 1 AND 365", name="total_sessions_range"),
        CheckConstraint("session_duration BETWEEN 5 AND 480", name="session_duration_range"),
        CheckConstraint(
            "skill_level IN ('beginner', 'intermediate', 'advanced')", name="skill_level"
        ),
        CheckConstraint("status IN ('active', 'completed', 'paused', 'archived')", name="status"),
        Index("idx_curricula_user_id", "user_id"),
        Index("idx_curricula_status", "status"),
        Index("idx_curricula_created_at", "created_at"),
    )

    id: Mapped[uuid.UUID] = _id()
    user_id: Mapped[uuid.UUID | None] = _fk("users.id")
    title: Mapped[str] = mapped_column(String(255))
    subject: Mapped[str] = mapped_column(String(255))
    total_sessions: Mapped[int] = mapped_column(Integer)
    session_duration: Mapped[int] = mapped_column(Integer)  # minutes
    skill_level: Mapped[str] = mapped_column(String(50))
    goals: Mapped[str | None] = mapped_column(Text)
    background: Mapped[str | None] = mapped_column(Text)
    status: Mapped[str | None] = mapped_column(String(50), server_default=text("'active'"))
    created_at: Mapped[datetime | None] = _stamp()
    updated_at: Mapped[datetime | None] = _stamp()
    # 0006: /schedule (days 0 = Monday, local time, first day, sessions done before it)
    schedule_days: Mapped[list[int] | None] = mapped_column(ARRAY(Integer))
    schedule_at: Mapped[time | None] = mapped_column(Time)
    schedule_from: Mapped[date | None] = mapped_column(Date)
    schedule_baseline: Mapped[int | None] = mapped_column(Integer)


class SessionRow(Base):
    __tablename__ = "sessions"
    __table_args__ = (
        UniqueConstraint("curriculum_id", "session_number"),
        Index("idx_sessions_curriculum_id", "curriculum_id"),
        Index("idx_sessions_session_number", "curriculum_id", "session_number"),
    )

    id: Mapped[uuid.UUID] = _id()
    curriculum_id: Mapped[uuid.UUID | None] = _fk("curricula.id")
    session_number: Mapped[int] = mapped_column(Integer)
    title: Mapped[str] = mapped_column(String(255))
    objectives: Mapped[list[str] | None] = mapped_column(ARRAY(Text))
    materials: Mapped[str | None] = mapped_column(Text)
    resources: Mapped[list[Any] | None] = mapped_column(JSONB, server_default=text("'[]'::jsonb"))
    completed_at: Mapped[datetime | None] = mapped_column(TIMESTAMPTZ)
    notes: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime | None] = _stamp()
    minutes_spent: Mapped[int | None] = mapped_column(Integer)
    completed_local_date: Mapped[date | None] = mapped_column(Date)


class UserProgressRow(Base):
    __tablename__ = "user_progress"
    __table_args__ = (
        UniqueConstraint("user_id", "curriculum_id"),
        Index("idx_user_progress_user_id", "user_id"),
        Index("idx_user_progress_curriculum_id", "curriculum_id"),
    )

    id: Mapped[uuid.UUID] = _id()
    user_id: Mapped[uuid.UUID | None] = _fk("users.id")
    curriculum_id: Mapped[uuid.UUID | None] = _fk("curricula.id")
    sessions_completed: Mapped[int | None] = mapped_column(Integer, server_default=text("0"))
    total_time_spent: Mapped[int | None] = mapped_column(Integer, server_default=text("0"))
    current_streak: Mapped[int | None] = mapped_column(Integer, server_default=text("0"))
    last_session_date: Mapped[datetime | None] = mapped_column(TIMESTAMPTZ)
    created_at: Mapped[datetime | None] = _stamp()
    updated_at: Mapped[datetime | None] = _stamp()
    last_session_local_date: Mapped[date | None] = mapped_column(Date)


class UserNoteRow(Base):
    __tablename__ = "user_notes"

    id: Mapped[uuid.UUID] = _id()
    user_id: Mapped[uuid.UUID | None] = _fk("users.id")
    session_id: Mapped[uuid.UUID | None] = _fk("sessions.id")
    content: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime | None] = _stamp()
    updated_at: Mapped[datetime | None] = _stamp()


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
            "verification_status IN ('pending', 'verified', 'rejected')",
            name="verification_status",
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
    )

    id: Mapped[uuid.UUID] = _id()
    user_id: Mapped[uuid.UUID | None] = _fk("users.id")
    expert_id: Mapped[uuid.UUID | None] = _fk("experts.id")
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


class PlatformIdentityRow(Base):
    """Who a user is on one chat platform (not in the seed)."""

    __tablename__ = "platform_identities"
    __table_args__ = (
        UniqueConstraint("platform", "external_id"),
        Index("idx_platform_identities_user_id", "user_id"),
    )

    id: Mapped[uuid.UUID] = _id()
    user_id: Mapped[uuid.UUID] = _fk("users.id", nullable=False)
    platform: Mapped[str] = mapped_column(String(20))
    external_id: Mapped[str] = mapped_column(String(255))
    chat_id: Mapped[str | None] = mapped_column(String(255))
    display_name: Mapped[str | None] = mapped_column(String(255))
    created_at: Mapped[datetime] = _stamp(nullable=False)
    updated_at: Mapped[datetime] = _stamp(nullable=False)
    blocked_at: Mapped[datetime | None] = mapped_column(TIMESTAMPTZ)  # 0004: bot blocked there


class ConversationStateRow(Base):
    """A user's half-finished multi-step wizard, one per user (not in the seed)."""

    __tablename__ = "conversation_states"

    user_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    flow: Mapped[str] = mapped_column(String(50))
    step: Mapped[str] = mapped_column(String(50))
    data: Mapped[dict[str, Any]] = mapped_column(JSONB, server_default=text("'{}'::jsonb"))
    token: Mapped[str] = mapped_column(String(16))  # nonce carried by the wizard's buttons
    expires_at: Mapped[datetime] = mapped_column(TIMESTAMPTZ)
    created_at: Mapped[datetime] = _stamp(nullable=False)
    updated_at: Mapped[datetime] = _stamp(nullable=False)


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


class NotificationRow(Base):
    """0003: the outbox. Written in the same transaction as the change it announces."""

    __tablename__ = "notifications"
    __table_args__ = (
        Index(  # 0004: what workers claim
            "idx_notifications_pending",
            "due_at",
            postgresql_where=text("status = 'pending'"),
        ),
        Index("idx_notifications_user_id", "user_id"),
        UniqueConstraint("dedupe_key"),  # 0004
        CheckConstraint("status IN ('pending', 'sent', 'dropped', 'failed')", name="status"),
    )

    id: Mapped[uuid.UUID] = _id()
    user_id: Mapped[uuid.UUID] = _fk("users.id", nullable=False)
    kind: Mapped[str] = mapped_column(String(50))
    data: Mapped[dict[str, Any]] = mapped_column(JSONB, server_default=text("'{}'::jsonb"))
    due_at: Mapped[datetime] = mapped_column(TIMESTAMPTZ, server_default=NOW)
    sent_at: Mapped[datetime | None] = mapped_column(TIMESTAMPTZ)
    created_at: Mapped[datetime] = _stamp(nullable=False)
    # 0004: delivery by workers (claims with a lease) and its outcome.
    status: Mapped[str] = mapped_column(String(20), server_default=text("'pending'"))
    claimed_until: Mapped[datetime | None] = mapped_column(TIMESTAMPTZ)
    attempts: Mapped[int] = mapped_column(Integer, server_default=text("0"))
    last_error: Mapped[str | None] = mapped_column(Text)
    expires_at: Mapped[datetime | None] = mapped_column(TIMESTAMPTZ)
    dedupe_key: Mapped[str | None] = mapped_column(String(200))


class ProcessedUpdateRow(Base):
    """0002: platform updates already handled (Telegram adapter's duplicate guard)."""

    __tablename__ = "processed_updates"
    __table_args__ = (Index("idx_processed_updates_received_at", "received_at"),)

    platform: Mapped[str] = mapped_column(String(20), primary_key=True)
    update_id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    received_at: Mapped[datetime] = mapped_column(TIMESTAMPTZ, server_default=NOW)


class LinkCodeRow(Base):
    """0005: a user's current link code (its hash only) and their wrong guesses."""

    __tablename__ = "link_codes"

    user_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    code_hash: Mapped[str | None] = mapped_column(String(64), unique=True)
    expires_at: Mapped[datetime | None] = mapped_column(TIMESTAMPTZ)
    failed_guesses: Mapped[int] = mapped_column(Integer, server_default=text("0"))
    guesses_since: Mapped[datetime | None] = mapped_column(TIMESTAMPTZ)
    created_at: Mapped[datetime] = mapped_column(TIMESTAMPTZ, server_default=NOW)
