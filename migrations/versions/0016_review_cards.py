"""Spaced-repetition review: the learner's cards with their FSRS state, and every rating.

Revision ID: 0016_review_cards
Revises: 0015
Create Date: 2026-12-02
"""

# Reason: issue 14's spaced-repetition review (/card, /review, cards from notes and objectives).
#   - review_cards: one card (front, back) of a learner, from /card, a "Q: ... A: ..." note or a
#     completed session's objectives (source), tied to the plan and session it came from. The
#     FSRS state (the fsrs package's Card: state, step, stability, difficulty, due,
#     last_review) is kept in columns rather than a JSON document, so "what is due before the
#     end of my local today" is an index range scan on (user_id, due). reps counts the ratings:
#     a rating button carries it, so a second tap on the same button rates nothing.
#     session_id and note_id SET NULL: archiving old sessions (0014) keeps the cards.
#     A note becomes at most one card (UNIQUE note_id), an objective at most one card of its
#     session (partial unique index), so a double tap on an offer adds nothing twice.
#   - review_logs: each rating and when, for "reviewed this week" and retention in /progress
#     (and for optimizing FSRS parameters later from the learner's own history).

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0016_review_cards"
down_revision: str | Sequence[str] | None = "0015"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TZ = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "review_cards",
        sa.Column("id", sa.Uuid, server_default=sa.text("gen_random_uuid()"), nullable=False),
        sa.Column("user_id", sa.Uuid, nullable=False),
        sa.Column("curriculum_id", sa.Uuid),
        sa.Column("session_id", sa.Uuid),
        sa.Column("note_id", sa.Uuid),
        sa.Column("source", sa.String(10), nullable=False),
        sa.Column("front", sa.Text, nullable=False),
        sa.Column("back", sa.Text, nullable=False),
        sa.Column("state", sa.SmallInteger, server_default=sa.text("1"), nullable=False),
        sa.Column("step", sa.Integer),
        sa.Column("stability", sa.Float),
        sa.Column("difficulty", sa.Float),
        sa.Column("due", TZ, nullable=False),
        sa.Column("last_review", TZ),
        sa.Column("reps", sa.Integer, server_default=sa.text("0"), nullable=False),
        sa.Column("created_at", TZ, server_default=sa.text("now()"), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_review_cards")),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_review_cards_user_id"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["curriculum_id"],
            ["curricula.id"],
            name=op.f("fk_review_cards_curriculum_id"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["session_id"],
            ["sessions.id"],
            name=op.f("fk_review_cards_session_id"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["note_id"],
            ["user_notes.id"],
            name=op.f("fk_review_cards_note_id"),
            ondelete="SET NULL",
        ),
        sa.UniqueConstraint("note_id", name=op.f("uq_review_cards_note_id")),
        sa.CheckConstraint(
            "source IN ('card', 'note', 'objective')", name=op.f("ck_review_cards_source")
        ),
        sa.CheckConstraint("state BETWEEN 1 AND 3", name=op.f("ck_review_cards_state")),
    )
    op.create_index("idx_review_cards_user_id_due", "review_cards", ["user_id", "due"])
    op.create_index(
        "idx_review_cards_objective",
        "review_cards",
        ["session_id", "front"],
        unique=True,
        postgresql_where=sa.text("source = 'objective'"),
    )
    op.create_table(
        "review_logs",
        sa.Column("id", sa.Uuid, server_default=sa.text("gen_random_uuid()"), nullable=False),
        sa.Column("card_id", sa.Uuid, nullable=False),
        sa.Column("user_id", sa.Uuid, nullable=False),
        sa.Column("rating", sa.SmallInteger, nullable=False),
        sa.Column("reviewed_at", TZ, server_default=sa.text("now()"), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_review_logs")),
        sa.ForeignKeyConstraint(
            ["card_id"],
            ["review_cards.id"],
            name=op.f("fk_review_logs_card_id"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_review_logs_user_id"), ondelete="CASCADE"
        ),
        sa.CheckConstraint("rating BETWEEN 1 AND 4", name=op.f("ck_review_logs_rating")),
    )
    op.create_index(
        "idx_review_logs_user_id_reviewed_at", "review_logs", ["user_id", "reviewed_at"]
    )
    op.create_index("idx_review_logs_card_id", "review_logs", ["card_id"])


def downgrade() -> None:
    op.drop_table("review_logs")
    op.drop_table("review_cards")
