"""Parsers of what learners type, time-zone lookup and button payloads."""

from __future__ import annotations

import uuid

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.handlers import payloads
from domain.learning.model import SkillLevel
from domain.learning.parsing import parse_done_args, parse_new_one_line, parse_topics
from domain.shared.errors import InvalidInput
from domain.shared.timezones import UnknownTimeZone, resolve_zone


def test_one_line_new_is_parsed() -> None:
    spec = parse_new_one_line(" Spanish | 12 | 45 | Beginner | order food in Madrid ")
    assert (spec.subject, spec.total_sessions, spec.session_minutes) == ("Spanish", 12, 45)
    assert spec.level is SkillLevel.BEGINNER
    assert spec.goals == "order food in Madrid"


@pytest.mark.parametrize(
    ("line", "fragment"),
    [
        (" | 0 | -5 | expert", "subject can't be empty"),
        ("Go | 0 | 30 | beginner", "from 1 to 365"),
        ("Go | 12 | -5 | beginner", "from 5 to 480"),
        ("Go | 12 | 30 | expert", "level must be one of"),
        ("Go | many | 30 | beginner", "whole number"),
        ("Go | 12", "Usage: /new"),
        ("x" * 10_000 + " | 12 | 30 | beginner", "too long (10,000 characters)"),
    ],
)
def test_bad_one_line_new_is_refused_with_a_clear_message(line: str, fragment: str) -> None:
    with pytest.raises(InvalidInput) as error:
        parse_new_one_line(line)
    assert fragment in error.value.message


def test_emoji_and_right_to_left_subjects_are_kept_as_typed() -> None:
    spec = parse_new_one_line("العربية 🌙 | 3 | 20 | beginner")
    assert spec.subject == "العربية 🌙"


def test_done_arguments() -> None:
    assert parse_done_args("") == (None, None)
    assert parse_done_args("45") == (45, None)
    assert parse_done_args("45 hard but fun") == (45, "hard but fun")
    assert parse_done_args("loved it") == (None, "loved it")
    with pytest.raises(InvalidInput):
        parse_done_args("0 nothing")
    with pytest.raises(InvalidInput):
        parse_done_args("-3")


@pytest.mark.parametrize("text", ["europe/berlin", "EUROPE/BERLIN", " Europe/Berlin "])
def test_time_zones_are_case_insensitive(text: str) -> None:
    assert resolve_zone(text) == "Europe/Berlin"


def test_unknown_time_zone_suggests_the_closest() -> None:
    with pytest.raises(UnknownTimeZone) as error:
        resolve_zone("Europe/Berln")
    assert error.value.suggestions[0] == "Europe/Berlin"
    with pytest.raises(UnknownTimeZone) as error:
        resolve_zone("Mars/Base")
    assert "Mars/Base" in error.value.message


def _user() -> uuid.UUID:
    return uuid.uuid4()


def test_payload_round_trip_for_its_recipient() -> None:
    user = _user()
    payload = payloads.encode(user, "pp", uuid.uuid4().hex, "12")
    assert len(payload.encode()) <= 64
    action, args = payloads.decode(user, payload)
    assert action == "pp" and args[1] == "12"


def test_payload_pressed_by_someone_else_is_refused() -> None:
    payload = payloads.encode(_user(), "co", uuid.uuid4().hex)
    with pytest.raises(InvalidInput, match="meant for someone else"):
        payloads.decode(_user(), payload)


@given(st.text(max_size=200))
def test_any_forged_payload_is_refused_or_decoded_never_crashes(forged: str) -> None:
    user = _user()
    try:
        action, args = payloads.decode(user, forged)
    except InvalidInput:
        return
    assert forged.startswith(f"1:{user.hex[:8]}:")
    assert action and all(args)


def test_encoding_refuses_oversized_or_unsafe_parts() -> None:
    with pytest.raises(ValueError):
        payloads.encode(_user(), "tz", "a" * 60)
    with pytest.raises(ValueError):
        payloads.encode(_user(), "tz", "with:colon")


@pytest.mark.parametrize(
    ("pasted", "topics"),
    [
        ("Knots\nSails\n\nTides", ("Knots", "Sails", "Tides")),
        ("1. Knots\n2) Sails\n- Tides\n• Knots", ("Knots", "Sails", "Tides")),
        ("1. Knots 2. Rigging the boat 3) Tides", ("Knots", "Rigging the boat", "Tides")),
        ("Knots; Sails; Tides", ("Knots", "Sails", "Tides")),
        ("Racing rules of sailing", ("Racing rules of sailing",)),
    ],
)
def test_a_pasted_syllabus_becomes_its_topics_in_order(
    pasted: str, topics: tuple[str, ...]
) -> None:
    assert parse_topics(pasted) == topics


def test_a_syllabus_of_nothing_or_too_much_is_refused() -> None:
    with pytest.raises(InvalidInput):
        parse_topics(" \n - \n")
    with pytest.raises(InvalidInput, match="at most 100"):
        parse_topics("\n".join(f"Topic {i}" for i in range(101)))
