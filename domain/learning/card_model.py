"""Value types of spaced-repetition review: cards, their FSRS state, ratings, results."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import IntEnum, StrEnum
from uuid import UUID


class CardSource(StrEnum):
    """Where a card came from."""

    CARD = "card"  # /card <front> | <back>
    NOTE = "note"  # a "Q: ... A: ..." note, offered with one tap
    OBJECTIVE = "objective"  # a completed session's objective, offered after /done


class Rating(IntEnum):
    """How well the learner recalled a card (FSRS's four grades, the same numbers)."""

    AGAIN = 1
    HARD = 2
    GOOD = 3
    EASY = 4


class CardPhase(IntEnum):
    """FSRS's learning state of a card (the same numbers as ``fsrs.State``)."""

    LEARNING = 1
    REVIEW = 2
    RELEARNING = 3


@dataclass(frozen=True)
class Memory:
    """A card's FSRS state as stored: what the scheduler reads and writes back."""

    phase: CardPhase
    step: int | None
    stability: float | None
    difficulty: float | None
    due: datetime
    last_review: datetime | None

    @classmethod
    def new(cls, due: datetime) -> Memory:
        """A card never reviewed, due at once."""
        return cls(CardPhase.LEARNING, 0, None, None, due, None)


@dataclass(frozen=True)
class ReviewCard:
    """One of a learner's cards. ``reps``: how often it was rated (a rating button carries
    it, so a second tap on the same button finds it changed and rates nothing)."""

    id: UUID
    front: str
    back: str
    reps: int
    memory: Memory


@dataclass(frozen=True)
class NewCard:
    """A card to add, with where it came from."""

    user_id: UUID
    front: str
    back: str
    source: CardSource
    due: datetime
    curriculum_id: UUID | None = None
    session_id: UUID | None = None
    note_id: UUID | None = None


@dataclass(frozen=True)
class NoteSource:
    """A note of the learner's, as a card is made from it."""

    content: str
    session_id: UUID | None
    curriculum_id: UUID | None


@dataclass(frozen=True)
class SessionSource:
    """A completed session of the learner's, as cards are made from its objectives."""

    curriculum_id: UUID | None
    number: int
    title: str
    objectives: tuple[str, ...]
    completed: bool


@dataclass(frozen=True)
class CardsAdded:
    """What adding cards did: ``added`` new ones, ``skipped`` that existed already."""

    added: int
    skipped: int = 0
    front: str | None = None  # the one card's front, when one was asked for


@dataclass(frozen=True)
class ReviewQueue:
    """Where a review stands: the next due card (None: all done for today), how many are
    due before the end of the learner's local today, and how many were rated today."""

    card: ReviewCard | None
    due_today: int
    reviewed_today: int


@dataclass(frozen=True)
class CardRated:
    """A rating: ``counted`` False when the card had been rated already (a second tap, or
    another device) and nothing was changed; ``next_due`` is when the card comes back."""

    counted: bool
    rating: Rating
    next_due: datetime | None
    queue: ReviewQueue
    timezone: str


@dataclass(frozen=True)
class CardStats:
    """Review figures for /progress. ``retention``: the share of ratings in the last 30
    days that were not Again (None without ratings)."""

    total: int
    due_today: int
    reviewed_this_week: int
    reviews_30_days: int
    retention: float | None
