"""Experts' weekly availability: parsing, storage rows, and bookable slots across time zones."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from domain.marketplace.availability import (
    DAY_CODES,
    DAY_MINUTES,
    DAY_NAMES,
    WEEKLY_TEXT_MAX,
    TimeRange,
    WeeklyAvailability,
    parse_timeoff,
    parse_weekly,
)
from domain.marketplace.slots import SlotPolicy, in_zone, is_open, open_slots
from domain.shared.errors import InvalidInput

EXAMPLE = "mon 09:00-12:00 14:00-18:00; wed 18:00-21:00"
# Only the pattern matters: no notice, a long horizon, and a "now" before every 2026 date used.
WIDE = SlotPolicy(min_notice=timedelta(0), horizon=timedelta(days=366))
LONG_AGO = datetime(2026, 1, 1, tzinfo=UTC)

# Zones with DST changes at 02:00, at midnight (Santiago, Havana), of 30 minutes (Lord Howe),
# with odd offsets (Kolkata +05:30, Kathmandu +05:45, Chatham +12:45, St John's -03:30), and
# far from UTC on both sides (Kiritimati +14, Pago Pago -11).
ZONES = (
    "UTC",
    "Europe/Berlin",
    "America/New_York",
    "Australia/Sydney",
    "Australia/Lord_Howe",
    "Asia/Kolkata",
    "Asia/Kathmandu",
    "America/Santiago",
    "America/Havana",
    "Pacific/Chatham",
    "America/St_Johns",
    "Pacific/Kiritimati",
    "Pacific/Pago_Pago",
)
CHANGE_DAYS = (
    date(2026, 3, 8),  # New York, Havana, St John's spring forward
    date(2026, 11, 1),  # New York, Havana, St John's fall back
    date(2026, 3, 29),  # Berlin
    date(2026, 10, 25),
    date(2026, 4, 5),  # Sydney, Lord Howe, Chatham fall back
    date(2026, 10, 4),  # Sydney, Lord Howe spring forward
    date(2026, 9, 27),  # Chatham
    date(2026, 4, 4),  # Santiago, at midnight
    date(2026, 9, 5),
    date(2026, 9, 6),
)


def minutes(count: int) -> timedelta:
    return timedelta(minutes=count)


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


def slots_on(
    text: str,
    zone: str,
    day: date,
    *,
    duration: int = 30,
    policy: SlotPolicy = WIDE,
    now: datetime = LONG_AGO,
    busy: list[tuple[datetime, datetime]] | None = None,
    time_off: list[tuple[date, date]] | None = None,
) -> list[datetime]:
    return open_slots(
        parse_weekly(text),
        zone,
        start=day,
        end=day,
        duration=minutes(duration),
        now=now,
        busy=busy or [],
        time_off=time_off or [],
        policy=policy,
    )


def clock(slots: list[datetime], zone: str) -> list[str]:
    return [in_zone(slot, zone).strftime("%H:%M") for slot in slots]


def assert_friendly(error: InvalidInput, fragment: str) -> None:
    message = error.message
    assert fragment in message
    assert "\n" not in message
    assert message.endswith(".")
    assert "Error" not in message and "None" not in message


@st.composite
def weeks(draw: st.DrawFn, per_day: int = 12) -> WeeklyAvailability:
    """Any valid week: per day up to ``per_day`` sorted ranges that neither overlap nor touch."""
    days = []
    for _ in range(7):
        boundaries = st.lists(st.integers(0, DAY_MINUTES), unique=True, max_size=2 * per_day)
        points = sorted(draw(boundaries))
        points = points[: len(points) // 2 * 2]
        days.append(tuple(TimeRange(a, b) for a, b in zip(points[::2], points[1::2], strict=True)))
    return WeeklyAvailability(tuple(days))


def change_days() -> st.SearchStrategy[date]:
    near_changes = st.builds(
        lambda day, shift: day + timedelta(days=shift),
        st.sampled_from(CHANGE_DAYS),
        st.integers(-1, 1),
    )
    return st.one_of(near_changes, st.dates(date(2026, 1, 1), date(2027, 12, 31)))


# --- parse_weekly: happy paths ----------------------------------------------------------------


def test_the_example_pattern_is_parsed_per_weekday() -> None:
    week = parse_weekly(EXAMPLE)
    assert week.days[0] == (TimeRange(9 * 60, 12 * 60), TimeRange(14 * 60, 18 * 60))
    assert week.days[2] == (TimeRange(18 * 60, 21 * 60),)
    assert [bool(ranges) for ranges in week.days] == [
        True,
        False,
        True,
        False,
        False,
        False,
        False,
    ]
    assert week.ranges_on(date(2026, 3, 4)) == week.days[2]  # 4 March 2026 is a Wednesday


def test_day_names_are_case_insensitive_and_may_be_written_out() -> None:
    week = parse_weekly(
        "MONDAY 09:00-10:00; Tue 09:00-10:00; wednesday 09:00-10:00; sUnDaY 09:00-10:00"
    )
    assert [bool(ranges) for ranges in week.days] == [True, True, True, False, False, False, True]


def test_every_day_code_and_name_maps_to_its_python_weekday() -> None:
    for index, (code, name) in enumerate(zip(DAY_CODES, DAY_NAMES, strict=True)):
        for word in (code, name, name.upper()):
            week = parse_weekly(f"{word} 09:00-10:00")
            assert [i for i, ranges in enumerate(week.days) if ranges] == [index]


def test_midnight_may_end_a_range_as_24_00() -> None:
    week = parse_weekly("fri 18:00-24:00")
    (evening,) = week.days[4]
    assert (evening.start, evening.end, evening.end_time) == (18 * 60, DAY_MINUTES, None)
    assert week.format() == "fri 18:00-24:00"


def test_touching_ranges_are_merged_into_one() -> None:
    assert parse_weekly("mon 12:00-14:00 09:00-12:00 14:00-15:00").days[0] == (
        TimeRange(9 * 60, 15 * 60),
    )


def test_ranges_are_sorted_whatever_order_they_are_typed_in() -> None:
    assert parse_weekly("mon 14:00-18:00 09:00-12:00").format() == "mon 09:00-12:00 14:00-18:00"


def test_loose_spacing_dashes_commas_and_one_digit_hours_are_accepted() -> None:
    typed = "  Mon 9:00 – 12:00, 14:00 -18:00 ;\n wed 18:00—21:00; "
    assert parse_weekly(typed) == parse_weekly(EXAMPLE)


def test_twelve_ranges_a_day_are_accepted() -> None:
    ranges = " ".join(f"{hour:02d}:00-{hour:02d}:30" for hour in range(12))
    assert len(parse_weekly(f"tue {ranges}").days[1]) == 12


def test_text_of_exactly_the_limit_is_accepted() -> None:
    text = "mon 09:00-10:00" + " " * 485
    assert len(text) == 500
    assert parse_weekly(text).days[0] == (TimeRange(540, 600),)


# --- parse_weekly: refusals -------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "mon 9-12 14-18",
        "mon 9am-12pm 2pm-6pm",
        "mon 9 am - 12 pm, 14h-18h",
        "Monday 9:00 to 12:00 14:00–18:00",
        "mon 09.00-12.00 14.00-18.00",
    ],
)
def test_hours_are_read_as_people_write_them(text: str) -> None:
    assert parse_weekly(text).format() == "mon 09:00-12:00 14:00-18:00"


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("", "Tell me when you're available"),
        ("  ;\n ; ", "Tell me when you're available"),
        (" , ;,", "Tell me when you're available"),
        ("fun 09:00-10:00", "“fun” is not a day"),
        ("09:00-12:00", "“09:00-12:00” is not a day"),
        ("mon 9xm-10am", "“9xm” is not a time of day; write it like 19:30, 7pm or 7:30pm"),
        ("mon 9:5-10:00", "“9:5” is not a time of day"),
        ("mon 13pm-14pm", "“13pm” is not a time of day: with am or pm, hours go from 1 to 12"),
        ("mon 0900", "“0900” is not a time range"),
        ("mon 09:00-10:00-11:00", "“09:00-10:00-11:00” is not a time range"),
        ("mon 25:00-26:00", "“25:00” is not a time of day: hours go from 0 to 23"),
        ("mon 10:00-24:30", "“24:30” is not a time of day: hours go from 0 to 23"),
        ("mon 09:60-10:00", "“09:60” is not a time of day: minutes go from 00 to 59"),
        ("mon 24:00-24:00", "A range can't start at 24:00"),
        ("mon 10:00-10:00", "“10:00-10:00” is empty; the end must come after the start"),
        ("mon 12:00-09:00", "“12:00-09:00” ends before it starts"),
        ("sun 22:00-02:00", "split it into two days: “sun 22:00-24:00; mon 00:00-02:00”"),
        ("mon 22:00-00:00", "write midnight as 24:00: “mon 22:00-24:00”"),
        ("mon 09:00-12:00 11:00-13:00", "On Monday, 09:00-12:00 and 11:00-13:00 overlap"),
        ("mon 09:00-12:00 10:00-11:00", "On Monday, 09:00-12:00 and 10:00-11:00 overlap"),
        ("tue 09:00-12:00 09:00-12:00", "On Tuesday, 09:00-12:00 is given twice"),
        ("mon 09:00-12:00; Monday 14:00-15:00", "Monday is given twice"),
        ("wed", "Wednesday has no times"),
        (
            "mon " + " ".join(f"{hour:02d}:00-{hour:02d}:30" for hour in range(13)),
            "Monday has 13 time ranges; 12 a day is the most",
        ),
        ("mon 09:00-10:00" + " " * 486, "too long (501 characters)"),
    ],
)
def test_bad_weekly_text_is_refused_with_a_specific_message(text: str, fragment: str) -> None:
    with pytest.raises(InvalidInput) as error:
        parse_weekly(text)
    assert_friendly(error.value, fragment)


def test_the_crossing_midnight_message_says_it_is_not_supported() -> None:
    with pytest.raises(InvalidInput) as error:
        parse_weekly("fri 20:00-01:00")
    assert "can't cross midnight" in error.value.message
    assert "“fri 20:00-24:00; sat 00:00-01:00”" in error.value.message


@settings(max_examples=300)
@given(st.text(max_size=600))
def test_any_text_either_parses_or_is_refused_in_one_friendly_line(text: str) -> None:
    try:
        week = parse_weekly(text)
    except InvalidInput as error:
        assert "\n" not in error.message and error.message
    else:
        assert not week.is_empty
        assert parse_weekly(week.format()) == week


@settings(max_examples=300)
@given(
    st.lists(
        st.tuples(
            st.sampled_from([*DAY_CODES, *(name.lower() for name in DAY_NAMES), "xyz"]),
            st.lists(st.tuples(st.integers(0, 25), st.integers(0, 61)), min_size=0, max_size=6),
        ),
        min_size=1,
        max_size=4,
    )
)
def test_nearly_valid_patterns_either_parse_or_are_refused_in_one_line(
    parts: list[tuple[str, list[tuple[int, int]]]],
) -> None:
    text = "; ".join(
        day + " " + " ".join(f"{a // 2 + 8:02d}:{b % 60:02d}-{a:02d}:{b:02d}" for a, b in times)
        for day, times in parts
    )
    try:
        week = parse_weekly(text)
    except InvalidInput as error:
        assert "\n" not in error.message
    else:
        assert parse_weekly(week.format()) == week


# --- format, rows -----------------------------------------------------------------------------


def test_format_gives_the_canonical_text() -> None:
    assert parse_weekly("Wednesday 18:00-21:00; MON 14:00-18:00 9:00-12:00").format() == EXAMPLE


@given(weeks(per_day=5).filter(lambda week: not week.is_empty))  # 35 ranges fit in 500 chars
def test_format_parses_back_to_the_same_week(week: WeeklyAvailability) -> None:
    text = week.format()
    assert parse_weekly(text) == week
    assert parse_weekly(text).format() == text


def test_a_week_too_full_to_type_formats_longer_than_the_typing_limit() -> None:
    day = " ".join(f"{hour:02d}:00-{hour:02d}:30" for hour in range(12))
    full = WeeklyAvailability.from_rows(
        [(number, [r.split("-") for r in day.split()]) for number in range(7)]
    )
    assert len(full.format()) > WEEKLY_TEXT_MAX
    with pytest.raises(InvalidInput) as error:
        parse_weekly(full.format())
    assert_friendly(error.value, "too long")


@given(weeks(per_day=4), st.data())  # written out, 28 ranges fit in 500 chars
def test_written_out_mixed_case_days_parse_to_the_same_week(
    week: WeeklyAvailability, data: st.DataObject
) -> None:
    parts = []
    for index, ranges in enumerate(week.days):
        if ranges:
            word = data.draw(st.sampled_from([DAY_CODES[index], DAY_NAMES[index]]))
            upper = data.draw(st.booleans())
            parts.append((word.upper() if upper else word) + "  " + ", ".join(map(str, ranges)))
    if parts:
        assert parse_weekly(";\n".join(reversed(parts))) == week


def test_rows_number_days_from_sunday_zero_like_the_seed_table() -> None:
    week = parse_weekly("sat 08:00-09:00; mon 09:00-10:00 11:00-24:00; sun 10:00-11:00")
    assert week.to_rows() == [
        (0, [["10:00", "11:00"]]),
        (1, [["09:00", "10:00"], ["11:00", "24:00"]]),
        (6, [["08:00", "09:00"]]),
    ]


def test_rows_are_read_with_sunday_as_zero() -> None:
    week = WeeklyAvailability.from_rows([(0, [["10:00", "11:00"]]), (6, [["08:00", "09:00"]])])
    assert week.ranges_on(date(2026, 3, 1)) == (TimeRange(600, 660),)  # a Sunday
    assert week.ranges_on(date(2026, 3, 7)) == (TimeRange(480, 540),)  # a Saturday
    assert week.format() == "sat 08:00-09:00; sun 10:00-11:00"


@given(weeks())
def test_rows_read_back_to_the_same_week(week: WeeklyAvailability) -> None:
    rows = week.to_rows()
    assert WeeklyAvailability.from_rows(rows) == week
    assert [day for day, _ in rows] == sorted({day for day, _ in rows})


@pytest.mark.parametrize(
    ("rows", "fragment"),
    [
        ([(7, [["09:00", "10:00"]])], "“7” is not a day number"),
        ([(-1, [["09:00", "10:00"]])], "“-1” is not a day number"),
        ([(1, [["09:00", "10:00"]]), (1, [["11:00", "12:00"]])], "Monday is stored twice"),
        ([(2, [["09:00"]])], "is not a time range"),
        ([(3, [["09:00", "12:00"], ["11:00", "13:00"]])], "On Wednesday, 09:00-12:00 and"),
        ([(4, [["09:00", "25:00"]])], "“25:00” is not a time"),
    ],
)
def test_bad_rows_are_refused(rows: list[tuple[int, list[list[str]]]], fragment: str) -> None:
    with pytest.raises(InvalidInput) as error:
        WeeklyAvailability.from_rows(rows)
    assert_friendly(error.value, fragment)


def test_a_week_with_unsorted_or_touching_ranges_cannot_be_built() -> None:
    with pytest.raises(ValueError):
        WeeklyAvailability(((TimeRange(540, 600), TimeRange(600, 660)), (), (), (), (), (), ()))
    with pytest.raises(ValueError):
        WeeklyAvailability(((),) * 6)
    with pytest.raises(ValueError):
        TimeRange(600, 600)


# --- parse_timeoff ----------------------------------------------------------------------------


def test_time_off_is_a_range_of_dates_or_a_single_day() -> None:
    today = date(2026, 12, 1)
    assert parse_timeoff("2026-12-24..2026-12-31", today=today) == (
        date(2026, 12, 24),
        date(2026, 12, 31),
    )
    assert parse_timeoff(" 2026-12-24 .. 2026-12-31 ", today=today) == (
        date(2026, 12, 24),
        date(2026, 12, 31),
    )
    assert parse_timeoff("2026-12-24", today=today) == (date(2026, 12, 24), date(2026, 12, 24))


def test_time_off_that_has_started_but_not_ended_is_accepted() -> None:
    assert parse_timeoff("2026-12-24..2026-12-31", today=date(2026, 12, 31)) == (
        date(2026, 12, 24),
        date(2026, 12, 31),
    )


def test_time_off_of_exactly_366_days_is_accepted() -> None:
    assert parse_timeoff("2026-01-01..2027-01-01", today=date(2026, 1, 1)) == (
        date(2026, 1, 1),
        date(2027, 1, 1),
    )


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("", "Tell me which days you're off"),
        ("tomorrow", "“tomorrow” is not a date; write dates as YYYY-MM-DD"),
        ("24.12.2026", "“24.12.2026” is not a date"),
        ("2026-12-24..", "“” is not a date"),
        ("2026-02-30", "“2026-02-30” is not a real date"),
        ("2026-12-31..2026-12-24", "ends (2026-12-24) before it starts (2026-12-31)"),
        ("2026-01-01..2027-01-02", "That is 367 days off; one stretch can be at most 366"),
        ("2026-01-01..2026-01-05", "2026-01-05 is already past"),
        ("2026-02-28", "2026-02-28 is already past; time off must include today (2026-03-01)"),
        ("2026-03-01" * 10, "That doesn't look like days off"),
    ],
)
def test_bad_time_off_is_refused_with_a_specific_message(text: str, fragment: str) -> None:
    with pytest.raises(InvalidInput) as error:
        parse_timeoff(text, today=date(2026, 3, 1))
    assert_friendly(error.value, fragment)


@given(st.text(max_size=80))
def test_any_time_off_text_either_parses_or_is_refused_in_one_line(text: str) -> None:
    today = date(2026, 3, 1)
    try:
        first, last = parse_timeoff(text, today=today)
    except InvalidInput as error:
        assert "\n" not in error.message
    else:
        assert first <= last and last >= today and (last - first).days < 366


# --- slots: the pattern on the local calendar -------------------------------------------------


@pytest.mark.parametrize(
    ("before", "after", "utc_hours"),
    [
        (date(2026, 3, 23), date(2026, 3, 30), (8, 7)),  # CET -> CEST on 29 March
        (date(2026, 10, 19), date(2026, 10, 26), (7, 8)),  # CEST -> CET on 25 October
    ],
)
def test_berlin_nine_o_clock_stays_nine_o_clock_across_dst(
    before: date, after: date, utc_hours: tuple[int, int]
) -> None:
    firsts = [slots_on("mon 09:00-10:00", "Europe/Berlin", day)[0] for day in (before, after)]
    assert [slot.hour for slot in firsts] == list(utc_hours)
    assert [slot.date() for slot in firsts] == [before, after]
    assert clock(firsts, "Europe/Berlin") == ["09:00", "09:00"]
    assert firsts[1] - firsts[0] != timedelta(days=7)


def test_new_york_spring_forward_gives_two_real_hours_and_no_missing_clock_time() -> None:
    zone = "America/New_York"
    slots = slots_on("sun 01:00-04:00", zone, date(2026, 3, 8))
    assert slots == [
        utc(2026, 3, 8, 6),
        utc(2026, 3, 8, 6, 30),
        utc(2026, 3, 8, 7),
        utc(2026, 3, 8, 7, 30),
    ]
    assert clock(slots, zone) == ["01:00", "01:30", "03:00", "03:30"]
    assert slots[-1] + minutes(30) - slots[0] == timedelta(hours=2)


def test_an_hour_long_slot_may_span_the_spring_forward_gap() -> None:
    slots = slots_on("sun 01:00-04:00", "America/New_York", date(2026, 3, 8), duration=60)
    assert slots == [utc(2026, 3, 8, 6), utc(2026, 3, 8, 6, 30), utc(2026, 3, 8, 7)]


def test_a_bound_in_the_spring_forward_gap_moves_to_the_first_instant_after_it() -> None:
    zone, day = "America/New_York", date(2026, 3, 8)
    assert slots_on("sun 02:30-04:00", zone, day)[0] == utc(2026, 3, 8, 7)  # 03:00 EDT
    assert slots_on("sun 00:00-02:30", zone, day)[-1] == utc(2026, 3, 8, 6, 30)  # ends 03:00 EDT
    assert slots_on("sun 02:00-03:00", zone, day) == []  # that hour never happens


def test_new_york_fall_back_gives_four_real_hours_with_the_repeated_hour_twice() -> None:
    zone = "America/New_York"
    slots = slots_on("sun 00:00-03:00", zone, date(2026, 11, 1))
    assert slots == [utc(2026, 11, 1, 4) + minutes(30 * step) for step in range(8)]
    assert clock(slots, zone) == [
        "00:00",
        "00:30",
        "01:00",
        "01:30",
        "01:00",
        "01:30",
        "02:00",
        "02:30",
    ]
    assert len(set(slots)) == 8
    offsets = [in_zone(slot, zone).utcoffset() for slot in slots]
    assert offsets[2] != offsets[4] and offsets[3] != offsets[5]


def test_hour_long_slots_across_the_fold_cover_four_real_hours() -> None:
    slots = slots_on("sun 00:00-03:00", "America/New_York", date(2026, 11, 1), duration=60)
    assert slots == [utc(2026, 11, 1, 4) + minutes(30 * step) for step in range(7)]


def test_a_range_starting_inside_the_repeated_hour_keeps_only_its_own_clock_times() -> None:
    zone = "America/New_York"
    slots = slots_on("sun 01:30-03:00", zone, date(2026, 11, 1))
    # 01:30 EDT, then 01:30, 02:00, 02:30 EST; never 01:00 EST, which reads before 01:30.
    assert slots == [utc(2026, 11, 1, 5, 30)] + [
        utc(2026, 11, 1, 6, 30) + minutes(30 * step) for step in range(3)
    ]
    for slot in slots:
        for moment in (slot, slot + minutes(29)):
            assert "01:30" <= in_zone(moment, zone).strftime("%H:%M") < "03:00"


def test_a_range_inside_the_repeated_hour_is_open_both_times_it_happens() -> None:
    slots = slots_on("sun 01:00-02:00", "America/New_York", date(2026, 11, 1))
    assert slots == [utc(2026, 11, 1, 5) + minutes(30 * step) for step in range(4)]


def test_sydney_nine_o_clock_is_the_previous_utc_day_and_follows_dst() -> None:
    zone = "Australia/Sydney"
    before = slots_on("mon 09:00-10:00", zone, date(2026, 3, 30))[0]  # AEDT, +11
    after = slots_on("mon 09:00-10:00", zone, date(2026, 4, 6))[0]  # AEST, +10
    assert (before, after) == (utc(2026, 3, 29, 22), utc(2026, 4, 5, 23))
    assert clock([before, after], zone) == ["09:00", "09:00"]


def test_sydney_fall_back_repeats_two_to_three_o_clock() -> None:
    slots = slots_on("sun 02:00-03:00", "Australia/Sydney", date(2026, 4, 5))
    assert slots == [utc(2026, 4, 4, 15) + minutes(30 * step) for step in range(4)]


def test_sydney_spring_forward_skips_two_to_three_o_clock() -> None:
    zone = "Australia/Sydney"
    slots = slots_on("sun 01:00-04:00", zone, date(2026, 10, 4))
    assert clock(slots, zone) == ["01:00", "01:30", "03:00", "03:30"]


@pytest.mark.parametrize(
    ("zone", "expected"),
    [
        ("Asia/Kolkata", [utc(2026, 3, 2, 3, 30), utc(2026, 3, 2, 4)]),  # +05:30
        ("Asia/Kathmandu", [utc(2026, 3, 2, 3, 15), utc(2026, 3, 2, 3, 45)]),  # +05:45
    ],
)
def test_half_and_quarter_hour_offsets_keep_slots_on_the_local_grid(
    zone: str, expected: list[datetime]
) -> None:
    slots = slots_on("mon 09:00-10:00", zone, date(2026, 3, 2))
    assert slots == expected
    assert clock(slots, zone) == ["09:00", "09:30"]


def test_the_grid_is_counted_from_the_range_start() -> None:
    slots = slots_on("mon 09:15-11:00", "UTC", date(2026, 3, 2))
    assert clock(slots, "UTC") == ["09:15", "09:45", "10:15"]


@pytest.mark.parametrize(
    ("duration", "count", "last"),
    [(30, 6, "11:30"), (60, 5, "11:00"), (90, 4, "10:30")],
)
def test_each_offered_duration_fits_inside_the_range(duration: int, count: int, last: str) -> None:
    slots = slots_on("mon 09:00-12:00", "UTC", date(2026, 3, 2), duration=duration)
    assert len(slots) == count
    assert clock(slots, "UTC")[0] == "09:00" and clock(slots, "UTC")[-1] == last


def test_any_multiple_of_the_grid_works_and_other_durations_are_refused() -> None:
    quarter = SlotPolicy(grid=minutes(15), min_notice=timedelta(0), horizon=timedelta(days=366))
    slots = slots_on("mon 09:00-10:00", "UTC", date(2026, 3, 2), duration=45, policy=quarter)
    assert clock(slots, "UTC") == ["09:00", "09:15"]
    for bad in (45, 0, -30, 20):
        with pytest.raises(InvalidInput) as error:
            slots_on("mon 09:00-10:00", "UTC", date(2026, 3, 2), duration=bad)
        assert_friendly(error.value, "whole number of 30-minute steps")


def test_a_slot_never_spans_two_ranges_or_midnight() -> None:
    apart = slots_on("mon 09:00-10:00 10:30-12:00", "UTC", date(2026, 3, 2), duration=60)
    assert clock(apart, "UTC") == ["09:00", "10:30", "11:00"]
    week = parse_weekly("mon 23:00-24:00; tue 00:00-01:00")
    slots = open_slots(
        week,
        "UTC",
        start=date(2026, 3, 2),
        end=date(2026, 3, 3),
        duration=minutes(60),
        now=LONG_AGO,
        policy=WIDE,
    )
    assert slots == [utc(2026, 3, 2, 23), utc(2026, 3, 3, 0)]


def test_the_window_is_inclusive_local_dates_in_the_experts_zone() -> None:
    week = parse_weekly("mon 09:00-10:00; tue 09:00-10:00; wed 09:00-10:00")
    slots = open_slots(
        week,
        "Australia/Sydney",
        start=date(2026, 3, 3),
        end=date(2026, 3, 4),
        duration=minutes(60),
        now=LONG_AGO,
        policy=WIDE,
    )
    # Tuesday and Wednesday 09:00 in Sydney are Monday and Tuesday 22:00 UTC.
    assert slots == [utc(2026, 3, 2, 22), utc(2026, 3, 3, 22)]


def test_a_window_that_ends_before_it_starts_is_a_programming_error() -> None:
    with pytest.raises(ValueError):
        open_slots(
            parse_weekly(EXAMPLE),
            "UTC",
            start=date(2026, 3, 3),
            end=date(2026, 3, 2),
            duration=minutes(30),
            now=LONG_AGO,
        )


def test_slots_are_aware_utc_instants() -> None:
    slots = slots_on("mon 09:00-12:00", "Europe/Berlin", date(2026, 3, 2))
    assert slots and all(slot.tzinfo is UTC for slot in slots)


def test_an_unknown_zone_is_refused() -> None:
    with pytest.raises(InvalidInput) as error:
        slots_on("mon 09:00-12:00", "Mars/Olympus_Mons", date(2026, 3, 2))
    assert_friendly(error.value, "“Mars/Olympus_Mons” is not a time zone I know")


# --- slots: notice, horizon, time off, busy ---------------------------------------------------


def test_no_slot_starts_before_the_minimum_notice() -> None:
    now = utc(2026, 3, 2, 0, 0, 1)  # Monday, a second after midnight
    slots = slots_on("mon 09:00-18:00", "UTC", date(2026, 3, 2), now=now, policy=SlotPolicy())
    assert clock(slots, "UTC")[0] == "12:30"  # 12:00 is one second short of 12 hours' notice
    exactly = slots_on(
        "mon 09:00-18:00", "UTC", date(2026, 3, 2), now=utc(2026, 3, 2), policy=SlotPolicy()
    )
    assert clock(exactly, "UTC")[0] == "12:00"  # exactly 12 hours ahead is allowed


def test_no_slot_starts_after_the_horizon() -> None:
    now = utc(2026, 3, 2, 10)
    week = parse_weekly("; ".join(f"{code} 10:00-11:00" for code in DAY_CODES))
    slots = open_slots(
        week,
        "UTC",
        start=date(2026, 3, 1),
        end=date(2026, 5, 1),
        duration=minutes(30),
        now=now,
    )
    assert slots[0] == utc(2026, 3, 3, 10)  # today's 10:00 and 10:30 lack 12 hours' notice
    assert slots[-1] == utc(2026, 4, 1, 10)  # now + 30 days exactly; 10:30 is past it
    assert len(slots) == 2 * 30 - 1


def test_time_off_removes_whole_local_dates_in_the_experts_zone() -> None:
    zone = "Australia/Sydney"
    week = parse_weekly("; ".join(f"{code} 09:00-10:00" for code in DAY_CODES))
    listed = open_slots(
        week,
        zone,
        start=date(2026, 4, 6),
        end=date(2026, 4, 8),
        duration=minutes(60),
        now=LONG_AGO,
        time_off=[(date(2026, 4, 7), date(2026, 4, 7))],
        policy=WIDE,
    )
    # 7 April 09:00 Sydney is 6 April 23:00 UTC: gone. 6 and 8 April stay.
    assert listed == [utc(2026, 4, 5, 23), utc(2026, 4, 7, 23)]
    assert [in_zone(slot, zone).date() for slot in listed] == [date(2026, 4, 6), date(2026, 4, 8)]


def test_busy_intervals_block_overlapping_slots_but_not_touching_ones() -> None:
    busy = [(utc(2026, 3, 2, 10), utc(2026, 3, 2, 11))]
    slots = slots_on("mon 09:00-13:00", "UTC", date(2026, 3, 2), duration=60, busy=busy)
    assert clock(slots, "UTC") == ["09:00", "11:00", "11:30", "12:00"]


def test_the_buffer_keeps_time_free_before_and_after_each_busy_interval() -> None:
    busy = [(utc(2026, 3, 2, 10), utc(2026, 3, 2, 11))]
    buffered = SlotPolicy(buffer=minutes(15), min_notice=timedelta(0), horizon=timedelta(days=366))
    slots = slots_on(
        "mon 09:00-13:00", "UTC", date(2026, 3, 2), duration=60, busy=busy, policy=buffered
    )
    assert clock(slots, "UTC") == ["11:30", "12:00"]


def test_busy_intervals_in_any_zone_are_compared_as_instants() -> None:
    berlin = ZoneInfo("Europe/Berlin")
    busy = [(datetime(2026, 3, 2, 11, tzinfo=berlin), datetime(2026, 3, 2, 12, tzinfo=berlin))]
    slots = slots_on("mon 09:00-13:00", "UTC", date(2026, 3, 2), duration=60, busy=busy)
    assert clock(slots, "UTC") == ["09:00", "11:00", "11:30", "12:00"]


def test_naive_datetimes_are_refused() -> None:
    naive = datetime(2026, 3, 2, 9)  # noqa: DTZ001
    with pytest.raises(ValueError):
        slots_on("mon 09:00-12:00", "UTC", date(2026, 3, 2), now=naive)
    with pytest.raises(ValueError):
        slots_on("mon 09:00-12:00", "UTC", date(2026, 3, 2), busy=[(naive, naive)])
    with pytest.raises(ValueError):
        in_zone(naive, "UTC")


# --- is_open: the booking service's re-check --------------------------------------------------


def test_a_listed_slot_is_open_and_a_forged_or_stale_one_is_not() -> None:
    week, day = parse_weekly("mon 09:00-12:00"), date(2026, 3, 2)
    hour = minutes(60)

    def check(
        slot: datetime,
        *,
        now: datetime = utc(2026, 3, 1),
        busy: tuple[tuple[datetime, datetime], ...] = (),
        time_off: tuple[tuple[date, date], ...] = (),
    ) -> bool:
        return is_open(slot, hour, week, "Europe/Berlin", now=now, busy=busy, time_off=time_off)

    slot = utc(2026, 3, 2, 9)  # 10:00 Berlin
    assert slot in open_slots(
        week, "Europe/Berlin", start=day, end=day, duration=hour, now=utc(2026, 3, 1)
    )
    assert check(slot)
    assert check(slot.astimezone(ZoneInfo("Asia/Tokyo")))  # the same instant, shown elsewhere
    assert not check(slot + minutes(10))  # off the grid
    assert not check(slot + timedelta(seconds=1))
    assert not check(utc(2026, 3, 2, 11))  # 12:00 Berlin: the hour would end past the range
    assert not check(utc(2026, 3, 3, 9))  # a Tuesday
    assert not check(slot, busy=((slot + minutes(30), slot + minutes(90)),))  # taken since
    assert not check(slot, now=utc(2026, 3, 2))  # less than 12 hours' notice by now
    assert not check(slot, now=utc(2026, 1, 30))  # beyond the 30-day horizon
    assert not check(slot, time_off=((day, day),))
    with pytest.raises(InvalidInput):
        is_open(slot, minutes(45), week, "Europe/Berlin", now=utc(2026, 3, 1))


def test_in_zone_shows_a_slot_on_the_learners_clock() -> None:
    shown = in_zone(utc(2026, 3, 2, 8), "Asia/Tokyo")
    assert (shown.date(), shown.hour, shown.minute) == (date(2026, 3, 2), 17, 0)
    assert shown == utc(2026, 3, 2, 8)


# --- properties -------------------------------------------------------------------------------


def brute_force_slots(
    week: WeeklyAvailability, zone: str, day: date, duration: timedelta, grid: timedelta
) -> list[datetime]:
    """The rule, minute by minute: runs of minutes whose clock reading on ``day`` lies in one
    range, cut into grid-aligned slots from each run's start."""
    tz, step = ZoneInfo(zone), minutes(1)
    ranges = week.ranges_on(day)
    moment = datetime(day.year, day.month, day.day, tzinfo=UTC) - timedelta(hours=16)
    runs: list[list[datetime]] = []
    previous: int | None = None
    for _ in range(56 * 60):
        local = moment.astimezone(tz)
        reading = local.hour * 60 + local.minute
        key = next(
            (index for index, r in enumerate(ranges) if r.start <= reading < r.end),
            None,
        )
        if local.date() != day:
            key = None
        if key is not None and key == previous:
            runs[-1][1] = moment + step
        elif key is not None:
            runs.append([moment, moment + step])
        previous = key
        moment += step
    slots = []
    for run_start, run_end in runs:
        slot = run_start
        while slot + duration <= run_end:
            slots.append(slot)
            slot += grid
    return sorted(slots)


