"""Bookings outlive a deleted account: its side of a booking becomes NULL (/delete_me).

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-02
"""

# Reason: /delete_me (issue 13) deletes a person with everything that is theirs, but a past
#   booking is also the other side's history (and, for an expert, the ledger). The seed's
#   ON DELETE CASCADE on bookings.user_id and bookings.expert_id would make the other side's
#   booking vanish; ON DELETE SET NULL keeps the row without the deleted person (both columns
#   are nullable in the seed). Feedback and commissions hang off the booking and stay with it.

from collections.abc import Sequence

from alembic import op

revision: str = "0011"
down_revision: str | Sequence[str] | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_FKS = (
    ("fk_bookings_user_id", "user_id", "users"),
    ("fk_bookings_expert_id", "expert_id", "experts"),
)


def _recreate(ondelete: str) -> None:
    for name, column, target in _FKS:
        op.drop_constraint(op.f(name), "bookings", type_="foreignkey")
        op.create_foreign_key(op.f(name), "bookings", target, [column], ["id"], ondelete=ondelete)


def upgrade() -> None:
    _recreate("SET NULL")


def downgrade() -> None:
    op.execute("DELETE FROM bookings WHERE user_id IS NULL OR expert_id IS NULL")
    _recreate("CASCADE")
