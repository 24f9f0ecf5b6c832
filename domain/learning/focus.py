"""Focus timers: ``/focus [minutes]`` on the current plan's next session, Stop, and logging it.

The end of a timer is a ``FOCUS_END`` notification written into the outbox with the timer
(due at its end), so it survives a restart and is sent once; it is delivered in quiet hours
too (the learner just asked for it). Every press re-reads the timer holding the learner's row
(the lock order in ``domain.learning.ports``): a stopped timer stays stopped, a logged one is
never logged twice, and another learner's timer is not found.
"""

from __future__ import annotations

from datetime import timedelta
from uuid import UUID

from domain.learning.commands import LogFocus, LogSession, StartFocus, StopFocus
from domain.learning.curricula import NO_CURRICULUM
from domain.learning.model import CurriculumStatus, FocusStarted, FocusTimer, SessionLogged
from domain.learning.parsing import LOGGED_MINUTES_RANGE
from domain.learning.sessions import log_held, with_now_current
from domain.notifications.model import NotificationKind, Planned
from domain.shared.clock import Clock
from domain.shared.errors import InvalidInput, NotFound
from domain.shared.timetext import read_duration
from domain.unit_of_work import UnitOfWork

DEFAULT_MINUTES = 25
FOCUS_RANGE = (5, 180)
# A timer's end is worth saying for a while after it; a worker down longer drops it.
END_EXPIRES = timedelta(hours=12)
ALREADY_LOGGED = "That focus time is already logged. Nothing more was changed."


def focus_minutes(args: str) -> int:
    """``/focus [minutes]``: 25 by default; ``45``, ``45 min``, ``1h``, ``1.5h``."""
    if not args.strip():
        return DEFAULT_MINUTES
    try:
        return read_duration(args, what="focus time", low=FOCUS_RANGE[0], high=FOCUS_RANGE[1])
    except InvalidInput as error:
        raise InvalidInput(f"{error.message} For example /focus or /focus 45.") from None


def logged_minutes(text: str) -> int:
    """The minutes a learner says they focused (the Different answer)."""
    low, high = LOGGED_MINUTES_RANGE
    return read_duration(text, what="time focused", low=low, high=high)


async def start_focus(cmd: StartFocus, uow: UnitOfWork, clock: Clock) -> FocusStarted:
    """Start a timer on the current plan's next session, with its end in the outbox; the
    timer already running instead, if there is one (one at a time per learner)."""
    if not FOCUS_RANGE[0] <= cmd.minutes <= FOCUS_RANGE[1]:
        raise InvalidInput(
            f"A focus timer runs {FOCUS_RANGE[0]} to {FOCUS_RANGE[1]} minutes; not {cmd.minutes}."
        )
    async with uow:
        await uow.curricula.lock_learner(cmd.user_id)
        now = clock.now()
        running = await uow.focus.running(cmd.user_id, now)
        if running is not None:
            return FocusStarted(running, already=True)
        context = await uow.curricula.completion_context(cmd.user_id)
        if context is None:
            raise NotFound(NO_CURRICULUM)
        if context.status in (CurriculumStatus.PAUSED, CurriculumStatus.ARCHIVED):
            raise InvalidInput(
                f"“{context.curriculum_title}” is {context.status.value}. /resume it first."
            )
        if context.next_session_id is None or context.status is CurriculumStatus.COMPLETED:
            raise InvalidInput(
                f"Every session of “{context.curriculum_title}” is done; nothing to focus on. "
                "/switch to another plan or start one with /new."
            )
        ends = now + timedelta(minutes=cmd.minutes)
        timer_id = await uow.focus.add(
            cmd.user_id, context.curriculum_id, context.next_session_id, cmd.minutes, now, ends
        )
        end = Planned(
            cmd.user_id,
            NotificationKind.FOCUS_END,
            {"timer_id": str(timer_id)},
            due_at=ends,
            expires_at=ends + END_EXPIRES,
            dedupe_key=f"focus:{timer_id}",
        )
        await uow.notifications.plan([end])
        timer = await uow.focus.get_owned(timer_id, cmd.user_id)
        await uow.commit()
    return FocusStarted(timer)


async def stop_focus(cmd: StopFocus, uow: UnitOfWork, clock: Clock) -> FocusTimer:
    """Stop a running timer early (its end is then not announced). A timer that is over or
    stopped already is returned as it is: a second press changes nothing."""
    async with uow:
        await uow.curricula.lock_learner(cmd.user_id)
        timer = await uow.focus.get_owned(cmd.timer_id, cmd.user_id, lock=True)
        now = clock.now()
        if timer.running(now):
            await uow.focus.stop(timer.id, now)
            timer = await uow.focus.get_owned(cmd.timer_id, cmd.user_id)
        await uow.commit()
    return timer


async def focus_timer(user_id: UUID, timer_id: UUID, uow: UnitOfWork) -> FocusTimer:
    """One of the learner's timers (``NotFound`` if it is not theirs)."""
    async with uow:
        return await uow.focus.get_owned(timer_id, user_id)


async def log_focus(cmd: LogFocus, uow: UnitOfWork, clock: Clock) -> SessionLogged:
    """Log a timer that ended or was stopped on its session, as /done does: its focused
    minutes, or ``cmd.minutes``. Once only, and only while its session is still the next one
    of its plan; the timer is marked logged in the same transaction."""
    async with uow:
        await uow.curricula.lock_learner(cmd.user_id)
        timer = await uow.focus.get_owned(cmd.timer_id, cmd.user_id, lock=True)
        now = clock.now()
        if timer.logged_at is not None:
            raise InvalidInput(ALREADY_LOGGED)
        if timer.running(now):
            raise InvalidInput("That timer is still running; Stop it first, or wait for its end.")
        minutes = timer.focused if cmd.minutes is None else cmd.minutes
        if not LOGGED_MINUTES_RANGE[0] <= minutes <= LOGGED_MINUTES_RANGE[1]:
            raise InvalidInput("Less than a minute of focus: nothing to log.")
        logged = await log_held(
            LogSession(
                cmd.user_id,
                minutes,
                curriculum_id=timer.curriculum_id,
                session_id=timer.session_id,
            ),
            uow,
            clock,
        )
        await uow.focus.mark_logged(timer.id, now)
        await uow.commit()
    return await with_now_current(logged, cmd.user_id, uow)
