"""Tables of the notifications context."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import (
    CheckConstraint,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from db.models.base import NOW, TIMESTAMPTZ, Base, _fk, _id, _stamp


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
