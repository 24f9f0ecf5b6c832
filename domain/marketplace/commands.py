"""What the marketplace's services are asked to do (commands) and what they answer (results).

A command is one thing a person does: a press or a message. Its service runs it in one unit of
work and, where it writes, one transaction.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from uuid import UUID

from domain.marketplace.model import Action, Booking, Expert, ExpertDraft

# -- experts --------------------------------------------------------------------------------


@dataclass(frozen=True)
class BecomeExpert:
    user_id: UUID
    draft: ExpertDraft


@dataclass(frozen=True)
class EditProfile:
    user_id: UUID
    field: str  # name, bio, credentials, rate, timezone, languages, specialties, link
    text: str


@dataclass(frozen=True)
class VerifyExpert:
    """Approve or reject what an expert submitted (a rejection needs the admin's reason)."""

    actor: UUID | None  # None: an operator on the command line
    expert_id: UUID
    approve: bool
    reason: str | None = None


@dataclass(frozen=True)
class Reviewed:
    """What a review did: ``expert`` as it is now; ``changes`` the fields of a verified
    expert's change that were approved or rejected (empty: the profile itself was)."""

    expert: Expert
    approved: bool
    changes: tuple[str, ...] = ()


@dataclass(frozen=True)
class SuspendExpert:
    actor: UUID | None  # None: an operator on the command line
    expert_id: UUID


@dataclass(frozen=True)
class ReinstateExpert:
    actor: UUID | None
    expert_id: UUID


@dataclass(frozen=True)
class RemoveTimeOff:
    user_id: UUID
    text: str  # "2026-12-05" or "2026-12-24..2026-12-31", as /timeoff lists it


@dataclass(frozen=True)
class SetAvailability:
    user_id: UUID
    text: str  # "mon 09:00-12:00; wed 18:00-21:00"


@dataclass(frozen=True)
class AddTimeOff:
    user_id: UUID
    text: str  # "2026-12-24..2026-12-31"


@dataclass(frozen=True)
class HoursReplaced:
    """What ``/availability`` did: the weekly hours before and after (canonical text, "" for
    none)."""

    before: str
    after: str


# -- bookings -------------------------------------------------------------------------------


@dataclass(frozen=True)
class BookSlot:
    """Request ``minutes`` with an expert from ``starts_at``. ``price`` is the quote the learner
    confirmed: the booking is stored at exactly that price, or refused if it is no longer the
    expert's (None: at the expert's current price)."""

    learner_id: UUID
    expert_id: UUID
    starts_at: datetime
    minutes: int
    price: Decimal | None = None


@dataclass(frozen=True)
class ActOnBooking:
    """Confirm, decline, cancel, complete, mark no-show or mark paid, as ``user_id``."""

    user_id: UUID
    booking_id: UUID
    action: Action
    reason: str | None = None


@dataclass(frozen=True)
class RescheduleBooking:
    user_id: UUID
    booking_id: UUID
    starts_at: datetime


@dataclass(frozen=True)
class RateSession:
    user_id: UUID
    booking_id: UUID
    rating: int  # 1-5 stars
    review: str | None = None


@dataclass(frozen=True)
class ReviewSession:
    """The written review after the stars."""

    user_id: UUID
    booking_id: UUID
    text: str


@dataclass(frozen=True)
class AnnotateSession:
    """The expert's notes on a finished session."""

    user_id: UUID
    booking_id: UUID
    text: str


@dataclass(frozen=True)
class AskReason:
    """A decline or cancellation press: the question for its reason comes next."""

    user_id: UUID
    booking_id: UUID
    action: Action  # DECLINE or CANCEL


# -- the booking walk: Book -> length -> day -> time -> confirm ------------------------------


@dataclass(frozen=True)
class StartBooking:
    """📅 Book on an expert's card."""

    user_id: UUID
    expert_id: UUID


@dataclass(frozen=True)
class StartRescheduling:
    """🗓 Reschedule under a booking: the walk from the day on, for the same length."""

    user_id: UUID
    booking_id: UUID


@dataclass(frozen=True)
class ChooseLength:
    user_id: UUID
    token: str  # the step's, carried by its buttons
    minutes: int


@dataclass(frozen=True)
class ChooseDay:
    user_id: UUID
    token: str
    day: date  # in the learner's zone


@dataclass(frozen=True)
class ChooseTime:
    user_id: UUID
    token: str
    index: int  # of the times offered


@dataclass(frozen=True)
class SubmitWalk:
    """✅ Confirm: book the chosen slot at the quoted price (or move the booking there)."""

    user_id: UUID
    token: str


@dataclass(frozen=True)
class LengthAsked:
    token: str
    durations: tuple[int, ...]


@dataclass(frozen=True)
class DaysOffered:
    token: str
    zone: str  # the learner's: days and times are shown in it
    days: tuple[date, ...]  # local dates with a free slot, soonest first
    note: str = ""


@dataclass(frozen=True)
class TimesOffered:
    token: str
    zone: str
    times: tuple[datetime, ...]
    note: str = ""


@dataclass(frozen=True)
class QuoteShown:
    """The confirmation question: what will be booked (or moved) and, for a booking, its price."""

    token: str
    zone: str
    expert_name: str
    minutes: int
    starts_at: datetime
    price: Decimal
    currency: str
    moving: bool
    note: str = ""


@dataclass(frozen=True)
class WalkDone:
    booking: Booking
    zone: str
    moved: bool


@dataclass(frozen=True)
class WalkEnded:
    """The walk stopped without a booking (nothing left to offer)."""

    note: str


WalkResult = LengthAsked | DaysOffered | TimesOffered | QuoteShown | WalkDone | WalkEnded
