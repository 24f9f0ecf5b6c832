"""A proposed new time on a booking, which the other side accepts or declines.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-02
"""

# Reason: an expert moving a scheduled booking asks the learner first (issue 12); until the
#   learner accepts, the booking keeps its time, so the proposal is kept beside it:
#   - bookings.proposed_start: the new start asked for (NULL: no proposal open)
#   - proposed_by: who asked (only the other side may accept or decline)
#   - move_reason: why, as the one who asked gave it

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | Sequence[str] | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("bookings", sa.Column("proposed_start", sa.DateTime(timezone=True)))
    op.add_column(
        "bookings",
        sa.Column(
            "proposed_by",
            sa.Uuid(),
            sa.ForeignKey("users.id", ondelete="SET NULL", name="fk_bookings_proposed_by"),
        ),
    )
    op.add_column("bookings", sa.Column("move_reason", sa.Text()))


def downgrade() -> None:
    for column in ("move_reason", "proposed_by", "proposed_start"):
        op.drop_column("bookings", column)
