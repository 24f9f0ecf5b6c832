"""Create the seed schema plus the tables and columns a chat product needs.

Revision ID: 0001
Revises:
Create Date: 2025-11-24

"""

# Reason: initial schema. Tables, columns, types, defaults, nullability and index names follow
#   ../shared/seed-schema.md. Deliberate deviations (documented in db/models/ and the
#   README's schema section):
#   - users.email, users.password_hash nullable: chat-created users have neither.
#   - users.current_curriculum_id (ON DELETE SET NULL): what /plan, /next and /done act on.
#   - sessions.minutes_spent, sessions.completed_local_date,
#     user_progress.last_session_local_date: exact /undo and time-zone-proof streaks.
#   - UNIQUE(curriculum_id, session_number); CHECKs on curricula's ranges and enums.
#   - platform_identities (chat accounts) and conversation_states (durable wizards).
#   - one FK per column named fk_<table>_<column> (the seed also added a second, named copy).
#   - set_updated_at() trigger on every table with updated_at, so it really moves on UPDATE.

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import ARRAY, JSONB

revision: str = "0001"
down_revision: str | Sequence[str] | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TIMESTAMPTZ = sa.DateTime(timezone=True)
NOW = sa.text("now()")

# One BEFORE UPDATE trigger per table that has updated_at, written out in full.
CREATE_TRIGGERS = (
    "CREATE TRIGGER trg_users_updated_at BEFORE UPDATE ON users "
    "FOR EACH ROW EXECUTE FUNCTION set_updated_at()",
    "CREATE TRIGGER trg_curricula_updated_at BEFORE UPDATE ON curricula "
    "FOR EACH ROW EXECUTE FUNCTION set_updated_at()",
    "CREATE TRIGGER trg_user_progress_updated_at BEFORE UPDATE ON user_progress "
    "FOR EACH ROW EXECUTE FUNCTION set_updated_at()",
    "CREATE TRIGGER trg_user_notes_updated_at BEFORE UPDATE ON user_notes "
    "FOR EACH ROW EXECUTE FUNCTION set_updated_at()",
    "CREATE TRIGGER trg_experts_updated_at BEFORE UPDATE ON experts "
    "FOR EACH ROW EXECUTE FUNCTION set_updated_at()",
    "CREATE TRIGGER trg_expert_availability_updated_at BEFORE UPDATE ON expert_availability "
    "FOR EACH ROW EXECUTE FUNCTION set_updated_at()",
    "CREATE TRIGGER trg_bookings_updated_at BEFORE UPDATE ON bookings "
    "FOR EACH ROW EXECUTE FUNCTION set_updated_at()",
    "CREATE TRIGGER trg_platform_identities_updated_at BEFORE UPDATE ON platform_identities "
    "FOR EACH ROW EXECUTE FUNCTION set_updated_at()",
    "CREATE TRIGGER trg_conversation_states_updated_at BEFORE UPDATE ON conversation_states "
    "FOR EACH ROW EXECUTE FUNCTION set_updated_at()",
)
DROP_TRIGGERS = (
    "DROP TRIGGER trg_users_updated_at ON users",
    "DROP TRIGGER trg_curricula_updated_at ON curricula",
    "DROP TRIGGER trg_user_progress_updated_at ON user_progress",
    "DROP TRIGGER trg_user_notes_updated_at ON user_notes",
    "DROP TRIGGER trg_experts_updated_at ON experts",
    "DROP TRIGGER trg_expert_availability_updated_at ON expert_availability",
    "DROP TRIGGER trg_bookings_updated_at ON bookings",
    "DROP TRIGGER trg_platform_identities_updated_at ON platform_identities",
    "DROP TRIGGER trg_conversation_states_updated_at ON conversation_states",
)


def _id() -> sa.Column:
    return sa.Column("id", sa.Uuid(), server_default=sa.text("gen_random_uuid()"), nullable=False)


def _fk(table: str, column: str, target: str, *, nullable: bool = True) -> sa.Column:
    """A UUID column with its ``fk_<table>_<column>`` foreign key, ON DELETE CASCADE."""
    return sa.Column(
        column,
        sa.Uuid(),
        sa.ForeignKey(target, name=op.f(f"fk_{table}_{column}"), ondelete="CASCADE"),
        nullable=nullable,
    )


