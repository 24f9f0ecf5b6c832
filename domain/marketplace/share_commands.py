"""Commands of a plan shared with a booking's expert and of homework (``plan_shares``,
``homework``)."""

from __future__ import annotations

from dataclasses import dataclass
from uuid import UUID


@dataclass(frozen=True)
class SharePlan:
    """Share the learner's plan ``plan`` (its id, or the first hex digits of it that a button
    carries) with the booking's expert; None stops sharing."""

    user_id: UUID
    booking_id: UUID
    plan: str | None


@dataclass(frozen=True)
class ViewSharedPlan:
    user_id: UUID
    booking_id: UUID
    page: int | None = None  # None: the page of the plan's next session


@dataclass(frozen=True)
class SendHomework:
    user_id: UUID
    booking_id: UUID
    title: str
    objectives: str | None = None  # one per line (or separated by ";")


@dataclass(frozen=True)
class AnswerHomework:
    user_id: UUID
    homework_id: UUID
    accept: bool


@dataclass(frozen=True)
class ChooseShare:
    """The booking walk's share step: the plan at ``index`` of those it offered, or None."""

    user_id: UUID
    token: str
    index: int | None
