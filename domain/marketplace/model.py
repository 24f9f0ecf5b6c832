"""Entities and value objects of the marketplace: experts, bookings, the policy, calendars."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
from enum import StrEnum
from uuid import UUID

CENT = Decimal("0.01")
DURATIONS = (30, 60, 90)  # minutes a learner can book
SEARCH_MINUTES = 60  # the session length a search's budget (max=) and its cards' prices are for
RATE_MAX = Decimal("10000")
# The hourly rate a session of each length is charged, as shares of the expert's (min, max):
# shorter sessions cost more per hour. ``rules.price_for`` applies it; the search's budget SQL
# is built from it (``price_terms``), so both say the same price.
HOURLY_SHARES = {
    30: (Decimal(0), Decimal(1)),
    60: (Decimal("0.5"), Decimal("0.5")),
    90: (Decimal(1), Decimal(0)),
}


def price_terms(minutes: int) -> tuple[Decimal, Decimal]:
    """(a, b): a session of ``minutes`` costs ``a * rate_min + b * rate_max``, before cents."""
    low, high = HOURLY_SHARES[minutes]
    hours = Decimal(minutes) / 60
    return low * hours, high * hours


class Verification(StrEnum):
    """Where an expert's profile stands. Only a VERIFIED expert is listed: found by search,
    shown on a card and bookable. An admin suspends a verified expert (SUSPENDED: unlisted,
    nothing else changes) and reinstates them (VERIFIED again)."""

    PENDING = "pending"
    VERIFIED = "verified"
    REJECTED = "rejected"
    SUSPENDED = "suspended"

    @property
    def listed(self) -> bool:
        return self is Verification.VERIFIED


# Fields of a verified expert's profile that an admin reviews again before the change is public
# (until then the approved values stay on the profile).
REVIEWED_FIELDS = ("credentials", "specialties")


@dataclass(frozen=True)
class ProfileChange:
    """A verified expert's change to a reviewed field, waiting for an admin (or rejected, with
    the admin's reason). ``credentials`` is the new text (None: removed) when ``field`` is
    credentials; ``specialties`` the new list when it is specialties."""

    field: str
    credentials: str | None = None
    specialties: tuple[Specialty, ...] = ()
    rejected_reason: str | None = None
    submitted_at: datetime | None = None

    @property
    def rejected(self) -> bool:
        return self.rejected_reason is not None


class Proficiency(StrEnum):
    BEGINNER = "beginner"
    INTERMEDIATE = "intermediate"
    ADVANCED = "advanced"
    EXPERT = "expert"


@dataclass(frozen=True)
class Specialty:
    subject: str
    proficiency: Proficiency


class BookingStatus(StrEnum):
    PENDING = "pending"  # requested by the learner, awaiting the expert (added to the seed's list)
    SCHEDULED = "scheduled"
    COMPLETED = "completed"
    CANCELLED = "cancelled"
    NO_SHOW = "no_show"


# Which bookings hold their expert's time (nobody else can book it, and the buffer around it):
# a booking in one of HOLDS_TIME does, except one in LAPSES whose ``expires_at`` has passed (an
# unanswered request stops holding time when it lapses, before the expiry job cancels it).
# The calendar's SQL is built from these two sets (db/repositories/calendar.py).
HOLDS_TIME = frozenset({BookingStatus.PENDING, BookingStatus.SCHEDULED})
LAPSES = frozenset({BookingStatus.PENDING})
# A learner's earlier booking with an expert in one of these makes the next one not a first
# lesson (``terms.trial_eligible``): anything but a called-off one (a declined, cancelled or
# lapsed request gave no lesson; a pending or scheduled one is already the trial or a paid
# lesson). The repositories' SQL binds this set.
EARLIER_LESSON = frozenset(BookingStatus) - {BookingStatus.CANCELLED}


class PaymentStatus(StrEnum):
    PENDING = "pending"
    PAID = "paid"
    REFUNDED = "refunded"


class CancelKind(StrEnum):
    """How a cancelled booking ended (``bookings.cancel_kind``)."""

    DECLINED = "declined"  # the expert said no to the request
    CANCELLED = "cancelled"  # either side called it off
    EXPIRED = "expired"  # nobody answered the request in time


class PaymentState(StrEnum):
    """What a booking's money stands at, as people are told it (``rules.payment_state``)."""

    DUE = "due"  # not paid yet, and the session is still to be paid for
    NOT_CHARGED = "not_charged"  # never paid, and called off: nothing is owed
    PAID = "paid"
    REFUND_OWED = "refund_owed"  # paid, then called off: the money goes back, not yet sent
    REFUNDED = "refunded"


