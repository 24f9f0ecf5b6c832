"""The transaction of one unit of work, and the base every repository builds on."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession


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
