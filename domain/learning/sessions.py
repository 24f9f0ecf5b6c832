"""Study sessions: logging one, undoing it, notes, and the progress report.

Ownership is checked here, not only in the UI: every service acts for ``user_id`` and
only ever reads or changes that user's own rows.
"""

from __future__ import annotations

import logging
from dataclasses import replace
from datetime import date, timedelta
from uuid import UUID

from domain.learning import schedule, streaks
from domain.learning.commands import AddNote, LogSession, UndoLastSession
from domain.learning.curricula import NO_CURRICULUM
from domain.learning.model import (
    Completion,
    CurriculumOverview,
    CurriculumProgress,
    CurriculumStatus,
    Note,
    PlanList,
    ProgressReport,
    RecentNotes,
    SessionLogged,
    SessionUndone,
)
from domain.shared import timezones
from domain.shared.clock import Clock
from domain.shared.errors import Conflict, InvalidInput, NotFound
from domain.unit_of_work import UnitOfWork

logger = logging.getLogger(__name__)


UNDO_WINDOW = timedelta(hours=24)


async def log_session(cmd: LogSession, uow: UnitOfWork, clock: Clock) -> SessionLogged:
    """Complete the next pending session of the current curriculum.

    Adds ``cmd.minutes`` (default: the curriculum's session length) to the time spent, updates
    the streak on the learner's local calendar, stores ``cmd.note``, and completes the
    curriculum with its last session.

    Two statements and no transaction around them: a read, then one atomic write that lands
    only if the progress is still as read. If another ``/done`` or ``/undo`` of the learner came
    in between, it runs again as one transaction holding the learner's row, so concurrent
    ``/done``s queue up: never counted twice, never failing.
    """
    async with uow.each_statement() as fast:
        logged = await _complete_next(cmd, fast, clock)
    if logged is None:
        async with uow:
            await uow.curricula.lock_learner(cmd.user_id)
            logged = await _complete_next(cmd, uow, clock)
            if logged is None:  # cannot happen while we hold the learner's row
                raise Conflict(
                    "Your progress changed while I was saving it. Please try /done again."
                )
            await uow.commit()
    return await with_now_current(logged, cmd.user_id, uow)


async def with_now_current(logged: SessionLogged, user_id: UUID, uow: UnitOfWork) -> SessionLogged:
    """``logged``, with the plan that is current now if it finished its plan."""
    if logged.curriculum_completed:  # the newest active plan is current now, if there is one
        async with uow:
            current = await uow.curricula.current_id(user_id)
            if current is not None and current != logged.curriculum_id:
                now_current = await uow.curricula.get_owned(current, owner=user_id)
                logged = replace(logged, now_current=now_current)
    return logged


async def log_held(cmd: LogSession, uow: UnitOfWork, clock: Clock) -> SessionLogged:
    """``log_session``'s completion inside the caller's open unit of work, which already holds
    the learner's row (``lock_learner``): for a use case that writes more in the same
    transaction (a focus timer marked logged). Call :func:`with_now_current` after it."""
    logged = await _complete_next(cmd, uow, clock)
    if logged is None:  # cannot happen while the learner's row is held
        raise Conflict("Your progress changed while I was saving it. Please try again.")
    return logged


async def _complete_next(cmd: LogSession, uow: UnitOfWork, clock: Clock) -> SessionLogged | None:
    """Read, decide and write one completion; None if the progress moved in between."""
    context = await uow.curricula.completion_context(cmd.user_id, cmd.curriculum_id)
    if context is None:
        raise NotFound(NO_CURRICULUM)
    if cmd.session_id is not None and context.next_session_id != cmd.session_id:
        raise InvalidInput(
            f"That session of “{context.curriculum_title}” is no longer the next one (it was "
            "logged or changed meanwhile), so nothing was logged. /next shows where you are."
        )
    if context.status in (CurriculumStatus.PAUSED, CurriculumStatus.ARCHIVED):
        raise InvalidInput(
            f"“{context.curriculum_title}” is {context.status.value}. /resume it first."
        )
    if (
        context.next_session_id is None
        or context.next_session_number is None
        or context.next_session_title is None
        or context.status is CurriculumStatus.COMPLETED
    ):
        raise InvalidInput(
            f"Every session of “{context.curriculum_title}” is already done. "
            "Start something new with /new."
        )
    now = clock.now()
    today = timezones.local_date(now, context.timezone)
    progress = context.progress
    streak = streaks.streak_after(
        streaks.current_streak(progress.current_streak, progress.last_local_date, today),
        progress.last_local_date,
        today,
    )
    spent = cmd.minutes or context.session_minutes
    completed = progress.sessions_completed + 1
    finished = completed >= context.total_sessions
    recorded = await uow.curricula.record_completion(
        Completion(
            user_id=cmd.user_id,
            curriculum_id=context.curriculum_id,
            session_id=context.next_session_id,
            at=now,
            local_day=today,
            minutes=spent,
            streak=streak,
            note=cmd.note,
            previous=progress,
            completes_curriculum=finished,
            session_number=context.next_session_number,
        )
    )
    if not recorded:
        return None
    return SessionLogged(
        curriculum_title=context.curriculum_title,
        session_number=context.next_session_number,
        session_title=context.next_session_title,
        minutes=spent,
        sessions_completed=completed,
        total_sessions=context.total_sessions,
        streak=streak,
        curriculum_completed=finished,
        note_saved=cmd.note is not None,
        session_id=context.next_session_id,
        curriculum_id=context.curriculum_id,
    )


