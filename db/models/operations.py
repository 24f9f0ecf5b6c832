"""Tables of operating Syllabot: backups and their verification, the search caches' change log."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    Column,
    Float,
    Index,
    String,
    Table,
    Text,
    UniqueConstraint,
)
from sqlalchemy import text as sql
from sqlalchemy.orm import Mapped, mapped_column
from sqlalchemy.types import UserDefinedType

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


class XID8(UserDefinedType[int]):
    """PostgreSQL's 64-bit transaction id."""

    cache_ok = True

    def get_col_spec(self, **_kw: object) -> str:
        return "XID8"


# 0015: what bookings changed, for the search caches of every process to poll (db.cache);
# unlogged, without a key (nothing ever looks one row up). Written by a trigger only.
cache_changes = Table(
    "cache_changes",
    Base.metadata,
    Column("xid", XID8(), nullable=False, server_default=sql("pg_current_xact_id()")),
    Column("payload", Text, nullable=False),
    Index("idx_cache_changes_xid", "xid"),
    prefixes=["UNLOGGED"],
)


class SendBudgetRow(Base):
    """0019: a token bucket shared by every process sending on one platform's bot token."""

    __tablename__ = "send_budgets"

    name: Mapped[str] = mapped_column(String(80), primary_key=True)  # platform:<token hash>
    tokens: Mapped[float] = mapped_column(Float)
    refilled_at: Mapped[datetime] = mapped_column(TIMESTAMPTZ)
