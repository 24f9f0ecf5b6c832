"""The SQLAlchemy unit of work: one pooled connection and one transaction per ``async with``.

Repositories run Core statements on ``tx.conn`` and use the ORM session ``tx.orm`` where it
reads better; that session is created only when first used and always joins the unit of work's
transaction, which ``commit()`` commits and leaving rolls back. The hottest statements (the
booking path) go to the driver through ``tx.driver()``, still in that transaction.

Round trips: SQLAlchemy's asyncpg dialect sends ``BEGIN`` as a round trip of its own before the
first statement, and ``COMMIT`` as another. ``each_statement()`` leaves both out, for the one
use case that is a read and then a single atomic write (``/done``): a bare pooled connection on
which each driver statement commits on its own.

A deadlock or serialization failure (SQLSTATE 40P01, 40001) leaving the block is raised as the
domain's ``TransientConflict``: PostgreSQL rolled the transaction back, and the caller may run
the use case again (``bot.handlers.retry``).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable

from sqlalchemy.ext.asyncio import AsyncEngine

from db.engine import is_pgbouncer
from db.repositories.accounts import (
    SqlConversationRepository,
    SqlDeliveryRepository,
    SqlLinkRepository,
    SqlUserRepository,
)
from db.repositories.bookings import SqlBookingRepository
from db.repositories.cards import SqlCardRepository
from db.repositories.data_rights import SqlDataRightsRepository
from db.repositories.disputes import SqlDisputeRepository
from db.repositories.experts import SqlExpertRepository
from db.repositories.focus import SqlFocusTimerRepository
from db.repositories.habits import SqlHabitRepository
from db.repositories.homework import SqlHomeworkRepository
from db.repositories.learning import SqlCurriculumRepository
from db.repositories.notes import SqlNoteRepository
from db.repositories.notifications import SqlNotificationRepository
from db.repositories.plans import SqlPlanRepository
from db.repositories.retention import SqlRetentionRepository
from db.repositories.series import SqlSeriesRepository
from db.repositories.waitlist import SqlWaitlistRepository
from db.tx import Tx, is_transient
from domain.shared.errors import TransientConflict


class SqlAlchemyUnitOfWork:
    """Implements ``domain.unit_of_work.UnitOfWork``. Not re-entrant; reusable in sequence."""

    def __init__(
        self,
        engine: AsyncEngine,
        *,
        transaction: bool = True,
        commit_on_exit: bool = False,
        on_planned: Callable[[str, int], None] | None = None,
    ) -> None:
        self._engine = engine
        self._transaction = transaction
        self._commit_on_exit = commit_on_exit
        self._tx: Tx | None = None
        # Told, per kind, how many notifications were planned, once they are committed.
        self._on_planned = on_planned
        self._planned: Counter[str] = Counter()

    def each_statement(self) -> SqlAlchemyUnitOfWork:
        # Behind PgBouncer's transaction pooling the two round trips of an unnamed statement
        # outside a transaction may reach different server connections: one transaction,
        # committed on a clean exit (the statements land as they would one by one).
        if is_pgbouncer(self._engine):
            return SqlAlchemyUnitOfWork(
                self._engine, commit_on_exit=True, on_planned=self._on_planned
            )
        return SqlAlchemyUnitOfWork(self._engine, transaction=False, on_planned=self._on_planned)

    async def __aenter__(self) -> SqlAlchemyUnitOfWork:
        if self._tx is not None:
            raise RuntimeError("unit of work is already in use")
        if self._transaction:
            conn = await self._engine.connect()
            await conn.begin()
            tx = self._tx = Tx(conn)
        else:
            tx = self._tx = Tx(raw=await self._engine.raw_connection())
        self.users = SqlUserRepository(tx)
        self.curricula = SqlCurriculumRepository(tx)
        self.notes = SqlNoteRepository(tx)
        self.habits = SqlHabitRepository(tx)
        self.plans = SqlPlanRepository(tx)
        self.focus = SqlFocusTimerRepository(tx)
        self.cards = SqlCardRepository(tx)
        self.conversations = SqlConversationRepository(tx)
        self.experts = SqlExpertRepository(tx)
        self.bookings = SqlBookingRepository(tx)
        self._planned.clear()
        self.notifications = SqlNotificationRepository(tx, self._planned)
        self.deliveries = SqlDeliveryRepository(tx)
        self.links = SqlLinkRepository(tx)
        self.data_rights = SqlDataRightsRepository(tx)
        self.retention = SqlRetentionRepository(tx)
        self.waitlist = SqlWaitlistRepository(tx)
        self.series = SqlSeriesRepository(tx)
        self.disputes = SqlDisputeRepository(tx)
        self.homework = SqlHomeworkRepository(tx)
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        tx, self._tx = self._tx, None
        assert tx is not None
        error = exc_info[1] if len(exc_info) > 1 else None
        try:
            if self._commit_on_exit and error is None:
                await tx.commit()
                self._report_planned()
        except Exception as exc:
            if is_transient(exc):
                raise TransientConflict() from exc
            raise
        finally:
            await tx.close()
        if isinstance(error, Exception) and is_transient(error):
            raise TransientConflict() from error

    async def commit(self) -> None:
        assert self._tx is not None, "commit() outside 'async with'"
        await self._tx.commit()
        self._report_planned()

    def _report_planned(self) -> None:
        if self._on_planned is not None:
            for kind, count in self._planned.items():
                self._on_planned(kind, count)
        self._planned.clear()
