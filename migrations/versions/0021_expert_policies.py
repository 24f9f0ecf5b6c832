"""Each expert's own policies: free-cancellation window, a first-lesson trial, a reschedule limit.

Revision ID: 0021
Revises: 0019_instances
Create Date: 2026-12-02
"""

# Reason: issue 15 lets an expert set their own terms under /expert, within the operator's
#   limits, and a booking keeps the terms it was made under (a later change does not alter it):
#   - experts.cancel_notice_hours: the expert's free-cancellation window (NULL: the operator's
#     SYLLABOT_CANCEL_NOTICE_HOURS); experts.trial_price: a 30-minute first lesson at this price
#     (NULL: no trial); experts.reschedule_limit: moves allowed per booking (NULL: unlimited)
#   - bookings.cancel_notice_hours, reschedule_limit: the expert's, copied when it is booked
#     (NULL notice: booked before 0021, the operator's notice applies); bookings.reschedules:
#     how often it moved (a direct move or an accepted proposal); bookings.trial: a trial lesson

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0021"
down_revision: str | Sequence[str] | None = "0019_instances"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("experts", sa.Column("cancel_notice_hours", sa.SmallInteger()))
    op.add_column("experts", sa.Column("trial_price", sa.Numeric(10, 2)))
    op.add_column("experts", sa.Column("reschedule_limit", sa.SmallInteger()))
    op.create_check_constraint(
        op.f("ck_experts_policies"),
        "experts",
        "cancel_notice_hours >= 0 AND trial_price > 0 AND reschedule_limit >= 0",
    )
    op.add_column("bookings", sa.Column("cancel_notice_hours", sa.SmallInteger()))
    op.add_column("bookings", sa.Column("reschedule_limit", sa.SmallInteger()))
    op.add_column(
        "bookings",
        sa.Column("reschedules", sa.Integer(), nullable=False, server_default=sa.text("0")),
    )
    op.add_column(
        "bookings",
        sa.Column("trial", sa.Boolean(), nullable=False, server_default=sa.text("false")),
    )
    op.create_check_constraint(
        op.f("ck_bookings_policies"),
        "bookings",
        "cancel_notice_hours >= 0 AND reschedule_limit >= 0 AND reschedules >= 0",
    )


def downgrade() -> None:
    op.drop_constraint(op.f("ck_bookings_policies"), "bookings", type_="check")
    for column in ("trial", "reschedules", "reschedule_limit", "cancel_notice_hours"):
        op.drop_column("bookings", column)
    op.drop_constraint(op.f("ck_experts_policies"), "experts", type_="check")
    for column in ("reschedule_limit", "trial_price", "cancel_notice_hours"):
        op.drop_column("experts", column)
