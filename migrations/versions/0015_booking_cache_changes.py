"""Bookings tell the search cache of their changes through a change log, not a NOTIFY.

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-02
"""

# Reason: PostgreSQL serializes the commits of every transaction that sent a NOTIFY (they
#   take one global lock on the notification queue until their commit record is flushed), so
#   the booking trigger of 0013 made concurrent bookings queue behind each other: a burst of
#   100 inserts with a NOTIFY trigger had a p95 of 70-98 ms against 33 ms without one, on the
#   same server in the same run (/tmp experiment in the closing note of issue 13). Bookings are
#   the marketplace's hot write, so their trigger now inserts "s:<expert id>" into
#   cache_changes instead, which concurrent transactions do without waiting for each other;
#   every process's cache polls it (db.cache, twice a second) by snapshot: the rows of the
#   transactions that committed since its last poll (xid not visible in that poll's snapshot).
#   The rarer changes (profiles, hours, time off, ratings) keep their NOTIFY.
#   - cache_changes.xid: the writing transaction (pg_current_xact_id()), compared with the
#     poller's snapshots; payload: what changed, as in 0013. UNLOGGED: after a crash the table
#     is empty, and every cache is cleared anyway when its connection is made again; no WAL is
#     written for it. Pruned by the pollers (rows older than a snapshot five minutes old).

from collections.abc import Sequence

from alembic import op

revision: str = "0015"
down_revision: str | Sequence[str] | None = "0014"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_LOGGED = """
CREATE OR REPLACE FUNCTION syllabot_notify_bookings() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP <> 'DELETE' AND NEW.expert_id IS NOT NULL THEN
        INSERT INTO cache_changes (payload) VALUES ('s:' || NEW.expert_id);
    END IF;
    IF TG_OP <> 'INSERT' AND OLD.expert_id IS NOT NULL
       AND OLD.expert_id IS DISTINCT FROM NEW.expert_id THEN
        INSERT INTO cache_changes (payload) VALUES ('s:' || OLD.expert_id);
    END IF;
    RETURN NULL;
END $$"""

_NOTIFIED = """
CREATE OR REPLACE FUNCTION syllabot_notify_bookings() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    expert text;
BEGIN
    IF TG_OP <> 'DELETE' THEN
        expert := NEW.expert_id;
        IF expert IS NOT NULL THEN PERFORM pg_notify('syllabot_cache', 's:' || expert); END IF;
    END IF;
    IF TG_OP <> 'INSERT' THEN
        expert := OLD.expert_id;
        IF expert IS NOT NULL THEN PERFORM pg_notify('syllabot_cache', 's:' || expert); END IF;
    END IF;
    RETURN NULL;
END $$"""


def upgrade() -> None:
    op.execute(
        "CREATE UNLOGGED TABLE cache_changes ("
        " xid xid8 NOT NULL DEFAULT pg_current_xact_id(),"
        " payload text NOT NULL)"
    )
    op.execute("CREATE INDEX idx_cache_changes_xid ON cache_changes (xid)")
    op.execute(_LOGGED)


def downgrade() -> None:
    op.execute(_NOTIFIED)
    op.execute("DROP TABLE cache_changes")
