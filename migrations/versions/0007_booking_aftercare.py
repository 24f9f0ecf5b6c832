"""After a booking is made: how it ended (declined, cancelled, lapsed; when) and the messages
its two sides relay to each other through the bot.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-02
"""

# Reason: issue 12. A decline read "cancelled" and a late cancellation could not be told apart,
#   and the two sides of a booking had no way to reach each other without sharing handles.
#   - bookings.cancel_kind ('declined', 'cancelled', 'expired') and cancelled_at: how and when
#     a booking ended (cancelled_at also bounds how long its sides may still message)
#   - booking_messages: one row per message relayed between a booking's learner and expert

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | Sequence[str] | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TIMESTAMPTZ = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.add_column("bookings", sa.Column("cancel_kind", sa.String(20)))
    op.add_column("bookings", sa.Column("cancelled_at", TIMESTAMPTZ))
    op.create_check_constraint(
        op.f("ck_bookings_cancel_kind"),
        "bookings",
        "cancel_kind IN ('declined', 'cancelled', 'expired')",
    )
    op.create_table(
        "booking_messages",
        sa.Column("id", sa.Uuid(), server_default=sa.text("gen_random_uuid()"), nullable=False),
        sa.Column("booking_id", sa.Uuid(), nullable=False),
        sa.Column("sender_id", sa.Uuid(), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("created_at", TIMESTAMPTZ, server_default=sa.text("now()"), nullable=False),
        sa.ForeignKeyConstraint(
            ["booking_id"],
            ["bookings.id"],
            name=op.f("fk_booking_messages_booking_id"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["sender_id"],
            ["users.id"],
            name=op.f("fk_booking_messages_sender_id"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_booking_messages")),
    )
    op.create_index(
        "idx_booking_messages_booking_id", "booking_messages", ["booking_id", "created_at"]
    )


def downgrade() -> None:
    op.drop_index("idx_booking_messages_booking_id", table_name="booking_messages")
    op.drop_table("booking_messages")
    op.drop_constraint(op.f("ck_bookings_cancel_kind"), "bookings", type_="check")
    op.drop_column("bookings", "cancelled_at")
    op.drop_column("bookings", "cancel_kind")
