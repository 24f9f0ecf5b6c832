"""Curricula: creating, listing, opening, pausing and archiving a learner's plans.

Ownership is checked here, not only in the UI: every service acts for ``user_id`` and
only ever reads or changes that user's own rows.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta
from uuid import UUID

from domain.learning.commands import ChangeCurriculumStatus, CreateCurriculum, OpenCurriculum
from domain.learning.matching import spelled
from domain.learning.model import (
    CurriculumCreated,
    CurriculumOverview,
    CurriculumStatus,
    PlanPage,
)
from domain.learning.ports import CurriculumPlanner
from domain.shared.clock import Clock
from domain.shared.errors import InvalidInput, NotFound
from domain.unit_of_work import UnitOfWork

PLAN_PAGE_SIZE = 8
NO_CURRICULUM = "You have no curriculum yet. Create one with /new."


async def create_curriculum(
    cmd: CreateCurriculum, uow: UnitOfWork, planner: CurriculumPlanner
) -> CurriculumCreated:
    """Plan the sessions for ``cmd.spec``, store them, and make the curriculum the current one.

    Run by the /new wizard on a unit of work that ends the wizard when it commits
    (``conversations.ending``), so the plan and the wizard's end are one transaction.
    The plan is made before the transaction opens (a language model may take seconds).
    """
    spec = replace(cmd.spec, subject=spelled(cmd.spec.subject))  # "pyhton" is called Python
    plan = await planner.make_plan(spec)
    sessions = list(plan.sessions)
    if [s.number for s in sessions] != list(range(1, spec.total_sessions + 1)):
        raise RuntimeError("planner returned a plan that is not numbered 1..N")
    async with uow:
        await uow.curricula.lock_learner(cmd.user_id)
        curriculum_id = await uow.curricula.add(cmd.user_id, spec, sessions)
        await uow.users.set_current_curriculum(cmd.user_id, curriculum_id)
        overview = await uow.curricula.get_owned(curriculum_id, owner=cmd.user_id)
        await uow.commit()
    return CurriculumCreated(overview, plan.by, plan.fallback)


async def list_curricula(user_id: UUID, uow: UnitOfWork) -> list[CurriculumOverview]:
    async with uow:
        return await uow.curricula.list_for(user_id)


async def open_curriculum(cmd: OpenCurriculum, uow: UnitOfWork) -> PlanPage:
    """Make an owned curriculum the current one and return its first plan page."""
    async with uow:
        await uow.curricula.get_owned(cmd.curriculum_id, owner=cmd.user_id)
        await uow.users.set_current_curriculum(cmd.user_id, cmd.curriculum_id)
        page = await _plan_page(uow, cmd.user_id, cmd.curriculum_id, 0)
        await uow.commit()
    return page


async def plan_page(
    user_id: UUID, uow: UnitOfWork, *, curriculum_id: UUID | None = None, page: int = 0
) -> PlanPage:
    """One page of sessions of an owned curriculum (the current one by default)."""
    async with uow:
        return await _plan_page(
            uow, user_id, curriculum_id or await _current_id(uow, user_id), page
        )


async def _plan_page(uow: UnitOfWork, user_id: UUID, curriculum_id: UUID, page: int) -> PlanPage:
    curriculum = await uow.curricula.get_owned(curriculum_id, owner=user_id)
    pages = -(-curriculum.total_sessions // PLAN_PAGE_SIZE)
    page = min(max(page, 0), pages - 1)
    sessions = await uow.curricula.sessions(curriculum_id, page * PLAN_PAGE_SIZE, PLAN_PAGE_SIZE)
    return PlanPage(curriculum, sessions, page, pages)


async def current_curriculum(user_id: UUID, uow: UnitOfWork) -> CurriculumOverview:
    """The current curriculum with its next session. Raises ``NotFound`` if there is none."""
    async with uow:
        return await uow.curricula.get_owned(await _current_id(uow, user_id), owner=user_id)


_TRANSITIONS = {
    CurriculumStatus.PAUSED: {CurriculumStatus.ACTIVE},
    CurriculumStatus.ACTIVE: {CurriculumStatus.PAUSED, CurriculumStatus.ARCHIVED},
    CurriculumStatus.ARCHIVED: {
        CurriculumStatus.ACTIVE,
        CurriculumStatus.PAUSED,
        CurriculumStatus.COMPLETED,
    },
}


async def change_status(cmd: ChangeCurriculumStatus, uow: UnitOfWork) -> CurriculumOverview:
    """Pause, resume or archive an owned curriculum (the current one by default)."""
    target = cmd.target
    async with uow:
        await uow.curricula.lock_learner(cmd.user_id)
        curriculum_id = cmd.curriculum_id or await _current_id(uow, cmd.user_id)
        curriculum = await uow.curricula.get_owned(curriculum_id, owner=cmd.user_id)
        if curriculum.status == target:
            raise InvalidInput(f"“{curriculum.title}” is already {target.value}.")
        if curriculum.status not in _TRANSITIONS[target]:
            raise InvalidInput(
                f"“{curriculum.title}” is {curriculum.status.value}; it can't become "
                f"{target.value}."
            )
        await uow.curricula.set_status(curriculum_id, target)
        current = None if target is CurriculumStatus.ARCHIVED else curriculum_id
        await uow.users.set_current_curriculum(cmd.user_id, current)
        await uow.commit()
    return replace(curriculum, status=target)


async def _current_id(uow: UnitOfWork, user_id: UUID) -> UUID:
    curriculum_id = await uow.curricula.current_id(user_id)
    if curriculum_id is None:
        raise NotFound(NO_CURRICULUM)
    return curriculum_id


ARCHIVE_AFTER = timedelta(days=730)


async def archive_finished(uow: UnitOfWork, clock: Clock) -> int:
    """Archive curricula completed more than two years ago; returns how many."""
    async with uow:
        count = await uow.curricula.archive_completed_before(clock.now() - ARCHIVE_AFTER)
        await uow.commit()
    return count
