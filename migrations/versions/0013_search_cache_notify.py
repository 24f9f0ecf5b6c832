"""Every change to what search pages and profile cards show sends a NOTIFY (db.cache).

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-02
"""

# Reason: each bot process keeps a read-through cache of search pages and profile cards and
#   must drop an entry when any process changes what it shows. A trigger notifies in the
#   changing transaction itself, so PostgreSQL delivers it only on commit (a rolled-back change
#   sends nothing), and no writer can forget it (raw SQL, admin commands and clean-up jobs
#   included). The payload is "<kind>:<expert id>": "e" for what ranks or lists an expert
#   (profile, specialties, verification, ratings), "s" for their free time (weekly hours, time
#   off, bookings). Identical payloads in one transaction are sent once.

from collections.abc import Sequence

from alembic import op

revision: str = "0013"
down_revision: str | Sequence[str] | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

CHANNEL = "syllabot_cache"

# table -> (kind, how the expert id is read from the row ``{row}``)
_TABLES = {
    "experts": ("e", "{row}.id"),
    "expert_specialties": ("e", "{row}.expert_id"),
    "expert_availability": ("s", "{row}.expert_id"),
    "expert_time_off": ("s", "{row}.expert_id"),
    "bookings": ("s", "{row}.expert_id"),
    "session_feedback": (
        "e",
        "(SELECT b.expert_id FROM bookings b WHERE b.id = {row}.booking_id)",
    ),
}


def _function(table: str) -> str:
    kind, expert = _TABLES[table]
    notify = (
        f"IF expert IS NOT NULL THEN PERFORM pg_notify('{CHANNEL}', '{kind}:' || expert); END IF"
    )
    return f"""
CREATE FUNCTION syllabot_notify_{table}() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    expert text;
BEGIN
    IF TG_OP <> 'DELETE' THEN
        expert := {expert.format(row="NEW")};
        {notify};
    END IF;
    IF TG_OP <> 'INSERT' THEN
        expert := {expert.format(row="OLD")};
        {notify};
    END IF;
    RETURN NULL;
END $$"""


def upgrade() -> None:
    for table in _TABLES:
        op.execute(_function(table))
        op.execute(
            f"CREATE TRIGGER trg_{table}_notify_cache AFTER INSERT OR UPDATE OR DELETE "
            f"ON {table} FOR EACH ROW EXECUTE FUNCTION syllabot_notify_{table}()"
        )


def downgrade() -> None:
    for table in _TABLES:
        op.execute(f"DROP TRIGGER IF EXISTS trg_{table}_notify_cache ON {table}")
        op.execute(f"DROP FUNCTION IF EXISTS syllabot_notify_{table}()")
