"""Learner services: each takes a command's data and a unit of work and returns a result.

Ownership is checked here, not only in the UI: every service acts for ``user_id`` and
only ever reads or changes that user's own rows.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import timedelta
from uuid import UUID

from domain import reminders, reminding, streaks
from domain.errors import Conflict, InvalidInput, NotFound
from domain.model import (
    Completion,
    CurriculumOverview,
    CurriculumSpec,
    CurriculumStatus,
    Identity,
    Note,
    StudySession,
    User,
)
from domain.ports import Clock, CurriculumPlanner, UnitOfWork
from domain.preferences import NotificationPreferences
from domain.timezones import resolve_zone

logger = logging.getLogger(__name__)

UNDO_WINDOW = timedelta(hours=24)
PLAN_PAGE_SIZE = 8
NO_CURRICULUM = "You have no curriculum yet. Create one with /new."


# -- results -------------------------------------------------------------------------------


@dataclass(frozen=True)
class SessionLogged:
    curriculum_title: str
    session_number: int
    session_title: str
    minutes: int
    sessions_completed: int
    total_sessions: int
    streak: int
    curriculum_completed: bool
    note_saved: bool


@dataclass(frozen=True)
class SessionUndone:
    curriculum_title: str
    session_number: int
    session_title: str
    minutes: int
    streak: int


@dataclass(frozen=True)
class PlanPage:
    curriculum: CurriculumOverview
    sessions: list[StudySession]
    page: int
    pages: int


@dataclass(frozen=True)
class CurriculumProgress:
    curriculum: CurriculumOverview
    streak: int
    at_risk: bool


# -- users ---------------------------------------------------------------------------------


async def register(identity: Identity, uow: UnitOfWork, clock: Clock) -> tuple[User, bool]:
    """Find the user behind a platform identity, creating one on first contact.

    The identity's chat id and display name are refreshed when they changed.

    Returns:
        The user and whether it was created just now.
    """
    async with uow:
        user = await uow.users.by_identity(identity.platform, identity.external_id)
        created = user is None
        if user is None:
            user = await uow.users.add(identity)
            defaults = reminders.daily_reminders(
                user.id, user.timezone, NotificationPreferences(), clock.now()
            )
            await uow.notifications.plan(defaults)  # a new user's default reminders
        else:
            await uow.users.touch_identity(identity)
        await uow.commit()
        return user, created


async def get_user(user_id: UUID, uow: UnitOfWork) -> User:
    async with uow:
        return await uow.users.get(user_id)


async def set_timezone(user_id: UUID, text: str, uow: UnitOfWork, clock: Clock) -> str:
    """Set the learner's IANA zone (any case) and re-plan their reminders in it.

    Raises ``UnknownTimeZone`` with suggestions."""
    zone = resolve_zone(text)
    async with uow:
        await uow.users.set_timezone(user_id, zone)
        await reminding.replan_user(user_id, uow, clock.now())
        await uow.commit()
    return zone


# -- curricula -----------------------------------------------------------------------------


async def create_curriculum(
    user_id: UUID,
    spec: CurriculumSpec,
    uow: UnitOfWork,
    planner: CurriculumPlanner,
    *,
    end_conversation: bool = False,
) -> CurriculumOverview:
    """Plan the sessions for ``spec``, store them, and make the curriculum the current one.

    With ``end_conversation`` the wizard that collected the spec ends in the same transaction.
    """
    sessions = planner.plan(spec)
    if [s.number for s in sessions] != list(range(1, spec.total_sessions + 1)):
        raise RuntimeError("planner returned a plan that is not numbered 1..N")
    async with uow:
        curriculum_id = await uow.curricula.add(user_id, spec, sessions)
        await uow.users.set_current_curriculum(user_id, curriculum_id)
        if end_conversation:
            await uow.conversations.clear(user_id)
        overview = await uow.curricula.get_owned(curriculum_id, owner=user_id)
        await uow.commit()
    return overview


async def list_curricula(user_id: UUID, uow: UnitOfWork) -> list[CurriculumOverview]:
    async with uow:
        return await uow.curricula.list_for(user_id)


async def open_curriculum(user_id: UUID, curriculum_id: UUID, uow: UnitOfWork) -> PlanPage:
    """Make an owned curriculum the current one and return its first plan page."""
    async with uow:
        await uow.curricula.get_owned(curriculum_id, owner=user_id)
        await uow.users.set_current_curriculum(user_id, curriculum_id)
        await uow.commit()
    return await plan_page(user_id, uow, curriculum_id=curriculum_id, page=0)


async def plan_page(
    user_id: UUID, uow: UnitOfWork, *, curriculum_id: UUID | None = None, page: int = 0
) -> PlanPage:
    """One page of sessions of an owned curriculum (the current one by default)."""
    async with uow:
        curriculum_id = curriculum_id or await _current_id(uow, user_id)
        curriculum = await uow.curricula.get_owned(curriculum_id, owner=user_id)
        pages = -(-curriculum.total_sessions // PLAN_PAGE_SIZE)
        page = min(max(page, 0), pages - 1)
        sessions = await uow.curricula.sessions(
            curriculum_id, page * PLAN_PAGE_SIZE, PLAN_PAGE_SIZE
        )
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


async def change_status(
    user_id: UUID, target: CurriculumStatus, uow: UnitOfWork, curriculum_id: UUID | None = None
) -> CurriculumOverview:
    """Pause, resume or archive an owned curriculum (the current one by default)."""
    async with uow:
        curriculum_id = curriculum_id or await _current_id(uow, user_id)
        curriculum = await uow.curricula.get_owned(curriculum_id, owner=user_id)
        if curriculum.status == target:
            raise InvalidInput(f"“{curriculum.title}” is already {target.value}.")
        if curriculum.status not in _TRANSITIONS[target]:
            raise InvalidInput(
                f"“{curriculum.title}” is {curriculum.status.value}; it can't become "
                f"{target.value}."
            )
        await uow.curricula.set_status(curriculum_id, target)
        if target is CurriculumStatus.ARCHIVED:
            await uow.users.set_current_curriculum(user_id, None)
        else:
            await uow.users.set_current_curriculum(user_id, curriculum_id)
        await uow.commit()
    return await _reload(uow, curriculum_id, user_id)


async def _reload(uow: UnitOfWork, curriculum_id: UUID, user_id: UUID) -> CurriculumOverview:
    async with uow:
        return await uow.curricula.get_owned(curriculum_id, owner=user_id)


async def _current_id(uow: UnitOfWork, user_id: UUID) -> UUID:
    curriculum_id = await uow.curricula.current_id(user_id)
    if curriculum_id is None:
        raise NotFound(NO_CURRICULUM)
    return curriculum_id


# -- logging sessions ----------------------------------------------------------------------


async def log_session(
    user_id: UUID,
    uow: UnitOfWork,
    clock: Clock,
    *,
    minutes: int | None = None,
    note: str | None = None,
) -> SessionLogged:
    """Complete the next pending session of the current curriculum.

    Adds ``minutes`` (default: the curriculum's session length) to the time spent, updates the
    streak on the learner's local calendar, stores ``note``, and completes the curriculum with
    its last session. A concurrent ``/done`` of the same learner is never counted twice: the
    write only lands if the progress is still as read; otherwise we read again, this time
    holding the learner's lock so that concurrent ``/done``s queue up instead of failing.
    """
    for attempt in range(5):
        async with uow:
            context = await uow.curricula.completion_context(user_id, lock=attempt > 0)
            if context is None:
                raise NotFound(NO_CURRICULUM)
            if context.status in (CurriculumStatus.PAUSED, CurriculumStatus.ARCHIVED):
                raise InvalidInput(
                    f"“{context.curriculum_title}” is {context.status.value}. /resume it first."
                )
            if context.next_session_id is None or context.status is CurriculumStatus.COMPLETED:
                raise InvalidInput(
                    f"Every session of “{context.curriculum_title}” is already done. "
                    "Start something new with /new."
                )
            now = clock.now()
            today = streaks.local_date(now, context.timezone)
            progress = context.progress
            streak = streaks.streak_after(
                streaks.current_streak(progress.current_streak, progress.last_local_date, today),
                progress.last_local_date,
                today,
            )
            spent = minutes or context.session_minutes
            completed = progress.sessions_completed + 1
            recorded = await uow.curricula.record_completion(
                Completion(
                    user_id=user_id,
                    curriculum_id=context.curriculum_id,
                    session_id=context.next_session_id,
                    at=now,
                    local_day=today,
                    minutes=spent,
                    streak=streak,
                    note=note,
                    expected_sessions_completed=progress.sessions_completed,
                    completes_curriculum=completed >= context.total_sessions,
                )
            )
            if not recorded:
                continue  # someone else logged a session in between: read again
            await uow.commit()
            assert context.next_session_number is not None
            assert context.next_session_title is not None
            return SessionLogged(
                curriculum_title=context.curriculum_title,
                session_number=context.next_session_number,
                session_title=context.next_session_title,
                minutes=spent,
                sessions_completed=completed,
                total_sessions=context.total_sessions,
                streak=streak,
                curriculum_completed=completed >= context.total_sessions,
                note_saved=note is not None,
            )
    raise Conflict("Your progress changed while I was saving it. Please try /done again.")


async def undo_last(user_id: UUID, uow: UnitOfWork, clock: Clock) -> SessionUndone:
    """Revert the learner's most recent ``/done`` if it was less than 24 hours ago."""
    async with uow:
        last = await uow.curricula.last_completion(user_id, lock=True)
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


# -- notes ---------------------------------------------------------------------------------


async def add_note(user_id: UUID, text: str, uow: UnitOfWork, clock: Clock) -> Note:
    """Attach a note to the learner's most recently completed session."""
    async with uow:
        last = await uow.curricula.last_completion(user_id)
        if last is None:
            raise InvalidInput("Notes attach to a completed session. Log one with /done first.")
        now = clock.now()
        note_id = await uow.notes.add(user_id, last.session_id, text, now)
        await uow.commit()
    return Note(note_id, text, last.session_number, last.session_title, last.curriculum_title, now)


async def recent_notes(user_id: UUID, uow: UnitOfWork, limit: int = 10) -> tuple[User, list[Note]]:
    """The learner (for their time zone) and their latest notes, newest first."""
    async with uow:
        return await uow.users.get(user_id), await uow.notes.recent(user_id, limit)


# -- progress ------------------------------------------------------------------------------


async def progress_report(
    user_id: UUID, uow: UnitOfWork, clock: Clock
) -> tuple[User, list[CurriculumProgress]]:
    """Every non-archived curriculum with its streak as it stands today, in the user's zone."""
    async with uow:
        user = await uow.users.get(user_id)
        curricula = await uow.curricula.list_for(user_id)
    today = streaks.local_date(clock.now(), user.timezone)
    report = []
    for curriculum in curricula:
        if curriculum.status is CurriculumStatus.ARCHIVED:
            continue
        p = curriculum.progress
        report.append(
            CurriculumProgress(
                curriculum,
                streak=streaks.current_streak(p.current_streak, p.last_local_date, today),
                at_risk=curriculum.status is CurriculumStatus.ACTIVE
                and streaks.streak_at_risk(p.current_streak, p.last_local_date, today),
            )
        )
    return user, report


ARCHIVE_AFTER = timedelta(days=730)


async def archive_finished(uow: UnitOfWork, clock: Clock) -> int:
    """Archive curricula completed more than two years ago; returns how many."""
    async with uow:
        count = await uow.curricula.archive_completed_before(clock.now() - ARCHIVE_AFTER)
        await uow.commit()
    return count
