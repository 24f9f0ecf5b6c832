"""The SQLAlchemy unit of work: one pooled connection and one transaction per ``async with``.

Repositories run Core statements on ``tx.conn`` where speed matters (the ``/done`` path) and
use the ORM session ``tx.orm`` elsewhere; that session is created only when first used and
always joins the unit of work's transaction, which ``commit()`` commits and leaving rolls back.
"""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, AsyncSession

from db.links import SqlLinkRepository
from db.marketplace import (
    SqlBookingRepository,
    SqlExpertRepository,
    SqlNotificationRepository,
)
from db.repositories import (
    SqlConversationRepository,
    SqlCurriculumRepository,
    SqlDeliveryRepository,
    SqlNoteRepository,
    SqlUserRepository,
)


class Tx:
    """The connection of one unit of work, with an ORM session over it made on first use."""

    def __init__(self, conn: AsyncConnection) -> None:
        self.conn = conn
        self._orm: AsyncSession | None = None

    @property
    def orm(self) -> AsyncSession:
        if self._orm is None:
            self._orm = AsyncSession(bind=self.conn, expire_on_commit=False)
        return self._orm

    async def commit(self) -> None:
        if self._orm is not None:
            await self._orm.flush()
        await self.conn.commit()

    async def close(self) -> None:
        try:
            if self._orm is not None:
                await self._orm.close()
        finally:
            await self.conn.close()  # rolls back whatever was not committed


class SqlAlchemyUnitOfWork:
    """Implements ``domain.ports.UnitOfWork``. Not re-entrant; reusable one block after another."""

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
