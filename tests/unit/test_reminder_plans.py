"""Planning reminders around quiet hours, mutes and booking times (pure rules, no database)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

from domain.notifications.model import BOOKING, GOAL, REVIEW, STREAK, STUDY
from domain.notifications.planning import (
    DAILY_SWITCHES,
    LATE_AFTER,
    booking_reminders,
    daily_reminders,
    daily_switches,
)
from domain.notifications.preferences import NotificationPreferences, QuietHours, load
from domain.notifications.wallclock import quiet_period

USER = uuid.UUID(int=1)
BOOKED = uuid.UUID(int=2)
BERLIN = "Europe/Berlin"
NIGHT = QuietHours(start=time(22, 0), end=time(7, 30))


def local(moment: datetime, zone: str = BERLIN) -> str:
    return moment.astimezone(ZoneInfo(zone)).strftime("%Y-%m-%d %H:%M")


def prefs(**document: object) -> NotificationPreferences:
    return load(document)


def test_by_default_only_the_streak_reminder_is_planned_at_20_00_local() -> None:
    after = datetime(2026, 5, 4, 12, 0, tzinfo=UTC)
    (streak,) = daily_reminders(USER, BERLIN, prefs(), after)
    assert streak.kind == STREAK
    assert local(streak.due_at) == "2026-05-04 20:00"
    assert streak.expires_at == streak.due_at + LATE_AFTER
    assert streak.data == {"day": "2026-05-04", "at": streak.due_at.isoformat()}


def test_a_study_reminder_in_quiet_hours_waits_for_the_morning() -> None:
    choice = prefs(study={"enabled": True, "at": "23:00"}, streak={"enabled": False})
    quiet = choice.model_copy(update={"quiet": NIGHT})
    after = datetime(2026, 5, 4, 12, 0, tzinfo=UTC)
    (study,) = daily_reminders(USER, BERLIN, quiet, after)
    assert study.kind == STUDY
    assert local(study.due_at) == "2026-05-05 07:30"
    assert study.data["day"] == "2026-05-04"  # still the reminder of the 4th
    (loud,) = daily_reminders(USER, BERLIN, choice, after)
    assert local(loud.due_at) == "2026-05-04 23:00"
    assert study.dedupe_key == loud.dedupe_key  # one occurrence, wherever it was moved


def test_a_streak_warning_in_quiet_hours_comes_before_them_not_after_midnight() -> None:
    choice = prefs(streak={"at": "23:00"}, quiet={"start": "22:00", "end": "07:30"})
    (streak,) = daily_reminders(USER, BERLIN, choice, datetime(2026, 5, 4, 12, 0, tzinfo=UTC))
    assert local(streak.due_at) == "2026-05-04 21:59"


def test_quiet_hours_before_midnight_and_after_it_are_one_period() -> None:
    evening = datetime(2026, 5, 4, 21, 0, tzinfo=UTC)  # 23:00 in Berlin
    morning = datetime(2026, 5, 5, 4, 0, tzinfo=UTC)  # 06:00 in Berlin
    assert quiet_period(evening, BERLIN, NIGHT) == quiet_period(morning, BERLIN, NIGHT)
    start, end = quiet_period(evening, BERLIN, NIGHT)
    assert (local(start), local(end)) == ("2026-05-04 22:00", "2026-05-05 07:30")
    noon = datetime(2026, 5, 5, 10, 0, tzinfo=UTC)
    assert quiet_period(noon, BERLIN, NIGHT) == (noon, noon)


def test_quiet_hours_end_on_local_time_across_a_dst_change() -> None:
    # Night of 28/29 March 2026: Berlin moves from +01:00 to +02:00 at 02:00.
    start, end = quiet_period(datetime(2026, 3, 28, 23, 0, tzinfo=UTC), BERLIN, NIGHT)
    assert (local(start), local(end)) == ("2026-03-28 22:00", "2026-03-29 07:30")
    assert end - start == timedelta(hours=8, minutes=30)  # one hour shorter than usual


def test_nothing_daily_is_planned_while_muted() -> None:
    after = datetime(2026, 5, 4, 12, 0, tzinfo=UTC)
    choice = prefs(study={"enabled": True, "at": "19:00"}, muted_until="2026-05-10T17:30:00Z")
    planned = daily_reminders(USER, BERLIN, choice, after)
    # The mute ends at 19:30 Berlin time on the 10th: that day's 19:00 study reminder is over.
    assert [(p.kind, local(p.due_at)) for p in planned] == [
        (STUDY, "2026-05-11 19:00"),
        (STREAK, "2026-05-10 20:00"),
    ]


def test_booking_reminders_at_each_offset_valid_until_the_start() -> None:
    starts = datetime(2026, 5, 8, 13, 0, tzinfo=UTC)
    now = datetime(2026, 5, 4, 12, 0, tzinfo=UTC)
    planned = booking_reminders(USER, BOOKED, starts, BERLIN, prefs(), now)
    assert [(p.kind, p.due_at, p.expires_at) for p in planned] == [
        (BOOKING, starts - timedelta(hours=24), starts - timedelta(hours=1)),  # superseded
        (BOOKING, starts - timedelta(hours=1), starts),
    ]
    assert len({p.dedupe_key for p in planned}) == 2


def test_offsets_already_past_are_not_planned() -> None:
    starts = datetime(2026, 5, 4, 14, 0, tzinfo=UTC)
    now = datetime(2026, 5, 4, 12, 0, tzinfo=UTC)  # booked two hours ahead: only the 1 h one
    planned = booking_reminders(USER, BOOKED, starts, BERLIN, prefs(), now)
    assert [p.data["before_minutes"] for p in planned] == [60]
    off = prefs(bookings={"enabled": False})
    assert booking_reminders(USER, BOOKED, starts, BERLIN, off, now) == []


def test_a_booking_reminder_in_quiet_hours_comes_after_them_unless_that_is_too_late() -> None:
    quiet = prefs(quiet={"start": "22:00", "end": "07:30"}, bookings={"before_minutes": [60]})
    now = datetime(2026, 5, 1, 12, 0, tzinfo=UTC)
    at_eight = datetime(2026, 5, 5, 6, 0, tzinfo=UTC)  # 08:00 Berlin: reminder due 07:00, quiet
    (late_enough,) = booking_reminders(USER, BOOKED, at_eight, BERLIN, quiet, now)
    assert local(late_enough.due_at) == "2026-05-05 07:30"  # after the quiet hours, in time
    at_seven = datetime(2026, 5, 5, 5, 0, tzinfo=UTC)  # 07:00: after the quiet hours is too late
    (early,) = booking_reminders(USER, BOOKED, at_seven, BERLIN, quiet, now)
    assert local(early.due_at) == "2026-05-04 21:59"  # so: the evening before they begin


def test_the_daily_switches_are_the_preference_models_own_defaults() -> None:
    defaults = NotificationPreferences()
    assert {(s.kind, s.section, s.default) for s in DAILY_SWITCHES} == {
        (STUDY, "study", defaults.study.enabled),
        (STREAK, "streak", defaults.streak.enabled),
        (GOAL, "goal", defaults.goal.enabled),
        (REVIEW, "review", defaults.review.enabled),
    }
    changed = NotificationPreferences(study={"enabled": not defaults.study.enabled})
    assert daily_switches(changed)[0].default is not defaults.study.enabled


def test_each_daily_switch_names_the_section_that_turns_its_reminder_on_and_off() -> None:
    after = datetime(2026, 6, 1, 8, 0, tzinfo=UTC)
    for switch in DAILY_SWITCHES:
        for enabled in (True, False):
            planned = daily_reminders(
                USER, BERLIN, prefs(**{switch.section: {"enabled": enabled}}), after
            )
            assert (switch.kind in {p.kind for p in planned}) is enabled, switch


def test_the_goal_reminder_is_planned_only_once_switched_on_and_keeps_clear_of_quiet_hours() -> (
    None
):
    after = datetime(2026, 6, 1, 8, 0, tzinfo=UTC)
    assert GOAL not in {p.kind for p in daily_reminders(USER, BERLIN, prefs(), after)}
    quiet = prefs(goal={"enabled": True, "at": "18:00"}, quiet={"start": "17:00", "end": "07:00"})
    (goal,) = [p for p in daily_reminders(USER, BERLIN, quiet, after) if p.kind == GOAL]
    assert local(goal.due_at) == "2026-06-01 16:59"  # after them is tomorrow: before them
    muted = prefs(goal={"enabled": True}, muted_until="2026-06-10T00:00:00+00:00")
    (later,) = [p for p in daily_reminders(USER, BERLIN, muted, after) if p.kind == GOAL]
    assert later.due_at > datetime(2026, 6, 10, tzinfo=UTC)
