"""/schedule and /calendar: a study schedule for the current curriculum, and where the learner
stands against it (the date rules are in ``domain.learning.schedule``)."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from domain.learning.commands import SetSchedule
from domain.learning.curricula import NO_CURRICULUM
from domain.learning.model import CurriculumOverview, ScheduledSession, ScheduleView, StudySchedule
from domain.learning.schedule import standing
from domain.notifications import preferences
from domain.notifications.preferences import StudyReminder
from domain.notifications.services import replan_user
from domain.shared import timezones
from domain.shared.clock import Clock
from domain.shared.errors import NotFound
from domain.unit_of_work import UnitOfWork

MAX_SESSIONS = 365


async def set_schedule(cmd: SetSchedule, uow: UnitOfWork, clock: Clock) -> ScheduleView:
    """Set (or, with no weekdays, clear) the current curriculum's schedule.

    It counts from today (local); the study reminder is switched on for the same days and time
    and the learner's reminders re-planned, in the same transaction.

    Raises:
        NotFound: the learner has no curriculum.
    """
    now = clock.now()
    async with uow:
        await uow.curricula.lock_learner(cmd.user_id)
        curriculum = await _current(uow, cmd.user_id)
        zone = (await uow.users.get(cmd.user_id)).timezone
        schedule = None
        if cmd.weekdays and cmd.at is not None:
            schedule = StudySchedule(
                cmd.weekdays,
                cmd.at,
                timezones.local_date(now, zone),
                curriculum.progress.sessions_completed,
            )
            current = preferences.load(await uow.users.preferences(cmd.user_id, lock=True))
            study = StudyReminder(enabled=True, at=cmd.at, weekdays=cmd.weekdays)
            updated = current.model_copy(update={"study": study})
            await uow.users.set_preferences(cmd.user_id, updated.as_json())
            await replan_user(cmd.user_id, uow, now)
        await uow.curricula.set_schedule(curriculum.id, schedule)
        view = await _view(uow, curriculum, schedule, zone, now)
        await uow.commit()
    return view


async def schedule_view(user_id: UUID, uow: UnitOfWork, clock: Clock) -> ScheduleView:
    """The current curriculum's schedule and target dates (none without a schedule)."""
    async with uow:
        curriculum = await _current(uow, user_id)
        zone = (await uow.users.get(user_id)).timezone
        return await _view(uow, curriculum, curriculum.schedule, zone, clock.now())


async def _current(uow: UnitOfWork, user_id: UUID) -> CurriculumOverview:
    curriculum_id = await uow.curricula.current_id(user_id)
    if curriculum_id is None:
        raise NotFound(NO_CURRICULUM)
    return await uow.curricula.get_owned(curriculum_id, owner=user_id)


async def _view(
    uow: UnitOfWork,
    curriculum: CurriculumOverview,
    schedule: StudySchedule | None,
    zone: str,
    now: datetime,
) -> ScheduleView:
    if schedule is None:
        return ScheduleView(
            curriculum.id, curriculum.title, zone, curriculum.session_minutes, None, None, ()
        )
    today = timezones.local_date(now, zone)
    where = standing(
        schedule,
        total_sessions=curriculum.total_sessions,
        completed=curriculum.progress.sessions_completed,
        today=today,
        studied_today=curriculum.progress.last_local_date == today,
    )
    pending = [
        s
        for s in await uow.curricula.sessions(curriculum.id, 0, MAX_SESSIONS)
        if s.completed_at is None
    ]
    sessions = tuple(
        ScheduledSession(s.number, s.title, day)
        for s, day in zip(pending, where.dates, strict=False)
    )
    return ScheduleView(
        curriculum.id,
        curriculum.title,
        zone,
        curriculum.session_minutes,
        schedule,
        where,
        sessions,
    )
