"""One-time codes that join a person's accounts on two platforms into one user (/link).

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-24
"""

# Reason: /link (issue 6) joins a Telegram, Discord or terminal identity to another one's user.
#   - link_codes: one row per user, holding their current code (only its SHA-256, its expiry;
#     cleared when used, replaced by a new /link) and their wrong guesses in the current
#     10-minute window (failed_guesses since guesses_since), so codes cannot be brute forced.

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | Sequence[str] | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TIMESTAMPTZ = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "link_codes",
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("code_hash", sa.String(64), nullable=True),
        sa.Column("expires_at", TIMESTAMPTZ, nullable=True),
        sa.Column("failed_guesses", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.Column("guesses_since", TIMESTAMPTZ, nullable=True),
        sa.Column("created_at", TIMESTAMPTZ, server_default=sa.text("now()"), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_link_codes_user_id"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("user_id", name=op.f("pk_link_codes")),
        sa.UniqueConstraint("code_hash", name=op.f("uq_link_codes_code_hash")),
    )


def downgrade() -> None:
    op.drop_table("link_codes")
