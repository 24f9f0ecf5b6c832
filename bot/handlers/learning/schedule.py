"""A study schedule: /schedule and /calendar."""

from __future__ import annotations

from bot.handlers.base import Command, Handler, Reply, Request
from bot.handlers.formatting import schedule_standing
from domain.learning.commands import SetSchedule
from domain.learning.model import ScheduleView
from domain.learning.scheduling import schedule_view, set_schedule
from domain.notifications.preferences import DAY_CODES, parse_clock, parse_days
from domain.shared.errors import InvalidInput

USAGE = "Usage: /schedule mon,wed,fri 19:00 (in your time zone), or /schedule off"
SHOWN = 5  # target dates listed in a reply


def _dates(view: ScheduleView) -> list[str]:
    lines = [f"• {s.day:%a %d %b}: session {s.number}, {s.title}" for s in view.sessions[:SHOWN]]
    if len(view.sessions) > SHOWN:
        last = view.sessions[-1]
        lines.append(f"… the last, session {last.number}, on {last.day:%a %d %b %Y}")
    return lines


def _shown(view: ScheduleView, headline: str) -> Reply:
    if view.schedule is None or view.standing is None:
        return Reply(f"No study schedule for “{view.curriculum_title}”. {USAGE}")
    days = ",".join(DAY_CODES[day] for day in view.schedule.weekdays)
    lines = [
        f"{headline} “{view.curriculum_title}”: {days} at {view.schedule.at:%H:%M} "
        f"({view.timezone}) · {schedule_standing(view.standing)}.",
        *_dates(view),
    ]
    if not view.sessions:
        lines.append("No sessions left to schedule.")
    lines.append("A missed day moves the remaining sessions on to your next study days.")
    lines.append("/calendar sends it as a calendar file · the study reminder follows it.")
    return Reply("\n".join(lines))


async def schedule(req: Request) -> Reply:
    """Study the current curriculum on given days: /schedule mon,wed,fri 19:00."""
    words = req.args.split()
    if not words:
        return _shown(await schedule_view(req.user_id, req.ctx.uow(), req.ctx.clock), "📅")
    if [w.lower() for w in words] == ["off"]:
        view = await set_schedule(SetSchedule(req.user_id, ()), req.ctx.uow(), req.ctx.clock)
        return Reply(
            f"📅 No schedule for “{view.curriculum_title}” any more. "
            "The study reminder stays as it is (/remind off to stop it)."
        )
    if len(words) < 2:
        raise InvalidInput(USAGE)
    at = parse_clock(words[-1])
    days = parse_days(" ".join(words[:-1]))
    command = SetSchedule(req.user_id, days, at)
    return _shown(await set_schedule(command, req.ctx.uow(), req.ctx.clock), "📅 Scheduled")


COMMANDS = [
    Command(
        "schedule",
        schedule,
        "study days for your plan: /schedule mon,wed,fri 19:00",
        "/schedule <days> <HH:MM>",
    ),
]

BUTTONS: dict[str, Handler] = {}
