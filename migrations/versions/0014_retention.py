"""Retention: when each user was last seen and warned, and archive tables for old sessions.

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-02
"""

# Reason: issue 13's retention and clean-up.
#   - users.last_seen_at: the last message or press (the dispatcher writes it at most once a
#     day per user); existing users start at the migration's time, so nobody is warned or
#     deleted for inactivity the system never measured. A constant default: no table rewrite.
#   - users.inactive_warned_at: when the 30-day warning before deletion was queued (NULL: not
#     warned, or active since).
#   - archived_sessions, archived_user_notes: the same columns as sessions and user_notes, for
#     curricula archived over two years ago; they cascade from curricula and users like the
#     originals, so /delete_me deletes them too.
#   - idx_user_notes_session_id: each batch moves the notes of its sessions.

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import ARRAY, JSONB

revision: str = "0014"
down_revision: str | Sequence[str] | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TZ = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.add_column(
        "users",
        sa.Column("last_seen_at", TZ, server_default=sa.text("now()"), nullable=False),
    )
    op.add_column("users", sa.Column("inactive_warned_at", TZ))
    op.create_index("idx_users_last_seen_at", "users", ["last_seen_at"])
    # Notes are moved with their session in batches: found by session, not by a scan.
    op.create_index("idx_user_notes_session_id", "user_notes", ["session_id"])
    op.create_table(
        "archived_sessions",
        sa.Column("id", sa.Uuid, nullable=False),
        sa.Column("curriculum_id", sa.Uuid),
        sa.Column("session_number", sa.Integer, nullable=False),
        sa.Column("title", sa.String(255), nullable=False),
        sa.Column("objectives", ARRAY(sa.Text)),
        sa.Column("materials", sa.Text),
        sa.Column("resources", JSONB),
        sa.Column("completed_at", TZ),
        sa.Column("notes", sa.Text),
        sa.Column("created_at", TZ),
        sa.Column("minutes_spent", sa.Integer),
        sa.Column("completed_local_date", sa.Date),
        sa.Column("archived_at", TZ, server_default=sa.text("now()"), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_archived_sessions")),
        sa.ForeignKeyConstraint(
            ["curriculum_id"],
            ["curricula.id"],
            name=op.f("fk_archived_sessions_curriculum_id"),
            ondelete="CASCADE",
        ),
    )
    op.create_index("idx_archived_sessions_curriculum_id", "archived_sessions", ["curriculum_id"])
    op.create_table(
        "archived_user_notes",
        sa.Column("id", sa.Uuid, nullable=False),
        sa.Column("user_id", sa.Uuid),
        sa.Column("session_id", sa.Uuid),
        sa.Column("content", sa.Text, nullable=False),
        sa.Column("created_at", TZ),
        sa.Column("updated_at", TZ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_archived_user_notes")),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_archived_user_notes_user_id"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["session_id"],
            ["archived_sessions.id"],
            name=op.f("fk_archived_user_notes_session_id"),
            ondelete="CASCADE",
        ),
    )
    op.execute(  # every table with updated_at has the trigger (0001)
        "CREATE TRIGGER trg_archived_user_notes_updated_at BEFORE UPDATE ON archived_user_notes "
        "FOR EACH ROW EXECUTE FUNCTION set_updated_at()"
    )
    op.create_index("idx_archived_user_notes_user_id", "archived_user_notes", ["user_id"])
    op.create_index("idx_archived_user_notes_session_id", "archived_user_notes", ["session_id"])


def downgrade() -> None:
    # Archived rows go back where they came from before their tables go.
    op.execute(
        """INSERT INTO sessions (id, curriculum_id, session_number, title, objectives,
                  materials, resources, completed_at, notes, created_at, minutes_spent,
                  completed_local_date)
           SELECT id, curriculum_id, session_number, title, objectives, materials, resources,
                  completed_at, notes, created_at, minutes_spent, completed_local_date
             FROM archived_sessions"""
    )
    op.execute(
        """INSERT INTO user_notes (id, user_id, session_id, content, created_at, updated_at)
           SELECT id, user_id, session_id, content, created_at, updated_at
             FROM archived_user_notes"""
    )
    op.drop_table("archived_user_notes")
    op.drop_table("archived_sessions")
    op.drop_index("idx_user_notes_session_id", table_name="user_notes")
    op.drop_index("idx_users_last_seen_at", table_name="users")
    op.drop_column("users", "inactive_warned_at")
    op.drop_column("users", "last_seen_at")
