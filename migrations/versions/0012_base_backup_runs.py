"""Backup runs may be weekly base backups (point-in-time recovery) too.

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-02
"""

# Reason: with SYLLABOT_PITR=true the scheduler takes a weekly base backup (pg_basebackup,
#   checked with pg_verifybackup) once across all processes; it is claimed by ISO week in
#   backup_runs ("base:2026-W49") as the daily dump is claimed by day, so the kind check
#   admits 'basebackup' beside 'backup' and 'verify'.

from collections.abc import Sequence

from alembic import op

revision: str = "0012"
down_revision: str | Sequence[str] | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.drop_constraint(op.f("ck_backup_runs_kind"), "backup_runs", type_="check")
    op.create_check_constraint(
        op.f("ck_backup_runs_kind"), "backup_runs", "kind IN ('backup', 'verify', 'basebackup')"
    )


def downgrade() -> None:
    op.execute("DELETE FROM backup_runs WHERE kind = 'basebackup'")
    op.drop_constraint(op.f("ck_backup_runs_kind"), "backup_runs", type_="check")
    op.create_check_constraint(
        op.f("ck_backup_runs_kind"), "backup_runs", "kind IN ('backup', 'verify')"
    )
