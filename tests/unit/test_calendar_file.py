"""/calendar's .ics file: one event per remaining session at its local time, in the learner's
IANA zone, right on both sides of a DST change."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, time, timedelta

import pytest
from icalendar import Calendar

from bot.handlers.learning.schedule import calendar_file
from domain.learning.model import (
    ScheduledSession,
    ScheduleStanding,
    ScheduleView,
    StudySchedule,
)


def view(zone: str, days: list[date]) -> ScheduleView:
    sessions = tuple(ScheduledSession(n, f"Topic {n}", d) for n, d in enumerate(days, start=1))
    schedule = StudySchedule((0, 2, 4, 6), time(19, 0), days[0], 0)
    return ScheduleView(
        uuid.uuid4(),
        "Go (beginner)",
        zone,
        45,
        schedule,
        ScheduleStanding(0, 0, tuple(days)),
        sessions,
    )


@pytest.mark.parametrize(
    ("zone", "before", "after", "utc_before", "utc_after"),
    [
        # Berlin leaves CET for CEST on Sunday 29 March 2026
        ("Europe/Berlin", date(2026, 3, 27), date(2026, 3, 30), 18, 17),
        # New York leaves EST for EDT on Sunday 8 March 2026
        ("America/New_York", date(2026, 3, 6), date(2026, 3, 9), 0, 23),
        # and back on Sunday 1 November 2026
        ("America/New_York", date(2026, 10, 30), date(2026, 11, 2), 23, 0),
    ],
)
def test_sessions_stay_at_their_local_time_across_a_dst_change(
    zone: str, before: date, after: date, utc_before: int, utc_after: int
) -> None:
    file = calendar_file(view(zone, [before, after]), datetime(2026, 3, 1, tzinfo=UTC))
    assert file.filename == "syllabot-go-beginner.ics" and file.mime_type == "text/calendar"
    calendar = Calendar.from_ical(file.content)
    assert [tz["TZID"] for tz in calendar.walk("VTIMEZONE")] == [zone]
    events = calendar.walk("VEVENT")
    starts = [event.decoded("dtstart") for event in events]
    assert [(s.date(), s.time()) for s in starts] == [(before, time(19)), (after, time(19))]
    assert [str(e["dtstart"].params["TZID"]) for e in events] == [zone, zone]
    assert [s.astimezone(UTC).hour for s in starts] == [utc_before, utc_after]
    assert [e.decoded("duration") for e in events] == [timedelta(minutes=45)] * 2
    assert str(events[0]["summary"]) == "Study: session 1, Topic 1"
    assert len({str(e["uid"]) for e in events}) == 2


def test_the_same_schedule_gives_the_same_event_ids() -> None:
    """Importing a newer file updates the events rather than adding a second copy."""
    shown = view("Europe/Berlin", [date(2026, 3, 2)])
    first = Calendar.from_ical(calendar_file(shown, datetime(2026, 3, 1, tzinfo=UTC)).content)
    again = Calendar.from_ical(calendar_file(shown, datetime(2026, 3, 5, tzinfo=UTC)).content)
    assert [str(e["uid"]) for e in first.walk("VEVENT")] == [
        str(e["uid"]) for e in again.walk("VEVENT")
    ]
