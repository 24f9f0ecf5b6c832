"""The expert marketplace's rules: who experts are, what a booking may become, what it costs.

Pure: no I/O. Services in ``domain/experts.py`` and ``domain/bookings.py`` apply these.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from enum import StrEnum
from uuid import UUID

from domain.errors import InvalidInput, NotAllowed

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


# The one state machine: (action) -> (states it may start from, state it leads to or None).
TRANSITIONS: dict[Action, tuple[frozenset[BookingStatus], BookingStatus | None]] = {
    Action.CONFIRM: (frozenset({BookingStatus.PENDING}), BookingStatus.SCHEDULED),
    Action.DECLINE: (frozenset({BookingStatus.PENDING}), BookingStatus.CANCELLED),
    Action.EXPIRE: (frozenset({BookingStatus.PENDING}), BookingStatus.CANCELLED),
    Action.CANCEL: (
        frozenset({BookingStatus.PENDING, BookingStatus.SCHEDULED}),
        BookingStatus.CANCELLED,
    ),
    Action.RESCHEDULE: (frozenset({BookingStatus.PENDING, BookingStatus.SCHEDULED}), None),
    Action.COMPLETE: (frozenset({BookingStatus.SCHEDULED}), BookingStatus.COMPLETED),
    Action.NO_SHOW: (frozenset({BookingStatus.SCHEDULED}), BookingStatus.NO_SHOW),
    Action.MARK_PAID: (
        frozenset({BookingStatus.PENDING, BookingStatus.SCHEDULED, BookingStatus.COMPLETED}),
        None,
    ),
    Action.FEEDBACK: (frozenset({BookingStatus.COMPLETED}), None),
    Action.EXPERT_NOTES: (frozenset({BookingStatus.COMPLETED, BookingStatus.NO_SHOW}), None),
}

# Who may do what. Admins verify experts and may mark payments; nothing else is theirs.
PERMISSIONS: dict[Action, frozenset[Role]] = {
    Action.CONFIRM: frozenset({Role.EXPERT}),
    Action.DECLINE: frozenset({Role.EXPERT}),
    Action.CANCEL: frozenset({Role.LEARNER, Role.EXPERT}),
    Action.RESCHEDULE: frozenset({Role.LEARNER, Role.EXPERT}),
    Action.COMPLETE: frozenset({Role.EXPERT}),
    Action.NO_SHOW: frozenset({Role.EXPERT}),
    Action.MARK_PAID: frozenset({Role.EXPERT, Role.ADMIN}),
    Action.FEEDBACK: frozenset({Role.LEARNER}),
    Action.EXPERT_NOTES: frozenset({Role.EXPERT}),
    Action.EXPIRE: frozenset(),  # the system only
}


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
        """A short reference people can type: the first 8 hex digits of the id."""
        return self.id.hex[:8]

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


@dataclass(frozen=True)
class ExpertProfile:
    """What a learner sees on a profile card."""

    expert: Expert
    reviews: tuple[Review, ...] = field(default=())
    next_slots: tuple[datetime, ...] = field(default=())


def check_allowed(action: Action, booking: Booking, role: Role) -> None:
    """Refuse an action the role may not take, or that the booking's state does not allow."""
    if role not in PERMISSIONS[action]:
        if role is Role.OTHER:
            raise NotAllowed("That booking isn't yours. Nothing was changed.")
        raise NotAllowed(f"Only {_who(action)} can do that. Nothing was changed.")
    allowed_from, _ = TRANSITIONS[action]
    if booking.status not in allowed_from:
        raise InvalidInput(
            f"Booking {booking.ref} is {booking.status.value.replace('_', '-')}; "
            f"it can't be {_past(action)} now."
        )


def next_status(action: Action, current: BookingStatus) -> BookingStatus:
    allowed_from, target = TRANSITIONS[action]
    if current not in allowed_from:
        raise InvalidInput(f"A {current.value} booking can't be {_past(action)}.")
    return target or current


def _who(action: Action) -> str:
    roles = sorted(role.value for role in PERMISSIONS[action])
    names = {"learner": "the learner", "expert": "the booked expert", "admin": "an admin"}
    return " or ".join(names[r] for r in roles) or "the system"


def _past(action: Action) -> str:
    return {
        Action.CONFIRM: "confirmed",
        Action.DECLINE: "declined",
        Action.CANCEL: "cancelled",
        Action.RESCHEDULE: "rescheduled",
        Action.COMPLETE: "marked completed",
        Action.NO_SHOW: "marked no-show",
        Action.MARK_PAID: "marked paid",
        Action.FEEDBACK: "rated",
        Action.EXPERT_NOTES: "annotated",
        Action.EXPIRE: "expired",
    }[action]


# -- money -----------------------------------------------------------------------------------


def parse_rate_range(text: str) -> tuple[Decimal, Decimal]:
    """``"25-40"`` or ``"25.50 - 40"`` -> (min, max); positive, min <= max, two decimals."""
    parts = [p.strip() for p in re.split(r"\s*(?:-|–|to)\s*", text.strip(), maxsplit=1)]
    if len(parts) != 2 or not all(parts):
        raise InvalidInput("Give your hourly rate as a range, for example 25-40.")
    low, high = (_money(p) for p in parts)
    if low > high:
        raise InvalidInput(f"The minimum rate ({low}) is above the maximum ({high}).")
    return low, high


