"""What the learning context needs from outside: a planner and its repositories.

Lock order, for every use case that writes a learner's curricula, progress, sessions or notes:

1. the learner's ``users`` row (``lock_learner``, or ``record_completion``, which takes it in
   its own statement), then
2. ``focus_timers`` (only ever written holding the user row), 3. ``user_progress``,
   4. ``sessions``, 5. ``user_notes``, 6. ``curricula``.

Holding the user row first makes two such use cases of one learner (``/done`` and ``/undo`` from
two devices) queue one behind the other instead of deadlocking; the order after it keeps a
writer that does not take the user row (the daily archiving of ``curricula``) from closing a
circle. Take the user row in a statement of its own before reading what the use case decides on:
in READ COMMITTED a statement that waited for the lock still reads from before the wait.
Should a deadlock happen anyway, it is retried, never shown (``bot.handlers.retry``).
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Protocol
from uuid import UUID

from domain.habits.model import StudyHabits, Vacation
from domain.learning.card_model import (
    Memory,
    NewCard,
    NoteSource,
    Rating,
    ReviewCard,
    SessionSource,
)
from domain.learning.model import (
    Completion,
    CompletionContext,
    CurriculumOverview,
    CurriculumSpec,
    CurriculumStatus,
    FocusTimer,
    LastCompletion,
    Note,
    Plan,
    PlannedSession,
    SessionDraft,
    StudySchedule,
    StudySession,
    StudyTally,
)


class CurriculumPlanner(Protocol):
    def plan(self, spec: CurriculumSpec) -> list[PlannedSession]:
        """Design ``spec.total_sessions`` numbered sessions (1..N) for the spec, offline."""
        ...

    async def make_plan(self, spec: CurriculumSpec) -> Plan:
        """The plan for a new curriculum, saying who made it. Offline planners answer with
        ``plan``; a language-model planner may take seconds, and answers with ``plan`` when
        the model does not."""
        ...


class CurriculumRepository(Protocol):
    async def add(
        self, user_id: UUID, spec: CurriculumSpec, sessions: list[PlannedSession]
    ) -> UUID: ...

    async def get_owned(self, curriculum_id: UUID, owner: UUID) -> CurriculumOverview:
        """Raises ``NotFound`` unless the curriculum exists and belongs to ``owner``."""
        ...

    async def current_id(self, user_id: UUID) -> UUID | None:
        """The chosen curriculum, else the newest active or paused one."""
        ...

    async def list_for(self, user_id: UUID) -> list[CurriculumOverview]: ...

    async def sessions(
        self, curriculum_id: UUID, offset: int, limit: int
    ) -> list[StudySession]: ...

    async def set_status(self, curriculum_id: UUID, status: CurriculumStatus) -> None: ...

    async def set_schedule(self, curriculum_id: UUID, schedule: StudySchedule | None) -> None: ...

    async def archive_completed_before(self, moment: datetime) -> int:
        """Archive curricula completed (last changed) before ``moment``; returns how many."""
        ...

    async def lock_learner(self, user_id: UUID) -> None:
        """Hold the learner's ``users`` row until the transaction ends (see the lock order)."""
        ...

    async def completion_context(
        self, user_id: UUID, curriculum_id: UUID | None = None, *, now: datetime | None = None
    ) -> CompletionContext | None:
        """What /done needs: the current curriculum (or the learner's own ``curriculum_id``),
        its progress and next pending session, the learner's vacations, and their study days
        (``history.read``), unless the plan was studied on the local day of ``now`` already."""
        ...

    async def record_completion(self, completion: Completion) -> bool:
        """Write a completion in one atomic statement that first holds the learner's row, unless
        the progress is no longer ``completion.previous``; False (and nothing written) then."""
        ...

    async def last_completion(self, user_id: UUID) -> LastCompletion | None: ...

    async def completed_days(self, curriculum_id: UUID, *, excluding: UUID) -> list[date]:
        """Local completion dates of the curriculum's sessions, leaving one session out."""
        ...

    async def study_days(self, user_id: UUID, *, limit: int = 400) -> list[date]:
        """The local days on which the learner completed a session in any plan, newest first."""
        ...

    async def study_tallies(self, user_id: UUID, *, since: date) -> list[StudyTally]:
        """Minutes and sessions per local completion date and plan, from ``since`` on."""
        ...

    async def revert_completion(self, last: LastCompletion, streak: int) -> None: ...


class HabitRepository(Protocol):
    """Vacations and weekly goals (``vacations``, ``study_habits``)."""

    async def habits(self, user_id: UUID) -> StudyHabits:
        """The learner's goal and week start (the defaults when they never set one)."""
        ...

    async def save_habits(self, user_id: UUID, habits: StudyHabits) -> None: ...

    async def vacations(self, user_id: UUID) -> list[Vacation]:
        """The learner's vacations, the latest first (at most the last 50)."""
        ...

    async def add_vacation(self, user_id: UUID, first: date, last: date) -> None: ...

    async def end_vacations(self, user_id: UUID, today: date, at: datetime) -> int:
        """End the vacation under way on ``today`` (it covers the days before) and drop the
        ones planned after it; returns how many were ended or dropped."""
        ...

    async def days_by_plan(self, user_id: UUID) -> dict[UUID, list[date]]:
        """Each plan's local completion dates (the last 1000 study days of the learner)."""
        ...


