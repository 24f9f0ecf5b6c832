"""Curricula: creating, listing, opening, switching, pausing and archiving a learner's plans.

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
    PlanChoice,
    PlanPage,
    StatusChanged,
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
    """The learner's curricula, newest first: the numbers ``/plans`` shows count this order."""
    async with uow:
        return await uow.curricula.list_for(user_id)


async def _numbered(uow: UnitOfWork, user_id: UUID, number: int) -> CurriculumOverview:
    """The learner's plan number ``number`` as ``/plans`` lists them."""
    curricula = await uow.curricula.list_for(user_id)
    if not curricula:
        raise NotFound(NO_CURRICULUM)
    if not 1 <= number <= len(curricula):
        raise InvalidInput(
            "You have only plan 1; see /plans."
            if len(curricula) == 1
            else f"Your plans are numbered 1–{len(curricula)}; you gave {number}. See /plans."
        )
    return curricula[number - 1]


async def _named(
    uow: UnitOfWork, user_id: UUID, curriculum_id: UUID | None, number: int | None
) -> CurriculumOverview | None:
    """The plan a command names by id or by number, if it names one; ownership checked."""
    if curriculum_id is not None:
        return await uow.curricula.get_owned(curriculum_id, owner=user_id)
    if number is not None:
        return await _numbered(uow, user_id, number)
    return None


LIVE = (CurriculumStatus.ACTIVE, CurriculumStatus.PAUSED)


async def open_curriculum(cmd: OpenCurriculum, uow: UnitOfWork) -> PlanPage:
    """Open an owned curriculum at the page of its next session; an active or paused one
    becomes the current one (``became_current`` says whether that changed anything)."""
    async with uow:
        await uow.curricula.lock_learner(cmd.user_id)
        curriculum = await _named(uow, cmd.user_id, cmd.curriculum_id, cmd.number)
        if curriculum is None:
            raise InvalidInput("Which plan? Give its number from /plans, e.g. /switch 2.")
        became_current = False
        if curriculum.status in LIVE:
            became_current = await uow.curricula.current_id(cmd.user_id) != curriculum.id
            await uow.users.set_current_curriculum(cmd.user_id, curriculum.id)
        page = await plan_page_in(uow, curriculum, None)
        await uow.commit()
    return replace(page, became_current=became_current)


async def plan_page(
    user_id: UUID,
    uow: UnitOfWork,
    *,
    curriculum_id: UUID | None = None,
    page: int | None = None,
    strict: bool = False,
) -> PlanPage:
    """One page of sessions of an owned curriculum (the current one by default): page ``page``
    (from 0), or the page holding the next session. A ``strict`` page out of range is refused
    with the real range; otherwise the nearest page is shown (a button from an older plan)."""
    async with uow:
        curriculum = await uow.curricula.get_owned(
            curriculum_id or await _current_id(uow, user_id), owner=user_id
        )
        if strict and page is not None:
            pages = _pages(curriculum)
            if not 0 <= page < pages:
                where = "only page 1" if pages == 1 else f"pages 1–{pages}"
                raise InvalidInput(
                    f"The plan of “{curriculum.title}” has {where}; you asked for page {page + 1}."
                )
        return await plan_page_in(uow, curriculum, page)


