"""Review cards: the FSRS wiring, "due today" on the learner's own local day (across DST and
zones), and reading cards out of /card and "Q: ... A: ..." notes."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import fsrs
import pytest

from bot.review_scheduler import FsrsScheduler
from domain.learning.card_model import CardPhase, Memory, Rating
from domain.learning.cards import day_bounds, parse_card, parse_question, week_start
from domain.shared.errors import InvalidInput

AT = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)


def utc(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


# -- FSRS -----------------------------------------------------------------------------------


def test_a_new_card_rated_good_takes_the_ten_minute_step_then_graduates_to_days() -> None:
    scheduler = FsrsScheduler(fuzz=False)
    first = scheduler.review(Memory.new(AT), Rating.GOOD, AT)
    assert first.phase is CardPhase.LEARNING and first.step == 1
    assert first.due == AT + timedelta(minutes=10) and first.last_review == AT
    later = AT + timedelta(minutes=10)
    second = scheduler.review(first, Rating.GOOD, later)
    assert second.phase is CardPhase.REVIEW and second.step is None
    assert second.due - later >= timedelta(days=1)
    assert second.stability is not None and second.difficulty is not None


def test_again_keeps_a_card_in_learning_a_minute_away_and_easy_graduates_it_at_once() -> None:
    scheduler = FsrsScheduler(fuzz=False)
    again = scheduler.review(Memory.new(AT), Rating.AGAIN, AT)
    assert again.phase is CardPhase.LEARNING and again.due == AT + timedelta(minutes=1)
    easy = scheduler.review(Memory.new(AT), Rating.EASY, AT)
    assert easy.phase is CardPhase.REVIEW and easy.due - AT >= timedelta(days=1)


def test_our_wiring_gives_what_the_fsrs_package_gives_for_the_same_history() -> None:
    """Every state column makes the round trip: our stored Memory, reviewed four times, ends
    where fsrs's own Card does (same ratings, same times, fuzz off)."""
    ours, theirs = FsrsScheduler(fuzz=False), fsrs.Scheduler(enable_fuzzing=False)
    memory = Memory.new(AT)
    card = fsrs.Card(card_id=1, due=AT)
    at = AT
    for rating in (Rating.GOOD, Rating.AGAIN, Rating.HARD, Rating.EASY, Rating.GOOD):
        memory = ours.review(memory, rating, at)
        card, _ = theirs.review_card(card, fsrs.Rating(int(rating)), at)
        assert (memory.phase, memory.step, memory.due) == (int(card.state), card.step, card.due)
        assert memory.stability == card.stability and memory.difficulty == card.difficulty
        at = memory.due + timedelta(hours=1)


def test_a_review_time_in_another_zone_is_the_same_instant_to_fsrs() -> None:
    berlin = AT.astimezone(ZoneInfo("Europe/Berlin"))
    scheduler = FsrsScheduler(fuzz=False)
    assert scheduler.review(Memory.new(AT), Rating.GOOD, berlin) == scheduler.review(
        Memory.new(AT), Rating.GOOD, AT
    )


# -- due today: the learner's local day ------------------------------------------------------


@pytest.mark.parametrize(
    ("now", "zone", "start", "end"),
    [
        # Berlin springs forward on 29 March 2026: that local day has 23 hours
        ("2026-03-29 10:00", "Europe/Berlin", "2026-03-28 23:00", "2026-03-29 22:00"),
        # New York falls back on 1 November 2026: 25 hours
        ("2026-11-01 12:00", "America/New_York", "2026-11-01 04:00", "2026-11-02 05:00"),
        # one instant, two zones: Tokyo is already on 3 March, New York still on 2 March
        ("2026-03-02 23:30", "Asia/Tokyo", "2026-03-02 15:00", "2026-03-03 15:00"),
        ("2026-03-02 23:30", "America/New_York", "2026-03-02 05:00", "2026-03-03 05:00"),
        ("2026-03-02 23:30", "UTC", "2026-03-02 00:00", "2026-03-03 00:00"),
    ],
)
def test_today_runs_from_local_midnight_to_local_midnight_in_the_learners_zone(
    now: str, zone: str, start: str, end: str
) -> None:
    assert day_bounds(utc(now), zone) == (utc(start), utc(end))


def test_a_card_due_late_tonight_is_due_today_and_one_due_after_midnight_is_not() -> None:
    # 21:30 in Berlin on the evening clocks spring forward
    _, end = day_bounds(utc("2026-03-29 19:30"), "Europe/Berlin")
    tonight = datetime(2026, 3, 29, 23, 30, tzinfo=ZoneInfo("Europe/Berlin"))
    tomorrow = datetime(2026, 3, 30, 0, 30, tzinfo=ZoneInfo("Europe/Berlin"))
    assert tonight < end <= tomorrow


def test_the_week_starts_at_local_monday_midnight() -> None:
    # Sunday 8 March 2026, 23:30 in Berlin (22:30 UTC): the week began Monday 2 March 00:00
    assert week_start(utc("2026-03-08 22:30"), "Europe/Berlin") == utc("2026-03-01 23:00")
    # Monday 9 March 00:30 in Berlin: a new week
    assert week_start(utc("2026-03-08 23:30"), "Europe/Berlin") == utc("2026-03-08 23:00")


# -- reading cards -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "sides"),
    [
        ("ser (yo) | soy", ("ser (yo)", "soy")),
        ("  what is 2+2?   |   4  ", ("what is 2+2?", "4")),
        ("capital of\nPeru | Lima", ("capital of Peru", "Lima")),
    ],
)
def test_a_card_is_front_bar_back(text: str, sides: tuple[str, str]) -> None:
    assert parse_card(text) == sides


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("", "Usage: /card"),
        ("no bar here", "Usage: /card"),
        ("front only |", "Usage: /card"),
        ("| back only", "Usage: /card"),
        ("a | b | c", "One “|”"),
        ("x" * 301 + " | y", "at most 300"),
        ("x | " + "y" * 1001, "at most 1000"),
    ],
)
def test_a_malformed_card_is_refused_with_the_usage(text: str, says: str) -> None:
    with pytest.raises(InvalidInput, match=says):
        parse_card(text)


@pytest.mark.parametrize(
    ("note", "sides"),
    [
        ("Q: What does hola mean? A: hello", ("What does hola mean?", "hello")),
        ("q: 2+2? a: 4", ("2+2?", "4")),
        ("Q: first line\nA: on its own line", ("first line", "on its own line")),
        ("Q. capital of Peru A. Lima", ("capital of Peru", "Lima")),
        ("learned greetings today", None),
        ("Q: a question with no answer", None),
        ("A: an answer first Q: then a question", None),
        ("Quite good: Alright", None),
    ],
)
def test_a_q_and_a_note_reads_as_a_card(note: str, sides: tuple[str, str] | None) -> None:
    assert parse_question(note) == sides