class Role(StrEnum):
    """How the person acting relates to a booking."""

    LEARNER = "learner"
    EXPERT = "expert"
    ADMIN = "admin"
    OTHER = "other"


class Action(StrEnum):
    CONFIRM = "confirm"
    DECLINE = "decline"
    CANCEL = "cancel"
    RESCHEDULE = "reschedule"
    COMPLETE = "complete"
    NO_SHOW = "no_show"
    MARK_PAID = "mark_paid"
    MARK_REFUNDED = "mark_refunded"
    MESSAGE = "message"  # relay a message to the other side
    FEEDBACK = "feedback"
    EXPERT_NOTES = "expert_notes"
    EXPIRE = "expire"
    ACCEPT_MOVE = "accept_move"  # the other side's proposed new time
    DECLINE_MOVE = "decline_move"
    INVITE = "invite"  # the booking's calendar invite (.ics), on demand
    CONFIRM_HAPPENED = "confirm_happened"  # the learner: the session happened (``disputes``)
    REPORT_PROBLEM = "report_problem"  # either side, after it began
    ANSWER_DISPUTE = "answer_dispute"  # the other side's account of the problem
    RESOLVE_DISPUTE = "resolve_dispute"  # an admin decides where the money goes
    SHARE_PLAN = "share_plan"  # the learner shows the expert a plan (``plan_shares``)
    UNSHARE_PLAN = "unshare_plan"
    VIEW_PLAN = "view_plan"  # the expert reads the shared plan, until the session ends
    SEND_HOMEWORK = "send_homework"  # after it, into the shared plan (``homework``)
    ANSWER_HOMEWORK = "answer_homework"


class Decision(StrEnum):
    """An admin's decision on a disputed booking (``rules.settle`` says what each gets)."""

    REFUND = "refund"  # the learner gets the whole price back
    PAY = "pay"  # the expert is paid as if nothing had happened
    SPLIT = "split"  # half back to the learner, the rest paid (less commission)


@dataclass(frozen=True)
class DisputeMark:
    """A problem reported with a booking: by which side, whether the other side gave their
    account, and the admin's decision (None: still open)."""

    opened_by: Role
    answered: bool = False
    decision: Decision | None = None


@dataclass(frozen=True)
class Expert:
    id: UUID
    user_id: UUID
    display_name: str
    bio: str | None
    credentials: str | None
    rate_min: Decimal
    rate_max: Decimal
    currency: str
    timezone: str
    languages: tuple[str, ...]
    specialties: tuple[Specialty, ...]
    status: Verification
    meeting_link: str | None = None
    approval_date: datetime | None = None
    total_sessions: int = 0
    average_rating: Decimal = Decimal("0")
    rating_count: int = 0
    rejection_reason: str | None = None  # the admin's, while the profile is rejected
    changes: tuple[ProfileChange, ...] = ()  # waiting for review (loaded for the owner, admins)
    # The expert's own terms (``policies``): None is the operator's notice, no trial, no limit.
    cancel_notice: timedelta | None = None
    trial_price: Decimal | None = None
    reschedule_limit: int | None = None

    @property
    def changes_pending(self) -> tuple[ProfileChange, ...]:
        return tuple(c for c in self.changes if not c.rejected)


@dataclass(frozen=True)
class Review:
    rating: int
    review: str | None
    created_at: datetime


# The side of a booking whose account was deleted (/delete_me): the booking stays the other
# side's, with this id and name in place of the deleted person's, and nobody is told there.
DELETED_ACCOUNT = UUID(int=0)
DELETED_NAME = "a deleted account"


REF_LENGTH = 8


def booking_ref(booking_id: UUID, among: Iterable[UUID] = ()) -> str:
    """A booking's short reference people can type: the first 8 hex digits of its id, or as
    many more as tell it apart from the other bookings ``among`` those its viewer can see."""
    return booking_id.hex[: ref_length(booking_id, among)]