def _pages(curriculum: CurriculumOverview) -> int:
    return max(1, -(-curriculum.total_sessions // PLAN_PAGE_SIZE))


async def plan_page_in(
    uow: UnitOfWork, curriculum: CurriculumOverview, page: int | None
) -> PlanPage:
    """One page of ``curriculum``'s sessions (None: the page of its next one), in an open
    unit of work."""
    pages = _pages(curriculum)
    if page is None:  # the page that holds the next session
        upcoming = curriculum.next_session
        page = 0 if upcoming is None else (upcoming.number - 1) // PLAN_PAGE_SIZE
    page = min(max(page, 0), pages - 1)
    sessions = await uow.curricula.sessions(curriculum.id, page * PLAN_PAGE_SIZE, PLAN_PAGE_SIZE)
    return PlanPage(curriculum, sessions, page, pages)


async def current_curriculum(user_id: UUID, uow: UnitOfWork) -> CurriculumOverview:
    """The current curriculum with its next session. Raises ``NotFound`` if there is none."""
    async with uow:
        return await uow.curricula.get_owned(await _current_id(uow, user_id), owner=user_id)


async def other_plans(user_id: UUID, uow: UnitOfWork, *, besides: UUID) -> list[PlanChoice]:
    """The learner's active and paused plans other than ``besides``, numbered as in /plans."""
    async with uow:
        curricula = await uow.curricula.list_for(user_id)
    return [
        PlanChoice(number, c)
        for number, c in enumerate(curricula, start=1)
        if c.id != besides and c.status in LIVE
    ]


_TRANSITIONS = {
    CurriculumStatus.PAUSED: {CurriculumStatus.ACTIVE},
    CurriculumStatus.ACTIVE: {CurriculumStatus.PAUSED, CurriculumStatus.ARCHIVED},
    CurriculumStatus.ARCHIVED: {
        CurriculumStatus.ACTIVE,
        CurriculumStatus.PAUSED,
        CurriculumStatus.COMPLETED,
    },
}


async def change_status(cmd: ChangeCurriculumStatus, uow: UnitOfWork) -> StatusChanged:
    """Pause, resume or archive an owned curriculum (the current one by default).

    Archiving the current plan leaves it the learner's chosen one, so the current plan becomes
    their newest active one and a second ``/archive`` says "already archived" instead of
    archiving that one too. Resuming makes the plan the current one.
    """
    target = cmd.target
    async with uow:
        await uow.curricula.lock_learner(cmd.user_id)
        curriculum = await _named(uow, cmd.user_id, cmd.curriculum_id, cmd.number)
        if curriculum is None:
            chosen = (await uow.users.get(cmd.user_id)).current_curriculum_id
            if target is CurriculumStatus.ARCHIVED and chosen is not None:
                curriculum = await uow.curricula.get_owned(chosen, owner=cmd.user_id)
                if curriculum.status is not CurriculumStatus.ARCHIVED:
                    curriculum = None
        if curriculum is None:
            curriculum_id = await _current_id(uow, cmd.user_id)
            curriculum = await uow.curricula.get_owned(curriculum_id, owner=cmd.user_id)
        if curriculum.status == target:
            raise InvalidInput(
                f"“{curriculum.title}” is already {target.value}."
                + await _current_after(uow, cmd.user_id, curriculum.id)
            )
        if curriculum.status not in _TRANSITIONS[target]:
            raise InvalidInput(
                f"“{curriculum.title}” is {curriculum.status.value}; it can't become "
                f"{target.value}."
            )
        was_current = await uow.curricula.current_id(cmd.user_id)
        await uow.curricula.set_status(curriculum.id, target)
        if target is CurriculumStatus.ACTIVE or was_current == curriculum.id:
            await uow.users.set_current_curriculum(cmd.user_id, curriculum.id)
        now_current = await uow.curricula.current_id(cmd.user_id)
        after = None
        if now_current is not None and now_current not in (was_current, curriculum.id):
            after = await uow.curricula.get_owned(now_current, owner=cmd.user_id)
            after = after if after.status in LIVE else None
        await uow.commit()
    return StatusChanged(replace(curriculum, status=target), after)


async def _current_after(uow: UnitOfWork, user_id: UUID, archived: UUID) -> str:
    """ " Your current plan is “B”." when another plan is current than ``archived``."""
    current = await uow.curricula.current_id(user_id)
    if current is None or current == archived:
        return ""
    plan = await uow.curricula.get_owned(current, owner=user_id)
    return f" Your current plan is “{plan.title}”; /plans lists them all."


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
