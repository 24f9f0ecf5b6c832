"""/schedule: target dates on the learner's study days, /progress against them, and the study
reminder on the same days and time."""

from __future__ import annotations

import io
import uuid
from datetime import UTC, datetime
from pathlib import Path

from icalendar import Calendar
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.adapters.terminal import TerminalChat
from bot.handlers.router import Dispatcher
from tests.integration.test_reminder_settings import stored
from tests.support import FakeClock, Learner, snapshot


async def test_a_schedule_dates_each_session_and_progress_says_where_the_learner_stands(
    dispatcher: Dispatcher, engine: AsyncEngine, clock: FakeClock
) -> None:
    ann = Learner(dispatcher)  # Monday 2 March 2026, 13:00 in Berlin
    await ann.say("/timezone Europe/Berlin")
    await ann.say("/new Go | 6 | 30 | beginner")
    shown = await ann.say("/schedule mon,wed,fri 19:00")
    assert "Scheduled “Go (beginner)”: mon,wed,fri at 19:00 (Europe/Berlin)" in shown
    assert "on track" in shown
    assert "Mon 02 Mar: session 1" in shown and "Wed 04 Mar: session 2" in shown
    # the study reminder follows the schedule (19:00 is its default, so it is not stored)
    assert (await stored(engine, ann))["study"] == {"enabled": True, "weekdays": [0, 2, 4]}
    assert "📅 on track with your schedule" in await ann.say("/progress")

    clock.set(datetime(2026, 3, 6, 9, 0, tzinfo=UTC))  # Friday: Monday and Wednesday missed
    assert "2 sessions behind schedule" in await ann.say("/progress")
    shown = await ann.say("/schedule")
    assert "Fri 06 Mar: session 1" in shown and "Mon 09 Mar: session 2" in shown

    await ann.say("/done")
    await ann.say("/done")
    assert "on track with your schedule" in await ann.say("/progress")
    await ann.say("/done")
    await ann.say("/done")
    assert "1 session ahead of schedule" in await ann.say("/progress")
    assert "Mon 09 Mar: session 5" in await ann.say("/schedule")

    assert "No schedule for “Go (beginner)” any more" in await ann.say("/schedule off")
    assert "📅" not in await ann.say("/progress")


async def test_a_bad_schedule_changes_nothing(dispatcher: Dispatcher, engine: AsyncEngine) -> None:
    bo = Learner(dispatcher)
    assert "no curriculum yet" in await bo.say("/schedule mon 19:00")
    await bo.say("/new Go | 3 | 30 | beginner")
    before = await snapshot(engine)
    assert "not a day" in await bo.say("/schedule someday 19:00")
    assert "not a time of day" in await bo.say("/schedule mon 25:00")
    assert "Usage: /schedule" in await bo.say("/schedule mon")
    assert await snapshot(engine) == before
    assert "No study schedule" in await bo.say("/schedule")


async def test_the_terminal_writes_the_calendar_file_and_prints_its_path(
    dispatcher: Dispatcher, tmp_path: Path
) -> None:
    out = io.StringIO()
    chat = TerminalChat(
        dispatcher, f"cal-{uuid.uuid4().hex[:8]}", stdin=io.StringIO(), stdout=out, files=tmp_path
    )
    await chat.enter("/timezone America/New_York")
    await chat.enter("/new Go | 4 | 30 | beginner")
    assert "No study schedule" in (await chat.enter("/calendar"))[0].text
    await chat.enter("/schedule tue,thu 07:30")
    (reply,) = await chat.enter("/calendar")
    assert "4 study sessions of “Go (beginner)” (America/New_York)" in reply.text
    path = tmp_path / "syllabot-go-beginner.ics"
    assert f"📎 File saved: {path}" in out.getvalue()
    events = Calendar.from_ical(path.read_bytes()).walk("VEVENT")
    starts = [event.decoded("dtstart") for event in events]
    # Monday 2 March: Tuesday 3 (EST), Thursday 5, then Tuesday 10 and Thursday 12 (EDT)
    assert [s.astimezone(UTC).strftime("%d %H:%M") for s in starts] == [
        "03 12:30",
        "05 12:30",
        "10 11:30",
        "12 11:30",
    ]


async def test_the_study_reminder_comes_on_study_days_and_names_that_days_session(
    dispatcher: Dispatcher, clock: FakeClock
) -> None:
    ann = Learner(dispatcher)  # Monday 2 March 2026, 13:00 in Berlin
    await ann.say("/timezone Europe/Berlin")
    await ann.say("/new Go | 6 | 30 | beginner")
    await ann.say("/schedule wed,fri 19:00")

    clock.set(datetime(2026, 3, 3, 18, 30, tzinfo=UTC))  # Tuesday 19:30: not a study day
    await ann.worker.drain()
    assert studied(ann) == []
    clock.set(datetime(2026, 3, 4, 18, 0, tzinfo=UTC))  # Wednesday 19:00
    await ann.worker.drain()
    (reminder,) = studied(ann)
    assert "Time to study “Go (beginner)”: session 1," in reminder
    assert "📅 Today's session on your schedule · on track with your schedule." in reminder

    clock.set(datetime(2026, 3, 6, 18, 0, tzinfo=UTC))  # Friday 19:00, Wednesday's not done
    await ann.worker.drain()
    assert "session 1," in studied(ann)[-1]  # the day's session, not a pile of them
    assert "1 session behind schedule" in studied(ann)[-1]


def studied(learner: Learner) -> list[str]:
    return [n.text for n in learner.notices if "Time to study" in n.text]
