"""Entities and value objects of the marketplace: experts, bookings, the policy, calendars."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
from enum import StrEnum
from uuid import UUID

CENT = Decimal("0.01")
DURATIONS = (30, 60, 90)  # minutes a learner can book
RATE_MAX = Decimal("10000")


class Verification(StrEnum):
    PENDING = "pending"
    VERIFIED = "verified"
    REJECTED = "rejected"


class Proficiency(StrEnum):
    BEGINNER = "beginner"
    INTERMEDIATE = "intermediate"
    ADVANCED = "advanced"
    EXPERT = "expert"


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


class PaymentStatus(StrEnum):
    PENDING = "pending"
    PAID = "paid"
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
    FEEDBACK = "feedback"
    EXPERT_NOTES = "expert_notes"
    EXPIRE = "expire"


@dataclass(frozen=True)
class Specialty:
    subject: str
    proficiency: Proficiency


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


@dataclass(frozen=True)
class Review:
    rating: int
    review: str | None
    created_at: datetime


# The side of a booking whose account was deleted (/delete_me): the booking stays the other
# side's, with this id and name in place of the deleted person's, and nobody is told there.
DELETED_ACCOUNT = UUID(int=0)
DELETED_NAME = "a deleted account"


def booking_ref(booking_id: UUID) -> str:
    """A booking's short reference people can type: the first 8 hex digits of its id."""
    return booking_id.hex[:8]


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

    @property
    def ends_at(self) -> datetime:
        return self.starts_at + timedelta(minutes=self.minutes)

    @property
    def ref(self) -> str:
        return booking_ref(self.id)

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
    pending_expiry: timedelta = timedelta(hours=48)
    admins: frozenset[tuple[str, str]] = frozenset()  # (platform, external id)


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
class Earning:
    month: str  # "2026-11", in the expert's zone
    currency: str
    sessions: int
    gross: Decimal
    commission: Decimal
    earnings: Decimal
    paid: Decimal
    pending: Decimal


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
