"""Changing a plan's open sessions: ``/plan edit``, ``/replan`` and the review of a hard session.

Completed sessions are never written here: every statement on ``sessions`` names
``completed_at IS NULL``. Run holding the learner's row; the writes follow the lock order
(sessions, then curricula).
"""

from __future__ import annotations

from uuid import UUID

from sqlalchemy import case, delete, select, true, update
from sqlalchemy.dialects.postgresql import insert

from db.models import CurriculumRow, SessionRow
from db.repositories.learning import _study_session
from db.tx import _Repository
from domain.learning.model import (
    CurriculumSpec,
    CurriculumStatus,
    SessionDraft,
    SkillLevel,
    StudySession,
)
from domain.shared.errors import NotFound

NOT_YOURS = "That session is not one of your completed sessions."


class SqlPlanRepository(_Repository):
    async def spec(self, curriculum_id: UUID) -> CurriculumSpec:
        row = await self._session.get_one(CurriculumRow, curriculum_id)
        return CurriculumSpec(
            subject=row.subject,
            total_sessions=row.total_sessions,
            session_minutes=row.session_duration,
            level=SkillLevel(row.skill_level),
            goals=row.goals,
            background=row.background,
        )

    async def open_sessions(self, curriculum_id: UUID) -> list[StudySession]:
        rows = await self._session.scalars(
            select(SessionRow)
            .where(SessionRow.curriculum_id == curriculum_id, SessionRow.completed_at.is_(None))
            .order_by(SessionRow.session_number)
        )
        return [_study_session(row) for row in rows]

    async def completed_titles(self, curriculum_id: UUID) -> list[str]:
        titles = await self._session.scalars(
            select(SessionRow.title)
            .where(SessionRow.curriculum_id == curriculum_id, SessionRow.completed_at.is_not(None))
            .order_by(SessionRow.session_number)
        )
        return list(titles)

    async def completed_session(self, session_id: UUID, owner: UUID) -> tuple[UUID, StudySession]:
        row = await self._session.scalar(
            select(SessionRow)
            .join(CurriculumRow, CurriculumRow.id == SessionRow.curriculum_id)
            .where(
                SessionRow.id == session_id,
                CurriculumRow.user_id == owner,
                SessionRow.completed_at.is_not(None),
            )
        )
        if row is None or row.curriculum_id is None:
            raise NotFound(NOT_YOURS)
        return row.curriculum_id, _study_session(row)

    async def rewrite_open(
        self, curriculum_id: UUID, first: int, sessions: list[SessionDraft]
    ) -> None:
        is_open = (SessionRow.curriculum_id == curriculum_id, SessionRow.completed_at.is_(None))
        kept = [s.id for s in sessions if s.id is not None]
        await self._session.execute(
            delete(SessionRow).where(*is_open, SessionRow.id.not_in(kept) if kept else true())
        )
        # (curriculum_id, session_number) is unique and checked row by row: park the open
        # numbers below zero, then give each its place.
        await self._session.execute(
            update(SessionRow).where(*is_open).values(session_number=-SessionRow.session_number)
        )
        values = [
            {
                "session_number": first + place,
                "title": s.title,
                "objectives": list(s.objectives),
                "materials": s.materials,
                "resources": [r.as_json() for r in s.resources],
            }
            for place, s in enumerate(sessions)
        ]
        updates = [{"id": s.id, **v} for s, v in zip(sessions, values, strict=True) if s.id]
        if updates:
            await self._session.execute(update(SessionRow), updates)
        inserts = [
            {"curriculum_id": curriculum_id, **v}
            for s, v in zip(sessions, values, strict=True)
            if s.id is None
        ]
        if inserts:
            await self._session.execute(insert(SessionRow), inserts)
        await self._session.execute(
            update(CurriculumRow)
            .where(CurriculumRow.id == curriculum_id)
            .values(total_sessions=first - 1 + len(sessions))
        )

    async def set_spec(self, curriculum_id: UUID, spec: CurriculumSpec) -> None:
        await self._session.execute(
            update(CurriculumRow)
            .where(CurriculumRow.id == curriculum_id)
            .values(
                title=spec.title[:255],
                skill_level=spec.level.value,
                goals=spec.goals,
                total_sessions=spec.total_sessions,
                status=case(
                    (
                        CurriculumRow.status == CurriculumStatus.COMPLETED.value,
                        CurriculumStatus.ACTIVE.value,
                    ),
                    else_=CurriculumRow.status,
                ),
            )
        )
