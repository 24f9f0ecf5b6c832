"""Requests that do not rot: a waitlist for a fully booked day (the nudges need no table).

Revision ID: 0022
Revises: 0019_instances
Create Date: 2026-12-02
"""

# Reason: issue 15. A learner who finds an expert's day fully booked taps "Tell me if a slot
#   frees up": a row here, for the expert's local dates starts_on..ends_on (the learner's day
#   as the expert lives it, usually one date) and the session length they chose. When a
#   booking on one of those dates is declined, cancelled or lapses, the row is deleted and a
#   WAITLIST_FREED notice written in the same transaction (told once). expires_at is the
#   expert's local midnight after ends_on (in UTC); later the row no longer matches and the
#   daily clean-up deletes it. One row per learner, expert and dates (a double tap adds
#   nothing). Cascades from users (/delete_me) and experts. The nudges to the expert at 12 and
#   36 hours are outbox rows with dedupe keys, planned when the request is made.

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0022"
down_revision: str | Sequence[str] | None = "0021"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TZ = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "waitlist_entries",
        sa.Column("id", sa.Uuid, server_default=sa.text("gen_random_uuid()"), nullable=False),
        sa.Column("user_id", sa.Uuid, nullable=False),
        sa.Column("expert_id", sa.Uuid, nullable=False),
        sa.Column("starts_on", sa.Date, nullable=False),
        sa.Column("ends_on", sa.Date, nullable=False),
        sa.Column("minutes", sa.Integer, nullable=False),
        sa.Column("created_at", TZ, nullable=False),
        sa.Column("expires_at", TZ, nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_waitlist_entries")),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_waitlist_entries_user_id"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["expert_id"],
            ["experts.id"],
            name=op.f("fk_waitlist_entries_expert_id"),
            ondelete="CASCADE",
        ),
        sa.UniqueConstraint(
            "user_id",
            "expert_id",
            "starts_on",
            "ends_on",
            name=op.f("uq_waitlist_entries_user_id_expert_id_starts_on_ends_on"),
        ),
        sa.CheckConstraint("ends_on >= starts_on", name=op.f("ck_waitlist_entries_dates")),
        sa.CheckConstraint("minutes > 0", name=op.f("ck_waitlist_entries_minutes")),
    )
    # Who waits for a day freed with an expert (the unique key serves a learner's own).
    op.create_index(
        "idx_waitlist_entries_expert_id", "waitlist_entries", ["expert_id", "starts_on"]
    )


def downgrade() -> None:
    op.drop_table("waitlist_entries")
