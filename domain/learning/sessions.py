"""Study sessions: logging one, undoing it, notes, and the progress report.

Ownership is checked here, not only in the UI: every service acts for ``user_id`` and
only ever reads or changes that user's own rows.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping
from dataclasses import replace
from datetime import date, datetime, timedelta
from uuid import UUID

from domain.habits.model import HabitNews, HabitStanding
from domain.learning import goals, schedule, streaks
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
    now = clock.now()
    context = await uow.curricula.completion_context(cmd.user_id, cmd.curriculum_id, now=now)
    if (
        context is not None
        and not context.history.read
        and context.progress.last_local_date != timezones.local_date(now, context.timezone)
    ):  # PostgreSQL's zone rules and zoneinfo disagree about today: read the history too
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
    today = timezones.local_date(now, context.timezone)
    progress = context.progress
    history = context.history
    off = streaks.vacation_days(history.vacations)
    if history.read:
        streak = streaks.streak_state([*history.plan_days, today], off, today).length
        daily = streaks.streak_state([*history.study_days, today], off, today)
        news = HabitNews(streaks.frozen_since(daily, history.study_days), daily.freezes_held)
    else:  # studied today already: one more session today changes no streak
        streak, news = progress.current_streak, HabitNews()
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
        habits=replace(
            news,
            vacation_ended=any(  # the statement ends it (``record_completion``)
                v.ended_early_at is None and v.starts_on <= today <= v.ends_on
                for v in history.vacations
            ),
        ),
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
        off = streaks.vacation_days(await uow.habits.vacations(cmd.user_id))
        streak = streaks.streak_from_days(days, off)
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
        return await progress_in(uow, user_id, clock.now())


async def progress_in(uow: UnitOfWork, user_id: UUID, now: datetime) -> ProgressReport:
    """``progress_report`` in an open unit of work (also what a booking's expert sees of a
    shared plan, ``plan_shares``)."""
    user = await uow.users.get(user_id)
    curricula = await uow.curricula.list_for(user_id)
    by_plan = await uow.habits.days_by_plan(user_id)
    vacations = await uow.habits.vacations(user_id)
    habits = await uow.habits.habits(user_id)
    today = timezones.local_date(now, user.timezone)
    week = None
    if habits.goal_minutes or habits.goal_sessions:
        since = goals.week_start(today, habits.week_starts)
        week = goals.week_standing(
            habits, await uow.curricula.study_tallies(user_id, since=since), today
        )
    off = streaks.vacation_days(vacations)
    report = [
        _standing(curriculum, today, by_plan.get(curriculum.id, ()), off)
        for curriculum in curricula
        if curriculum.status is not CurriculumStatus.ARCHIVED
    ]
    daily = streaks.streak_state(_all_days(by_plan), off, today)
    return ProgressReport(
        user.timezone,
        report,
        daily_streak=daily.length,
        daily_at_risk=daily.at_risk,
        habits=HabitStanding(
            freezes_held=daily.freezes_held,
            frozen_days=tuple(
                d for d in daily.frozen_days if daily.last_day and d > daily.last_day
            ),
            vacation=goals.vacation_now(vacations, today),
            week=week,
        ),
    )


async def plans_overview(user_id: UUID, uow: UnitOfWork, clock: Clock) -> PlanList:
    """``/plans``: every curriculum with its own streak, which one is current, and the daily
    streak across all plans."""
    async with uow:
        user = await uow.users.get(user_id)
        curricula = await uow.curricula.list_for(user_id)
        current = await uow.curricula.current_id(user_id)
        by_plan = await uow.habits.days_by_plan(user_id)
        off = streaks.vacation_days(await uow.habits.vacations(user_id))
    today = timezones.local_date(clock.now(), user.timezone)
    return PlanList(
        [_standing(c, today, by_plan.get(c.id, ()), off) for c in curricula],
        current,
        streaks.daily_streak(_all_days(by_plan), today, off),
    )


def _all_days(by_plan: Mapping[UUID, Iterable[date]]) -> set[date]:
    return {day for days in by_plan.values() for day in days}


def _standing(
    curriculum: CurriculumOverview, today: date, days: Iterable[date], off: Iterable[date]
) -> CurriculumProgress:
    """One curriculum with its own streak and schedule as they stand on ``today``."""
    p = curriculum.progress
    state = streaks.streak_state(days, off, today)
    return CurriculumProgress(
        curriculum,
        streak=state.length,
        # a held freeze would cover today: the plan's streak does not end tonight
        at_risk=curriculum.status is CurriculumStatus.ACTIVE
        and state.at_risk
        and not state.freezes_held,
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
