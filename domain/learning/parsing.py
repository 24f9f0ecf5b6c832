"""Parsing and validating what learners type. Every failure is an ``InvalidInput``."""

from __future__ import annotations

import re

from domain.learning.model import CurriculumSpec, SkillLevel
from domain.shared.errors import InvalidInput
from domain.shared.text import clean_text, parse_int
from domain.shared.timetext import leading_duration, read_duration

SUBJECT_MAX = 200
LONG_TEXT_MAX = 2000
NOTE_MAX = 4000
SESSIONS_RANGE = (1, 365)
MINUTES_RANGE = (5, 480)
LOGGED_MINUTES_RANGE = (1, 720)
NEW_USAGE = "/new <subject> | <sessions> | <minutes> | <level> [| <goals>]"
_LEVEL_ALIASES = {
    "b": SkillLevel.BEGINNER,
    "beg": SkillLevel.BEGINNER,
    "i": SkillLevel.INTERMEDIATE,
    "int": SkillLevel.INTERMEDIATE,
    "a": SkillLevel.ADVANCED,
    "adv": SkillLevel.ADVANCED,
}


def parse_subject(value: str) -> str:
    subject = clean_text(value, what="subject", limit=SUBJECT_MAX)
    assert subject is not None
    if "\n" in subject:
        raise InvalidInput("The subject must fit on one line.")
    return subject


def parse_sessions(value: str) -> int:
    return parse_int(
        value, what="number of sessions", low=SESSIONS_RANGE[0], high=SESSIONS_RANGE[1]
    )


def parse_minutes(value: str) -> int:
    """Minutes per session: ``45``, ``45 min``, ``1h15``, ``1.5h``."""
    return read_duration(value, what="session length", low=MINUTES_RANGE[0], high=MINUTES_RANGE[1])


def parse_level(value: str) -> SkillLevel:
    key = value.strip().lower()
    try:
        return SkillLevel(key)
    except ValueError:
        if key in _LEVEL_ALIASES:
            return _LEVEL_ALIASES[key]
    levels = ", ".join(level.value for level in SkillLevel)
    raise InvalidInput(f"The level must be one of {levels}; not “{value.strip()[:20]}”.")


def parse_optional_text(value: str | None, *, what: str) -> str | None:
    if value is None:
        return None
    return clean_text(value, what=what, limit=LONG_TEXT_MAX, required=False)


def parse_new_one_line(args: str) -> CurriculumSpec:
    """Parse ``subject | sessions | minutes | level [| goals]`` into a spec."""
    parts = [part.strip() for part in args.split("|")]
    if len(parts) < 4 or len(parts) > 5:
        raise InvalidInput(f"Usage: {NEW_USAGE}\nor just /new for a step-by-step wizard.")
    return CurriculumSpec(
        subject=parse_subject(parts[0]),
        total_sessions=parse_sessions(parts[1]),
        session_minutes=parse_minutes(parts[2]),
        level=parse_level(parts[3]),
        goals=parse_optional_text(parts[4], what="goals") if len(parts) == 5 else None,
    )


def parse_done_args(args: str) -> tuple[int | None, str | None]:
    """``/done [minutes] [note]``: an optional leading length of time (``45``, ``25min``,
    ``25 min``, ``1h15``, ``1.5h``, ``1 h 30 min``), then a note. Nothing is logged when
    either is refused, and the message says so."""
    try:
        minutes, text = leading_duration(
            args, what="time spent", low=LOGGED_MINUTES_RANGE[0], high=LOGGED_MINUTES_RANGE[1]
        )
        note = clean_text(text, what="note", limit=NOTE_MAX, required=False)
    except InvalidInput as error:
        raise InvalidInput(f"{error.message} The session was not logged.") from None
    return minutes, note


def parse_note(text: str) -> str:
    note = clean_text(text, what="note", limit=NOTE_MAX)
    assert note is not None
    return note


TOPICS_MAX = 100
TOPIC_MAX = 120
_BULLET = re.compile(r"^\s*(?:[-*•·]+|\(?[0-9]{1,3}[.):]|[a-zA-Z][.)])\s*")


def parse_topics(text: str) -> tuple[str, ...]:
    """A pasted syllabus: one topic per line, or numbered ("1. Knots 2. Sails" on one line
    too); bullets and numbers dropped, empty lines and repeats left out."""
    lines = text.splitlines()
    if len(lines) == 1:  # "1. Knots 2. Sails 3) Tides" or "Knots; Sails; Tides"
        lines = re.split(r"\s*;\s*|\s+(?=\(?[0-9]{1,3}[.)]\s)", text)
    topics: list[str] = []
    for line in lines:
        topic = _BULLET.sub("", line).strip(" \t.;,")
        if topic and topic.casefold() not in {t.casefold() for t in topics}:
            topics.append(clean_text(topic, what="A topic", limit=TOPIC_MAX) or topic)
    if not topics:
        raise InvalidInput("List at least one topic, one per line, or press Skip.")
    if len(topics) > TOPICS_MAX:
        raise InvalidInput(f"That is {len(topics)} topics; list at most {TOPICS_MAX}.")
    return tuple(topics)


def _stored_topics(raw: object) -> tuple[str, ...]:
    return tuple(str(t) for t in raw) if isinstance(raw, list | tuple) else ()


def spec_from_answers(answers: dict[str, object]) -> CurriculumSpec:
    """Build a spec from the wizard's stored answers (already parsed step by step)."""
    try:
        return CurriculumSpec(
            subject=str(answers["subject"]),
            total_sessions=int(str(answers["sessions"])),
            session_minutes=int(str(answers["minutes"])),
            level=SkillLevel(str(answers["level"])),
            goals=None if answers.get("goals") is None else str(answers["goals"]),
            background=None if answers.get("background") is None else str(answers["background"]),
            topics=_stored_topics(answers.get("topics")),
        )
    except (KeyError, ValueError):
        raise InvalidInput("That wizard is incomplete. Start again with /new.") from None
