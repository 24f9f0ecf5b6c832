"""Tables of operating Syllabot: backups and their verification."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import BigInteger, CheckConstraint, Float, Index, String, Text, UniqueConstraint
from sqlalchemy import text as sql
from sqlalchemy.orm import Mapped, mapped_column

from db.models.base import NOW, TIMESTAMPTZ, Base, _id


class BackupRunRow(Base):
    """0008: one backup, one verification of a backup or (0012) one base backup, and how it
    went."""

    __tablename__ = "backup_runs"
    __table_args__ = (
        Index("idx_backup_runs_backup", "backup", "started_at"),
        UniqueConstraint("claim"),
        CheckConstraint("kind IN ('backup', 'verify', 'basebackup')", name="kind"),
        CheckConstraint("outcome IN ('running', 'ok', 'failed')", name="outcome"),
    )

    id: Mapped[uuid.UUID] = _id()
    kind: Mapped[str] = mapped_column(String(20))
    backup: Mapped[str] = mapped_column(String(200))  # the dump's file name
    outcome: Mapped[str] = mapped_column(String(20), server_default=sql("'running'"))
    detail: Mapped[str | None] = mapped_column(Text)
    size_bytes: Mapped[int | None] = mapped_column(BigInteger)
    seconds: Mapped[float | None] = mapped_column(Float)
    started_at: Mapped[datetime] = mapped_column(TIMESTAMPTZ, server_default=NOW)
    finished_at: Mapped[datetime | None] = mapped_column(TIMESTAMPTZ)
    claim: Mapped[str | None] = mapped_column(String(100))  # the scheduled day's key
