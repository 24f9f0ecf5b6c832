"""What the after-session services take and give back (``domain.marketplace.disputes``): a
problem reported with a booking, and the commands of its life."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from uuid import UUID

from domain.marketplace.model import Booking, Decision, Role


class ProblemKind(StrEnum):
    """What went wrong, as the side reporting it says."""

    EXPERT_ABSENT = "expert_absent"  # the learner: the expert did not come
    CUT_SHORT = "cut_short"  # the session was cut short
    OTHER = "other"
    NO_SHOW_DISPUTED = "no_show_disputed"  # the learner: "I was there" about a marked no-show


# The kinds each side may choose from (a learner disputing a marked no-show has one).
KINDS_OF = {
    Role.LEARNER: (ProblemKind.EXPERT_ABSENT, ProblemKind.CUT_SHORT, ProblemKind.OTHER),
    Role.EXPERT: (ProblemKind.CUT_SHORT, ProblemKind.OTHER),
}


@dataclass(frozen=True)
class Dispute:
    """A problem reported with a booking, the other side's account, the admin's decision."""

    booking_id: UUID
    opened_by: Role
    kind: ProblemKind
    details: str | None
    opened_at: datetime
    answer: str | None = None
    answered_at: datetime | None = None
    decision: Decision | None = None
    decided_at: datetime | None = None


@dataclass(frozen=True)
class Disputed:
    """A dispute with its booking, as a side or an admin sees it."""

    dispute: Dispute
    booking: Booking


@dataclass(frozen=True)
class ConfirmHappened:
    """The learner's "Yes": the session happened (its earnings are payable now)."""

    user_id: UUID
    booking_id: UUID


@dataclass(frozen=True)
class ReportProblem:
    """Either side reports a problem with a session (``kind``; the words are optional)."""

    user_id: UUID
    booking_id: UUID
    kind: ProblemKind
    details: str | None = None


@dataclass(frozen=True)
class AnswerDispute:
    """The other side's account of a reported problem."""

    user_id: UUID
    booking_id: UUID
    text: str


@dataclass(frozen=True)
class ResolveDispute:
    """An admin's decision (``user_id`` None: the command line, an operator)."""

    user_id: UUID | None
    booking_id: UUID
    decision: Decision
