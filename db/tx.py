"""The transaction of one unit of work, and the base every repository builds on."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from sqlalchemy.dialects.postgresql import asyncpg
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession
from sqlalchemy.pool import PoolProxiedConnection
from sqlalchemy.util import greenlet_spawn

# SQLSTATEs after which PostgreSQL has rolled the transaction back and running it again is the
# cure: serialization_failure and deadlock_detected.
_TRANSIENT = frozenset({"40001", "40P01"})


def sqlstate_of(error: Exception) -> str | None:
    """The SQLSTATE of an error from asyncpg itself or wrapped by SQLAlchemy."""
    sqlstate = getattr(error, "sqlstate", None) or getattr(
        getattr(error, "orig", None), "sqlstate", None
    )
    return sqlstate if isinstance(sqlstate, str) else None


def is_transient(error: Exception) -> bool:
    """A deadlock or serialization failure, from asyncpg itself or wrapped by SQLAlchemy."""
    return sqlstate_of(error) in _TRANSIENT


_NAME = re.compile(r"(?<![:\w]):([a-z_]+)")


class DriverStatement:
    """SQL in the driver's own ``$1, $2, ...`` form with the names of its parameters, so that
    ``Tx.fetchrow`` (or a statement on ``Tx.driver()``) hands it to asyncpg as it is.

    Written with ``:name`` parameters (casts as ``CAST(x AS t)``), or, with :meth:`of`,
    compiled once from a Core statement (the SQL stays the one SQLAlchemy builds; only its
    per-execution work goes).
    """

    def __init__(
        self, sql: str, names: tuple[str, ...] | None = None, fixed: dict[str, Any] | None = None
    ) -> None:
        if names is None:
            found = tuple(dict.fromkeys(_NAME.findall(sql)))
            sql = _NAME.sub(lambda m: f"${found.index(m.group(1)) + 1}", sql)
            names = found
        self.sql, self.names, self._fixed = sql, names, fixed or {}

    @classmethod
    def of(cls, statement: Any) -> DriverStatement:
        """A Core statement compiled for asyncpg; binds with a value of their own keep it."""
        compiled = statement.compile(dialect=asyncpg.dialect())
        fixed = {name: bind.value for name, bind in compiled.binds.items() if not bind.required}
        return cls(compiled.string, tuple(compiled.positiontup or ()), fixed)

    def args(self, params: Mapping[str, object]) -> tuple[object, ...]:
        """The positional arguments for ``params`` (by parameter name)."""
        return tuple(params[n] if n in params else self._fixed[n] for n in self.names)


class Tx:
    """The connection of one unit of work, with an ORM session over it made on first use.

    Made either over a SQLAlchemy connection in a transaction (``conn``), or, for
    ``SqlAlchemyUnitOfWork.each_statement``, over a bare pooled connection (``raw``) on which
    each driver statement (``fetchrow``) commits on its own: no transaction, and none of
    SQLAlchemy's per-connection machinery, which costs more than the statements themselves.
    """

    def __init__(
        self, conn: AsyncConnection | None = None, *, raw: PoolProxiedConnection | None = None
    ) -> None:
        if (conn is None) == (raw is None):
            raise ValueError("a Tx is over either a connection or a raw pooled one")
        self._conn, self._raw = conn, raw
        self.autocommit = raw is not None
        self._orm: AsyncSession | None = None
        # the asyncpg connection under it, once asked for
        self._driver: Any = None if raw is None else raw.driver_connection
        self._own: Any = None  # the transaction ``driver`` began, if it began one

    @property
    def conn(self) -> AsyncConnection:
        if self._conn is None:
            raise RuntimeError("each_statement() units of work run driver statements only")
        return self._conn

    @property
    def orm(self) -> AsyncSession:
        if self._orm is None:
            self._orm = AsyncSession(bind=self.conn, expire_on_commit=False)
        return self._orm

    async def driver(self) -> Any:
        """The asyncpg connection of this unit of work, for the few statements where
        SQLAlchemy's own cost per statement would be most of the time (``/done``, booking).

        In a transaction its statements run in the unit of work's transaction: if no statement
        has begun it yet, it is begun here, on the driver, and ``commit``/``close`` end it;
        statements run through ``conn`` afterwards run inside it (SQLAlchemy's transaction
        becomes a savepoint). In autocommit each statement commits on its own.
        """
        if self._driver is None:
            self._driver = (await self.conn.get_raw_connection()).driver_connection
            assert self._driver is not None
        if not self.autocommit and not self._driver.is_in_transaction():
            self._own = self._driver.transaction()
            await self._own.start()
        return self._driver

    async def fetchrow(
        self, statement: DriverStatement, params: Mapping[str, object]
    ) -> Mapping[Any, Any] | None:
        """The first row of one statement, by the shortest way that keeps the transaction.

        Without a transaction the statement goes straight to asyncpg (SQLAlchemy's execution
        costs more Python than the round trip itself); inside one it goes through SQLAlchemy,
        which sends the BEGIN before it.
        """
        args = statement.args(params)
        if not self.autocommit:
            return (await self.conn.exec_driver_sql(statement.sql, args)).mappings().first()
        driver = await self.driver()
        try:
            row: Mapping[Any, Any] | None = await driver.fetchrow(statement.sql, *args)
        except Exception:
            if driver.is_closed() and self._raw is not None:
                await greenlet_spawn(self._raw.invalidate)  # never handed out again
            raise
        return row

    async def commit(self) -> None:
        if self._orm is not None:
            await self._orm.flush()
        await self.conn.commit()
        if self._own is not None:
            own, self._own = self._own, None
            await own.commit()

    async def close(self) -> None:
        if self._raw is not None:
            await greenlet_spawn(self._raw.close)  # back to the pool
            return
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
