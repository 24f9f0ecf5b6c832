"""Weekly series of bookings: "every Tuesday 18:00 for 6 weeks" booked, confirmed and declined
in one go, each occurrence still a booking of its own.

Revision ID: 0023
Revises: 0019_instances
Create Date: 2026-12-02
"""

# Reason: a learner books a lesson every week in one flow (issue 15), and the expert answers the
#   whole series with one tap, so the occurrences need to know they belong together:
#   - booking_series: who booked whom, the learner's weekday and local wall-clock time in the
#     learner's zone (the time each occurrence keeps across DST), how many weeks and how long
#   - bookings.series_id: the series an occurrence belongs to (NULL: a single booking); each
#     occurrence keeps its own status, so it is cancelled or moved on its own
#   - bookings.series_index: which week of the series it is (1..weeks), shown as "2/6"; kept
#     when the occurrence is moved, and when other weeks were not booked or were cancelled

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0023"
down_revision: str | Sequence[str] | None = "0022"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "booking_series",
        sa.Column("id", sa.Uuid(), server_default=sa.text("gen_random_uuid()"), nullable=False),
        sa.Column("learner_id", sa.Uuid(), nullable=True),
        sa.Column("expert_id", sa.Uuid(), nullable=True),
        sa.Column("weekday", sa.SmallInteger(), nullable=False),
        sa.Column("local_time", sa.Time(), nullable=False),
        sa.Column("timezone", sa.String(64), nullable=False),
        sa.Column("weeks", sa.SmallInteger(), nullable=False),
        sa.Column("minutes", sa.Integer(), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.CheckConstraint("weekday BETWEEN 0 AND 6", name="weekday"),
        sa.CheckConstraint("weeks BETWEEN 2 AND 52", name="weeks"),
        sa.ForeignKeyConstraint(
            ["learner_id"],
            ["users.id"],
            name="fk_booking_series_learner_id",
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["expert_id"],
            ["experts.id"],
            name="fk_booking_series_expert_id",
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name="pk_booking_series"),
    )
    op.add_column(
        "bookings",
        sa.Column(
            "series_id",
            sa.Uuid(),
            sa.ForeignKey("booking_series.id", ondelete="SET NULL", name="fk_bookings_series_id"),
        ),
    )
    op.add_column("bookings", sa.Column("series_index", sa.SmallInteger()))
    op.create_index(
        "idx_bookings_series_id",
        "bookings",
        ["series_id"],
        postgresql_where=sa.text("series_id IS NOT NULL"),
    )


def downgrade() -> None:
    op.drop_index("idx_bookings_series_id", table_name="bookings")
    op.drop_column("bookings", "series_index")
    op.drop_column("bookings", "series_id")
    op.drop_table("booking_series")
