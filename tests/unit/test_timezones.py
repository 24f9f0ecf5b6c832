"""Time-zone suggestions: one rule for "did you mean" and for suggestions while typing."""

from __future__ import annotations

from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from domain.shared.timezones import suggest_zones


@pytest.mark.parametrize(
    ("typed", "first"),
    [
        ("berl", "Europe/Berlin"),  # the start of a city
        ("los", "America/Los_Angeles"),
        ("york", "America/New_York"),  # a word inside one
        ("new york", "America/New_York"),  # spaces as typed
        ("Europe/Berln", "Europe/Berlin"),  # a typo
        ("TOKYO", "Asia/Tokyo"),
    ],
)
def test_a_zone_is_suggested_from_its_start_or_despite_a_typo(typed: str, first: str) -> None:
    assert suggest_zones(typed)[0] == first


def test_a_region_typed_so_far_offers_its_zones_alphabetically() -> None:
    found = suggest_zones("europe/", limit=25)
    assert len(found) == 25 and all(zone.startswith("Europe/") for zone in found)
    assert found == sorted(found)


def test_nothing_typed_suggests_nothing() -> None:
    assert suggest_zones("  ") == []


@given(typed=st.text(max_size=80), limit=st.integers(min_value=1, max_value=25))
def test_suggestions_are_real_zones_without_repeats_within_the_limit(
    typed: str, limit: int
) -> None:
    found = suggest_zones(typed, limit)
    assert len(found) <= limit and len(set(found)) == len(found)
    for zone in found:
        ZoneInfo(zone)
