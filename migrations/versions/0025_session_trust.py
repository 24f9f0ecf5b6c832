"""After a session: the learner's yes, disputes, and ledger rows that are held until payable.

Revision ID: 0025_trust
Revises: 0024
Create Date: 2026-12-03
"""

# Reason: money moves only once the session happened (issue 15). The learner is asked "Did
#   your session happen?"; a row is payable after their yes or 72 hours without a problem;
#   a problem reported by either side holds it until an admin decides (refund, pay, split):
#   - bookings.happened_at: when the learner said yes
#   - commissions.payable_at (NULL: held), learner_refund and decision, with
#     platform_commission + expert_earnings + learner_refund = the booking's price; a payout
#     run pays only rows payable by then (idx_commissions_payable)
#   - booking_disputes: one per booking, who reported what, the other side's account, the
#     decision and who made it (SET NULL: a deleted admin's decisions stay)
#   Rows written before this migration were payable at once, so they stay payable.

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0025_trust"
down_revision: str | Sequence[str] | None = "0024"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

DECISIONS = "decision IN ('refund', 'pay', 'split')"


def upgrade() -> None:
    op.add_column("bookings", sa.Column("happened_at", sa.DateTime(timezone=True)))
    op.add_column("commissions", sa.Column("payable_at", sa.DateTime(timezone=True)))
    op.add_column(
        "commissions",
        sa.Column(
            "learner_refund", sa.Numeric(10, 2), server_default=sa.text("0"), nullable=False
        ),
    )
    op.add_column("commissions", sa.Column("decision", sa.String(10)))
    op.execute("UPDATE commissions SET payable_at = coalesce(created_at, now())")
    op.create_check_constraint(
        op.f("ck_commissions_amounts"),
        "commissions",
        "platform_commission >= 0 AND expert_earnings >= 0 AND learner_refund >= 0",
    )
    op.create_check_constraint(op.f("ck_commissions_decision"), "commissions", DECISIONS)
    op.create_index(
        "idx_commissions_payable",
        "commissions",
        ["payable_at"],
        postgresql_where=sa.text("status = 'pending' AND payable_at IS NOT NULL"),
    )
    op.create_table(
        "booking_disputes",
        sa.Column("id", sa.Uuid(), server_default=sa.text("gen_random_uuid()"), nullable=False),
        sa.Column("booking_id", sa.Uuid(), nullable=False),
        sa.Column("opened_by", sa.String(10), nullable=False),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("details", sa.Text()),
        sa.Column("answer", sa.Text()),
        sa.Column("opened_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("answered_at", sa.DateTime(timezone=True)),
        sa.Column("decided_at", sa.DateTime(timezone=True)),
        sa.Column("decided_by", sa.Uuid()),
        sa.Column("decision", sa.String(10)),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_booking_disputes")),
        sa.ForeignKeyConstraint(
            ["booking_id"],
            ["bookings.id"],
            name=op.f("fk_booking_disputes_booking_id"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["decided_by"],
            ["users.id"],
            name=op.f("fk_booking_disputes_decided_by"),
            ondelete="SET NULL",
        ),
        sa.UniqueConstraint("booking_id", name=op.f("uq_booking_disputes_booking_id")),
        sa.CheckConstraint(
            "opened_by IN ('learner', 'expert')", name=op.f("ck_booking_disputes_opened_by")
        ),
        sa.CheckConstraint(
            "kind IN ('expert_absent', 'cut_short', 'other', 'no_show_disputed')",
            name=op.f("ck_booking_disputes_kind"),
        ),
        sa.CheckConstraint(DECISIONS, name=op.f("ck_booking_disputes_decision")),
        sa.CheckConstraint(
            "(decision IS NULL) = (decided_at IS NULL)", name=op.f("ck_booking_disputes_decided")
        ),
    )
    op.create_index(
        "idx_booking_disputes_open",
        "booking_disputes",
        ["opened_at"],
        postgresql_where=sa.text("decided_at IS NULL"),
    )


def downgrade() -> None:
    op.drop_table("booking_disputes")
    op.drop_index("idx_commissions_payable", table_name="commissions")
    op.drop_constraint(op.f("ck_commissions_decision"), "commissions", type_="check")
    op.drop_constraint(op.f("ck_commissions_amounts"), "commissions", type_="check")
    for column in ("decision", "learner_refund", "payable_at"):
        op.drop_column("commissions", column)
    op.drop_column("bookings", "happened_at")
