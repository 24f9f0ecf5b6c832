"""The homework repository: homework a booking's expert sends into the learner's shared plan
(one per booking, ``UNIQUE(booking_id)``), and the learner's answer."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

from sqlalchemy import select, update
from sqlalchemy.dialects.postgresql import insert

from db.models import HomeworkRow
from db.tx import Tx
from domain.marketplace.share_model import Homework


class SqlHomeworkRepository:
    def __init__(self, tx: Tx) -> None:
        self._tx = tx

    async def add(
        self,
        *,
        booking_id: UUID,
        curriculum_id: UUID,
        title: str,
        description: str | None,
        position: int,
        now: datetime,
    ) -> Homework | None:
        """The booking's homework, or None if it already has one (a second send)."""
        row = await self._tx.orm.execute(
            insert(HomeworkRow)
            .values(
                booking_id=booking_id,
                curriculum_id=curriculum_id,
                title=title,
                description=description,
                proposed_position=position,
                created_at=now,
            )
            .on_conflict_do_nothing(index_elements=[HomeworkRow.booking_id])
            .returning(HomeworkRow)
        )
        found = row.scalar_one_or_none()
        return None if found is None else _homework(found)

    async def get(self, homework_id: UUID, *, lock: bool = False) -> Homework | None:
        query = select(HomeworkRow).where(HomeworkRow.id == homework_id)
        if lock:
            query = query.with_for_update()
        found = (await self._tx.orm.execute(query)).scalar_one_or_none()
        return None if found is None else _homework(found)

    async def answer(self, homework_id: UUID, *, accepted: bool, now: datetime) -> bool:
        """Record the answer once: False if it was answered already."""
        done = await self._tx.orm.execute(
            update(HomeworkRow)
            .where(HomeworkRow.id == homework_id, HomeworkRow.answered_at.is_(None))
            .values(answered_at=now, accepted=accepted)
            .returning(HomeworkRow.id)
        )
        return done.first() is not None


def _homework(row: Any) -> Homework:
    return Homework(
        id=row.id,
        booking_id=row.booking_id,
        curriculum_id=row.curriculum_id,
        title=row.title,
        description=row.description,
        proposed_position=row.proposed_position,
        created_at=row.created_at,
        answered_at=row.answered_at,
        accepted=row.accepted,
    )
