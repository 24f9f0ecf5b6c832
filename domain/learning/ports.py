"""What the learning context needs from outside: a planner and its repositories."""

from __future__ import annotations

from datetime import date, datetime
from typing import Protocol
from uuid import UUID

from domain.learning.model import (
    Completion,
    CompletionContext,
    CurriculumOverview,
    CurriculumSpec,
    CurriculumStatus,
    LastCompletion,
    Note,
    PlannedSession,
    StudySession,
)


class CurriculumPlanner(Protocol):
    def plan(self, spec: CurriculumSpec) -> list[PlannedSession]:
        """Design ``spec.total_sessions`` numbered sessions (1..N) for the spec."""
        ...


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

    async def archive_completed_before(self, moment: datetime) -> int:
        """Archive curricula completed (last changed) before ``moment``; returns how many."""
        ...

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
