"""Focus timers (/focus): rows of ``focus_timers`` with their plan's and session's names."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

from sqlalchemy import insert, select, update

from db.models import CurriculumRow, FocusTimerRow, SessionRow
from db.tx import Tx
from domain.learning.model import FocusTimer
from domain.shared.errors import NotFound

GONE = "That timer has expired or isn't valid any more. Nothing was changed."


def _timer(row: Any) -> FocusTimer:
    timer, title, number, session_title, completed_at = row
    return FocusTimer(
        id=timer.id,
        curriculum_id=timer.curriculum_id,
        session_id=timer.session_id,
        minutes=timer.minutes,
        started_at=timer.started_at,
        ends_at=timer.ends_at,
        stopped_at=timer.stopped_at,
        logged_at=timer.logged_at,
        curriculum_title=title,
        session_number=number,
        session_title=session_title,
        session_done=completed_at is not None,
    )


def _query() -> Any:
    return (
        select(
            FocusTimerRow,
            CurriculumRow.title,
            SessionRow.session_number,
            SessionRow.title,
            SessionRow.completed_at,
        )
        .join(CurriculumRow, CurriculumRow.id == FocusTimerRow.curriculum_id)
        .join(SessionRow, SessionRow.id == FocusTimerRow.session_id)
    )


class SqlFocusTimerRepository:
    """``/focus`` timers, always read with their owner."""

    def __init__(self, tx: Tx) -> None:
        self._tx = tx

    async def add(
        self,
        user_id: UUID,
        curriculum_id: UUID,
        session_id: UUID,
        minutes: int,
        started_at: datetime,
        ends_at: datetime,
    ) -> UUID:
        timer_id = await self._tx.conn.scalar(
            insert(FocusTimerRow)
            .values(
                user_id=user_id,
                curriculum_id=curriculum_id,
                session_id=session_id,
                minutes=minutes,
                started_at=started_at,
                ends_at=ends_at,
            )
            .returning(FocusTimerRow.id)
        )
        assert isinstance(timer_id, UUID)
        return timer_id

    async def running(self, user_id: UUID, now: datetime) -> FocusTimer | None:
        row = (
            await self._tx.orm.execute(
                _query()
                .where(
                    FocusTimerRow.user_id == user_id,
                    FocusTimerRow.ends_at > now,
                    FocusTimerRow.stopped_at.is_(None),
                )
                .order_by(FocusTimerRow.ends_at.desc())
                .limit(1)
            )
        ).first()
        return None if row is None else _timer(row)

    async def get_owned(self, timer_id: UUID, owner: UUID, *, lock: bool = False) -> FocusTimer:
        query = _query().where(FocusTimerRow.id == timer_id, FocusTimerRow.user_id == owner)
        if lock:
            query = query.with_for_update(of=FocusTimerRow)
        row = (await self._tx.orm.execute(query.execution_options(populate_existing=True))).first()
        if row is None:
            raise NotFound(GONE)
        return _timer(row)

    async def stop(self, timer_id: UUID, at: datetime) -> None:
        await self._tx.conn.execute(
            update(FocusTimerRow).where(FocusTimerRow.id == timer_id).values(stopped_at=at)
        )

    async def mark_logged(self, timer_id: UUID, at: datetime) -> None:
        await self._tx.conn.execute(
            update(FocusTimerRow).where(FocusTimerRow.id == timer_id).values(logged_at=at)
        )
