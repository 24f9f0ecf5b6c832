"""A study schedule on a curriculum: its days, time and first day (/schedule).

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-01
"""

# Reason: /schedule (issue 11) gives each remaining session a target date on the learner's
#   study days; the dates are worked out from these columns, not stored per session, so editing
#   or re-planning the sessions never leaves a stale date behind.
#   - curricula.schedule_days: weekday numbers (0 = Monday), NULL when there is no schedule
#   - schedule_at: the local time of day; schedule_from: the first local day it counts from;
#     schedule_baseline: sessions already completed when it was set (to tell behind/ahead)

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0006"
down_revision: str | Sequence[str] | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("curricula", sa.Column("schedule_days", postgresql.ARRAY(sa.Integer())))
    op.add_column("curricula", sa.Column("schedule_at", sa.Time()))
    op.add_column("curricula", sa.Column("schedule_from", sa.Date()))
    op.add_column("curricula", sa.Column("schedule_baseline", sa.Integer()))


def downgrade() -> None:
    for column in ("schedule_baseline", "schedule_from", "schedule_at", "schedule_days"):
        op.drop_column("curricula", column)
