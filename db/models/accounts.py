"""Tables of the accounts context."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    ForeignKey,
    Index,
    Integer,
    String,
    UniqueConstraint,
    Uuid,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from db.models.base import NOW, TIMESTAMPTZ, Base, _fk, _id, _stamp


class UserRow(Base):
    __tablename__ = "users"
    __table_args__ = (
        Index("idx_users_email", "email"),
        Index("idx_users_created_at", "created_at"),
        Index("idx_users_last_seen_at", "last_seen_at"),  # 0014
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
    # 0014: the last message or press (written at most daily), and the inactivity warning.
    last_seen_at: Mapped[datetime] = _stamp(nullable=False)
    inactive_warned_at: Mapped[datetime | None] = mapped_column(TIMESTAMPTZ)


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


class ProcessedUpdateRow(Base):
    """0002: platform updates already handled (Telegram adapter's duplicate guard); 0019:
    ``waiting_sender`` while an update claimed on arrival waits to be handled."""

    __tablename__ = "processed_updates"
    __table_args__ = (
        Index("idx_processed_updates_received_at", "received_at"),
        Index(
            "idx_processed_updates_waiting",
            "platform",
            "waiting_sender",
            "update_id",
            postgresql_where=text("waiting_sender IS NOT NULL"),
        ),
    )

    platform: Mapped[str] = mapped_column(String(20), primary_key=True)
    update_id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    received_at: Mapped[datetime] = mapped_column(TIMESTAMPTZ, server_default=NOW)
    waiting_sender: Mapped[str | None] = mapped_column(String(64))


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
