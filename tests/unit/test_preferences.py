"""Notification preferences: defaults, strict validation, what people type."""

from __future__ import annotations

from datetime import time, timedelta

import pytest

from domain.notifications.preferences import load, parse_days, parse_mute, parse_quiet
from domain.shared.errors import InvalidInput


def test_an_empty_document_means_the_defaults() -> None:
    prefs = load({})
    assert not prefs.study.enabled and prefs.study.at == time(19, 0)
    assert prefs.streak.enabled and prefs.bookings.before_minutes == (1440, 60)
    assert prefs.as_json() == {}


def test_a_saved_document_loads_back_the_same() -> None:
    prefs = load({"study": {"enabled": True, "at": "07:30", "weekdays": [4, 0, 0]}})
    assert prefs.study.weekdays == (0, 4)
    assert load(prefs.as_json()) == prefs


@pytest.mark.parametrize(
    ("document", "fragment"),
    [
        ({"bogus": 1}, "bogus: Extra inputs are not permitted"),
        ({"study": {"at": "25:00"}}, "study.at"),
        ({"study": {"enabled": "maybe"}}, "study.enabled"),
        ({"study": {"weekdays": [7]}}, "study.weekdays"),
        ({"bookings": {"before_minutes": [1]}}, "bookings.before_minutes"),
        ({"muted_until": "2026-01-01T00:00:00"}, "muted_until"),  # naive: refused
        ([1, 2], "preferences"),
    ],
)
def test_unknown_keys_and_wrong_types_are_refused_with_the_field_named(
    document: object, fragment: str
) -> None:
    with pytest.raises(InvalidInput, match="Notification preferences") as error:
        load(document)
    assert fragment in error.value.message


def test_typed_values() -> None:
    assert parse_days("weekdays") == (0, 1, 2, 3, 4)
    assert parse_days("Mon, wed fri") == (0, 2, 4)
    quiet = parse_quiet("22:00-07:30")
    assert quiet is not None and (quiet.start, quiet.end) == (time(22), time(7, 30))
    assert parse_quiet("off") is None
    assert parse_mute("7d") == timedelta(days=7) and parse_mute("12h") == timedelta(hours=12)
    for bad in ("61d", "0h", "soon"):
        with pytest.raises(InvalidInput):
            parse_mute(bad)
    for bad in ("22:00", "25:00-07:00", "22:00-22:00"):
        with pytest.raises(InvalidInput):
            parse_quiet(bad)
    with pytest.raises(InvalidInput):
        parse_days("someday")
