"""Fair streaks and weekly goals: vacations, study habits, an index on completion days.

Revision ID: 0017_habits
Revises: 0016_review_cards
Create Date: 2026-12-02
"""

# Reason: issue 14 ("Fair streaks", "Weekly goals").
#   - vacations: /vacation's local days off (starts_on..ends_on inclusive, the learner's own
#     dates); ended_early_at is set by /vacation off or the first /done during it, which also
#     moves ends_on to the day before (so such a row may cover no day at all). Streak freezes
#     are not stored: they are derived from the study days (domain.learning.streaks).
#   - study_habits: one row per learner who set a weekly goal (minutes or sessions, never
#     both) or a week start (0 = Monday); a table of its own rather than columns on users,
#     whose row /done locks, and rather than the notification preferences, which are about
#     messages, not study.
#   - idx_sessions_completed_days: every streak is computed from the local completion dates of
#     a plan's sessions (each /done reads them); a partial index on (curriculum_id,
#     completed_local_date) answers that without touching pending sessions.

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0017_habits"
down_revision: str | Sequence[str] | None = "0016_review_cards"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "vacations",
        sa.Column("id", sa.Uuid(), server_default=sa.text("gen_random_uuid()"), nullable=False),
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("starts_on", sa.Date(), nullable=False),
        sa.Column("ends_on", sa.Date(), nullable=False),
        sa.Column("ended_early_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.CheckConstraint("ends_on >= starts_on OR ended_early_at IS NOT NULL", name="range"),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name="fk_vacations_user_id", ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_vacations"),
    )
    op.create_index("idx_vacations_user_id", "vacations", ["user_id", "starts_on"])
    op.create_table(
        "study_habits",
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("goal_minutes", sa.Integer(), nullable=True),
        sa.Column("goal_sessions", sa.Integer(), nullable=True),
        sa.Column("week_starts", sa.SmallInteger(), server_default=sa.text("0"), nullable=False),
        sa.Column(
            "updated_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.CheckConstraint("week_starts BETWEEN 0 AND 6", name="week_starts"),
        sa.CheckConstraint("goal_minutes IS NULL OR goal_sessions IS NULL", name="one_goal"),
        sa.CheckConstraint(
            "goal_minutes IS NULL OR goal_minutes BETWEEN 1 AND 10080",
            name="goal_minutes",
        ),
        sa.CheckConstraint(
            "goal_sessions IS NULL OR goal_sessions BETWEEN 1 AND 100",
            name="goal_sessions",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name="fk_study_habits_user_id", ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("user_id", name="pk_study_habits"),
    )
    op.execute(
        "CREATE TRIGGER trg_study_habits_updated_at BEFORE UPDATE ON study_habits "
        "FOR EACH ROW EXECUTE FUNCTION set_updated_at()"
    )
    op.create_index(
        "idx_sessions_completed_days",
        "sessions",
        ["curriculum_id", "completed_local_date"],
        postgresql_where=sa.text("completed_local_date IS NOT NULL"),
    )


def downgrade() -> None:
    op.drop_index("idx_sessions_completed_days", table_name="sessions")
    op.execute("DROP TRIGGER trg_study_habits_updated_at ON study_habits")
    op.drop_table("study_habits")
    op.drop_index("idx_vacations_user_id", table_name="vacations")
    op.drop_table("vacations")
