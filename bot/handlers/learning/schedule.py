"""A study schedule: /schedule and /calendar (an .ics file: each remaining session at its
target date and time in the learner's zone, as TZID-ed local times with the zone's VTIMEZONE,
so a calendar app keeps 19:00 at 19:00 on both sides of a DST change)."""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from icalendar import Calendar, Event

from bot.handlers.base import Attachment, Command, Handler, Reply, Request
from bot.handlers.formatting import plural, schedule_standing
from domain.learning.commands import SetSchedule
from domain.learning.model import ScheduleView
from domain.learning.scheduling import schedule_view, set_schedule
from domain.notifications.preferences import parse_clock, parse_days
from domain.shared.errors import InvalidInput
from domain.shared.timetext import DAY_CODES, trailing_clock

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
    found = trailing_clock(req.args)  # "19:00", "7pm", "7 pm" at the end
    if found is None or not found[0]:
        parse_clock(words[-1])  # says why that is not a time of day
        raise InvalidInput(USAGE)
    days = parse_days(found[0])
    at = found[1]
    command = SetSchedule(req.user_id, days, at)
    return _shown(await set_schedule(command, req.ctx.uow(), req.ctx.clock), "📅 Scheduled")


def calendar_file(view: ScheduleView, now: datetime) -> Attachment:
    """The schedule as an iCalendar file (one event per remaining session)."""
    assert view.schedule is not None
    zone = ZoneInfo(view.timezone)
    calendar = Calendar()
    calendar.add("prodid", "-//Syllabot//study schedule//EN")
    calendar.add("version", "2.0")
    calendar.add("x-wr-calname", f"Syllabot: {view.curriculum_title}")
    for session in view.sessions:
        event = Event()
        # Stable per session, so importing a newer file updates the events instead of doubling.
        event.add("uid", f"{view.curriculum_id}-{session.number}@syllabot")
        event.add("dtstamp", now)
        event.add("dtstart", datetime.combine(session.day, view.schedule.at, tzinfo=zone))
        event.add("duration", timedelta(minutes=view.session_minutes))
        event.add("summary", f"Study: session {session.number}, {session.title}")
        event.add("description", f"{view.curriculum_title}. Log it with /done when finished.")
        calendar.add_component(event)
    calendar.add_missing_timezones()
    slug = re.sub(r"[^a-z0-9]+", "-", view.curriculum_title.lower()).strip("-") or "plan"
    return Attachment(f"syllabot-{slug[:40]}.ics", calendar.to_ical(), "text/calendar")


async def calendar(req: Request) -> Reply:
    """Your study schedule as a calendar file to import."""
    view = await schedule_view(req.user_id, req.ctx.uow(), req.ctx.clock)
    if view.schedule is None:
        return Reply(f"No study schedule for “{view.curriculum_title}” yet. {USAGE}")
    if not view.sessions:
        return Reply(f"No sessions left to schedule in “{view.curriculum_title}”.")
    return Reply(
        f"📅 {plural(len(view.sessions), 'study session')} of “{view.curriculum_title}” "
        f"({view.timezone}): open the file to add them to your calendar.",
        attachment=calendar_file(view, req.ctx.clock.now()),
    )


COMMANDS = [
    Command(
        "schedule",
        schedule,
        "study days for your plan: /schedule mon,wed,fri 19:00",
        "/schedule <days> <HH:MM>",
    ),
    Command("calendar", calendar, "your study schedule as a calendar file (.ics)"),
]

BUTTONS: dict[str, Handler] = {}
