"""A learner's plan shared with the expert of a booking, and the homework that expert sends.

Revision ID: 0026_share
Revises: 0025_trust
Create Date: 2026-12-03
"""

# Reason: when booking, a learner may share one of their plans with the expert (issue 15), who
#   then sees it until the session ends; after it, the expert may send homework, which the
#   learner accepts into that plan (a session inserted) or declines:
#   - bookings.shared_curriculum_id: the plan shared with the booking's expert (NULL: none);
#     SET NULL when the plan is deleted, so nothing is shown of a plan that is gone
#   - homework: one per booking (UNIQUE booking_id, so a double tap sends it once), the plan
#     it is for, its title and objectives, the session number it was proposed as, and the
#     learner's answer (answered_at, accepted; NULL: not answered yet)

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0026_share"
down_revision: str | Sequence[str] | None = "0025_trust"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column(
        "bookings",
        sa.Column(
            "shared_curriculum_id",
            sa.Uuid(),
            sa.ForeignKey(
                "curricula.id", ondelete="SET NULL", name="fk_bookings_shared_curriculum_id"
            ),
        ),
    )
    op.create_table(
        "homework",
        sa.Column("id", sa.Uuid(), server_default=sa.text("gen_random_uuid()"), nullable=False),
        sa.Column("booking_id", sa.Uuid(), nullable=False),
        sa.Column("curriculum_id", sa.Uuid(), nullable=True),
        sa.Column("title", sa.String(255), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("proposed_position", sa.Integer(), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column("answered_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("accepted", sa.Boolean(), nullable=True),
        sa.CheckConstraint("proposed_position > 0", name="proposed_position"),
        sa.CheckConstraint("(answered_at IS NULL) = (accepted IS NULL)", name="answer"),
        sa.ForeignKeyConstraint(
            ["booking_id"], ["bookings.id"], name="fk_homework_booking_id", ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["curriculum_id"],
            ["curricula.id"],
            name="fk_homework_curriculum_id",
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name="pk_homework"),
        sa.UniqueConstraint("booking_id", name="uq_homework_booking_id"),
    )


def downgrade() -> None:
    op.drop_table("homework")
    op.drop_column("bookings", "shared_curriculum_id")
