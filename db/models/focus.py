"""0018: focus timers (/focus), in the learning context."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import CheckConstraint, Index, Integer
from sqlalchemy.orm import Mapped, mapped_column

from db.models.base import TIMESTAMPTZ, Base, _fk, _id


class FocusTimerRow(Base):
    __tablename__ = "focus_timers"
    __table_args__ = (
        CheckConstraint("minutes BETWEEN 5 AND 180", name="minutes_range"),
        CheckConstraint("ends_at > started_at", name="ends_after_start"),
        Index("idx_focus_timers_user_id", "user_id", "ends_at"),
        Index("idx_focus_timers_session_id", "session_id"),
        Index("idx_focus_timers_curriculum_id", "curriculum_id"),
    )

    id: Mapped[uuid.UUID] = _id()
    user_id: Mapped[uuid.UUID] = _fk("users.id", nullable=False)
    curriculum_id: Mapped[uuid.UUID] = _fk("curricula.id", nullable=False)
    session_id: Mapped[uuid.UUID] = _fk("sessions.id", nullable=False)
    minutes: Mapped[int] = mapped_column(Integer)
    started_at: Mapped[datetime] = mapped_column(TIMESTAMPTZ)
    ends_at: Mapped[datetime] = mapped_column(TIMESTAMPTZ)
    stopped_at: Mapped[datetime | None] = mapped_column(TIMESTAMPTZ)
    logged_at: Mapped[datetime | None] = mapped_column(TIMESTAMPTZ)
