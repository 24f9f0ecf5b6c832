"""Deliver the outbox from workers: claims with a lease, outcomes, and blocked identities.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-24
"""

# Reason: reminders and alerts are sent by one or more workers (issue 5). A worker claims due
#   notifications with SELECT ... FOR UPDATE SKIP LOCKED and a lease (claimed_until), so two
#   workers never send one twice and a killed worker's claims expire for another to take.
#   - notifications: status (pending, sent, dropped, failed), claimed_until, attempts,
#     last_error, expires_at (a reminder that is too late is dropped, not sent), dedupe_key
#     (a planned reminder is planned once); the due index now covers pending rows.
#   - platform_identities.blocked_at: the person blocked the bot there; stop sending.

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | Sequence[str] | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TIMESTAMPTZ = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.add_column(
        "notifications",
        sa.Column("status", sa.String(20), server_default=sa.text("'pending'"), nullable=False),
    )
    op.add_column("notifications", sa.Column("claimed_until", TIMESTAMPTZ, nullable=True))
    op.add_column(
        "notifications",
        sa.Column("attempts", sa.Integer(), server_default=sa.text("0"), nullable=False),
    )
    op.add_column("notifications", sa.Column("last_error", sa.Text(), nullable=True))
    op.add_column("notifications", sa.Column("expires_at", TIMESTAMPTZ, nullable=True))
    op.add_column("notifications", sa.Column("dedupe_key", sa.String(200), nullable=True))
    op.execute("UPDATE notifications SET status = 'sent' WHERE sent_at IS NOT NULL")
    op.create_check_constraint(
        op.f("ck_notifications_status"),
        "notifications",
        "status IN ('pending', 'sent', 'dropped', 'failed')",
    )
    op.create_unique_constraint(
        op.f("uq_notifications_dedupe_key"), "notifications", ["dedupe_key"]
    )
    op.drop_index("idx_notifications_due", table_name="notifications")
    op.create_index(
        "idx_notifications_pending",
        "notifications",
        ["due_at"],
        postgresql_where=sa.text("status = 'pending'"),
    )
    op.add_column("platform_identities", sa.Column("blocked_at", TIMESTAMPTZ, nullable=True))


def downgrade() -> None:
    op.drop_column("platform_identities", "blocked_at")
    op.drop_index("idx_notifications_pending", table_name="notifications")
    op.create_index(
        "idx_notifications_due",
        "notifications",
        ["due_at"],
        postgresql_where=sa.text("sent_at IS NULL"),
    )
    op.drop_constraint(op.f("uq_notifications_dedupe_key"), "notifications", type_="unique")
    op.drop_constraint(op.f("ck_notifications_status"), "notifications", type_="check")
    for column in ("dedupe_key", "expires_at", "last_error", "attempts", "claimed_until"):
        op.drop_column("notifications", column)
    op.drop_column("notifications", "status")
