"""Changing a plan: ``/plan edit``, ``/replan``, and the how-did-it-go tap after ``/done``.

Each is one transaction holding the learner's row first (the lock order in
``domain.learning.ports``), acting on the asker's own current curriculum or session only. The
rules (completed sessions are never touched) are in ``domain.learning.plan_edits``.
"""

from __future__ import annotations

from dataclasses import replace
from uuid import UUID

from domain.learning import plan_edits
from domain.learning.catalogue_planner import plan_source
from domain.learning.commands import EditPlan, ReplanCurriculum, SayHowItWent
from domain.learning.curricula import NO_CURRICULUM
from domain.learning.model import (
    CurriculumOverview,
    CurriculumStatus,
    Feeling,
    PlanEdited,
    Replanned,
    SessionRated,
    StudySession,
)
from domain.learning.ports import CurriculumPlanner
from domain.shared.errors import InvalidInput, NotFound
from domain.unit_of_work import UnitOfWork


async def _editable(uow: UnitOfWork, user_id: UUID) -> CurriculumOverview:
    curriculum_id = await uow.curricula.current_id(user_id)
    if curriculum_id is None:
        raise NotFound(NO_CURRICULUM)
    curriculum = await uow.curricula.get_owned(curriculum_id, owner=user_id)
    if curriculum.status is CurriculumStatus.ARCHIVED:
        raise InvalidInput(f"“{curriculum.title}” is archived. /resume it to change its plan.")
    return curriculum


def _first_open(curriculum: CurriculumOverview, tail: list[StudySession]) -> int:
    return tail[0].number if tail else curriculum.total_sessions + 1


async def open_sessions(user_id: UUID, uow: UnitOfWork) -> tuple[str, list[StudySession]]:
    """The current curriculum's title and its open sessions, the ones ``/plan edit`` changes."""
    async with uow:
        curriculum = await _editable(uow, user_id)
        return curriculum.title, await uow.plans.open_sessions(curriculum.id)


async def edit_plan(cmd: EditPlan, uow: UnitOfWork) -> PlanEdited:
    """Rename, move, insert, delete, merge or split open sessions of the current curriculum.

    Raises:
        InvalidInput: the edit names a completed or missing session, or would leave no open one.
    """
    async with uow:
        await uow.curricula.lock_learner(cmd.user_id)
        curriculum = await _editable(uow, cmd.user_id)
        tail = await uow.plans.open_sessions(curriculum.id)
        if not tail:
            raise InvalidInput(f"Every session of “{curriculum.title}” is done; nothing to edit.")
        first = _first_open(curriculum, tail)
        index = plan_edits.locate(tail, first, cmd.session)
        drafts, focus, other = plan_edits.apply(
            tail, first, cmd.action, index, other=cmd.other, step=cmd.step, title=cmd.title
        )
        await uow.plans.rewrite_open(curriculum.id, first, drafts)
        await uow.commit()
    return PlanEdited(
        curriculum.title,
        cmd.action,
        first + focus,
        drafts[focus].title,
        first - 1 + len(drafts),
        other,
    )


async def insert_after_next(
    uow: UnitOfWork, user_id: UUID, curriculum_id: UUID, title: str, objectives: tuple[str, ...]
) -> int:
    """Insert a session into an owned plan right after its next open session (at its end when
    every session is done), inside the caller's unit of work, which holds the learner's row
    (``lock_learner``). A completed plan is active again. Returns the new session's number.

    Raises:
        NotFound: not the learner's plan (or deleted). InvalidInput: archived, or full.
    """
    curriculum = await uow.curricula.get_owned(curriculum_id, owner=user_id)
    if curriculum.status is CurriculumStatus.ARCHIVED:
        raise InvalidInput(f"“{curriculum.title}” is archived. /resume it to change its plan.")
    tail = await uow.plans.open_sessions(curriculum.id)
    first = _first_open(curriculum, tail)
    drafts, focus = plan_edits.inserted(tail, first, 0 if tail else -1, title, objectives)
    await uow.plans.rewrite_open(curriculum.id, first, drafts)
    if curriculum.status is CurriculumStatus.COMPLETED:
        await uow.curricula.set_status(curriculum.id, CurriculumStatus.ACTIVE)
    return first + focus


def insert_position(curriculum: CurriculumOverview, tail: list[StudySession]) -> int:
    """The number ``insert_after_next`` would give a session inserted now."""
    return _first_open(curriculum, tail) + (1 if tail else 0)


async def replan(cmd: ReplanCurriculum, uow: UnitOfWork, planner: CurriculumPlanner) -> Replanned:
    """Change the level, goals or number of sessions and plan the open sessions again.

    Completed sessions keep their numbers, logs, notes and streak days; the planner plans the
    rest as its own plan, told what the completed sessions covered.
    """
    async with uow:
        await uow.curricula.lock_learner(cmd.user_id)
        curriculum = await _editable(uow, cmd.user_id)
        spec = await uow.plans.spec(curriculum.id)
        completed = await uow.plans.completed_titles(curriculum.id)
        new, rest = plan_edits.replan_specs(
            spec, completed, total=cmd.total_sessions, level=cmd.level, goals=cmd.goals
        )
        if plan_source(spec) == "general":  # the learner's own syllabus, from its open sessions
            titles = [s.title for s in await uow.plans.open_sessions(curriculum.id)]
            rest = replace(rest, topics=plan_edits.topics_of(titles))
        drafts = [plan_edits.draft(s) for s in planner.plan(rest)]
        if len(drafts) != rest.total_sessions:
            raise RuntimeError("planner returned the wrong number of sessions")
        await uow.plans.rewrite_open(curriculum.id, len(completed) + 1, drafts)
        await uow.plans.set_spec(curriculum.id, new)
        overview = await uow.curricula.get_owned(curriculum.id, owner=cmd.user_id)
        await uow.commit()
    return Replanned(overview.title, len(completed), new.total_sessions, overview.next_session)


async def say_how_it_went(cmd: SayHowItWent, uow: UnitOfWork) -> SessionRated:
    """Record how a completed session went; a hard one gets a review session in the plan,
    right before the next review checkpoint (else as the next session), once."""
    async with uow:
        await uow.curricula.lock_learner(cmd.user_id)
        curriculum_id, session = await uow.plans.completed_session(cmd.session_id, cmd.user_id)
        rated = SessionRated(cmd.feeling, session.number, session.title)
        if cmd.feeling is not Feeling.HARD:
            return rated
        tail = await uow.plans.open_sessions(curriculum_id)
        title = plan_edits.review_title(session.title)
        for existing in tail:
            if existing.title == title:
                return SessionRated(
                    cmd.feeling, session.number, session.title, existing.number, None, True
                )
        if not tail:
            return rated  # the last session: nothing comes after it to put a review before
        place = plan_edits.review_place(tail)
        drafts = [plan_edits.draft(s) for s in tail]
        drafts.insert(place, plan_edits.review_of(session))
        plan_edits.room(tail[0].number, len(tail), 1)
        await uow.plans.rewrite_open(curriculum_id, tail[0].number, drafts)
        await uow.commit()
    return SessionRated(
        cmd.feeling, session.number, session.title, tail[0].number + place, tail[place].title
    )
