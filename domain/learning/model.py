"""Entities and value objects of the learner core: frozen dataclasses, no framework types."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time
from enum import StrEnum
from uuid import UUID

from domain.habits.model import HabitNews, HabitStanding, StudyHistory


class SkillLevel(StrEnum):
    BEGINNER = "beginner"
    INTERMEDIATE = "intermediate"
    ADVANCED = "advanced"


class CurriculumStatus(StrEnum):
    ACTIVE = "active"
    COMPLETED = "completed"
    PAUSED = "paused"
    ARCHIVED = "archived"


@dataclass(frozen=True)
class Resource:
    """One study resource; ``kind`` is e.g. "reading", "video", "exercise", "project", "tool"."""

    title: str
    kind: str
    url: str | None = None

    def as_json(self) -> dict[str, str]:
        data = {"title": self.title, "kind": self.kind}
        if self.url:
            data["url"] = self.url
        return data


@dataclass(frozen=True)
class CurriculumSpec:
    """What the learner asked for; already validated (see ``domain.learning.parsing``)."""

    subject: str
    total_sessions: int
    session_minutes: int
    level: SkillLevel
    goals: str | None = None
    background: str | None = None
    topics: tuple[str, ...] = ()  # the learner's own syllabus, for a subject we do not know

    @property
    def title(self) -> str:
        return f"{self.subject} ({self.level.value})"


@dataclass(frozen=True)
class PlannedSession:
    """One numbered session as the planner designs it."""

    number: int
    title: str
    objectives: tuple[str, ...]
    materials: str
    resources: tuple[Resource, ...] = field(default=())


class PlannedBy(StrEnum):
    """Which planner made a plan."""

    OFFLINE = "offline"  # the catalogue or template planner, in process
    MODEL = "model"  # a language model (an optional adapter outside the domain)


@dataclass(frozen=True)
class Plan:
    """A planner's answer: the sessions, who made them, and, when a language model was asked
    but the offline planner answered instead, why (``fallback``, e.g. "timeout")."""

    sessions: tuple[PlannedSession, ...]
    by: PlannedBy = PlannedBy.OFFLINE
    fallback: str | None = None


@dataclass(frozen=True)
class StudySession:
    """A planned session as stored, with its completion."""

    id: UUID
    number: int
    title: str
    objectives: tuple[str, ...]
    materials: str
    resources: tuple[Resource, ...]
    completed_at: datetime | None = None


@dataclass(frozen=True)
class Progress:
    """A learner's progress in one curriculum (the ``user_progress`` row)."""

    sessions_completed: int = 0
    total_time_spent: int = 0
    current_streak: int = 0
    last_session_date: datetime | None = None
    last_local_date: date | None = None


@dataclass(frozen=True)
class StudySchedule:
    """When the learner means to study a curriculum: local ``weekdays`` (0 = Monday) at ``at``,
    counted from local day ``starts_on``; ``baseline`` sessions were done before it was set."""

    weekdays: tuple[int, ...]
    at: time
    starts_on: date
    baseline: int


@dataclass(frozen=True)
class ScheduleStanding:
    """Where a learner stands against their schedule (see ``domain.learning.schedule``)."""

    behind: int  # sessions the schedule expected before today that are not done
    ahead: int  # sessions done beyond what it expects by the end of today
    dates: tuple[date, ...]  # the target date of each remaining session, in order


@dataclass(frozen=True)
class CurriculumOverview:
    """A curriculum with its progress: what ``/plans`` and ``/progress`` show."""

    id: UUID
    title: str
    subject: str
    level: SkillLevel
    status: CurriculumStatus
    total_sessions: int
    session_minutes: int
    progress: Progress
    created_at: datetime
    next_session: StudySession | None = None
    schedule: StudySchedule | None = None

    @property
    def percent_done(self) -> int:
        return round(100 * self.progress.sessions_completed / self.total_sessions)


@dataclass(frozen=True)
class CurriculumCreated:
    """What ``create_curriculum`` did: the new curriculum, and how its plan was made."""

    overview: CurriculumOverview
    planned_by: PlannedBy
    fallback: str | None = None


@dataclass(frozen=True)
class Note:
    id: UUID
    content: str
    session_number: int
    session_title: str
    curriculum_title: str
    created_at: datetime


@dataclass(frozen=True)
class CompletionContext:
    """Everything ``/done`` needs, read in one query."""

    timezone: str
    curriculum_id: UUID
    curriculum_title: str
    status: CurriculumStatus
    total_sessions: int
    session_minutes: int
    progress: Progress
    next_session_id: UUID | None
    next_session_number: int | None
    next_session_title: str | None
    history: StudyHistory = StudyHistory()  # the streaks' inputs, read with it


@dataclass(frozen=True)
class Completion:
    """A completed session to record, decided by the domain, written in one statement."""

    user_id: UUID
    curriculum_id: UUID
    session_id: UUID
    at: datetime
    local_day: date
    minutes: int
    streak: int
    note: str | None
    previous: Progress  # as read: the write lands only if the progress is still this
    completes_curriculum: bool
    session_number: int | None = None  # as read: the write lands only if it is still this


@dataclass(frozen=True)
class LastCompletion:
    """The most recent completed session of a learner, as ``/undo`` and ``/note`` need it."""

    session_id: UUID
    session_number: int
    session_title: str
    curriculum_id: UUID
    curriculum_title: str
    completed_at: datetime
    minutes_spent: int


@dataclass(frozen=True)
class SessionLogged:
    curriculum_title: str
    session_number: int
    session_title: str
    minutes: int
    sessions_completed: int
    total_sessions: int
    streak: int
    curriculum_completed: bool
    note_saved: bool
    session_id: UUID | None = None  # for the how-did-it-go tap
    curriculum_id: UUID | None = None
    now_current: CurriculumOverview | None = None  # the plan current once this one is finished
    habits: HabitNews = HabitNews()  # freezes used since the last session, a vacation ended


