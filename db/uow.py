"""The SQLAlchemy unit of work: one pooled connection and one transaction per ``async with``.

Repositories run Core statements on ``tx.conn`` where speed matters (the ``/done`` path) and
use the ORM session ``tx.orm`` elsewhere; that session is created only when first used and
always joins the unit of work's transaction, which ``commit()`` commits and leaving rolls back.
"""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncEngine

from db.repositories.accounts import (
    SqlConversationRepository,
    SqlDeliveryRepository,
    SqlLinkRepository,
    SqlUserRepository,
)
from db.repositories.bookings import SqlBookingRepository
from db.repositories.experts import SqlExpertRepository
from db.repositories.learning import SqlCurriculumRepository, SqlNoteRepository
from db.repositories.notifications import SqlNotificationRepository
from db.tx import Tx


class SqlAlchemyUnitOfWork:
    """Implements ``domain.unit_of_work.UnitOfWork``. Not re-entrant; reusable in sequence."""

    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine
        self._tx: Tx | None = None

    async def __aenter__(self) -> SqlAlchemyUnitOfWork:
        if self._tx is not None:
            raise RuntimeError("unit of work is already in use")
        conn = await self._engine.connect()
        await conn.begin()  # the BEGIN itself travels with the first statement
        tx = self._tx = Tx(conn)
        self.users = SqlUserRepository(tx)
        self.curricula = SqlCurriculumRepository(tx)
        self.notes = SqlNoteRepository(tx)
        self.conversations = SqlConversationRepository(tx)
        self.experts = SqlExpertRepository(tx)
        self.bookings = SqlBookingRepository(tx)
        self.notifications = SqlNotificationRepository(tx)
        self.deliveries = SqlDeliveryRepository(tx)
        self.links = SqlLinkRepository(tx)
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        tx, self._tx = self._tx, None
        assert tx is not None
        await tx.close()

    async def commit(self) -> None:
        assert self._tx is not None, "commit() outside 'async with'"
        await self._tx.commit()
