"""Vacations and weekly goals: ``vacations`` and ``study_habits`` (0017)."""

from __future__ import annotations

from collections import defaultdict
from datetime import date, datetime, timedelta
from uuid import UUID

from sqlalchemy import delete, func, select, update
from sqlalchemy.dialects.postgresql import insert

from db.models import CurriculumRow, SessionRow, StudyHabitsRow, VacationRow
from db.tx import _Repository
from domain.habits.model import StudyHabits, Vacation

KEPT_VACATIONS = 50
STUDY_DAYS = 1000  # the learner's latest study days a streak is computed from


class SqlHabitRepository(_Repository):
    async def habits(self, user_id: UUID) -> StudyHabits:
        row = await self._session.get(StudyHabitsRow, user_id)
        if row is None:
            return StudyHabits()
        return StudyHabits(row.goal_minutes, row.goal_sessions, row.week_starts)

    async def save_habits(self, user_id: UUID, habits: StudyHabits) -> None:
        values = {
            "goal_minutes": habits.goal_minutes,
            "goal_sessions": habits.goal_sessions,
            "week_starts": habits.week_starts,
        }
        statement = insert(StudyHabitsRow).values(user_id=user_id, **values)
        await self._session.execute(
            statement.on_conflict_do_update(index_elements=[StudyHabitsRow.user_id], set_=values)
        )

    async def vacations(self, user_id: UUID) -> list[Vacation]:
        rows = await self._session.scalars(
            select(VacationRow)
            .where(VacationRow.user_id == user_id)
            .order_by(VacationRow.starts_on.desc())
            .limit(KEPT_VACATIONS)
        )
        return [Vacation(r.starts_on, r.ends_on, r.ended_early_at) for r in rows]

    async def add_vacation(self, user_id: UUID, first: date, last: date) -> None:
        self._session.add(VacationRow(user_id=user_id, starts_on=first, ends_on=last))
        await self._session.flush()

    async def end_vacations(self, user_id: UUID, today: date, at: datetime) -> int:
        ended = await self._session.execute(
            update(VacationRow)
            .where(
                VacationRow.user_id == user_id,
                VacationRow.ended_early_at.is_(None),
                VacationRow.starts_on <= today,
                VacationRow.ends_on >= today,
            )
            .values(ends_on=today - timedelta(days=1), ended_early_at=at)
            .returning(VacationRow.id)
        )
        dropped = await self._session.execute(
            delete(VacationRow)
            .where(VacationRow.user_id == user_id, VacationRow.starts_on > today)
            .returning(VacationRow.id)
        )
        return len(ended.all()) + len(dropped.all())

    async def days_by_plan(self, user_id: UUID) -> dict[UUID, list[date]]:
        day = SessionRow.completed_local_date
        latest = (
            select(day)
            .join(CurriculumRow, CurriculumRow.id == SessionRow.curriculum_id)
            .where(CurriculumRow.user_id == user_id, day.is_not(None))
            .group_by(day)
            .order_by(day.desc())
            .limit(STUDY_DAYS)
            .subquery()
        )
        oldest = select(func.min(latest.c.completed_local_date)).scalar_subquery()
        rows = await self._session.execute(
            select(SessionRow.curriculum_id, day)
            .join(CurriculumRow, CurriculumRow.id == SessionRow.curriculum_id)
            .where(CurriculumRow.user_id == user_id, day.is_not(None), day >= oldest)
            .distinct()
        )
        found: dict[UUID, list[date]] = defaultdict(list)
        for plan, on in rows:
            if plan is not None and on is not None:
                found[plan].append(on)
        return dict(found)
