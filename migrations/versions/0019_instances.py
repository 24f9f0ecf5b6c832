"""Several processes on one database: one person's updates in order, one send budget.

Revision ID: 0019_instances
Revises: 0018_focus_timers
Create Date: 2026-12-02
"""

# Reason: with two or more `syllabot run` processes behind one webhook address, each receives
#   some of a person's updates, and every process and worker sends on the same bot token.
#   - processed_updates.waiting_sender: the sender of an update claimed on arrival (before the
#     webhook answers 200) and not yet handled; NULL once handled (and for every claim made
#     at handling time, as before). A process about to handle a person's update waits while
#     an earlier one of theirs is still waiting (partial index: only those rows).
#   - send_budgets: one token bucket per platform and bot token (its hash), taken with one
#     INSERT ... ON CONFLICT DO UPDATE ... RETURNING that refills by the time elapsed on the
#     database's clock, so every process shares Telegram's ~30 messages a second without a
#     read-modify-write race and without trusting the machines' clocks to agree.

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0019_instances"
down_revision: str | Sequence[str] | None = "0018_focus_timers"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("processed_updates", sa.Column("waiting_sender", sa.String(64), nullable=True))
    op.create_index(
        "idx_processed_updates_waiting",
        "processed_updates",
        ["platform", "waiting_sender", "update_id"],
        postgresql_where=sa.text("waiting_sender IS NOT NULL"),
    )
    op.create_table(
        "send_budgets",
        sa.Column("name", sa.String(80), nullable=False),
        sa.Column("tokens", sa.Float(), nullable=False),
        sa.Column("refilled_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("name", name="pk_send_budgets"),
    )


def downgrade() -> None:
    op.drop_table("send_budgets")
    op.drop_index("idx_processed_updates_waiting", table_name="processed_updates")
    op.drop_column("processed_updates", "waiting_sender")
