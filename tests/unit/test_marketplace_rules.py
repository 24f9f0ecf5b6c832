"""Pure marketplace rules: money, the booking state machine, profile fields."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from domain.marketplace.model import Action, BookingStatus, Proficiency, Role, SearchFilters
from domain.marketplace.parsing import (
    SEARCH_USAGE,
    parse_languages,
    parse_meeting_link,
    parse_rate_range,
    parse_search,
    parse_specialties,
    search_text,
)
from domain.marketplace.rules import (
    PERMISSIONS,
    TRANSITIONS,
    next_status,
    price_for,
    split_commission,
)
from domain.shared.errors import InvalidInput

cents = st.decimals(min_value=Decimal("0.01"), max_value=Decimal("99999.99"), places=2)


@given(cents, st.decimals(min_value=0, max_value=1, places=4))
def test_commission_and_earnings_always_sum_exactly_to_the_price(
    price: Decimal, rate: Decimal
) -> None:
    commission, earnings = split_commission(price, rate)
    assert commission + earnings == price
    assert commission == commission.quantize(Decimal("0.01"))
    assert abs(commission - price * rate) <= Decimal("0.005")


def test_default_commission_is_fifteen_percent_rounded_half_up() -> None:
    assert split_commission(Decimal("30.00"), Decimal("0.15")) == (
        Decimal("4.50"),
        Decimal("25.50"),
    )
    assert split_commission(Decimal("0.10"), Decimal("0.15")) == (
        Decimal("0.02"),
        Decimal("0.08"),
    )


def test_price_depends_on_length_within_the_range() -> None:
    low, high = Decimal("20"), Decimal("40")
    assert price_for(low, high, 30) == Decimal("20.00")  # 30 min at 40/h
    assert price_for(low, high, 60) == Decimal("30.00")  # 60 min at 30/h
    assert price_for(low, high, 90) == Decimal("30.00")  # 90 min at 20/h
    with pytest.raises(InvalidInput):
        price_for(low, high, 45)


@given(cents, cents, st.sampled_from([30, 60, 90]))
def test_the_hourly_rate_charged_is_inside_the_range(a: Decimal, b: Decimal, minutes: int) -> None:
    low, high = min(a, b), max(a, b)
    hourly = price_for(low, high, minutes) * 60 / minutes
    assert low - Decimal("0.02") <= hourly <= high + Decimal("0.02")


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("abc", "not an amount"),
        ("20-", "a range such as 25-40"),
        ("abc-40", "not an amount"),
        ("50-20", "above the maximum"),
        ("0-20", "positive"),
        ("10.555-20", "two decimals"),
        ("10-99999", "above"),
    ],
)
def test_bad_rate_ranges_are_refused(text: str, message: str) -> None:
    with pytest.raises(InvalidInput, match=message):
        parse_rate_range(text)


def test_rate_ranges_parse() -> None:
    assert parse_rate_range("25 - 40.50") == (Decimal("25.00"), Decimal("40.50"))
    assert parse_rate_range("25–40") == (Decimal("25.00"), Decimal("40.00"))


def test_languages_are_iso_639_1_codes() -> None:
    assert parse_languages("EN, de de") == ("en", "de")
    with pytest.raises(InvalidInput, match="ISO 639-1"):
        parse_languages("elvish")


def test_specialties_need_a_known_level() -> None:
    parsed = parse_specialties("Python: expert; data science : advanced")
    assert [(s.subject, s.proficiency) for s in parsed] == [
        ("Python", Proficiency.EXPERT),
        ("data science", Proficiency.ADVANCED),
    ]
    with pytest.raises(InvalidInput, match="needs a level"):
        parse_specialties("Python")
    with pytest.raises(InvalidInput, match="must be one of"):
        parse_specialties("Python: guru")


def test_meeting_links_must_be_https() -> None:
    assert parse_meeting_link(" https://meet.example/me ") == "https://meet.example/me"
    for bad in ("http://meet.example/me", "javascript:alert(1)", "https://a b"):
        with pytest.raises(InvalidInput):
            parse_meeting_link(bad)


@pytest.mark.parametrize("action", list(Action))
@pytest.mark.parametrize("status", list(BookingStatus))
def test_the_state_machine_allows_exactly_its_transitions(
    action: Action, status: BookingStatus
) -> None:
    allowed_from, target = TRANSITIONS[action]
    if status in allowed_from:
        assert next_status(action, status) == (target or status)
    else:
        with pytest.raises(InvalidInput):
            next_status(action, status)


def test_finished_bookings_never_change_state_again() -> None:
    for final in (BookingStatus.CANCELLED, BookingStatus.NO_SHOW):
        movers = [a for a, (src, dst) in TRANSITIONS.items() if final in src and dst]
        assert movers == []


def test_only_the_booked_expert_confirms_and_nobody_else_touches_a_booking() -> None:
    assert PERMISSIONS[Action.CONFIRM] == {Role.EXPERT}
    assert PERMISSIONS[Action.FEEDBACK] == {Role.LEARNER}
    assert all(Role.OTHER not in roles for roles in PERMISSIONS.values())
    admins = {a for a, roles in PERMISSIONS.items() if Role.ADMIN in roles}
    assert admins == {Action.MARK_PAID, Action.MARK_REFUNDED, Action.RESOLVE_DISPUTE}
    assert PERMISSIONS[Action.MESSAGE] == {Role.LEARNER, Role.EXPERT}  # the two sides only


def test_a_search_reads_the_subject_and_its_filters_in_any_order_and_case() -> None:
    assert parse_search("python") == SearchFilters("python")
    assert parse_search("  data   science  ") == SearchFilters("data science")
    assert parse_search("LEVEL=Advanced machine max=40.5 learning lang=EN within=7") == (
        SearchFilters(
            "machine learning", Decimal("40.50"), "en", Proficiency.ADVANCED, free_within_days=7
        )
    )


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "Usage: /experts"),
        ("max=40 lang=en", "Usage: /experts"),
        ("\x00\x07", "Usage: /experts"),
        ("x" * 101, "under 100 characters"),
        ("python max=abc", "not an amount"),
        ("python max=0", "positive"),
        ("python lang=elvish", "don't know the language"),
        ("python level=guru", "level must be one of"),
        ("python within=31", "from 1 to 30"),
        ("python within=soon", "whole number"),
    ],
)
def test_a_bad_search_is_refused_with_what_to_type(text: str, message: str) -> None:
    with pytest.raises(InvalidInput, match=message):
        parse_search(text)
    assert SEARCH_USAGE.startswith("Usage: /experts <subject>")


@given(st.text(max_size=200))
def test_a_search_never_keeps_a_control_character_and_reads_back_as_itself(text: str) -> None:
    try:
        filters = parse_search(text)
    except InvalidInput:
        return
    assert not any(ch < " " or ch == "\x7f" for ch in filters.subject)
    assert parse_search(search_text(filters)) == filters


def test_a_search_with_every_filter_reads_back_as_itself() -> None:
    filters = parse_search("Data Science max=40 lang=de level=expert within=3")
    assert search_text(filters) == "Data Science max=40.00 lang=de level=expert within=3"
    assert parse_search(search_text(filters)) == filters
