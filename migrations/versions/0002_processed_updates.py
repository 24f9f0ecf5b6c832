"""Remember which platform updates were handled, so a redelivered one has no second effect.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-24
"""

# Reason: Telegram redelivers an update after a webhook retry or a crash; the adapter claims
#   (platform, update_id) before handling it and skips it when the claim already exists.

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | Sequence[str] | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "processed_updates",
        sa.Column("platform", sa.String(20), nullable=False),
        sa.Column("update_id", sa.BigInteger(), nullable=False),
        sa.Column(
            "received_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.PrimaryKeyConstraint("platform", "update_id", name="pk_processed_updates"),
    )
    op.create_index("idx_processed_updates_received_at", "processed_updates", ["received_at"])


def downgrade() -> None:
    op.drop_table("processed_updates")