def ref_length(booking_id: UUID, among: Iterable[UUID] = ()) -> int:
    """How many hex digits of ``booking_id`` its reference needs (see ``booking_ref``)."""
    mine, length = booking_id.hex, REF_LENGTH
    for other in among:
        if other == booking_id:
            continue
        theirs = other.hex
        shared = next((i for i, (a, b) in enumerate(zip(mine, theirs, strict=True)) if a != b), 32)
        length = max(length, shared + 1)
    return length


@dataclass(frozen=True)
class Booking:
    id: UUID
    learner_id: UUID
    expert_id: UUID
    expert_user_id: UUID
    expert_name: str
    learner_name: str
    starts_at: datetime
    minutes: int
    status: BookingStatus
    payment_status: PaymentStatus
    price: Decimal
    currency: str
    meeting_link: str | None = None
    cancel_reason: str | None = None
    expires_at: datetime | None = None
    has_feedback: bool = False
    expert_timezone: str = "UTC"
    learner_timezone: str = "UTC"
    cancel_kind: CancelKind | None = None
    cancelled_at: datetime | None = None
    cancelled_by: UUID | None = None
    rating: int | None = None
    review: str | None = None
    expert_notes: str | None = None
    ref_length: int = REF_LENGTH  # set for its viewer (``booking_ref``)
    proposed_start: datetime | None = None  # a new time one side asks for (``moves``)
    proposed_by: UUID | None = None
    move_reason: str | None = None
    # The expert's terms when it was booked (``policies``; None notice: the operator's), how
    # often it has moved (a direct move or an accepted proposal), and whether it is a trial.
    cancel_notice: timedelta | None = None
    reschedule_limit: int | None = None  # None: unlimited
    reschedules: int = 0
    trial: bool = False
    series_id: UUID | None = None  # the weekly series it is an occurrence of (``series``)
    series_index: int | None = None  # which week of it, 1..series_weeks
    series_weeks: int | None = None
    invite_sequence: int | None = None  # the calendar invite's version (``invites``)
    invited_at: datetime | None = None  # when that version was made
    happened_at: datetime | None = None  # when the learner said the session happened
    dispute: DisputeMark | None = None  # a problem reported with it (``disputes``)
    paid_out: bool = False  # its ledger row was paid out to the expert
    shared_curriculum_id: UUID | None = None  # the learner's plan shown to the expert
    shared_plan_title: str | None = None
    shareable_plans: int = 0  # the learner's plans that could be shared (``SHAREABLE``)
    homework_id: UUID | None = None  # the homework the expert sent after it (one at most)
    homework_answer: bool | None = None  # the learner accepted it (False: declined; None: not yet)

    @property
    def ends_at(self) -> datetime:
        return self.starts_at + timedelta(minutes=self.minutes)

    @property
    def ref(self) -> str:
        return self.id.hex[: self.ref_length]

    def zone_of(self, user_id: UUID, default: str) -> str:
        """The zone ``user_id`` sees this booking in: an expert's is their profile's, the
        learner's their own; anyone else's is ``default``."""
        if user_id == self.expert_user_id:
            return self.expert_timezone
        if user_id == self.learner_id:
            return self.learner_timezone
        return default

    def holds_time(self, now: datetime) -> bool:
        """Whether the booking holds its time at ``now`` (see ``HOLDS_TIME``)."""
        if self.status not in HOLDS_TIME:
            return False
        lapsed = self.expires_at is not None and self.expires_at <= now
        return not (self.status in LAPSES and lapsed)

    def role_of(self, user_id: UUID, *, is_admin: bool = False) -> Role:
        if user_id == self.expert_user_id:
            return Role.EXPERT
        if user_id == self.learner_id:
            return Role.LEARNER
        return Role.ADMIN if is_admin else Role.OTHER


@dataclass(frozen=True)
class SearchFilters:
    subject: str
    max_rate: Decimal | None = None
    language: str | None = None
    proficiency: Proficiency | None = None
    free_within_days: int | None = None
    known_as: tuple[str, ...] = ()  # other names of the subject (the catalogue's), also matched


@dataclass(frozen=True)
class ExpertProfile:
    """What a learner sees on a profile card."""

    expert: Expert
    reviews: tuple[Review, ...] = field(default=())
    next_slots: tuple[datetime, ...] = field(default=())


