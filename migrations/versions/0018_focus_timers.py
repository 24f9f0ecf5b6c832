"""Focus timers: /focus runs one, and its end asks to log the minutes on the session.

Revision ID: 0018_focus_timers
Revises: 0017_habits
Create Date: 2026-12-02
"""

# Reason: issue 14's focus timer. /focus [minutes] starts a timer on the next session of the
#   learner's current plan; its end is a FOCUS_END row in the outbox (written in the same
#   transaction, due at ends_at), so it survives a restart and is sent once. The row is what
#   the buttons under the timer and under that notification act on, re-checked each press:
#   - stopped_at: Stop ended it early (the notification is then dropped as no longer applying);
#   - logged_at: its minutes were logged once (a second Log it, or a double tap, logs nothing);
#   - session_id: the session it was started on; logging it is refused once another session
#     is next (the timer's minutes belong to that session, not to whatever comes after).
#   Cascades from users (/delete_me), curricula and sessions (a deleted session's timer has
#   nothing left to log). One running timer per learner is checked holding the learner's row
#   (the lock order), not by a constraint: "running" depends on the time.

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0018_focus_timers"
down_revision: str | Sequence[str] | None = "0017_habits"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TZ = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "focus_timers",
        sa.Column("id", sa.Uuid, server_default=sa.text("gen_random_uuid()"), nullable=False),
        sa.Column("user_id", sa.Uuid, nullable=False),
        sa.Column("curriculum_id", sa.Uuid, nullable=False),
        sa.Column("session_id", sa.Uuid, nullable=False),
        sa.Column("minutes", sa.Integer, nullable=False),
        sa.Column("started_at", TZ, nullable=False),
        sa.Column("ends_at", TZ, nullable=False),
        sa.Column("stopped_at", TZ),
        sa.Column("logged_at", TZ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_focus_timers")),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_focus_timers_user_id"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["curriculum_id"],
            ["curricula.id"],
            name=op.f("fk_focus_timers_curriculum_id"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["session_id"],
            ["sessions.id"],
            name=op.f("fk_focus_timers_session_id"),
            ondelete="CASCADE",
        ),
        sa.CheckConstraint(
            "minutes BETWEEN 5 AND 180", name=op.f("ck_focus_timers_minutes_range")
        ),
        sa.CheckConstraint("ends_at > started_at", name=op.f("ck_focus_timers_ends_after_start")),
    )
    # The learner's running timer: their latest ones, found by user.
    op.create_index("idx_focus_timers_user_id", "focus_timers", ["user_id", "ends_at"])
    op.create_index("idx_focus_timers_session_id", "focus_timers", ["session_id"])
    op.create_index("idx_focus_timers_curriculum_id", "focus_timers", ["curriculum_id"])


def downgrade() -> None:
    op.drop_table("focus_timers")
