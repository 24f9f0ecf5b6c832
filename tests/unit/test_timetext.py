"""The shared readers of lengths, times of day and ranges: the forms people type, and a round
trip for everything the bot prints (what it shows parses back to the same value)."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.handlers.formatting import duration
from domain.learning.parsing import LOGGED_MINUTES_RANGE, NOTE_MAX, parse_done_args, parse_minutes
from domain.marketplace.availability import parse_weekly
from domain.notifications.preferences import parse_clock, parse_days, parse_mute, parse_quiet
from domain.shared.errors import InvalidInput
from domain.shared.timetext import read_clock_range, read_days, read_duration, read_span
from domain.shared.timezones import (
    UnknownTimeZone,
    offset_text,
    parse_offset,
    resolve_zone,
    suggest_zones,
    zones_at_offset,
)

LOGGED = st.integers(min_value=LOGGED_MINUTES_RANGE[0], max_value=LOGGED_MINUTES_RANGE[1])


def _minutes(text: str) -> int:
    return read_duration(text, what="length", low=0, high=10_000)


@pytest.mark.parametrize(
    ("text", "minutes"),
    [
        ("25min", 25),
        ("45 min", 45),
        ("45", 45),
        ("1h15", 75),
        ("1h 15", 75),
        ("1.5h", 90),
        ("1,5 h", 90),
        ("90m", 90),
        ("1 h 30", 90),
        ("1 h 30 min", 90),
        ("2 hours", 120),
        ("1 hour 5 minutes", 65),
        ("1:30", 90),
        ("0.75h", 45),
    ],
)
def test_a_length_is_read_in_the_forms_people_type(text: str, minutes: int) -> None:
    assert _minutes(text) == minutes


@pytest.mark.parametrize("text", ["1h75", "1.5h 10", "25 mn", "soon", "1:75", "-5"])
def test_what_is_not_a_length_is_refused_with_a_form_that_works(text: str) -> None:
    with pytest.raises(InvalidInput, match="1h30|1.5h|59"):
        _minutes(text)


@given(LOGGED)
def test_every_length_the_bot_prints_parses_back(minutes: int) -> None:
    assert _minutes(duration(minutes)) == minutes
    hours, rest = divmod(minutes, 60)
    assert _minutes(f"{minutes}min") == _minutes(f"{minutes} min") == minutes
    assert _minutes(f"{hours}h{rest:02d}") == _minutes(f"{hours} h {rest}") == minutes


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        ("25min", (25, None)),
        ("25 min reviewed chapter 3", (25, "reviewed chapter 3")),
        ("1h15 long one", (75, "long one")),
        ("1.5h", (90, None)),
        ("1 h 30 min", (90, None)),
        ("45 hard but fun", (45, "hard but fun")),
        ("3 mistakes left", (3, "mistakes left")),
        ("1.5 chapters", (None, "1.5 chapters")),
        ("loved it", (None, "loved it")),
    ],
)
def test_done_reads_a_leading_length_and_keeps_the_rest_as_the_note(
    args: str, expected: tuple[int | None, str | None]
) -> None:
    assert parse_done_args(args) == expected


@given(LOGGED, st.sampled_from(["reviewed chapter 3", "verbs!", "hard, 2 pages"]))
def test_done_with_any_printed_length_and_a_note_logs_that_length(minutes: int, note: str) -> None:
    assert parse_done_args(f"{duration(minutes)} {note}") == (minutes, note)


def test_a_done_refused_says_the_session_was_not_logged_and_the_limit() -> None:
    with pytest.raises(InvalidInput) as error:
        parse_done_args("25 " + "x" * (NOTE_MAX + 1))
    assert "not logged" in error.value.message and f"{NOTE_MAX:,}" in error.value.message
    with pytest.raises(InvalidInput, match="not logged"):
        parse_done_args("13h")


def test_minutes_per_session_take_the_same_forms() -> None:
    assert parse_minutes("1h") == 60 and parse_minutes("45 min") == 45
    with pytest.raises(InvalidInput, match="from 5 to 480"):
        parse_minutes("9h")


@pytest.mark.parametrize(
    ("text", "at"),
    [
        ("7pm", time(19)),
        ("7 pm", time(19)),
        ("7:30pm", time(19, 30)),
        ("7.30 p.m.", time(19, 30)),
        ("12am", time(0)),
        ("12pm", time(12)),
        ("19h", time(19)),
        ("19h30", time(19, 30)),
        ("19:30", time(19, 30)),
        ("7", time(7)),
        ("noon", time(12)),
    ],
)
def test_a_time_of_day_is_read_in_the_forms_people_type(text: str, at: time) -> None:
    assert parse_clock(text) == at


@pytest.mark.parametrize("text", ["25:00", "13pm", "0am", "19:60", "7m", "evening"])
def test_what_is_not_a_time_of_day_is_refused(text: str) -> None:
    with pytest.raises(InvalidInput, match="not a time of day"):
        parse_clock(text)


CLOCKS = st.builds(time, st.integers(0, 23), st.integers(0, 59))


@given(CLOCKS)
def test_every_time_the_bot_prints_parses_back_and_so_do_12_hour_ones(at: time) -> None:
    assert parse_clock(at.strftime("%H:%M")) == at
    assert parse_clock(at.strftime("%I:%M%p").lstrip("0")) == at
    assert parse_clock(at.strftime("%I:%M %p").lower()) == at
    assert parse_clock(f"{at.hour}h{at.minute:02d}") == at


@pytest.mark.parametrize(
    "text",
    ["22:00–07:30", "22:00-07:30", "22:00 - 07:30", "22:00 to 07:30", "10pm-7:30am", "22h—7h30"],
)
def test_quiet_hours_take_dashes_and_to(text: str) -> None:
    quiet = parse_quiet(text)
    assert quiet is not None and (quiet.start, quiet.end) == (time(22), time(7, 30))


@given(CLOCKS, CLOCKS)
def test_quiet_hours_as_settings_prints_them_parse_back(start: time, end: time) -> None:
    shown = f"{start:%H:%M}–{end:%H:%M}"  # the /settings line
    if start == end:
        with pytest.raises(InvalidInput):
            parse_quiet(shown)
        return
    quiet = parse_quiet(shown)
    assert quiet is not None and (quiet.start, quiet.end) == (start, end)
    assert parse_quiet(f"{start:%H:%M} to {end:%H:%M}") == quiet  # as /quiet answers


def test_days_as_the_bot_prints_them_parse_back() -> None:
    assert parse_days("every day") == parse_days("daily") == tuple(range(7))
    assert parse_days("mon,wed,fri") == (0, 2, 4)


def test_a_range_of_bare_hours_is_a_range() -> None:
    assert read_clock_range("9-12") == (time(9), time(12))
    assert read_clock_range("9") is None


@pytest.mark.parametrize(
    ("text", "span"),
    [
        ("2w", timedelta(weeks=2)),
        ("3d", timedelta(days=3)),
        ("12h", timedelta(hours=12)),
        ("1d 12h", timedelta(days=1, hours=12)),
        ("2 weeks", timedelta(weeks=2)),
        ("90m", timedelta(minutes=90)),
    ],
)
def test_mute_takes_weeks_days_and_hours(text: str, span: timedelta) -> None:
    assert parse_mute(text) == span


@given(st.integers(1, 8), st.sampled_from(["w", "d", "h"]))
def test_a_span_round_trips(amount: int, unit: str) -> None:
    expected = {"w": timedelta(weeks=1), "d": timedelta(days=1), "h": timedelta(hours=1)}[unit]
    assert read_span(f"{amount}{unit}") == read_span(f"{amount} {unit}") == amount * expected


@pytest.mark.parametrize("text", ["9w", "30m", "forever", "2x"])
def test_mute_outside_an_hour_to_sixty_days_is_refused(text: str) -> None:
    with pytest.raises(InvalidInput, match="Mute for"):
        parse_mute(text)


@pytest.mark.parametrize(
    ("text", "first"),
    [
        ("CET", "Europe/Berlin"),
        ("cest", "Europe/Berlin"),
        ("EST", "America/New_York"),
        ("UTC+2", "Europe/Berlin"),
        ("GMT-5", "America/Chicago"),
        ("UTC+5:30", "Asia/Kolkata"),
        ("Munich", "Europe/Berlin"),
        ("Pariss", "Europe/Paris"),
        ("nwe york", "America/New_York"),
        ("san fransisco", "America/Los_Angeles"),
    ],
)
def test_abbreviations_offsets_and_mistyped_cities_get_suggestions_not_a_guess(
    text: str, first: str
) -> None:
    with pytest.raises(UnknownTimeZone) as error:
        resolve_zone(text)
    assert error.value.suggestions[0] == first
    assert suggest_zones(text)[0] == first


def test_an_offset_also_offers_the_zone_that_stays_there_all_year() -> None:
    with pytest.raises(UnknownTimeZone) as error:
        resolve_zone("UTC+2")
    assert error.value.suggestions[-1] == "Etc/GMT-2"
    assert "offset" in error.value.message and "Etc/GMT-2 stays at UTC+2" in error.value.message


_WINTER, _SUMMER = datetime(2026, 1, 1, tzinfo=UTC), datetime(2026, 7, 1, tzinfo=UTC)


@given(st.integers(-12, 14), st.sampled_from([0, 30, 45]))
def test_an_offset_round_trips_and_its_zones_are_at_it(hours: int, minutes: int) -> None:
    offset = hours * 60 + (minutes if hours >= 0 else -minutes)
    assert parse_offset(offset_text(offset)) == offset
    for zone in zones_at_offset(offset):
        offsets = {ZoneInfo(zone).utcoffset(at) for at in (_WINTER, _SUMMER)}
        assert timedelta(minutes=offset) in offsets


@pytest.mark.parametrize(
    ("text", "days"),
    [
        ("mon", (0,)),
        ("Monday, wed,FRI", (0, 2, 4)),
        ("mon-fri", (0, 1, 2, 3, 4)),
        ("fri–mon", (0, 4, 5, 6)),  # wraps past Sunday, en dash
        ("weekdays", (0, 1, 2, 3, 4)),
        ("sat sun", (5, 6)),
        ("weekends", (5, 6)),
        ("every day", (0, 1, 2, 3, 4, 5, 6)),
    ],
)
def test_a_set_of_days_is_read_in_the_forms_people_type(text: str, days: tuple[int, ...]) -> None:
    assert read_days(text) == days
    assert parse_days(text) == days  # /remind and /schedule read days through it


@pytest.mark.parametrize("text", ["funday", "9-12", "mon-funday", ""])
def test_what_is_not_days_is_not_read_as_days(text: str) -> None:
    assert read_days(text) is None


def test_availability_takes_several_days_at_once() -> None:
    shown = parse_weekly("mon-fri 9-13 15-19; sat sun 10-12").format()
    weekday = "09:00-13:00 15:00-19:00"
    assert shown == (
        f"mon {weekday}; tue {weekday}; wed {weekday}; thu {weekday}; fri {weekday};"
        " sat 10:00-12:00; sun 10:00-12:00"
    )
    with pytest.raises(InvalidInput, match="Wednesday is given twice"):
        parse_weekly("weekdays 9-12; wed 18-20")