class NoteRepository(Protocol):
    async def add(self, user_id: UUID, session_id: UUID, content: str, at: datetime) -> UUID: ...

    async def recent(
        self, user_id: UUID, limit: int, *, curriculum_id: UUID | None = None
    ) -> list[Note]:
        """The learner's latest notes, newest first (of one plan's sessions, if given)."""
        ...


class PlanRepository(Protocol):
    """Changing a plan's open sessions (``domain.learning.plan_edits``); run holding the
    learner's row (the lock order)."""

    async def spec(self, curriculum_id: UUID) -> CurriculumSpec:
        """The curriculum's settings as stored (its syllabus topics are not stored)."""
        ...

    async def open_sessions(self, curriculum_id: UUID) -> list[StudySession]:
        """The sessions not completed yet, by number."""
        ...

    async def completed_titles(self, curriculum_id: UUID) -> list[str]:
        """Titles of the completed sessions, by number."""
        ...

    async def completed_session(self, session_id: UUID, owner: UUID) -> tuple[UUID, StudySession]:
        """The curriculum id and a completed session of ``owner``'s; raises ``NotFound``."""
        ...

    async def rewrite_open(
        self, curriculum_id: UUID, first: int, sessions: list[SessionDraft]
    ) -> None:
        """Make ``sessions`` the open sessions, numbered from ``first``: kept ones by id (their
        other columns untouched), new ones inserted, the rest deleted; the curriculum's
        ``total_sessions`` follows. Completed sessions are never touched."""
        ...

    async def set_spec(self, curriculum_id: UUID, spec: CurriculumSpec) -> None:
        """Store a re-planned spec (title, level, goals, total); a completed curriculum with
        open sessions again becomes active."""
        ...


class FocusTimerRepository(Protocol):
    """``/focus`` timers; written holding the learner's row (the lock order)."""

    async def add(
        self,
        user_id: UUID,
        curriculum_id: UUID,
        session_id: UUID,
        minutes: int,
        started_at: datetime,
        ends_at: datetime,
    ) -> UUID: ...

    async def running(self, user_id: UUID, now: datetime) -> FocusTimer | None:
        """The learner's timer that is neither stopped nor over at ``now``."""
        ...

    async def get_owned(self, timer_id: UUID, owner: UUID, *, lock: bool = False) -> FocusTimer:
        """Raises ``NotFound`` unless the timer exists and is ``owner``'s."""
        ...

    async def stop(self, timer_id: UUID, at: datetime) -> None: ...

    async def mark_logged(self, timer_id: UUID, at: datetime) -> None: ...


class ReviewScheduler(Protocol):
    """Spaced-repetition scheduling (FSRS, ``bot.review_scheduler``): a card's next state."""

    def review(self, memory: Memory, rating: Rating, at: datetime) -> Memory:
        """The card's state after it was rated ``rating`` at ``at`` (UTC)."""
        ...


class CardRepository(Protocol):
    """The learner's review cards and their ratings. Every read names the owner."""

    async def add(self, cards: list[NewCard]) -> int:
        """Insert the cards, skipping any that exists already (a note's card, an objective's
        card of the same session); returns how many were inserted."""
        ...

    async def note_source(self, note_id: UUID, owner: UUID) -> NoteSource | None:
        """One of ``owner``'s notes, with its session and plan; None if not theirs."""
        ...

    async def session_source(self, session_id: UUID, owner: UUID) -> SessionSource | None:
        """One of ``owner``'s sessions with its objectives; None if not theirs."""
        ...

    async def get_owned(
        self, card_id: UUID, owner: UUID, *, lock: bool = False
    ) -> ReviewCard | None:
        """One of ``owner``'s cards (held until the transaction ends with ``lock``)."""
        ...

    async def next_due(self, user_id: UUID, before: datetime) -> ReviewCard | None:
        """The card due soonest, if it is due before ``before``."""
        ...

    async def queue(
        self, user_id: UUID, before: datetime, since: datetime
    ) -> tuple[ReviewCard | None, int, int]:
        """In one statement: ``next_due(user_id, before)`` and ``counts(user_id, before,
        since)``."""
        ...

    async def zone(self, user_id: UUID) -> str:
        """The learner's IANA time zone; raises ``NotFound`` for an unknown user."""
        ...

    async def counts(
        self, user_id: UUID, due_before: datetime, since: datetime
    ) -> tuple[int, int]:
        """(cards due before ``due_before``, ratings since ``since``)."""
        ...

    async def record_review(
        self, card: ReviewCard, memory: Memory, rating: Rating, at: datetime
    ) -> None:
        """Store the card's new state, one more rep, and the rating in the log."""
        ...

    async def stats(
        self, user_id: UUID, due_before: datetime, week_since: datetime, month_since: datetime
    ) -> tuple[int, int, int, int, int]:
        """(cards, due before ``due_before``, ratings since ``week_since``, ratings since
        ``month_since``, of those not Again)."""
        ...
