"""The transaction of one unit of work, and the base every repository builds on."""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession


class Tx:
    """The connection of one unit of work, with an ORM session over it made on first use."""

    def __init__(self, conn: AsyncConnection) -> None:
        self.conn = conn
        self._orm: AsyncSession | None = None
        self._own: Any = None  # the transaction ``driver`` began, if it began one

    @property
    def orm(self) -> AsyncSession:
        if self._orm is None:
            self._orm = AsyncSession(bind=self.conn, expire_on_commit=False)
        return self._orm

    async def driver(self) -> Any:
        """The asyncpg connection of this unit of work, for the few statements where
        SQLAlchemy's own cost per statement would be most of the time (the booking path).

        Its statements run in the unit of work's transaction: if no statement has begun it yet,
        it is begun here, on the driver, and ``commit``/``close`` end it; statements run through
        ``conn`` afterwards run inside it (SQLAlchemy's transaction becomes a savepoint).
        """
        driver = (await self.conn.get_raw_connection()).driver_connection
        assert driver is not None
        if not driver.is_in_transaction():
            self._own = driver.transaction()
            await self._own.start()
        return driver

    async def commit(self) -> None:
        if self._orm is not None:
            await self._orm.flush()
        await self.conn.commit()
        if self._own is not None:
            own, self._own = self._own, None
            await own.commit()

    async def close(self) -> None:
        try:
            if self._orm is not None:
                await self._orm.close()
            if self._own is not None:
                own, self._own = self._own, None
                await self.conn.rollback()  # SQLAlchemy's savepoint in it, if there is one
                await own.rollback()
        finally:
            await self.conn.close()  # rolls back whatever was not committed


class _Repository:
    """Base of the repositories: Core statements on ``_conn``, ORM work on ``_session``."""

    def __init__(self, tx: Tx) -> None:
        self._tx = tx

    @property
    def _conn(self) -> AsyncConnection:
        return self._tx.conn

    @property
    def _session(self) -> AsyncSession:
        return self._tx.orm
