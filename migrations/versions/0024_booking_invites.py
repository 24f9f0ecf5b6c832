"""The calendar invite of each booking: its version and when it was made.

Revision ID: 0024
Revises: 0019_instances
Create Date: 2026-12-02
"""

# Reason: both sides of a confirmed booking get an .ics invite (issue 15); a move sends an
#   updated one and a cancellation a cancelling one, with the same UID and a higher SEQUENCE.
#   The version is stored, bumped in the transaction of the change, so a notice rendered
#   later makes the same file for the same version and never a lower one:
#   - bookings.invite_sequence: the invite's SEQUENCE (NULL: never confirmed, no invite)
#   - bookings.invited_at: when that version was made (its DTSTAMP)
#   Bookings confirmed before this migration get version 0, made when they were confirmed.

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0024"
down_revision: str | Sequence[str] | None = "0023"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("bookings", sa.Column("invite_sequence", sa.Integer()))
    op.add_column("bookings", sa.Column("invited_at", sa.DateTime(timezone=True)))
    op.execute(
        "UPDATE bookings SET invite_sequence = 0, invited_at = confirmed_at "
        "WHERE confirmed_at IS NOT NULL"
    )


def downgrade() -> None:
    for column in ("invited_at", "invite_sequence"):
        op.drop_column("bookings", column)
