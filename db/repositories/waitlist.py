"""The waitlist repository: learners waiting for a time to free up on an expert's day."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any
from uuid import UUID

from sqlalchemy import delete, select
from sqlalchemy.dialects.postgresql import insert

from db.models import WaitlistEntryRow
from db.tx import Tx
from domain.marketplace.model import WaitlistEntry

_Row = WaitlistEntryRow


class SqlWaitlistRepository:
    def __init__(self, tx: Tx) -> None:
        self._tx = tx

    async def join(
        self,
        user_id: UUID,
        expert_id: UUID,
        starts_on: date,
        ends_on: date,
        minutes: int,
        *,
        now: datetime,
        expires_at: datetime,
    ) -> UUID:
        """Add the entry, or (the same learner, expert and dates again) keep the one there
        with the newer length: a double tap adds nothing. Returns the entry's id."""
        statement = insert(_Row).values(
            user_id=user_id,
            expert_id=expert_id,
            starts_on=starts_on,
            ends_on=ends_on,
            minutes=minutes,
            created_at=now,
            expires_at=expires_at,
        )
        upsert = statement.on_conflict_do_update(
            index_elements=[_Row.user_id, _Row.expert_id, _Row.starts_on, _Row.ends_on],
            set_={"minutes": statement.excluded.minutes},
        ).returning(_Row.id)
        return (await self._tx.conn.execute(upsert)).scalar_one()

    async def leave(self, entry_id: UUID, user_id: UUID) -> WaitlistEntry | None:
        """Remove the user's own entry; None if it is not theirs (or gone)."""
        statement = (
            delete(_Row).where(_Row.id == entry_id, _Row.user_id == user_id).returning(*_COLUMNS)
        )
        row = (await self._tx.conn.execute(statement)).first()
        return None if row is None else _entry(row)

    async def of_user(self, user_id: UUID, now: datetime) -> list[WaitlistEntry]:
        """The user's entries that have not expired, soonest first."""
        query = (
            select(*_COLUMNS)
            .where(_Row.user_id == user_id, _Row.expires_at > now)
            .order_by(_Row.starts_on, _Row.id)
        )
        return [_entry(row) for row in await self._tx.conn.execute(query)]

    async def take(self, expert_id: UUID, day: date, now: datetime) -> list[WaitlistEntry]:
        """Remove and return the entries waiting for ``day`` (the expert's local date) with the
        expert, not expired: each is told once."""
        statement = (
            delete(_Row)
            .where(
                _Row.expert_id == expert_id,
                _Row.starts_on <= day,
                _Row.ends_on >= day,
                _Row.expires_at > now,
            )
            .returning(*_COLUMNS)
        )
        return [_entry(row) for row in await self._tx.conn.execute(statement)]

    async def purge(self, now: datetime) -> int:
        """Delete the entries whose dates have passed."""
        result = await self._tx.conn.execute(delete(_Row).where(_Row.expires_at <= now))
        return result.rowcount or 0


_COLUMNS = (
    _Row.id,
    _Row.user_id,
    _Row.expert_id,
    _Row.starts_on,
    _Row.ends_on,
    _Row.minutes,
    _Row.expires_at,
)


def _entry(row: Any) -> WaitlistEntry:
    return WaitlistEntry(
        id=row.id,
        user_id=row.user_id,
        expert_id=row.expert_id,
        starts_on=row.starts_on,
        ends_on=row.ends_on,
        minutes=row.minutes,
        expires_at=row.expires_at,
    )
