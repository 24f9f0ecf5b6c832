"""The learning services called with their commands, as a handler calls them."""

from __future__ import annotations

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from db.uow import SqlAlchemyUnitOfWork
from domain.learning.commands import (
    AddNote,
    ChangeCurriculumStatus,
    CreateCurriculum,
    LogSession,
    OpenCurriculum,
    UndoLastSession,
)
from domain.learning.curricula import change_status, create_curriculum, open_curriculum
from domain.learning.model import CurriculumSpec, CurriculumStatus, PlannedBy, SkillLevel
from domain.learning.planner import TemplatePlanner
from domain.learning.sessions import add_note, log_session, undo_last
from domain.shared.errors import NotFound
from tests.support import FakeClock, people, snapshot

SPEC = CurriculumSpec("Go", 3, 25, SkillLevel.BEGINNER)


async def test_log_undo_and_note_take_commands_and_return_what_happened(
    engine: AsyncEngine, clock: FakeClock
) -> None:
    (learner,) = await people(engine, 1)
    uow = SqlAlchemyUnitOfWork(engine)
    made = await create_curriculum(CreateCurriculum(learner, SPEC), uow, TemplatePlanner())
    created = made.overview
    assert made.planned_by is PlannedBy.OFFLINE and made.fallback is None
    assert (created.title, created.status) == ("Go (beginner)", CurriculumStatus.ACTIVE)

    logged = await log_session(LogSession(learner, minutes=40, note="first"), uow, clock)
    assert (logged.session_number, logged.minutes, logged.streak) == (1, 40, 1)
    assert logged.note_saved and not logged.curriculum_completed
    noted = await add_note(AddNote(learner, "and another"), uow, clock)
    assert (noted.session_number, noted.content) == (1, "and another")

    undone = await undo_last(UndoLastSession(learner), uow, clock)
    assert (undone.session_number, undone.minutes, undone.streak) == (1, 40, 0)
    again = await log_session(LogSession(learner), uow, clock)
    assert (again.session_number, again.minutes) == (1, 25)


async def test_someone_elses_curriculum_can_be_neither_opened_nor_paused(
    engine: AsyncEngine,
) -> None:
    owner, other = await people(engine, 2)
    uow = SqlAlchemyUnitOfWork(engine)
    made = await create_curriculum(CreateCurriculum(owner, SPEC), uow, TemplatePlanner())
    theirs = made.overview
    before = await snapshot(engine)
    with pytest.raises(NotFound):
        await open_curriculum(OpenCurriculum(other, theirs.id), uow)
    with pytest.raises(NotFound):
        pause = ChangeCurriculumStatus(other, CurriculumStatus.PAUSED, curriculum_id=theirs.id)
        await change_status(pause, uow)
    assert await snapshot(engine) == before
