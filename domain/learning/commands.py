"""What a learner asks the learning context to do: one command per use case, handed to its
service (``domain.learning.curricula``, ``domain.learning.sessions``), which checks that the
asker owns what the command names."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import time
from uuid import UUID

from domain.learning.card_model import Rating
from domain.learning.model import (
    CurriculumSpec,
    CurriculumStatus,
    Feeling,
    PlanAction,
    SkillLevel,
)


@dataclass(frozen=True)
class CreateCurriculum:
    """Plan ``spec`` and make it the current curriculum."""

    user_id: UUID
    spec: CurriculumSpec


@dataclass(frozen=True)
class OpenCurriculum:
    """Make one of the learner's curricula the current one: by id (a button), or by its
    ``number`` in ``/plans`` (``/switch 2``)."""

    user_id: UUID
    curriculum_id: UUID | None = None
    number: int | None = None


@dataclass(frozen=True)
class ChangeCurriculumStatus:
    """Pause, resume or archive a curriculum: the one with ``curriculum_id``, or number
    ``number`` in ``/plans``, or else the current one."""

    user_id: UUID
    target: CurriculumStatus
    curriculum_id: UUID | None = None
    number: int | None = None


@dataclass(frozen=True)
class LogSession:
    """Complete the next session of the current curriculum (``minutes`` default: its length),
    or of the learner's own ``curriculum_id``; with ``session_id``, only if that session is
    still the next one (a proposal made earlier: "Log 40 min on session 3?")."""

    user_id: UUID
    minutes: int | None = None
    note: str | None = None
    curriculum_id: UUID | None = None
    session_id: UUID | None = None


@dataclass(frozen=True)
class StartFocus:
    """Start a focus timer of ``minutes`` on the current plan's next session."""

    user_id: UUID
    minutes: int


@dataclass(frozen=True)
class StopFocus:
    user_id: UUID
    timer_id: UUID


@dataclass(frozen=True)
class LogFocus:
    """Log a timer's minutes (``minutes``: the learner's own figure instead) on its session."""

    user_id: UUID
    timer_id: UUID
    minutes: int | None = None


@dataclass(frozen=True)
class UndoLastSession:
    """Revert the learner's latest ``/done`` (within ``sessions.UNDO_WINDOW``)."""

    user_id: UUID


@dataclass(frozen=True)
class AddNote:
    """Attach ``text`` (already cleaned) to the learner's latest completed session."""

    user_id: UUID
    text: str


@dataclass(frozen=True)
class SetSchedule:
    """Study the current curriculum on local ``weekdays`` at ``at``; no weekdays: no schedule."""

    user_id: UUID
    weekdays: tuple[int, ...]
    at: time | None = None


@dataclass(frozen=True)
class EditPlan:
    """One edit of the current curriculum's open sessions.

    ``session`` is a session number (typed) or a session id (a button). ``other`` is the target
    number for ``MOVE`` or the second session for ``MERGE`` (None: the one after it); ``step``
    moves by one place up (-1) or down (+1) instead. ``title`` names a renamed or inserted one.
    """

    user_id: UUID
    action: PlanAction
    session: int | UUID
    other: int | None = None
    step: int = 0
    title: str | None = None


@dataclass(frozen=True)
class ReplanCurriculum:
    """Re-plan the open sessions of the current curriculum; None keeps a setting as it is."""

    user_id: UUID
    total_sessions: int | None = None
    level: SkillLevel | None = None
    goals: str | None = None


@dataclass(frozen=True)
class SayHowItWent:
    """Say how a completed session went; a hard one gets a review session."""

    user_id: UUID
    session_id: UUID
    feeling: Feeling


@dataclass(frozen=True)
class PlanVacation:
    """``/vacation 5d`` / ``/vacation 2026-12-20 to 2026-12-27`` / ``/vacation off``: ``text``
    as typed, read on the learner's local day."""

    user_id: UUID
    text: str


@dataclass(frozen=True)
class ChangeGoal:
    """``/goal 150m`` / ``2h`` / ``4 sessions`` / ``off`` / ``week starts sunday``."""

    user_id: UUID
    text: str


# -- spaced-repetition review (``domain.learning.cards``) --------------------------------------


@dataclass(frozen=True)
class AddCard:
    """``/card <front> | <back>``: a card of the learner's current plan, if any."""

    user_id: UUID
    front: str
    back: str


@dataclass(frozen=True)
class CardFromNote:
    """The one tap under a "Q: ... A: ..." note: make it a card."""

    user_id: UUID
    note_id: UUID


@dataclass(frozen=True)
class CardsFromSession:
    """The tap after /done: a card for each objective of that completed session."""

    user_id: UUID
    session_id: UUID


@dataclass(frozen=True)
class ShowAnswer:
    """**Show answer** under a card's front; ``reps`` as it was when the front was shown."""

    user_id: UUID
    card_id: UUID
    reps: int


@dataclass(frozen=True)
class RateCard:
    """Again / Hard / Good / Easy under a card's answer; ``reps`` as it was when shown."""

    user_id: UUID
    card_id: UUID
    reps: int
    rating: Rating
