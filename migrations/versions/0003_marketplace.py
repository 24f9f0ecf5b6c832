"""Put the seed's marketplace tables to work: prices, states, time off and an outbox.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-24
"""

# Reason: the expert marketplace (issue 4). Every addition is in the README's schema section:
#   - experts: currency, own meeting_link, rating_count (kept with average_rating, so search
#     never aggregates feedback); one profile per user; rate and status CHECKs.
#   - expert_specialties: proficiency CHECK; indexes on expert_id, lower(subject) and a GIN
#     full-text index on to_tsvector('simple', subject): word-prefix search in core PostgreSQL.
#   - expert_availability: one row per (expert, weekday), weekday 0..6 (0 = Sunday).
#   - expert_time_off: whole local dates an expert is away.
#   - bookings: 'pending' (awaiting the expert) joins the seed's statuses; price and currency
#     fixed at booking time; cancel reason/by, confirmed_at, expires_at (pending lapses after
#     48 h); (expert_id, session_date) indexes for overlap checks, one partial on the
#     bookings that hold time (pending, scheduled) so the check ignores history.
#   - session_feedback: one per booking. commissions: one per booking, with rate and currency.
#   - notifications: the outbox, written in the same transaction as the change it announces.

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

revision: str = "0003"
down_revision: str | Sequence[str] | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TIMESTAMPTZ = sa.DateTime(timezone=True)
NOW = sa.text("now()")


