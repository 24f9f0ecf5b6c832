"""Ports: what the domain needs from the outside world, as protocols."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Protocol
from uuid import UUID

from domain.model import (
    Completion,
    CompletionContext,
    Conversation,
    CurriculumOverview,
    CurriculumSpec,
    CurriculumStatus,
    Identity,
    LastCompletion,
    Note,
    PlannedSession,
    StudySession,
    User,
)


class Clock(Protocol):
    def now(self) -> datetime:
        """The current instant, timezone-aware (UTC)."""
        ...


class SystemClock:
    def now(self) -> datetime:
        return datetime.now(UTC)


class CurriculumPlanner(Protocol):
    def plan(self, spec: CurriculumSpec) -> list[PlannedSession]:
        """Design ``spec.total_sessions`` numbered sessions (1..N) for the spec."""
        ...


class UserRepository(Protocol):
    async def by_identity(self, platform: str, external_id: str) -> User | None: ...

    async def add(self, identity: Identity) -> User: ...

    async def touch_identity(self, identity: Identity) -> None:
        """Refresh the stored chat id and display name of an identity."""
        ...

    async def get(self, user_id: UUID) -> User: ...

    async def set_timezone(self, user_id: UUID, zone: str) -> None: ...

    async def set_current_curriculum(self, user_id: UUID, curriculum_id: UUID | None) -> None: ...


class CurriculumRepository(Protocol):
    async def add(
        self, user_id: UUID, spec: CurriculumSpec, sessions: list[PlannedSession]
    ) -> UUID: ...

    async def get_owned(self, curriculum_id: UUID, owner: UUID) -> CurriculumOverview:
        """Raises ``NotFound`` unless the curriculum exists and belongs to ``owner``."""
        ...

    async def current_id(self, user_id: UUID) -> UUID | None:
        """The chosen curriculum, else the newest active or paused one."""
        ...

    async def list_for(self, user_id: UUID) -> list[CurriculumOverview]: ...

    async def sessions(
        self, curriculum_id: UUID, offset: int, limit: int
    ) -> list[StudySession]: ...

    async def set_status(self, curriculum_id: UUID, status: CurriculumStatus) -> None: ...

    async def completion_context(
        self, user_id: UUID, *, lock: bool = False
    ) -> CompletionContext | None:
        """What /done needs; with ``lock``, first wait for and hold the learner's row lock."""
        ...

    async def record_completion(self, completion: Completion) -> bool:
        """Write a completion unless the progress changed since it was read; False if it did."""
        ...

    async def last_completion(
        self, user_id: UUID, *, lock: bool = False
    ) -> LastCompletion | None: ...

    async def completed_days(self, curriculum_id: UUID, *, excluding: UUID) -> list[date]:
        """Local completion dates of the curriculum's sessions, leaving one session out."""
        ...

    async def revert_completion(self, last: LastCompletion, streak: int) -> None: ...


class NoteRepository(Protocol):
    async def add(self, user_id: UUID, session_id: UUID, content: str, at: datetime) -> UUID: ...

    async def recent(self, user_id: UUID, limit: int) -> list[Note]: ...


class ConversationRepository(Protocol):
    async def get(self, user_id: UUID) -> Conversation | None: ...

    async def put(self, user_id: UUID, conversation: Conversation) -> None: ...

    async def clear(self, user_id: UUID) -> None: ...


class UnitOfWork(Protocol):
    """One transaction over all repositories: ``async with uow: ...; await uow.commit()``.

    Leaving the block without ``commit()`` rolls back.
    """

    @property
    def users(self) -> UserRepository: ...

    @property
    def curricula(self) -> CurriculumRepository: ...

    @property
    def notes(self) -> NoteRepository: ...

    @property
    def conversations(self) -> ConversationRepository: ...

    async def __aenter__(self) -> UnitOfWork: ...

    async def __aexit__(self, *exc_info: object) -> None: ...

    async def commit(self) -> None: ...
