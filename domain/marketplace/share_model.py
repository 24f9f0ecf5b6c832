"""Value objects of a plan shared with a booking's expert, and of the homework they send.

The rules (who may share, view, send and answer, and until when) are the state machine's
(``rules``: ``Action.SHARE_PLAN`` ... ``Action.ANSWER_HOMEWORK``); the services are
``plan_shares`` and ``homework``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING
from uuid import UUID

from domain.learning.model import CurriculumOverview, CurriculumStatus, Note, PlanPage

if TYPE_CHECKING:
    from domain.marketplace.model import Booking


# The learner's plans that can be shared with an expert (the repositories' SQL binds it, to
# count them on each booking: ``Booking.shareable_plans``).
SHAREABLE = frozenset({CurriculumStatus.ACTIVE})


@dataclass(frozen=True)
class Homework:
    """A session a booking's expert proposes for the learner's shared plan, after the
    session: accepted (inserted into the plan) or declined once."""

    id: UUID
    booking_id: UUID
    curriculum_id: UUID | None  # None: the plan was deleted since
    title: str
    description: str | None
    proposed_position: int  # the session number it was proposed as
    created_at: datetime
    answered_at: datetime | None = None
    accepted: bool | None = None


@dataclass(frozen=True)
class SharedPlan:
    """What the booked expert sees of the learner's shared plan: one page of its sessions,
    its progress, the plan's own streak and the learner's daily one, and the plan's latest
    notes. Read-only."""

    booking: Booking
    page: PlanPage
    streak: int
    daily_streak: int
    notes: tuple[Note, ...]
    timezone: str  # the expert's, for the times shown

    @property
    def curriculum(self) -> CurriculumOverview:
        return self.page.curriculum


@dataclass(frozen=True)
class HomeworkSent:
    homework: Homework
    booking: Booking
    plan_title: str


@dataclass(frozen=True)
class HomeworkAnswered:
    """The learner's answer; an accepted homework is session ``session_number`` of the plan."""

    homework: Homework
    booking: Booking
    plan_title: str
    accepted: bool
    session_number: int | None = None