def upgrade() -> None:
    op.add_column(
        "experts",
        sa.Column("currency", sa.String(3), server_default=sa.text("'EUR'"), nullable=False),
    )
    op.add_column("experts", sa.Column("meeting_link", sa.String(500), nullable=True))
    op.add_column(
        "experts",
        sa.Column("rating_count", sa.Integer(), server_default=sa.text("0"), nullable=False),
    )
    op.create_unique_constraint(op.f("uq_experts_user_id"), "experts", ["user_id"])
    op.create_check_constraint(
        op.f("ck_experts_rate_range"),
        "experts",
        "hourly_rate_min > 0 AND hourly_rate_min <= hourly_rate_max",
    )
    op.create_check_constraint(
        op.f("ck_experts_verification_status"),
        "experts",
        "verification_status IN ('pending', 'verified', 'rejected')",
    )

    op.create_check_constraint(
        op.f("ck_expert_specialties_proficiency_level"),
        "expert_specialties",
        "proficiency_level IN ('beginner', 'intermediate', 'advanced', 'expert')",
    )
    op.create_index("idx_expert_specialties_expert_id", "expert_specialties", ["expert_id"])
    op.create_index(
        "idx_expert_specialties_subject_lower",
        "expert_specialties",
        [sa.text("lower(subject)")],
    )
    op.create_index(
        "idx_expert_specialties_subject_words",
        "expert_specialties",
        [sa.text("to_tsvector('simple', subject)")],
        postgresql_using="gin",
    )

    op.create_unique_constraint(
        op.f("uq_expert_availability_expert_id_day_of_week"),
        "expert_availability",
        ["expert_id", "day_of_week"],
    )
    op.create_check_constraint(
        op.f("ck_expert_availability_day_of_week_range"),
        "expert_availability",
        "day_of_week BETWEEN 0 AND 6",
    )

    op.create_table(
        "expert_time_off",
        sa.Column("id", sa.Uuid(), server_default=sa.text("gen_random_uuid()"), nullable=False),
        sa.Column(
            "expert_id",
            sa.Uuid(),
            sa.ForeignKey("experts.id", name="fk_expert_time_off_expert_id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("starts_on", sa.Date(), nullable=False),
        sa.Column("ends_on", sa.Date(), nullable=False),
        sa.Column("created_at", TIMESTAMPTZ, server_default=NOW, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_expert_time_off"),
        sa.CheckConstraint("starts_on <= ends_on", name=op.f("ck_expert_time_off_range")),
    )
    op.create_index("idx_expert_time_off_expert_id", "expert_time_off", ["expert_id"])

    op.add_column("bookings", sa.Column("price", sa.Numeric(10, 2), nullable=False))
    op.add_column("bookings", sa.Column("currency", sa.String(3), nullable=False))
    op.add_column("bookings", sa.Column("cancel_reason", sa.Text(), nullable=True))
    op.add_column(
        "bookings",
        sa.Column(
            "cancelled_by",
            sa.Uuid(),
            sa.ForeignKey("users.id", name="fk_bookings_cancelled_by", ondelete="SET NULL"),
            nullable=True,
        ),
    )
    op.add_column("bookings", sa.Column("confirmed_at", TIMESTAMPTZ, nullable=True))
    op.add_column("bookings", sa.Column("expires_at", TIMESTAMPTZ, nullable=True))
    op.create_index(
        "idx_bookings_expert_id_session_date", "bookings", ["expert_id", "session_date"]
    )
    op.create_index(
        "idx_bookings_expert_id_holding",
        "bookings",
        ["expert_id", "session_date"],
        postgresql_where=sa.text("status IN ('pending', 'scheduled')"),
    )
    op.create_check_constraint(
        op.f("ck_bookings_status"),
        "bookings",
        "status IN ('pending', 'scheduled', 'completed', 'cancelled', 'no_show')",
    )
    op.create_check_constraint(
        op.f("ck_bookings_payment_status"),
        "bookings",
        "payment_status IN ('pending', 'paid', 'refunded')",
    )
    op.create_check_constraint(
        op.f("ck_bookings_duration_price"), "bookings", "duration > 0 AND price >= 0"
    )

    op.create_unique_constraint(
        op.f("uq_session_feedback_booking_id"), "session_feedback", ["booking_id"]
    )

    op.add_column("commissions", sa.Column("rate", sa.Numeric(5, 4), nullable=False))
    op.add_column("commissions", sa.Column("currency", sa.String(3), nullable=False))
    op.create_unique_constraint(op.f("uq_commissions_booking_id"), "commissions", ["booking_id"])
    op.create_check_constraint(
        op.f("ck_commissions_status"), "commissions", "status IN ('pending', 'paid', 'failed')"
    )

    op.create_table(
        "notifications",
        sa.Column("id", sa.Uuid(), server_default=sa.text("gen_random_uuid()"), nullable=False),
        sa.Column(
            "user_id",
            sa.Uuid(),
            sa.ForeignKey("users.id", name="fk_notifications_user_id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("kind", sa.String(50), nullable=False),
        sa.Column("data", JSONB(), server_default=sa.text("'{}'::jsonb"), nullable=False),
        sa.Column("due_at", TIMESTAMPTZ, server_default=NOW, nullable=False),
        sa.Column("sent_at", TIMESTAMPTZ, nullable=True),
        sa.Column("created_at", TIMESTAMPTZ, server_default=NOW, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_notifications"),
    )
    op.create_index(
        "idx_notifications_due",
        "notifications",
        ["due_at"],
        postgresql_where=sa.text("sent_at IS NULL"),
    )
    op.create_index("idx_notifications_user_id", "notifications", ["user_id"])


def downgrade() -> None:
    op.drop_table("notifications")

    op.drop_constraint(op.f("ck_commissions_status"), "commissions", type_="check")
    op.drop_constraint(op.f("uq_commissions_booking_id"), "commissions", type_="unique")
    op.drop_column("commissions", "currency")
    op.drop_column("commissions", "rate")

    op.drop_constraint(op.f("uq_session_feedback_booking_id"), "session_feedback", type_="unique")

    op.drop_constraint(op.f("ck_bookings_duration_price"), "bookings", type_="check")
    op.drop_constraint(op.f("ck_bookings_payment_status"), "bookings", type_="check")
    op.drop_constraint(op.f("ck_bookings_status"), "bookings", type_="check")
    op.drop_index("idx_bookings_expert_id_holding", table_name="bookings")
    op.drop_index("idx_bookings_expert_id_session_date", table_name="bookings")
    for column in ("expires_at", "confirmed_at", "cancelled_by", "cancel_reason", "currency"):
        op.drop_column("bookings", column)
    op.drop_column("bookings", "price")

    op.drop_table("expert_time_off")

    op.drop_constraint(
        op.f("ck_expert_availability_day_of_week_range"), "expert_availability", type_="check"
    )
    op.drop_constraint(
        op.f("uq_expert_availability_expert_id_day_of_week"), "expert_availability", type_="unique"
    )

    op.drop_index("idx_expert_specialties_subject_words", table_name="expert_specialties")
    op.drop_index("idx_expert_specialties_subject_lower", table_name="expert_specialties")
    op.drop_index("idx_expert_specialties_expert_id", table_name="expert_specialties")
    op.drop_constraint(
        op.f("ck_expert_specialties_proficiency_level"), "expert_specialties", type_="check"
    )

    op.drop_constraint(op.f("ck_experts_verification_status"), "experts", type_="check")
    op.drop_constraint(op.f("ck_experts_rate_range"), "experts", type_="check")
    op.drop_constraint(op.f("uq_experts_user_id"), "experts", type_="unique")
    op.drop_column("experts", "rating_count")
    op.drop_column("experts", "meeting_link")
    op.drop_column("experts", "currency")
