"""The focus timer's rules: how long one runs, whether it is running, the minutes it focused."""

from __future__ import annotations

import uuid
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from domain.learning.focus import focus_minutes, logged_minutes
from domain.learning.model import FocusTimer
from domain.shared.errors import InvalidInput

START = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)
TIMER = FocusTimer(
    id=uuid.uuid4(),
    curriculum_id=uuid.uuid4(),
    session_id=uuid.uuid4(),
    minutes=25,
    started_at=START,
    ends_at=START + timedelta(minutes=25),
    stopped_at=None,
    logged_at=None,
    curriculum_title="Spanish (beginner)",
    session_number=4,
    session_title="Irregular verbs",
    session_done=False,
)


@pytest.mark.parametrize(
    ("args", "minutes"),
    [("", 25), ("  ", 25), ("45", 45), ("45 min", 45), ("1h", 60), ("1.5h", 90), ("5", 5)],
)
def test_focus_takes_25_minutes_or_what_is_asked(args: str, minutes: int) -> None:
    assert focus_minutes(args) == minutes


@pytest.mark.parametrize("args", ["4", "181", "0", "4h", "soon", "-5", "25 minutes please"])
def test_a_length_outside_5_to_180_minutes_is_refused_with_an_example(args: str) -> None:
    with pytest.raises(InvalidInput, match="/focus 45"):
        focus_minutes(args)


def test_the_minutes_typed_after_different_are_1_to_720() -> None:
    assert logged_minutes("20") == 20 and logged_minutes("1h15") == 75
    for wrong in ("0", "721", "lots"):
        with pytest.raises(InvalidInput):
            logged_minutes(wrong)


def test_a_timer_runs_until_its_end_unless_stopped() -> None:
    assert TIMER.running(START) and TIMER.running(START + timedelta(minutes=24, seconds=59))
    assert not TIMER.running(TIMER.ends_at)
    stopped = replace(TIMER, stopped_at=START + timedelta(minutes=3))
    assert not stopped.running(START + timedelta(minutes=4))


def test_the_minutes_focused_are_whole_minutes_until_stop_or_the_end() -> None:
    assert TIMER.focused == 25
    assert replace(TIMER, stopped_at=START + timedelta(minutes=12, seconds=59)).focused == 12
    assert replace(TIMER, stopped_at=START + timedelta(seconds=40)).focused == 0
    # A stop recorded after the end (a late press) never counts more than the timer ran.
    assert replace(TIMER, stopped_at=TIMER.ends_at + timedelta(hours=1)).focused == 25