async def undo_last(cmd: UndoLastSession, uow: UnitOfWork, clock: Clock) -> SessionUndone:
    """Revert the learner's most recent ``/done`` if it was less than 24 hours ago."""
    async with uow:
        await uow.curricula.lock_learner(cmd.user_id)
        last = await uow.curricula.last_completion(cmd.user_id)
        if last is None:
            raise InvalidInput("There is no completed session to undo.")
        if clock.now() - last.completed_at > UNDO_WINDOW:
            raise InvalidInput(
                f"Session {last.session_number} was completed more than 24 hours ago; "
                "only a /done from the last 24 hours can be undone."
            )
        days = await uow.curricula.completed_days(last.curriculum_id, excluding=last.session_id)
        streak = streaks.streak_from_days(days)
        await uow.curricula.revert_completion(last, streak)
        await uow.commit()
    return SessionUndone(
        curriculum_title=last.curriculum_title,
        session_number=last.session_number,
        session_title=last.session_title,
        minutes=last.minutes_spent,
        streak=streak,
    )


async def add_note(cmd: AddNote, uow: UnitOfWork, clock: Clock) -> Note:
    """Attach a note to the learner's most recently completed session."""
    async with uow:
        await uow.curricula.lock_learner(cmd.user_id)  # an /undo can't take the session away
        last = await uow.curricula.last_completion(cmd.user_id)
        if last is None:
            raise InvalidInput("Notes attach to a completed session. Log one with /done first.")
        now = clock.now()
        note_id = await uow.notes.add(cmd.user_id, last.session_id, cmd.text, now)
        await uow.commit()
    return Note(
        note_id, cmd.text, last.session_number, last.session_title, last.curriculum_title, now
    )


async def recent_notes(user_id: UUID, uow: UnitOfWork, limit: int = 10) -> RecentNotes:
    """The learner's latest notes, newest first, with their time zone."""
    async with uow:
        user = await uow.users.get(user_id)
        return RecentNotes(user.timezone, await uow.notes.recent(user_id, limit))


async def progress_report(user_id: UUID, uow: UnitOfWork, clock: Clock) -> ProgressReport:
    """Every non-archived curriculum with its own streak as it stands today, and the daily
    streak across all plans, in the user's zone."""
    async with uow:
        user = await uow.users.get(user_id)
        curricula = await uow.curricula.list_for(user_id)
        days = await uow.curricula.study_days(user_id)
    today = timezones.local_date(clock.now(), user.timezone)
    report = [
        _standing(curriculum, today)
        for curriculum in curricula
        if curriculum.status is not CurriculumStatus.ARCHIVED
    ]
    return ProgressReport(
        user.timezone,
        report,
        daily_streak=streaks.daily_streak(days, today),
        daily_at_risk=streaks.daily_at_risk(days, today),
    )


async def plans_overview(user_id: UUID, uow: UnitOfWork, clock: Clock) -> PlanList:
    """``/plans``: every curriculum with its own streak, which one is current, and the daily
    streak across all plans."""
    async with uow:
        user = await uow.users.get(user_id)
        curricula = await uow.curricula.list_for(user_id)
        current = await uow.curricula.current_id(user_id)
        days = await uow.curricula.study_days(user_id)
    today = timezones.local_date(clock.now(), user.timezone)
    return PlanList(
        [_standing(c, today) for c in curricula], current, streaks.daily_streak(days, today)
    )


def _standing(curriculum: CurriculumOverview, today: date) -> CurriculumProgress:
    """One curriculum with its own streak and schedule as they stand on ``today``."""
    p = curriculum.progress
    return CurriculumProgress(
        curriculum,
        streak=streaks.current_streak(p.current_streak, p.last_local_date, today),
        at_risk=curriculum.status is CurriculumStatus.ACTIVE
        and streaks.streak_at_risk(p.current_streak, p.last_local_date, today),
        schedule=None
        if curriculum.schedule is None
        else schedule.standing(
            curriculum.schedule,
            total_sessions=curriculum.total_sessions,
            completed=p.sessions_completed,
            today=today,
            studied_today=p.last_local_date == today,
        ),
    )