ISO_639_1 = frozenset(
    "aa ab ae af ak am an ar as av ay az ba be bg bh bi bm bn bo br bs ca ce ch co cr cs cu cv "
    "cy da de dv dz ee el en eo es et eu fa ff fi fj fo fr fy ga gd gl gn gu gv ha he hi ho hr "
    "ht hu hy hz ia id ie ig ii ik io is it iu ja jv ka kg ki kj kk kl km kn ko kr ks ku kv kw "
    "ky la lb lg li ln lo lt lu lv mg mh mi mk ml mn mr ms mt my na nb nd ne ng nl nn no nr nv "
    "ny oc oj om or os pa pi pl ps pt qu rm rn ro ru rw sa sc sd se sg si sk sl sm sn so sq sr "
    "ss st su sv sw ta te tg th ti tk tl tn to tr ts tt tw ty ug uk ur uz ve vi vo wa wo xh yi "
    "yo za zh zu".split()
)


@dataclass(frozen=True)
class Policy:
    """The marketplace's configurable numbers (from settings; defaults as the product ships)."""

    currency: str = "EUR"
    commission_rate: Decimal = Decimal("0.15")
    min_notice: timedelta = timedelta(hours=12)
    horizon: timedelta = timedelta(days=30)
    buffer: timedelta = timedelta(minutes=15)
    grid: timedelta = timedelta(minutes=30)
    free_cancellation_notice: timedelta = timedelta(hours=12)
    # The range an expert's own free-cancellation window may take (``policies``).
    min_cancellation_notice: timedelta = timedelta(hours=2)
    max_cancellation_notice: timedelta = timedelta(hours=72)
    pending_expiry: timedelta = timedelta(hours=48)
    message_window: timedelta = timedelta(days=14)  # after the end (or cancellation)
    admins: frozenset[tuple[str, str]] = frozenset()  # (platform, external id)
    # When the expert is nudged about a request still unanswered, after it was made (real
    # time, so DST never moves them); a nudge not before the request lapses is not planned.
    nudges: tuple[timedelta, ...] = (timedelta(hours=12), timedelta(hours=36))
    # How far ahead a weekly series' later occurrences may lie (its first obeys ``horizon``).
    series_horizon: timedelta = timedelta(weeks=13)
    # After a session: its earnings become payable this long after its end unless the learner
    # said yes sooner or a problem was reported; problems are reported until ``dispute_window``.
    payable_after: timedelta = timedelta(hours=72)
    dispute_window: timedelta = timedelta(days=7)


@dataclass(frozen=True)
class ExpertDraft:
    """A new expert profile as the onboarding wizard collected it (already validated)."""

    display_name: str
    bio: str | None
    credentials: str | None
    rate_min: Decimal
    rate_max: Decimal
    timezone: str
    languages: tuple[str, ...]
    specialties: tuple[Specialty, ...]


@dataclass(frozen=True)
class BookingMessage:
    """A message relayed between a booking's two sides."""

    id: UUID
    booking_id: UUID
    sender_id: UUID
    body: str
    created_at: datetime


@dataclass(frozen=True)
class Calendar:
    """What the slot rules need to know about one expert around a time window."""

    weekly_rows: list[tuple[int, list[list[str]]]]  # seed rows: (day_of_week, [[start, end]])
    time_off: list[tuple[date, date]]
    busy: list[tuple[datetime, datetime]]  # held by pending and scheduled bookings


@dataclass(frozen=True)
class Bookable:
    """What booking an expert needs, read under their lock (``lock_for_booking``)."""

    expert: Expert
    weekly_rows: list[tuple[int, list[list[str]]]]  # as in Calendar
    time_off: list[tuple[date, date]]
    learner_name: str
    learner_timezone: str
    booked_before: bool = False  # an earlier lesson with the expert (``terms.EARLIER_LESSON``)


@dataclass(frozen=True)
class WaitlistEntry:
    """A learner waiting for a time to free up with an expert on the expert's local dates
    ``starts_on..ends_on`` (usually one date: the learner's day as the expert lives it), for a
    session of ``minutes``. Told once (then removed), or gone when those dates have passed."""

    id: UUID
    user_id: UUID
    expert_id: UUID
    starts_on: date
    ends_on: date
    minutes: int
    expires_at: datetime
