"""Backup runs: each backup and each verification, with its outcome.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-02
"""

# Reason: issue 13 asks for backups that are proven to restore. `syllabot db backup` and
#   `syllabot db verify` record every run here, so `syllabot db backups` shows which dumps
#   were restored and checked, retention never deletes the newest verified one, and the
#   scheduler can tell the admins when the newest verified backup is too old.
#   - kind: backup or verify; backup: the dump's file name; outcome: running, ok, failed
#   - claim: the scheduled day's key ("daily:2026-12-02"), unique, so of several processes
#     only the one whose INSERT wins runs the day's backup (as dedupe_key does for reminders)

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | Sequence[str] | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TIMESTAMPTZ = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "backup_runs",
        sa.Column("id", sa.Uuid(), server_default=sa.text("gen_random_uuid()"), nullable=False),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("backup", sa.String(200), nullable=False),
        sa.Column("outcome", sa.String(20), server_default=sa.text("'running'"), nullable=False),
        sa.Column("detail", sa.Text(), nullable=True),
        sa.Column("size_bytes", sa.BigInteger(), nullable=True),
        sa.Column("seconds", sa.Float(), nullable=True),
        sa.Column("started_at", TIMESTAMPTZ, server_default=sa.text("now()"), nullable=False),
        sa.Column("finished_at", TIMESTAMPTZ, nullable=True),
        sa.Column("claim", sa.String(100), nullable=True),
        sa.CheckConstraint("kind IN ('backup', 'verify')", name=op.f("ck_backup_runs_kind")),
        sa.CheckConstraint(
            "outcome IN ('running', 'ok', 'failed')", name=op.f("ck_backup_runs_outcome")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_backup_runs")),
        sa.UniqueConstraint("claim", name=op.f("uq_backup_runs_claim")),
    )
    op.create_index("idx_backup_runs_backup", "backup_runs", ["backup", "started_at"])


def downgrade() -> None:
    op.drop_index("idx_backup_runs_backup", table_name="backup_runs")
    op.drop_table("backup_runs")
