"""The review cards repository: cards with their FSRS state in columns, and each rating."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

from sqlalchemy import SmallInteger, func, insert, literal, select, true, update
from sqlalchemy.dialects.postgresql import insert as pg_insert

from db.models import (
    CurriculumRow,
    ReviewCardRow,
    ReviewLogRow,
    SessionRow,
    UserNoteRow,
    UserRow,
)
from db.tx import _Repository
from domain.learning.card_model import (
    CardPhase,
    Memory,
    NewCard,
    NoteSource,
    Rating,
    ReviewCard,
    SessionSource,
)
from domain.shared.errors import NotFound

_CARD = (
    ReviewCardRow.id,
    ReviewCardRow.front,
    ReviewCardRow.back,
    ReviewCardRow.reps,
    ReviewCardRow.state,
    ReviewCardRow.step,
    ReviewCardRow.stability,
    ReviewCardRow.difficulty,
    ReviewCardRow.due,
    ReviewCardRow.last_review,
)


def _card(row: Any) -> ReviewCard:
    return ReviewCard(
        row.id,
        row.front,
        row.back,
        row.reps,
        Memory(
            CardPhase(row.state),
            row.step,
            row.stability,
            row.difficulty,
            row.due,
            row.last_review,
        ),
    )


class SqlCardRepository(_Repository):
    async def add(self, cards: list[NewCard]) -> int:
        if not cards:
            return 0
        statement = (
            pg_insert(ReviewCardRow)
            .values(
                [
                    {
                        "user_id": c.user_id,
                        "curriculum_id": c.curriculum_id,
                        "session_id": c.session_id,
                        "note_id": c.note_id,
                        "source": c.source.value,
                        "front": c.front,
                        "back": c.back,
                        "due": c.due,
                    }
                    for c in cards
                ]
            )
            .on_conflict_do_nothing()
            .returning(ReviewCardRow.id)
        )
        return len((await self._conn.execute(statement)).all())

    async def note_source(self, note_id: UUID, owner: UUID) -> NoteSource | None:
        row = (
            await self._conn.execute(
                select(UserNoteRow.content, UserNoteRow.session_id, SessionRow.curriculum_id)
                .outerjoin(SessionRow, SessionRow.id == UserNoteRow.session_id)
                .where(UserNoteRow.id == note_id, UserNoteRow.user_id == owner)
            )
        ).first()
        return None if row is None else NoteSource(row.content, row.session_id, row.curriculum_id)

    async def session_source(self, session_id: UUID, owner: UUID) -> SessionSource | None:
        row = (
            await self._conn.execute(
                select(
                    SessionRow.curriculum_id,
                    SessionRow.session_number,
                    SessionRow.title,
                    SessionRow.objectives,
                    SessionRow.completed_at,
                )
                .join(CurriculumRow, CurriculumRow.id == SessionRow.curriculum_id)
                .where(SessionRow.id == session_id, CurriculumRow.user_id == owner)
            )
        ).first()
        if row is None:
            return None
        return SessionSource(
            row.curriculum_id,
            row.session_number,
            row.title,
            tuple(row.objectives or ()),
            row.completed_at is not None,
        )

    async def get_owned(
        self, card_id: UUID, owner: UUID, *, lock: bool = False
    ) -> ReviewCard | None:
        query = select(*_CARD).where(ReviewCardRow.id == card_id, ReviewCardRow.user_id == owner)
        if lock:
            query = query.with_for_update()
        row = (await self._conn.execute(query)).first()
        return None if row is None else _card(row)

    async def next_due(self, user_id: UUID, before: datetime) -> ReviewCard | None:
        row = (
            await self._conn.execute(
                select(*_CARD)
                .where(ReviewCardRow.user_id == user_id, ReviewCardRow.due < before)
                .order_by(ReviewCardRow.due, ReviewCardRow.created_at, ReviewCardRow.id)
                .limit(1)
            )
        ).first()
        return None if row is None else _card(row)

    async def queue(
        self, user_id: UUID, before: datetime, since: datetime
    ) -> tuple[ReviewCard | None, int, int]:
        due, reviewed = self._counts(user_id, before, since)
        soonest = (
            select(*_CARD)
            .where(ReviewCardRow.user_id == user_id, ReviewCardRow.due < before)
            .order_by(ReviewCardRow.due, ReviewCardRow.created_at, ReviewCardRow.id)
            .limit(1)
            .subquery()
            .lateral()
        )
        counts = select(due.label("due_count"), reviewed.label("reviewed_count")).subquery()
        row = (
            await self._conn.execute(
                select(counts, soonest).select_from(counts.outerjoin(soonest, true()))
            )
        ).one()
        card = None if row.id is None else _card(row)
        return card, int(row.due_count), int(row.reviewed_count)

    async def zone(self, user_id: UUID) -> str:
        found = await self._conn.scalar(select(UserRow.timezone).where(UserRow.id == user_id))
        if found is None:
            raise NotFound("I don't know you yet. Say /start first.")
        return str(found)

    def _counts(self, user_id: UUID, due_before: datetime, since: datetime) -> tuple[Any, Any]:
        due = (
            select(func.count())
            .select_from(ReviewCardRow)
            .where(ReviewCardRow.user_id == user_id, ReviewCardRow.due < due_before)
            .scalar_subquery()
        )
        reviewed = (
            select(func.count())
            .select_from(ReviewLogRow)
            .where(ReviewLogRow.user_id == user_id, ReviewLogRow.reviewed_at >= since)
            .scalar_subquery()
        )
        return due, reviewed

    async def counts(
        self, user_id: UUID, due_before: datetime, since: datetime
    ) -> tuple[int, int]:
        due, reviewed = self._counts(user_id, due_before, since)
        row = (await self._conn.execute(select(due, reviewed))).one()
        return int(row[0]), int(row[1])

    async def record_review(
        self, card: ReviewCard, memory: Memory, rating: Rating, at: datetime
    ) -> None:
        rated = (
            update(ReviewCardRow)
            .where(ReviewCardRow.id == card.id)
            .values(
                state=int(memory.phase),
                step=memory.step,
                stability=memory.stability,
                difficulty=memory.difficulty,
                due=memory.due,
                last_review=memory.last_review,
                reps=ReviewCardRow.reps + 1,
            )
            .returning(ReviewCardRow.id, ReviewCardRow.user_id)
            .cte("rated")
        )
        log = insert(ReviewLogRow).from_select(
            ["card_id", "user_id", "rating", "reviewed_at"],
            select(
                rated.c.id,
                rated.c.user_id,
                literal(int(rating), SmallInteger),
                literal(at, ReviewLogRow.reviewed_at.type),
            ),
        )
        await self._conn.execute(log)  # one statement: the card's new state and its log row

    async def stats(
        self, user_id: UUID, due_before: datetime, week_since: datetime, month_since: datetime
    ) -> tuple[int, int, int, int, int]:
        cards = (
            select(
                func.count().label("total"),
                func.count().filter(ReviewCardRow.due < due_before).label("due"),
            )
            .where(ReviewCardRow.user_id == user_id)
            .subquery()
        )
        logs = (
            select(
                func.count().filter(ReviewLogRow.reviewed_at >= week_since).label("week"),
                func.count().filter(ReviewLogRow.reviewed_at >= month_since).label("month"),
                func.count()
                .filter(
                    ReviewLogRow.reviewed_at >= month_since,
                    ReviewLogRow.rating != int(Rating.AGAIN),
                )
                .label("recalled"),
            )
            .where(
                ReviewLogRow.user_id == user_id,
                ReviewLogRow.reviewed_at >= min(week_since, month_since),
            )
            .subquery()
        )
        both = select(cards, logs).select_from(cards.join(logs, true()))
        row = (await self._conn.execute(both)).one()
        return row.total, row.due, row.week, row.month, row.recalled