def _money(text: str) -> Decimal:
    try:
        value = Decimal(text.replace(",", "."))
    except InvalidOperation:
        raise InvalidInput(
            f"“{text[:20]}” is not an amount; use numbers like 25 or 25.50."
        ) from None
    if not value.is_finite() or value <= 0:
        raise InvalidInput("Rates must be positive amounts.")
    if value > RATE_MAX:
        raise InvalidInput(f"Rates above {RATE_MAX} per hour are not accepted.")
    if value != value.quantize(CENT):
        raise InvalidInput("Rates can have at most two decimals.")
    return value.quantize(CENT)


def price_for(rate_min: Decimal, rate_max: Decimal, minutes: int) -> Decimal:
    """The price of a session, fixed when it is booked.

    Shorter sessions cost more per hour: 30 minutes at the top of the expert's range, 60 at its
    middle, 90 at its bottom; the price is that hourly rate times the hours, in cents.
    """
    if minutes not in DURATIONS:
        raise InvalidInput(f"Sessions are {', '.join(map(str, DURATIONS))} minutes long.")
    hourly = {30: rate_max, 60: (rate_min + rate_max) / 2, 90: rate_min}[minutes]
    return (hourly * minutes / 60).quantize(CENT, rounding=ROUND_HALF_UP)


def split_commission(price: Decimal, rate: Decimal) -> tuple[Decimal, Decimal]:
    """(platform commission, expert earnings), in cents, always summing exactly to ``price``."""
    if not Decimal(0) <= rate <= Decimal(1):
        raise ValueError("commission rate must be between 0 and 1")
    commission = (price * rate).quantize(CENT, rounding=ROUND_HALF_UP)
    return commission, price - commission


# -- profile fields --------------------------------------------------------------------------

ISO_639_1 = frozenset(
    "aa ab ae af ak am an ar as av ay az ba be bg bh bi bm bn bo br bs ca ce ch co cr cs cu cv "
    "cy da de dv dz ee el en eo es et eu fa ff fi fj fo fr fy ga gd gl gn gu gv ha he hi ho hr "
    "ht hu hy hz ia id ie ig ii ik io is it iu ja jv ka kg ki kj kk kl km kn ko kr ks ku kv kw "
    "ky la lb lg li ln lo lt lu lv mg mh mi mk ml mn mr ms mt my na nb nd ne ng nl nn no nr nv "
    "ny oc oj om or os pa pi pl ps pt qu rm rn ro ru rw sa sc sd se sg si sk sl sm sn so sq sr "
    "ss st su sv sw ta te tg th ti tk tl tn to tr ts tt tw ty ug uk ur uz ve vi vo wa wo xh yi "
    "yo za zh zu".split()
)


def parse_languages(text: str) -> tuple[str, ...]:
    """``"en, de"`` -> ("en", "de"): ISO 639-1 codes, at most 10, no repeats."""
    codes = [c for c in re.split(r"[\s,;]+", text.strip().lower()) if c]
    if not codes:
        raise InvalidInput("List at least one language as an ISO 639-1 code, e.g. en, de.")
    unknown = [c for c in codes if c not in ISO_639_1]
    if unknown:
        shown = ", ".join(c[:10] for c in unknown[:3])
        raise InvalidInput(f"Not ISO 639-1 language codes: {shown}. Use two letters, e.g. en, de.")
    if len(codes) > 10:
        raise InvalidInput("List at most 10 languages.")
    return tuple(dict.fromkeys(codes))


def parse_specialties(text: str) -> tuple[Specialty, ...]:
    """``"python: expert; data science: advanced"`` -> specialties (at most 10)."""
    items = [item.strip() for item in re.split(r"[;\n]+", text) if item.strip()]
    if not items:
        raise InvalidInput(
            "List specialties as subject: level, e.g. python: expert; statistics: advanced."
        )
    found: dict[str, Specialty] = {}
    levels = ", ".join(p.value for p in Proficiency)
    for item in items:
        subject, sep, level = item.rpartition(":")
        subject = " ".join(subject.split())
        if not sep or not subject:
            raise InvalidInput(f"“{item[:40]}” needs a level: subject: {levels}.")
        if len(subject) > 100:
            raise InvalidInput("A specialty's subject must be under 100 characters.")
        try:
            proficiency = Proficiency(level.strip().lower())
        except ValueError:
            raise InvalidInput(f"The level of “{subject[:40]}” must be one of {levels}.") from None
        found.setdefault(subject.lower(), Specialty(subject, proficiency))
    if len(found) > 10:
        raise InvalidInput("List at most 10 specialties.")
    return tuple(found.values())


def parse_meeting_link(text: str) -> str:
    link = text.strip()
    if not re.fullmatch(r"https://[^\s<>\"']{4,490}", link):
        raise InvalidInput(
            "A meeting link must be a https:// address, e.g. https://meet.example/me."
        )
    return link


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