@settings(max_examples=120, deadline=None)
@given(
    week=weeks(),
    zone=st.sampled_from(ZONES),
    day=change_days(),
    grid_minutes=st.sampled_from([15, 30, 60]),
    steps=st.integers(1, 3),
)
def test_slots_match_the_rule_applied_minute_by_minute(
    week: WeeklyAvailability, zone: str, day: date, grid_minutes: int, steps: int
) -> None:
    grid = minutes(grid_minutes)
    policy = SlotPolicy(grid=grid, min_notice=timedelta(0), horizon=timedelta(days=366))
    now = datetime(day.year, day.month, day.day, tzinfo=UTC) - timedelta(days=2)
    listed = open_slots(
        week, zone, start=day, end=day, duration=grid * steps, now=now, policy=policy
    )
    assert listed == brute_force_slots(week, zone, day, grid * steps, grid)
    assert len(set(listed)) == len(listed)
    assert all(in_zone(slot, zone).date() == day for slot in listed)


@settings(max_examples=60, deadline=None)
@given(
    week=weeks(),
    zone=st.sampled_from(ZONES),
    day=change_days(),
    duration=st.sampled_from([30, 60, 90]),
    lead=st.integers(0, 3 * 24 * 60),
    busy_starts=st.lists(st.integers(-24 * 60, 48 * 60), max_size=4),
    data=st.data(),
)
def test_is_open_agrees_with_open_slots(
    week: WeeklyAvailability,
    zone: str,
    day: date,
    duration: int,
    lead: int,
    busy_starts: list[int],
    data: st.DataObject,
) -> None:
    midnight = datetime(day.year, day.month, day.day, tzinfo=UTC)
    now = midnight - minutes(lead)
    busy = [(midnight + minutes(start), midnight + minutes(start + 60)) for start in busy_starts]
    policy = SlotPolicy(buffer=minutes(data.draw(st.sampled_from([0, 15]))))
    length = minutes(duration)

    def check(slot: datetime, extra: list[tuple[datetime, datetime]] | None = None) -> bool:
        return is_open(slot, length, week, zone, now=now, busy=busy + (extra or []), policy=policy)

    listed = open_slots(
        week, zone, start=day, end=day, duration=length, now=now, busy=busy, policy=policy
    )
    for slot in listed[:12]:
        assert check(slot)
        shift = timedelta(seconds=data.draw(st.integers(1, 30 * 60 - 1)))
        assert not check(slot + shift)
        assert not check(slot - shift)
        overlap = minutes(data.draw(st.integers(0, duration - 1)))
        assert not check(slot, [(slot + overlap, slot + overlap + minutes(1))])
    for _ in range(5):  # any instant: open exactly when its own local date lists it
        moment = midnight + minutes(data.draw(st.integers(-16 * 60, 40 * 60)))
        its_day = in_zone(moment, zone).date()
        its_listing = open_slots(
            week,
            zone,
            start=its_day,
            end=its_day,
            duration=length,
            now=now,
            busy=busy,
            policy=policy,
        )
        assert check(moment) == (moment in its_listing)
