"""Plain-message logging: what is understood as a session done, and what must not be."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from domain.learning.model import PlainLog
from domain.learning.plain_log import parse_plain_log, plans_named

# (message, minutes, note)
LOGS: list[tuple[str, int, str | None]] = [
    ("studied 40 min of verbs", 40, "verbs"),
    ("did 1h15 of calculus today", 75, "calculus"),
    ("45 minutes, chapter 3 exercises", 45, "chapter 3 exercises"),
    ("1.5 hours on algebra", 90, "algebra"),
    ("just did half an hour of spanish", 30, "spanish"),
    ("Studied 40min of verbs.", 40, "verbs"),
    ("studied for 2 hours", 120, None),
    ("spent 20 minutes on flashcards", 20, "flashcards"),
    ("30 mins reading chapter 2", 30, "reading chapter 2"),
    ("I studied 25 minutes", 25, None),
    ("did an hour of python", 60, "python"),
    ("practiced guitar for 45 min", 45, "guitar"),
    ("just finished 50 minutes of physics", 50, "physics"),
    ("worked on essays for 1 hour 20 minutes", 80, "essays"),
    ("1h of algebra done", 60, "algebra"),
    ("did 90 min", 90, None),
    ("studied a quarter of an hour", 15, None),
    ("did three quarters of an hour of reading", 45, "reading"),
    ("studied twenty minutes of verbs", 20, "verbs"),
    ("an hour and a half of history", 90, "history"),
    ("two hours on chemistry", 120, "chemistry"),
    ("1 hr 15 min vocab", 75, "vocab"),
    ("40 min", 40, None),
    ("I did 30 min of French this morning", 30, "French"),
    ("had a 45 minute session on derivatives", 45, "derivatives"),
    ("45-minute session of piano", 45, "piano"),
    ("read for 30 minutes", 30, "read"),
    ("studied verbs for 40 min", 40, "verbs"),
    ("verbs 40 min", 40, "verbs"),
    ("did 40 min verbs", 40, "verbs"),
    ("logged 1h on calculus", 60, "calculus"),
    ("I've been studying for 2 hours", 120, None),
    ("just studied 35 minutes of biology, tough one", 35, "biology, tough one"),
    ("Did 2h30m of coding", 150, "coding"),
    ("did 2 h 30 min of coding", 150, "coding"),
    ("revised for 40 minutes", 40, None),
    ("went through chapter 4 in 50 minutes", 50, "chapter 4"),
    ("finished the reading, 25 min", 25, "the reading"),
    ("did a 25 minute pomodoro", 25, "pomodoro"),
    ("about 40 minutes of verbs", 40, "verbs"),
    ("around 1 hour of spanish", 60, "spanish"),
    ("studied 1 hour and 15 minutes", 75, None),
    ("an hour of calculus", 60, "calculus"),
    ("half an hour", 30, None),
    ("half hour of spanish", 30, "spanish"),
    ("one and a half hours of maths", 90, "maths"),
    ("90 minutes!", 90, None),
    ("Finally did 40 min of verbs!", 40, "verbs"),
    ("studied 40 min of verbs today", 40, "verbs"),
    ("did 1,5h of algebra", 90, "algebra"),
    ("completed 30 min on the chapter 3 exercises", 30, "the chapter 3 exercises"),
    ("did 20 mins of duolingo", 20, "duolingo"),
    ("spent an hour on linear algebra", 60, "linear algebra"),
    ("practised scales for 30 minutes", 30, "scales"),
    ("did 60min", 60, None),
    ("learned 15 new words in 20 minutes", 20, "15 new words"),
    ("studied 40 minutes of verbs this evening", 40, "verbs"),
    ("put in 45 minutes on chemistry", 45, "chemistry"),
    ("did my 30 minutes of spanish", 30, "spanish"),
    ("40 minutes of irregular verbs done", 40, "irregular verbs"),
    ("STUDIED 40 MIN OF VERBS", 40, "VERBS"),
    ("studied   40   min   of   verbs", 40, "verbs"),
    ("did forty-five minutes of piano", 45, "piano"),
    ("2 hours of organic chemistry", 120, "organic chemistry"),
    ("studied 3 hrs", 180, None),
    ("1 hour 5 minutes of reading", 65, "reading"),
    ("did 12 minutes of flashcards, thank you", 12, "flashcards, thank you"),
]

# Messages that mention a length of time (or look like a log) but are not a session done.
NOT_LOGS: list[str] = [
    "I will study 30 min tomorrow",
    "should I study 40 min?",
    "remind me in 20 minutes",
    "I'm going to do 1h later",
    "how long did I study",
    "30 min is too much",
    "I'll do 45 minutes tonight",
    "gonna do 20 min after lunch",
    "I plan to study 2 hours",
    "I want to study for an hour",
    "I need 30 minutes more",
    "can I do 20 min instead",
    "let's do 25 minutes",
    "set a timer for 25 minutes",
    "in 10 minutes",
    "I didn't study 40 min",
    "haven't done my 20 min yet",
    "couldn't do 30 minutes today",
    "studied 40 min yesterday",
    "30 minutes ago I started",
    "I study 20 min every day",
    "20 minutes a day is my goal",
    "each session is 40 min",
    "make the sessions 45 minutes",
    "taking a 10 minute break",
    "I'm 10 minutes late",
    "only 5 minutes left",
    "wait 5 min",
    "did 20 min of verbs and 30 min of nouns",
    "hello",
    "thanks!",
    "studied verbs",
    "I studied 2000 minutes",
    "0 minutes",
    "/done 40",
    "maybe 30 min",
    "if I do 30 min will my streak survive",
    "study for 40 minutes",
    "practice 30 min daily",
    "you said 30 min",
    "is 45 minutes enough",
    "I study better in 25 minute blocks",
    "studied 40 min of verbs last night",
    "I won't manage 20 min",
    "not 40 minutes, I meant 20",
    "lunch in 30 min",
    "I usually do 30 min",
    "I'd like to do 40 minutes",
    "Session 3 of 40",
    "what should I do in 40 minutes",
]


@pytest.mark.parametrize(("message", "minutes", "note"), LOGS)
def test_a_session_told_in_plain_words_is_understood(
    message: str, minutes: int, note: str | None
) -> None:
    assert parse_plain_log(message) == PlainLog(minutes, note)


@pytest.mark.parametrize("message", NOT_LOGS)
def test_a_message_that_does_not_tell_of_a_session_done_is_not_a_log(message: str) -> None:
    assert parse_plain_log(message) is None


@given(st.text(max_size=120))
def test_any_text_is_read_without_an_error_and_a_log_is_in_range(message: str) -> None:
    told = parse_plain_log(message)
    assert told is None or 1 <= told.minutes <= 720


@given(st.sampled_from(LOGS), st.sampled_from(["will ", "should ", "didn't ", "never "]))
def test_a_log_that_is_planned_doubted_or_denied_is_not_one(
    case: tuple[str, int, str | None], word: str
) -> None:
    assert parse_plain_log(f"I {word}{case[0]}") is None


def test_the_table_is_large_enough() -> None:
    assert len(LOGS) + len(NOT_LOGS) >= 90
    assert len(set(LOGS)) == len(LOGS) and len(set(NOT_LOGS)) == len(NOT_LOGS)


SPANISH = ["Spanish", "Spanish (beginner)", "Irregular verbs"]
CALCULUS = ["Calculus", "Calculus (intermediate)", "Limits"]
ALGEBRA = ["Linear algebra", "Linear algebra (beginner)", "Vectors"]


@pytest.mark.parametrize(
    ("note", "expected"),
    [
        ("verbs", [0]),  # the next session's title
        ("calculus", [1]),
        ("calclus homework", [1]),  # a typo
        ("algebra", [2]),
        ("spanish vocab", [0]),
        ("chapter 3 exercises", []),  # names no plan
        (None, []),
        ("the of and", []),
        ("vectors and limits", [1, 2]),  # two plans, equally named: the learner picks
    ],
)
def test_a_note_names_the_plans_it_shares_a_word_with(
    note: str | None, expected: list[int]
) -> None:
    assert sorted(plans_named(note, [SPANISH, CALCULUS, ALGEBRA])) == expected
