"""Fair streaks and weekly goals: /vacation and /goal."""

from __future__ import annotations

from datetime import date

from bot.handlers.base import Command, Handler, Reply, Request
from bot.handlers.formatting import duration, plural
from domain.habits.model import StudyHabits
from domain.learning.commands import ChangeGoal, PlanVacation
from domain.learning.goals import GOAL_USAGE, VACATION_USAGE, WEEKDAY_NAMES
from domain.learning.habits import change_goal, get_habits, plan_vacation


def day_words(day: date) -> str:
    """ "Tue 22 Dec"."""
    return f"{day:%a %d %b}"


async def vacation(req: Request) -> Reply:
    """A break for your streak: /vacation 5d, /vacation 2026-12-20 to 2026-12-27, /vacation off."""
    if not req.args.strip():
        return Reply(VACATION_USAGE)
    changed = await plan_vacation(
        PlanVacation(req.user_id, req.args), req.ctx.uow(), req.ctx.clock
    )
    if changed.vacation is None:
        if not changed.replaced:
            return Reply("You have no vacation under way or planned.")
        return Reply("🏁 Vacation over: your streak counts again from today. Welcome back!")
    first, last = changed.vacation.starts_on, changed.vacation.ends_on
    days = plural((last - first).days + 1, "day")
    return Reply(
        f"🏖 Vacation from {day_words(first)} to {day_words(last)} ({days}, your local days). "
        "Your streak neither grows nor breaks then, and study and streak reminders pause. "
        "Logging a session with /done ends it early; /vacation off ends it now."
    )


def goal_words(habits: StudyHabits) -> str:
    """ "150 min a week" / "4 sessions a week" / "no weekly goal", and the week's first day."""
    if habits.goal_minutes:
        goal = f"{duration(habits.goal_minutes)} a week"
    elif habits.goal_sessions:
        goal = f"{plural(habits.goal_sessions, 'session')} a week"
    else:
        goal = "no weekly goal"
    return f"{goal} (weeks start on {WEEKDAY_NAMES[habits.week_starts]})"


async def goal(req: Request) -> Reply:
    """Your weekly goal: /goal 150m, /goal 2h, /goal 4 sessions, /goal off."""
    if not req.args.strip():
        habits = await get_habits(req.user_id, req.ctx.uow())
        return Reply(f"🎯 Your goal: {goal_words(habits)}.\n{GOAL_USAGE}")
    changed = await change_goal(ChangeGoal(req.user_id, req.args), req.ctx.uow(), req.ctx.clock)
    habits = changed.habits
    if req.args.strip().lower().startswith("week"):
        return Reply(f"📅 Your weeks start on {WEEKDAY_NAMES[habits.week_starts]} now.")
    if not (habits.goal_minutes or habits.goal_sessions):
        return Reply("🎯 Weekly goal off.")
    reminder = (
        "I'll remind you two days before the week ends if you are behind (/settings)."
        if changed.reminder_on
        else "The goal reminder is off (/settings switches it on)."
    )
    return Reply(f"🎯 Goal set: {goal_words(habits)}. /progress shows your week.\n{reminder}")


COMMANDS = [
    Command("vacation", vacation, "streak vacation: /vacation 5d, /vacation off", VACATION_USAGE),
    Command("goal", goal, "weekly goal: /goal 150m, /goal 4 sessions", GOAL_USAGE),
]


BUTTONS: dict[str, Handler] = {}