def _stamp(name: str, *, nullable: bool = True) -> sa.Column:
    return sa.Column(name, TIMESTAMPTZ, server_default=NOW, nullable=nullable)


def _pk(table: str) -> sa.PrimaryKeyConstraint:
    return sa.PrimaryKeyConstraint("id", name=op.f(f"pk_{table}"))


def upgrade() -> None:
    op.create_table(
        "users",
        _id(),
        sa.Column("email", sa.String(255), nullable=True),
        sa.Column("password_hash", sa.String(255), nullable=True),
        sa.Column("name", sa.String(255), nullable=False),
        sa.Column("timezone", sa.String(50), server_default=sa.text("'UTC'"), nullable=True),
        sa.Column(
            "notification_preferences",
            JSONB(),
            server_default=sa.text("'{}'::jsonb"),
            nullable=True,
        ),
        _stamp("created_at"),
        _stamp("updated_at"),
        # FK added below, once curricula exists (the two tables reference each other).
        sa.Column("current_curriculum_id", sa.Uuid(), nullable=True),
        _pk("users"),
        sa.UniqueConstraint("email", name=op.f("uq_users_email")),
    )
    op.create_index("idx_users_email", "users", ["email"])
    op.create_index("idx_users_created_at", "users", ["created_at"])

    op.create_table(
        "curricula",
        _id(),
        _fk("curricula", "user_id", "users.id"),
        sa.Column("title", sa.String(255), nullable=False),
        sa.Column("subject", sa.String(255), nullable=False),
        sa.Column("total_sessions", sa.Integer(), nullable=False),
        sa.Column("session_duration", sa.Integer(), nullable=False),
        sa.Column("skill_level", sa.String(50), nullable=False),
        sa.Column("goals", sa.Text(), nullable=True),
        sa.Column("background", sa.Text(), nullable=True),
        sa.Column("status", sa.String(50), server_default=sa.text("'active'"), nullable=True),
        _stamp("created_at"),
        _stamp("updated_at"),
        _pk("curricula"),
        sa.CheckConstraint(
            "total_sessions BETWEEN 1 AND 365", name=op.f("ck_curricula_total_sessions_range")
        ),
        sa.CheckConstraint(
            "session_duration BETWEEN 5 AND 480",
            name=op.f("ck_curricula_session_duration_range"),
        ),
        sa.CheckConstraint(
            "skill_level IN ('beginner', 'intermediate', 'advanced')",
            name=op.f("ck_curricula_skill_level"),
        ),
        sa.CheckConstraint(
            "status IN ('active', 'completed', 'paused', 'archived')",
            name=op.f("ck_curricula_status"),
        ),
    )
    op.create_index("idx_curricula_user_id", "curricula", ["user_id"])
    op.create_index("idx_curricula_status", "curricula", ["status"])
    op.create_index("idx_curricula_created_at", "curricula", ["created_at"])

    op.create_foreign_key(
        op.f("fk_users_current_curriculum_id"),
        "users",
        "curricula",
        ["current_curriculum_id"],
        ["id"],
        ondelete="SET NULL",
    )

    op.create_table(
        "sessions",
        _id(),
        _fk("sessions", "curriculum_id", "curricula.id"),
        sa.Column("session_number", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(255), nullable=False),
        sa.Column("objectives", ARRAY(sa.Text()), nullable=True),
        sa.Column("materials", sa.Text(), nullable=True),
        sa.Column("resources", JSONB(), server_default=sa.text("'[]'::jsonb"), nullable=True),
        sa.Column("completed_at", TIMESTAMPTZ, nullable=True),
        sa.Column("notes", sa.Text(), nullable=True),
        _stamp("created_at"),
        sa.Column("minutes_spent", sa.Integer(), nullable=True),
        sa.Column("completed_local_date", sa.Date(), nullable=True),
        _pk("sessions"),
        sa.UniqueConstraint(
            "curriculum_id",
            "session_number",
            name=op.f("uq_sessions_curriculum_id_session_number"),
        ),
    )
    op.create_index("idx_sessions_curriculum_id", "sessions", ["curriculum_id"])
    op.create_index("idx_sessions_session_number", "sessions", ["curriculum_id", "session_number"])

    op.create_table(
        "user_progress",
        _id(),
        _fk("user_progress", "user_id", "users.id"),
        _fk("user_progress", "curriculum_id", "curricula.id"),
        sa.Column("sessions_completed", sa.Integer(), server_default=sa.text("0"), nullable=True),
        sa.Column("total_time_spent", sa.Integer(), server_default=sa.text("0"), nullable=True),
        sa.Column("current_streak", sa.Integer(), server_default=sa.text("0"), nullable=True),
        sa.Column("last_session_date", TIMESTAMPTZ, nullable=True),
        _stamp("created_at"),
        _stamp("updated_at"),
        sa.Column("last_session_local_date", sa.Date(), nullable=True),
        _pk("user_progress"),
        sa.UniqueConstraint(
            "user_id", "curriculum_id", name=op.f("uq_user_progress_user_id_curriculum_id")
        ),
    )
    op.create_index("idx_user_progress_user_id", "user_progress", ["user_id"])
    op.create_index("idx_user_progress_curriculum_id", "user_progress", ["curriculum_id"])

    op.create_table(
        "user_notes",
        _id(),
        _fk("user_notes", "user_id", "users.id"),
        _fk("user_notes", "session_id", "sessions.id"),
        sa.Column("content", sa.Text(), nullable=False),
        _stamp("created_at"),
        _stamp("updated_at"),
        _pk("user_notes"),
    )

    op.create_table(
        "experts",
        _id(),
        _fk("experts", "user_id", "users.id"),
        sa.Column("display_name", sa.String(255), nullable=False),
        sa.Column("bio", sa.Text(), nullable=True),
        sa.Column("credentials", sa.Text(), nullable=True),
        sa.Column("hourly_rate_min", sa.Numeric(10, 2), nullable=False),
        sa.Column("hourly_rate_max", sa.Numeric(10, 2), nullable=False),
        sa.Column("timezone", sa.String(50), nullable=False),
        sa.Column(
            "languages", ARRAY(sa.Text()), server_default=sa.text("'{}'::text[]"), nullable=True
        ),
        sa.Column(
            "verification_status",
            sa.String(50),
            server_default=sa.text("'pending'"),
            nullable=True,
        ),
        sa.Column("approval_date", TIMESTAMPTZ, nullable=True),
        sa.Column("total_sessions", sa.Integer(), server_default=sa.text("0"), nullable=True),
        sa.Column(
            "average_rating", sa.Numeric(3, 2), server_default=sa.text("0.00"), nullable=True
        ),
        _stamp("created_at"),
        _stamp("updated_at"),
        _pk("experts"),
    )
    op.create_index("idx_experts_verification_status", "experts", ["verification_status"])
    op.create_index("idx_experts_average_rating", "experts", ["average_rating"])

    op.create_table(
        "expert_specialties",
        _id(),
        _fk("expert_specialties", "expert_id", "experts.id"),
        sa.Column("subject", sa.String(255), nullable=False),
        sa.Column("proficiency_level", sa.String(50), nullable=False),
        _stamp("created_at"),
        _pk("expert_specialties"),
    )
    op.create_index("idx_expert_specialties_subject", "expert_specialties", ["subject"])

    op.create_table(
        "expert_availability",
        _id(),
        _fk("expert_availability", "expert_id", "experts.id"),
        sa.Column("day_of_week", sa.Integer(), nullable=False),
        sa.Column("time_slots", JSONB(), nullable=False),
        sa.Column("timezone", sa.String(50), nullable=False),
        _stamp("created_at"),
        _stamp("updated_at"),
        _pk("expert_availability"),
    )

    op.create_table(
        "bookings",
        _id(),
        _fk("bookings", "user_id", "users.id"),
        _fk("bookings", "expert_id", "experts.id"),
        sa.Column("session_date", TIMESTAMPTZ, nullable=False),
        sa.Column("duration", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(50), server_default=sa.text("'scheduled'"), nullable=True),
        sa.Column(
            "payment_status", sa.String(50), server_default=sa.text("'pending'"), nullable=True
        ),
        sa.Column("meeting_link", sa.String(500), nullable=True),
        sa.Column("session_notes", sa.Text(), nullable=True),
        _stamp("created_at"),
        _stamp("updated_at"),
        _pk("bookings"),
    )
    op.create_index("idx_bookings_user_id", "bookings", ["user_id"])
    op.create_index("idx_bookings_expert_id", "bookings", ["expert_id"])
    op.create_index("idx_bookings_session_date", "bookings", ["session_date"])
    op.create_index("idx_bookings_status", "bookings", ["status"])

    op.create_table(
        "session_feedback",
        _id(),
        _fk("session_feedback", "booking_id", "bookings.id"),
        sa.Column("rating", sa.Integer(), nullable=True),
        sa.Column("review", sa.Text(), nullable=True),
        sa.Column("user_notes", sa.Text(), nullable=True),
        sa.Column("expert_notes", sa.Text(), nullable=True),
        _stamp("created_at"),
        _pk("session_feedback"),
        sa.CheckConstraint(
            "rating >= 1 AND rating <= 5", name=op.f("ck_session_feedback_rating_range")
        ),
    )

    op.create_table(
        "commissions",
        _id(),
        _fk("commissions", "booking_id", "bookings.id"),
        sa.Column("expert_earnings", sa.Numeric(10, 2), nullable=False),
        sa.Column("platform_commission", sa.Numeric(10, 2), nullable=False),
        sa.Column("payment_date", TIMESTAMPTZ, nullable=True),
        sa.Column("status", sa.String(50), server_default=sa.text("'pending'"), nullable=True),
        _stamp("created_at"),
        _pk("commissions"),
    )

    op.create_table(
        "platform_identities",
        _id(),
        _fk("platform_identities", "user_id", "users.id", nullable=False),
        sa.Column("platform", sa.String(20), nullable=False),
        sa.Column("external_id", sa.String(255), nullable=False),
        sa.Column("chat_id", sa.String(255), nullable=True),
        sa.Column("display_name", sa.String(255), nullable=True),
        _stamp("created_at", nullable=False),
        _stamp("updated_at", nullable=False),
        _pk("platform_identities"),
        sa.UniqueConstraint(
            "platform", "external_id", name=op.f("uq_platform_identities_platform_external_id")
        ),
    )
    op.create_index("idx_platform_identities_user_id", "platform_identities", ["user_id"])

    op.create_table(
        "conversation_states",
        _fk("conversation_states", "user_id", "users.id", nullable=False),
        sa.Column("flow", sa.String(50), nullable=False),
        sa.Column("step", sa.String(50), nullable=False),
        sa.Column("data", JSONB(), server_default=sa.text("'{}'::jsonb"), nullable=False),
        sa.Column("token", sa.String(16), nullable=False),
        sa.Column("expires_at", TIMESTAMPTZ, nullable=False),
        _stamp("created_at", nullable=False),
        _stamp("updated_at", nullable=False),
        sa.PrimaryKeyConstraint("user_id", name=op.f("pk_conversation_states")),
    )

    op.execute(
        """
        CREATE FUNCTION set_updated_at() RETURNS trigger
        LANGUAGE plpgsql AS $$
        BEGIN
            NEW.updated_at := now();
            RETURN NEW;
        END;
        $$
        """
    )
    for statement in CREATE_TRIGGERS:
        op.execute(statement)


def downgrade() -> None:
    for statement in DROP_TRIGGERS:
        op.execute(statement)
    op.execute("DROP FUNCTION set_updated_at()")

    op.drop_table("conversation_states")
    op.drop_table("platform_identities")
    op.drop_table("commissions")
    op.drop_table("session_feedback")
    op.drop_table("bookings")
    op.drop_table("expert_availability")
    op.drop_table("expert_specialties")
    op.drop_table("experts")
    op.drop_table("user_notes")
    op.drop_table("user_progress")
    op.drop_table("sessions")
    op.drop_constraint(op.f("fk_users_current_curriculum_id"), "users", type_="foreignkey")
    op.drop_table("curricula")
    op.drop_table("users")
