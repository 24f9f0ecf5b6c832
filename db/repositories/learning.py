"""Repositories: turn rows into domain objects. Queries are bound, never formatted."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime
from typing import Any
from uuid import UUID

from sqlalchemy import (
    func,
    select,
    true,
    update,
)
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.orm import aliased

from db.models import (
    CurriculumRow,
    SessionRow,
    UserProgressRow,
)
from db.repositories.completion_sql import (
    COMPLETION_CONTEXT,
    CURRENT_ID,
    DIVISION_BY_ZERO,
    LOCK_USER,
    RECORD_COMPLETION,
    REVERT_COMPLETION,
)
from db.tx import _Repository, sqlstate_of
from domain.habits.model import StudyHistory, Vacation
from domain.learning.model import (
    Completion,
    CompletionContext,
    CurriculumOverview,
    CurriculumSpec,
    CurriculumStatus,
    LastCompletion,
    PlannedSession,
    Progress,
    Resource,
    SkillLevel,
    StudySchedule,
    StudySession,
    StudyTally,
)
from domain.shared.errors import NotFound


class SqlCurriculumRepository(_Repository):
    async def add(
        self, user_id: UUID, spec: CurriculumSpec, sessions: list[PlannedSession]
    ) -> UUID:
        row = CurriculumRow(
            user_id=user_id,
            title=spec.title[:255],
            subject=spec.subject,
            total_sessions=spec.total_sessions,
            session_duration=spec.session_minutes,
            skill_level=spec.level.value,
            goals=spec.goals,
            background=spec.background,
            status=CurriculumStatus.ACTIVE.value,
        )
        self._session.add(row)
        await self._session.flush()
        await self._session.execute(
            insert(SessionRow),
            [
                {
                    "curriculum_id": row.id,
                    "session_number": s.number,
                    "title": s.title,
                    "objectives": list(s.objectives),
                    "materials": s.materials,
                    "resources": [r.as_json() for r in s.resources],
                }
                for s in sessions
            ],
        )
        self._session.add(UserProgressRow(user_id=user_id, curriculum_id=row.id))
        await self._session.flush()
        return row.id

    def _overview_query(self) -> Any:
        """Curricula with their progress row and their next pending session (if any)."""
        next_pending = aliased(
            SessionRow,
            select(SessionRow)
            .where(SessionRow.curriculum_id == CurriculumRow.id, SessionRow.completed_at.is_(None))
            .order_by(SessionRow.session_number)
            .limit(1)
            .lateral("next_pending"),
        )
        return (
            select(CurriculumRow, UserProgressRow, next_pending)
            .join(
                UserProgressRow,
                (UserProgressRow.curriculum_id == CurriculumRow.id)
                & (UserProgressRow.user_id == CurriculumRow.user_id),
            )
            .outerjoin(next_pending, true())
        )

    @staticmethod
    def _overview(row: Any) -> CurriculumOverview:
        curriculum, progress, next_session = row
        return CurriculumOverview(
            id=curriculum.id,
            title=curriculum.title,
            subject=curriculum.subject,
            level=SkillLevel(curriculum.skill_level),
            status=CurriculumStatus(curriculum.status),
            total_sessions=curriculum.total_sessions,
            session_minutes=curriculum.session_duration,
            progress=_progress(progress),
            created_at=curriculum.created_at,
            next_session=None if next_session is None else _study_session(next_session),
            schedule=_schedule(curriculum),
        )

    async def get_owned(self, curriculum_id: UUID, owner: UUID) -> CurriculumOverview:
        row = (
            await self._session.execute(
                self._overview_query().where(
                    CurriculumRow.id == curriculum_id, CurriculumRow.user_id == owner
                )
            )
        ).first()
        if row is None:
            raise NotFound("I can't find that curriculum among yours. See /plans.")
        return self._overview(row)

    async def current_id(self, user_id: UUID) -> UUID | None:
        return await self._conn.scalar(CURRENT_ID, {"user_id": user_id})

    async def list_for(self, user_id: UUID) -> list[CurriculumOverview]:
        rows = await self._session.execute(
            self._overview_query()
            .where(CurriculumRow.user_id == user_id)
            .order_by(CurriculumRow.created_at.desc())
        )
        return [self._overview(row) for row in rows]

    async def sessions(self, curriculum_id: UUID, offset: int, limit: int) -> list[StudySession]:
        rows = await self._session.scalars(
            select(SessionRow)
            .where(SessionRow.curriculum_id == curriculum_id)
            .order_by(SessionRow.session_number)
            .offset(offset)
            .limit(limit)
        )
        return [_study_session(row) for row in rows]

    async def set_status(self, curriculum_id: UUID, status: CurriculumStatus) -> None:
        await self._session.execute(
            update(CurriculumRow).where(CurriculumRow.id == curriculum_id).values(status=status)
        )

    async def set_schedule(self, curriculum_id: UUID, schedule: StudySchedule | None) -> None:
        await self._session.execute(
            update(CurriculumRow)
            .where(CurriculumRow.id == curriculum_id)
            .values(
                schedule_days=None if schedule is None else list(schedule.weekdays),
                schedule_at=None if schedule is None else schedule.at,
                schedule_from=None if schedule is None else schedule.starts_on,
                schedule_baseline=None if schedule is None else schedule.baseline,
            )
        )

    async def archive_completed_before(self, moment: datetime) -> int:
        result = await self._session.execute(
            update(CurriculumRow)
            .where(
                CurriculumRow.status == CurriculumStatus.COMPLETED.value,
                CurriculumRow.updated_at < moment,
            )
            .values(status=CurriculumStatus.ARCHIVED.value)
            .returning(CurriculumRow.id)
        )
        return len(result.all())

    async def lock_learner(self, user_id: UUID) -> None:
        await self._tx.fetchrow(LOCK_USER, {"user_id": user_id})

    async def completion_context(
        self, user_id: UUID, curriculum_id: UUID | None = None, *, now: datetime | None = None
    ) -> CompletionContext | None:
        row = await self._tx.fetchrow(
            COMPLETION_CONTEXT, {"user_id": user_id, "curriculum_id": curriculum_id, "now": now}
        )
        if row is None:
            return None
        return CompletionContext(
            timezone=row["timezone"] or "UTC",
            curriculum_id=row["curriculum_id"],
            curriculum_title=row["title"],
            status=CurriculumStatus(row["status"]),
            total_sessions=row["total_sessions"],
            session_minutes=row["session_duration"],
            progress=Progress(
                sessions_completed=row["sessions_completed"] or 0,
                total_time_spent=row["total_time_spent"] or 0,
                current_streak=row["current_streak"] or 0,
                last_session_date=row["last_session_date"],
                last_local_date=row["last_session_local_date"],
            ),
            next_session_id=row["session_id"],
            next_session_number=row["session_number"],
            next_session_title=row["session_title"],
            history=StudyHistory(
                read=not row["studied_today"],
                plan_days=tuple(row["plan_days"]),
                study_days=tuple(row["study_days"]),
                vacations=tuple(
                    Vacation(first, last, ended)
                    for first, last, ended in zip(
                        row["vacation_starts"],
                        row["vacation_ends"],
                        row["vacation_ended_at"],
                        strict=True,
                    )
                ),
            ),
        )

    async def record_completion(self, completion: Completion) -> bool:
        try:
            row = await self._record(completion)
        except Exception as error:
            if sqlstate_of(error) != DIVISION_BY_ZERO:
                raise
            return False  # the session moved after it was read
        return row is not None and row["written"] == 1

    async def _record(self, completion: Completion) -> Mapping[Any, Any] | None:
        return await self._tx.fetchrow(
            RECORD_COMPLETION,
            {
                "number": completion.session_number,
                "user_id": completion.user_id,
                "curriculum_id": completion.curriculum_id,
                "session_id": completion.session_id,
                "at": completion.at,
                "day": completion.local_day,
                "minutes": completion.minutes,
                "streak": completion.streak,
                "note": completion.note,
                "was_completed": completion.previous.sessions_completed,
                "was_streak": completion.previous.current_streak,
                "was_day": completion.previous.last_local_date,
                "completes": completion.completes_curriculum,
            },
        )

    async def last_completion(self, user_id: UUID) -> LastCompletion | None:
        query = (
            select(SessionRow, CurriculumRow.title.label("curriculum_title"))
            .join(CurriculumRow, CurriculumRow.id == SessionRow.curriculum_id)
            .where(CurriculumRow.user_id == user_id, SessionRow.completed_at.is_not(None))
            .order_by(SessionRow.completed_at.desc(), SessionRow.session_number.desc())
            .limit(1)
        )
        row = (await self._session.execute(query)).first()
        if row is None:
            return None
        session: SessionRow = row[0]
        assert session.completed_at is not None and session.curriculum_id is not None
        return LastCompletion(
            session_id=session.id,
            session_number=session.session_number,
            session_title=session.title,
            curriculum_id=session.curriculum_id,
            curriculum_title=row.curriculum_title,
            completed_at=session.completed_at,
            minutes_spent=session.minutes_spent or 0,
        )

    async def completed_days(self, curriculum_id: UUID, *, excluding: UUID) -> list[date]:
        days = await self._session.scalars(
            select(SessionRow.completed_local_date).where(
                SessionRow.curriculum_id == curriculum_id,
                SessionRow.completed_local_date.is_not(None),
                SessionRow.id != excluding,
            )
        )
        return [day for day in days if day is not None]

    async def study_days(self, user_id: UUID, *, limit: int = 400) -> list[date]:
        days = await self._session.scalars(
            select(SessionRow.completed_local_date)
            .join(CurriculumRow, CurriculumRow.id == SessionRow.curriculum_id)
            .where(CurriculumRow.user_id == user_id, SessionRow.completed_local_date.is_not(None))
            .group_by(SessionRow.completed_local_date)
            .order_by(SessionRow.completed_local_date.desc())
            .limit(limit)
        )
        return [day for day in days if day is not None]

    async def study_tallies(self, user_id: UUID, *, since: date) -> list[StudyTally]:
        day = SessionRow.completed_local_date
        rows = await self._session.execute(
            select(
                day,
                SessionRow.curriculum_id,
                func.coalesce(func.sum(SessionRow.minutes_spent), 0),
                func.count(),
            )
            .join(CurriculumRow, CurriculumRow.id == SessionRow.curriculum_id)
            .where(CurriculumRow.user_id == user_id, day >= since)
            .group_by(day, SessionRow.curriculum_id)
            .order_by(day)
        )
        return [
            StudyTally(on, curriculum_id, int(minutes or 0), int(sessions))
            for on, curriculum_id, minutes, sessions in rows
            if on is not None and curriculum_id is not None  # never: the WHERE and the JOIN
        ]

    async def revert_completion(self, last: LastCompletion, streak: int) -> None:
        await self._conn.execute(
            REVERT_COMPLETION,
            {
                "curriculum_id": last.curriculum_id,
                "session_id": last.session_id,
                "completed_at": last.completed_at,
                "minutes": last.minutes_spent,
                "streak": streak,
            },
        )


def _schedule(row: CurriculumRow) -> StudySchedule | None:
    if not row.schedule_days or row.schedule_at is None or row.schedule_from is None:
        return None
    return StudySchedule(
        tuple(row.schedule_days), row.schedule_at, row.schedule_from, row.schedule_baseline or 0
    )


def _progress(row: UserProgressRow) -> Progress:
    return Progress(
        sessions_completed=row.sessions_completed or 0,
        total_time_spent=row.total_time_spent or 0,
        current_streak=row.current_streak or 0,
        last_session_date=row.last_session_date,
        last_local_date=row.last_session_local_date,
    )


def _resources(raw: object) -> tuple[Resource, ...]:
    if not isinstance(raw, list):
        return ()
    return tuple(
        Resource(title=str(r.get("title", "")), kind=str(r.get("kind", "")), url=r.get("url"))
        for r in raw
        if isinstance(r, dict)
    )


def _study_session(row: SessionRow) -> StudySession:
    return StudySession(
        id=row.id,
        number=row.session_number,
        title=row.title,
        objectives=tuple(row.objectives or ()),
        materials=row.materials or "",
        resources=_resources(row.resources),
        completed_at=row.completed_at,
    )
