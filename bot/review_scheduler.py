"""FSRS scheduling of review cards through the ``fsrs`` package (the domain's
``ReviewScheduler`` port): a card's stored state in, its state after a rating out."""

from __future__ import annotations

from datetime import UTC, datetime

import fsrs

from domain.learning.card_model import CardPhase, Memory, Rating


class FsrsScheduler:
    """``fsrs.Scheduler`` with its default parameters (desired retention 0.9, learning steps
    of 1 and 10 minutes). ``fuzz``: the small random spread FSRS puts on review intervals so
    that cards made together do not stay due together (tests turn it off)."""

    def __init__(self, *, fuzz: bool = True, desired_retention: float = 0.9) -> None:
        self._scheduler = fsrs.Scheduler(desired_retention=desired_retention, enable_fuzzing=fuzz)

    def review(self, memory: Memory, rating: Rating, at: datetime) -> Memory:
        last = memory.last_review
        card = fsrs.Card(
            card_id=0,  # ours are UUIDs; fsrs's own id (a clock reading) is not used
            state=fsrs.State(int(memory.phase)),
            step=memory.step,
            stability=memory.stability,
            difficulty=memory.difficulty,
            due=memory.due.astimezone(UTC),
            last_review=None if last is None else last.astimezone(UTC),
        )
        rated = fsrs.Rating(int(rating))
        reviewed, _log = self._scheduler.review_card(card, rated, at.astimezone(UTC))
        return Memory(
            CardPhase(int(reviewed.state)),
            reviewed.step,
            reviewed.stability,
            reviewed.difficulty,
            reviewed.due,
            reviewed.last_review,
        )
