"""What the marketplace's services are asked to do (commands) and what they answer (results).

A command is one thing a person does: a press or a message. Its service runs it in one unit of
work and, where it writes, one transaction.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from uuid import UUID

from domain.marketplace.model import Action, Booking, BookingMessage, Expert, ExpertDraft, Role

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
    trial: bool = False  # the expert's first-lesson trial (re-checked under their lock)
    series: tuple[UUID, int] | None = None  # an occurrence of a series: its id and week


@dataclass(frozen=True)
class ActOnBooking:
    """Confirm, decline, cancel, complete, mark no-show or mark paid, as ``user_id``."""

    user_id: UUID
    booking_id: UUID
    action: Action
    reason: str | None = None


@dataclass(frozen=True)
class RescheduleBooking:
    """Move a booking (or, an expert moving a scheduled one, propose it, with a ``reason``)."""

    user_id: UUID
    booking_id: UUID
    starts_at: datetime
    reason: str | None = None


@dataclass(frozen=True)
class AnswerMove:
    """Accept (or decline) the new time the other side proposed, ``proposed_start``."""

    user_id: UUID
    booking_id: UUID
    proposed_start: datetime
    accept: bool


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


@dataclass(frozen=True)
class SendMessage:
    """A message to the booking's other side, relayed by the bot."""

    user_id: UUID
    booking_id: UUID
    text: str


@dataclass(frozen=True)
class Relayed:
    """A relayed message as its recipient sees it: the booking (for them) and who wrote."""

    message: BookingMessage
    booking: Booking
    sender_role: Role


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
    trial: bool = False  # the trial lesson (``terms.trial_eligible``)


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
class GiveReason:
    """The reason typed at the walk's reason step (an expert proposing a new time)."""

    user_id: UUID
    token: str
    text: str


@dataclass(frozen=True)
class Moving:
    """What every screen of a reschedule says: which booking, its time now, and whether the
    move is only proposed to the other side (``proposes``)."""

    ref: str
    starts_at: datetime
    proposes: bool = False


@dataclass(frozen=True)
class LengthAsked:
    token: str
    durations: tuple[int, ...]
    prices: tuple[Decimal, ...]  # what the learner would pay for each of ``durations``
    currency: str
    trial_price: Decimal | None = None  # a 30-minute trial lesson, when this is a first one


@dataclass(frozen=True)
class DaysOffered:
    token: str
    zone: str  # the learner's: days and times are shown in it
    days: tuple[date, ...]  # local dates with a free slot, soonest first (the whole horizon)
    note: str = ""
    back: bool = False  # a step to go back to
    moving: Moving | None = None
    full: tuple[date, ...] = ()  # local dates whose times bookings hold (the waitlist's)


@dataclass(frozen=True)
class TimesOffered:
    token: str
    zone: str
    times: tuple[datetime, ...]  # every free time of the day
    note: str = ""
    back: bool = False
    moving: Moving | None = None


@dataclass(frozen=True)
class ReasonAsked:
    """An expert proposing a new time: why (the learner will read it)."""

    token: str
    zone: str
    starts_at: datetime
    other_name: str
    moving: Moving
    note: str = ""


@dataclass(frozen=True)
class QuoteShown:
    """The confirmation question: what will be booked (or moved), its price and the policy."""

    token: str
    zone: str
    other_name: str  # the other side of the booking: never the viewer
    minutes: int
    starts_at: datetime
    price: Decimal
    currency: str
    free_until: datetime  # free cancellation (and moving) ends then
    moving: Moving | None = None
    reason: str | None = None
    note: str = ""
    trial: bool = False  # a trial lesson
    notice: timedelta | None = None  # the free-cancellation window (None: the operator's)
    reschedule_limit: int | None = None  # moves allowed (None: unlimited)


@dataclass(frozen=True)
class WalkDone:
    booking: Booking
    zone: str
    moving: Moving | None


@dataclass(frozen=True)
class WalkEnded:
    """The walk stopped without a booking (nothing left to offer)."""

    note: str


@dataclass(frozen=True)
class StartAtSlot:
    """📅 A free time offered in a notice (a lapsed request, a freed waitlist day): the walk
    at its confirmation, as if the length, day and time had been chosen."""

    user_id: UUID
    expert_id: UUID
    minutes: int
    starts_at: datetime


@dataclass(frozen=True)
class JoinWaitlist:
    """🔔 Tell me if a slot frees up, on the full day the walk is at."""

    user_id: UUID
    token: str


@dataclass(frozen=True)
class DayFull:
    """A day whose times bookings hold: the learner may wait for a time to free up."""

    token: str
    zone: str
    day: date  # the learner's local date
    other_name: str
    back: bool = True


@dataclass(frozen=True)
class WaitlistJoined:
    entry_id: UUID
    day: date  # the learner's local date
    other_name: str


@dataclass(frozen=True)
class ShareAsked:
    """The walk's question before its quote: share one of the learner's active plans (id hex,
    title) with ``other_name`` (``plan_shares``)?"""

    token: str
    other_name: str
    plans: tuple[tuple[str, str], ...]


WalkResult = (
    LengthAsked
    | DaysOffered
    | TimesOffered
    | ReasonAsked
    | ShareAsked
    | QuoteShown
    | WalkDone
    | WalkEnded
    | DayFull
    | WaitlistJoined
)


@dataclass(frozen=True)
class SetPolicy:
    """Change one of an expert's own terms (``policies.FIELDS``) to what ``text`` says;
    ``expert_id`` (a button's) must be the asker's own profile, None is the asker's own."""

    user_id: UUID
    field: str
    text: str
    expert_id: UUID | None = None