@dataclass(frozen=True)
class SessionUndone:
    curriculum_title: str
    session_number: int
    session_title: str
    minutes: int
    streak: int


@dataclass(frozen=True)
class PlanPage:
    curriculum: CurriculumOverview
    sessions: list[StudySession]
    page: int
    pages: int
    became_current: bool = False  # opening it made it the current plan


@dataclass(frozen=True)
class PlanChoice:
    """A plan to switch to, with its number in ``/plans``."""

    number: int
    curriculum: CurriculumOverview


@dataclass(frozen=True)
class StatusChanged:
    """A plan paused, resumed or archived, and the plan current after it (when that changed)."""

    curriculum: CurriculumOverview
    now_current: CurriculumOverview | None = None


@dataclass(frozen=True)
class CurriculumProgress:
    curriculum: CurriculumOverview
    streak: int
    at_risk: bool
    schedule: ScheduleStanding | None = None


@dataclass(frozen=True)
class ProgressReport:
    """``/progress``: every non-archived curriculum, streaks as they stand in ``timezone``."""

    timezone: str
    curricula: list[CurriculumProgress]
    daily_streak: int = 0  # days in a row with a session in any plan
    daily_at_risk: bool = False
    habits: HabitStanding = HabitStanding()  # freezes, vacation, the week against the goal


@dataclass(frozen=True)
class StudyTally:
    """What a learner did in one plan on one local day: for ``/chart``."""

    day: date  # the local date stored with each completion
    curriculum_id: UUID
    minutes: int
    sessions: int


@dataclass(frozen=True)
class PlanList:
    """``/plans``: every curriculum with its own streak, the current one, the daily streak."""

    curricula: list[CurriculumProgress]
    current_id: UUID | None
    daily_streak: int


@dataclass(frozen=True)
class RecentNotes:
    """``/notes``: the latest notes, newest first, to be shown in ``timezone``."""

    timezone: str
    notes: list[Note]


@dataclass(frozen=True)
class ScheduledSession:
    number: int
    title: str
    day: date  # its target date, local


@dataclass(frozen=True)
class ScheduleView:
    """The current curriculum's schedule with each remaining session's target date."""

    curriculum_id: UUID
    curriculum_title: str
    timezone: str
    session_minutes: int
    schedule: StudySchedule | None
    standing: ScheduleStanding | None
    sessions: tuple[ScheduledSession, ...]


class Feeling(StrEnum):
    """How a finished session went, tapped after ``/done``."""

    EASY = "easy"
    FINE = "fine"
    HARD = "hard"


class PlanAction(StrEnum):
    """The edits ``/plan edit`` offers; each touches open (not completed) sessions only."""

    RENAME = "rename"
    MOVE = "move"
    INSERT = "insert"
    DELETE = "delete"
    MERGE = "merge"
    SPLIT = "split"


@dataclass(frozen=True)
class SessionDraft:
    """An open session as an edit leaves it: ``id`` None for a new one (numbers come from its
    place in the list)."""

    id: UUID | None
    title: str
    objectives: tuple[str, ...]
    materials: str
    resources: tuple[Resource, ...] = ()


@dataclass(frozen=True)
class PlanEdited:
    """One ``/plan edit`` done: ``number`` and ``title`` of the session it leaves in focus."""

    curriculum_title: str
    action: PlanAction
    number: int
    title: str
    total_sessions: int
    other: str | None = None  # the title that was merged in or deleted


@dataclass(frozen=True)
class Replanned:
    curriculum_title: str
    kept: int  # completed sessions, unchanged
    total_sessions: int
    next_session: StudySession | None


@dataclass(frozen=True)
class SessionRated:
    """The how-did-it-go tap: for a hard session, the review put in before ``before``."""

    feeling: Feeling
    session_number: int
    session_title: str
    review_number: int | None = None
    before: str | None = None  # the checkpoint (or next session) the review comes before
    already: bool = False  # the review was already in the plan


@dataclass(frozen=True)
class PlainLog:
    """A session told in plain words ("studied 40 min of verbs"): see ``plain_log``."""

    minutes: int
    note: str | None = None


@dataclass(frozen=True)
class FocusTimer:
    """A /focus timer on one session, with what its messages show."""

    id: UUID
    curriculum_id: UUID
    session_id: UUID
    minutes: int
    started_at: datetime
    ends_at: datetime
    stopped_at: datetime | None
    logged_at: datetime | None
    curriculum_title: str
    session_number: int
    session_title: str
    session_done: bool  # the session was completed since (by /done, another timer)

    def running(self, now: datetime) -> bool:
        return self.stopped_at is None and now < self.ends_at

    @property
    def focused(self) -> int:
        """Whole minutes focused: all of them, or until Stop."""
        end = self.ends_at if self.stopped_at is None else min(self.stopped_at, self.ends_at)
        return int((end - self.started_at).total_seconds() // 60)


@dataclass(frozen=True)
class FocusStarted:
    """``/focus``: the timer started, or (``already``) the one already running."""

    timer: FocusTimer
    already: bool = False


@dataclass(frozen=True)
class PlanChoiceToLog:
    """A plan a plain-message log may go to: its next session."""

    curriculum_id: UUID
    curriculum_title: str
    session_id: UUID
    session_number: int
    session_title: str


@dataclass(frozen=True)
class LogProposal:
    """A plain message understood as a session: what one tap would log, on which plans
    (``named``: the plans the message names, else all of ``plans``), kept under ``token``."""

    minutes: int
    note: str | None
    plans: tuple[PlanChoiceToLog, ...]
    named: tuple[int, ...]
    token: str
