"""Vacations and weekly goals: ``/vacation`` and ``/goal`` (rules in ``domain.learning.goals``,
streaks in ``domain.learning.streaks``).

One vacation at a time: a new ``/vacation`` replaces the one under way (which then covers the
days before today) and any planned. Setting a goal switches the goal reminder on when no goal
was set before (``/settings`` switches it off); ``/goal off`` switches it off.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from uuid import UUID

from domain.habits.model import StudyHabits, Vacation
from domain.learning import goals
from domain.learning.commands import ChangeGoal, PlanVacation
from domain.notifications import preferences
from domain.notifications.services import replan_user
from domain.shared import timezones
from domain.shared.clock import Clock
from domain.unit_of_work import UnitOfWork


@dataclass(frozen=True)
class VacationChanged:
    """What ``/vacation`` did: the vacation now planned (None: ended or none), and how many
    were ended or dropped to make way."""

    vacation: Vacation | None
    replaced: int
    timezone: str


@dataclass(frozen=True)
class GoalChanged:
    habits: StudyHabits
    reminder_on: bool
    timezone: str


async def plan_vacation(cmd: PlanVacation, uow: UnitOfWork, clock: Clock) -> VacationChanged:
    """Start, plan or end (``off``) the learner's vacation, on their local days.

    Raises ``InvalidInput`` (nothing changed) for text ``goals.parse_vacation`` refuses, such
    as a vacation starting before today.
    """
    async with uow:
        await uow.curricula.lock_learner(cmd.user_id)  # the lock order; /done ends vacations
        user = await uow.users.get(cmd.user_id)
        now = clock.now()
        today = timezones.local_date(now, user.timezone)
        span = goals.parse_vacation(cmd.text, today)
        replaced = await uow.habits.end_vacations(cmd.user_id, today, now)
        vacation = None
        if span is not None:
            await uow.habits.add_vacation(cmd.user_id, *span)
            vacation = Vacation(*span)
        await uow.commit()
    return VacationChanged(vacation, replaced, user.timezone)


async def change_goal(cmd: ChangeGoal, uow: UnitOfWork, clock: Clock) -> GoalChanged:
    """Set or clear the weekly goal, or choose the weekday weeks start on (``/goal ...``)."""
    change = goals.parse_goal(cmd.text)
    async with uow:
        # the lock order: the user's row (their preferences) first, then what hangs off it
        prefs = preferences.load_or_defaults(await uow.users.preferences(cmd.user_id, lock=True))
        current = await uow.habits.habits(cmd.user_id)
        had_goal = bool(current.goal_minutes or current.goal_sessions)
        if change.week_starts is not None:
            updated = replace(current, week_starts=change.week_starts)
        else:
            updated = replace(current, goal_minutes=change.minutes, goal_sessions=change.sessions)
        await uow.habits.save_habits(cmd.user_id, updated)
        has_goal = bool(updated.goal_minutes or updated.goal_sessions)
        reminder = prefs.goal.enabled
        if had_goal != has_goal:  # on with a first goal, off with none
            document = prefs.model_dump(mode="json")
            document["goal"] = {**document["goal"], "enabled": has_goal}
            reminder = has_goal
            await uow.users.set_preferences(cmd.user_id, preferences.load(document).as_json())
            await replan_user(cmd.user_id, uow, clock.now())
        zone = (await uow.users.get(cmd.user_id)).timezone
        await uow.commit()
    return GoalChanged(updated, reminder and has_goal, zone)


async def get_habits(user_id: UUID, uow: UnitOfWork) -> StudyHabits:
    """The learner's weekly goal and week start."""
    async with uow:
        return await uow.habits.habits(user_id)
