"""Expert review: changes waiting for an admin, rejection reasons, suspension.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-02
"""

# Reason: issue 12. A verified expert's change to credentials or specialties is reviewed again
#   before it is public, so it waits apart from the approved values, which stay on the profile:
#   - expert_profile_changes: one row per (expert, reviewed field), the new value as JSON, and
#     the admin's reason once rejected (the expert edits again to resubmit)
#   - experts.rejection_reason: why a new profile was rejected, shown to its expert
#   - verification_status 'suspended': an admin takes a verified expert out of search and
#     booking, and reinstates them to 'verified'

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0010"
down_revision: str | Sequence[str] | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TIMESTAMPTZ = sa.DateTime(timezone=True)
STATUS = "ck_experts_verification_status"


def upgrade() -> None:
    op.add_column("experts", sa.Column("rejection_reason", sa.Text()))
    op.drop_constraint(op.f(STATUS), "experts", type_="check")
    op.create_check_constraint(
        op.f(STATUS),
        "experts",
        "verification_status IN ('pending', 'verified', 'rejected', 'suspended')",
    )
    op.create_table(
        "expert_profile_changes",
        sa.Column("id", sa.Uuid(), server_default=sa.text("gen_random_uuid()"), nullable=False),
        sa.Column("expert_id", sa.Uuid(), nullable=False),
        sa.Column("field", sa.String(20), nullable=False),
        sa.Column("value", postgresql.JSONB(), nullable=False),
        sa.Column("rejected_reason", sa.Text(), nullable=True),
        sa.Column("submitted_at", TIMESTAMPTZ, server_default=sa.text("now()"), nullable=False),
        sa.CheckConstraint(
            "field IN ('credentials', 'specialties')",
            name=op.f("ck_expert_profile_changes_field"),
        ),
        sa.ForeignKeyConstraint(
            ["expert_id"],
            ["experts.id"],
            name=op.f("fk_expert_profile_changes_expert_id"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_expert_profile_changes")),
        sa.UniqueConstraint(
            "expert_id", "field", name=op.f("uq_expert_profile_changes_expert_id_field")
        ),
    )


def downgrade() -> None:
    op.drop_table("expert_profile_changes")
    op.execute(
        "UPDATE experts SET verification_status = 'verified'"
        " WHERE verification_status = 'suspended'"
    )
    op.drop_constraint(op.f(STATUS), "experts", type_="check")
    op.create_check_constraint(
        op.f(STATUS), "experts", "verification_status IN ('pending', 'verified', 'rejected')"
    )
    op.drop_column("experts", "rejection_reason")
