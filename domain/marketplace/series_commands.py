"""What the weekly-series services take and give back (``domain.marketplace.series``)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time
from decimal import Decimal
from uuid import UUID

from domain.marketplace.model import Booking


@dataclass(frozen=True)
class SeriesAsked:
    """A series typed in one line (``/book <expert> every tuesday 18:00 for 6 weeks``)."""

    expert: str  # the expert's name, as typed
    weekday: int  # 0 = Monday, in the learner's zone
    at: time  # the learner's wall-clock time
    weeks: int
    minutes: int


@dataclass(frozen=True)
class WeeksAsked:
    """🔁 Repeat weekly: for how many weeks, from the session chosen (in the learner's zone)."""

    token: str
    zone: str
    starts_at: datetime
    choices: tuple[int, ...]


@dataclass(frozen=True)
class Occurrence:
    week: int  # 1..weeks
    starts_at: datetime
    closed: str | None = None  # why it can't be booked (None: open)


@dataclass(frozen=True)
class SeriesShown:
    """The series' dates, each open or not, before the learner books the open ones."""

    token: str
    zone: str
    other_name: str
    minutes: int
    price: Decimal  # of each occurrence
    currency: str
    occurrences: tuple[Occurrence, ...]
    note: str = ""
    back: bool = True  # a step before it to go back to (not when typed in one line)

    @property
    def open(self) -> tuple[Occurrence, ...]:
        return tuple(o for o in self.occurrences if o.closed is None)


@dataclass(frozen=True)
class SeriesBooked:
    series_id: UUID
    weeks: int
    bookings: tuple[Booking, ...]
    zone: str


@dataclass(frozen=True)
class AnswerSeries:
    """Confirm all (``confirm``) or Decline all of a series' pending occurrences."""

    user_id: UUID
    series_id: UUID
    confirm: bool


@dataclass(frozen=True)
class SeriesAnswered:
    """What Confirm all or Decline all did: the occurrences changed, and those left as they
    were with the reason (an overlap with a confirmed session, a lapse...)."""

    confirm: bool
    changed: tuple[Booking, ...]
    left: tuple[tuple[Booking, str], ...]
