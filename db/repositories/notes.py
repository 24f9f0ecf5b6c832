"""The notes repository: what a learner wrote about their sessions."""

from __future__ import annotations

from datetime import UTC, datetime
from uuid import UUID

from sqlalchemy import select

from db.models import CurriculumRow, SessionRow, UserNoteRow
from db.tx import _Repository
from domain.learning.model import Note


class SqlNoteRepository(_Repository):
    async def add(self, user_id: UUID, session_id: UUID, content: str, at: datetime) -> UUID:
        row = UserNoteRow(
            user_id=user_id, session_id=session_id, content=content, created_at=at, updated_at=at
        )
        self._session.add(row)
        await self._session.flush()
        return row.id

    async def recent(
        self, user_id: UUID, limit: int, *, curriculum_id: UUID | None = None
    ) -> list[Note]:
        of_plan = () if curriculum_id is None else (CurriculumRow.id == curriculum_id,)
        rows = await self._session.execute(
            select(UserNoteRow, SessionRow.session_number, SessionRow.title, CurriculumRow.title)
            .join(SessionRow, SessionRow.id == UserNoteRow.session_id)
            .join(CurriculumRow, CurriculumRow.id == SessionRow.curriculum_id)
            .where(UserNoteRow.user_id == user_id, *of_plan)
            .order_by(UserNoteRow.created_at.desc())
            .limit(limit)
        )
        return [
            Note(
                note.id,
                note.content,
                number,
                session_title,
                curriculum_title,
                note.created_at or note.updated_at or datetime.min.replace(tzinfo=UTC),
            )
            for note, number, session_title, curriculum_title in rows
        ]
