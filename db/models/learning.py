"""Tables of the learning context."""

from __future__ import annotations

import uuid
from datetime import date, datetime, time
from typing import Any

from sqlalchemy import (
    CheckConstraint,
    Date,
    Float,
    ForeignKey,
    Index,
    Integer,
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
        Index(  # 0017: the study days every streak is computed from
            "idx_sessions_completed_days",
            "curriculum_id",
            "completed_local_date",
            postgresql_where=text("completed_local_date IS NOT NULL"),
        ),
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
    __table_args__ = (Index("idx_user_notes_session_id", "session_id"),)  # 0014

    id: Mapped[uuid.UUID] = _id()
    user_id: Mapped[uuid.UUID | None] = _fk("users.id")
    session_id: Mapped[uuid.UUID | None] = _fk("sessions.id")
    content: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime | None] = _stamp()
    updated_at: Mapped[datetime | None] = _stamp()


class ArchivedSessionRow(Base):
    """0014: sessions of curricula archived over two years ago (``sessions``' columns)."""

    __tablename__ = "archived_sessions"
    __table_args__ = (Index("idx_archived_sessions_curriculum_id", "curriculum_id"),)

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    curriculum_id: Mapped[uuid.UUID | None] = _fk("curricula.id")
    session_number: Mapped[int] = mapped_column(Integer)
    title: Mapped[str] = mapped_column(String(255))
    objectives: Mapped[list[str] | None] = mapped_column(ARRAY(Text))
    materials: Mapped[str | None] = mapped_column(Text)
    resources: Mapped[list[Any] | None] = mapped_column(JSONB)
    completed_at: Mapped[datetime | None] = mapped_column(TIMESTAMPTZ)
    notes: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime | None] = mapped_column(TIMESTAMPTZ)
    minutes_spent: Mapped[int | None] = mapped_column(Integer)
    completed_local_date: Mapped[date | None] = mapped_column(Date)
    archived_at: Mapped[datetime] = _stamp(nullable=False)


class ArchivedUserNoteRow(Base):
    """0014: the notes on archived sessions (``user_notes``' columns)."""

    __tablename__ = "archived_user_notes"
    __table_args__ = (
        Index("idx_archived_user_notes_user_id", "user_id"),
        Index("idx_archived_user_notes_session_id", "session_id"),
    )

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    user_id: Mapped[uuid.UUID | None] = _fk("users.id")
    session_id: Mapped[uuid.UUID | None] = _fk("archived_sessions.id")
    content: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime | None] = mapped_column(TIMESTAMPTZ)
    updated_at: Mapped[datetime | None] = mapped_column(TIMESTAMPTZ)


class ReviewCardRow(Base):
    """0016: a spaced-repetition card with its FSRS state in columns (due: what /review asks)."""

    __tablename__ = "review_cards"
    __table_args__ = (
        UniqueConstraint("note_id"),  # a note becomes at most one card
        CheckConstraint("source IN ('card', 'note', 'objective')", name="source"),
        CheckConstraint("state BETWEEN 1 AND 3", name="state"),
        Index("idx_review_cards_user_id_due", "user_id", "due"),
        Index(  # an objective becomes at most one card of its session
            "idx_review_cards_objective",
            "session_id",
            "front",
            unique=True,
            postgresql_where=text("source = 'objective'"),
        ),
    )

    id: Mapped[uuid.UUID] = _id()
    user_id: Mapped[uuid.UUID] = _fk("users.id", nullable=False)
    curriculum_id: Mapped[uuid.UUID | None] = _fk("curricula.id")
    session_id: Mapped[uuid.UUID | None] = mapped_column(
        Uuid, ForeignKey("sessions.id", ondelete="SET NULL")
    )
    note_id: Mapped[uuid.UUID | None] = mapped_column(
        Uuid, ForeignKey("user_notes.id", ondelete="SET NULL")
    )
    source: Mapped[str] = mapped_column(String(10))
    front: Mapped[str] = mapped_column(Text)
    back: Mapped[str] = mapped_column(Text)
    state: Mapped[int] = mapped_column(SmallInteger, server_default=text("1"))
    step: Mapped[int | None] = mapped_column(Integer)
    stability: Mapped[float | None] = mapped_column(Float)
    difficulty: Mapped[float | None] = mapped_column(Float)
    due: Mapped[datetime] = mapped_column(TIMESTAMPTZ)
    last_review: Mapped[datetime | None] = mapped_column(TIMESTAMPTZ)
    reps: Mapped[int] = mapped_column(Integer, server_default=text("0"))
    created_at: Mapped[datetime] = _stamp(nullable=False)


class ReviewLogRow(Base):
    """0016: one rating of a card (reviewed this week, retention)."""

    __tablename__ = "review_logs"
    __table_args__ = (
        CheckConstraint("rating BETWEEN 1 AND 4", name="rating"),
        Index("idx_review_logs_user_id_reviewed_at", "user_id", "reviewed_at"),
        Index("idx_review_logs_card_id", "card_id"),
    )

    id: Mapped[uuid.UUID] = _id()
    card_id: Mapped[uuid.UUID] = _fk("review_cards.id", nullable=False)
    user_id: Mapped[uuid.UUID] = _fk("users.id", nullable=False)
    rating: Mapped[int] = mapped_column(SmallInteger)
    reviewed_at: Mapped[datetime] = _stamp(nullable=False)


class VacationRow(Base):
    """0017: /vacation, local days ``starts_on`` to ``ends_on`` (inclusive)."""

    __tablename__ = "vacations"
    __table_args__ = (
        CheckConstraint("ends_on >= starts_on OR ended_early_at IS NOT NULL", name="range"),
        Index("idx_vacations_user_id", "user_id", "starts_on"),
    )

    id: Mapped[uuid.UUID] = _id()
    user_id: Mapped[uuid.UUID] = _fk("users.id", nullable=False)
    starts_on: Mapped[date] = mapped_column(Date)
    ends_on: Mapped[date] = mapped_column(Date)
    ended_early_at: Mapped[datetime | None] = mapped_column(TIMESTAMPTZ)
    created_at: Mapped[datetime] = _stamp(nullable=False)


class StudyHabitsRow(Base):
    """0017: a learner's weekly goal (minutes or sessions) and the weekday their week starts."""

    __tablename__ = "study_habits"
    __table_args__ = (
        CheckConstraint("week_starts BETWEEN 0 AND 6", name="week_starts"),
        CheckConstraint("goal_minutes IS NULL OR goal_sessions IS NULL", name="one_goal"),
        CheckConstraint(
            "goal_minutes IS NULL OR goal_minutes BETWEEN 1 AND 10080", name="goal_minutes"
        ),
        CheckConstraint(
            "goal_sessions IS NULL OR goal_sessions BETWEEN 1 AND 100", name="goal_sessions"
        ),
    )

    user_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    goal_minutes: Mapped[int | None] = mapped_column(Integer)
    goal_sessions: Mapped[int | None] = mapped_column(Integer)
    week_starts: Mapped[int] = mapped_column(SmallInteger, server_default=text("0"))
    updated_at: Mapped[datetime] = _stamp(nullable=False)
