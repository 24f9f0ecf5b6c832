"""The SQLAlchemy unit of work: one ``AsyncSession`` (one transaction) per ``async with``."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from db.repositories import (
    SqlConversationRepository,
    SqlCurriculumRepository,
    SqlNoteRepository,
    SqlUserRepository,
)


class SqlAlchemyUnitOfWork:
    """Implements ``domain.ports.UnitOfWork``. Not re-entrant; reusable one block after another."""

    def __init__(self, session_factory: async_sessionmaker[AsyncSession]) -> None:
        self._session_factory = session_factory
        self._session: AsyncSession | None = None

    async def __aenter__(self) -> SqlAlchemyUnitOfWork:
        if self._session is not None:
            raise RuntimeError("unit of work is already in use")
        session = self._session_factory()
        self._session = session
        self.users = SqlUserRepository(session)
        self.curricula = SqlCurriculumRepository(session)
        self.notes = SqlNoteRepository(session)
        self.conversations = SqlConversationRepository(session)
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        session, self._session = self._session, None
        assert session is not None
        try:
            await session.rollback()  # a no-op after commit(); undoes anything uncommitted
        finally:
            await session.close()

    async def commit(self) -> None:
        assert self._session is not None, "commit() outside 'async with'"
        await self._session.commit()
