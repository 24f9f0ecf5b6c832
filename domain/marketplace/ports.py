"""What the marketplace needs from outside: its repositories, and a cache of search reads."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Hashable, Iterable, Sequence
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Any, Protocol, TypeVar
from uuid import UUID

from domain.marketplace.dispute_model import Dispute, ProblemKind
from domain.marketplace.ledger_model import Earning, Payout
from domain.marketplace.model import (
    Bookable,
    Booking,
    BookingMessage,
    Calendar,
    Decision,
    Expert,
    ExpertDraft,
    ProfileChange,
    Review,
    Role,
    SearchFilters,
    Specialty,
    Verification,
    WaitlistEntry,
)
from domain.marketplace.share_model import Homework
from domain.notifications.model import Planned

T = TypeVar("T")


class SearchCache(Protocol):
    """A read-through cache of search pages and profile cards (``db.cache``), dropped on every
    change that affects them, in every process.

    ``key`` holds everything the result depends on; ``experts`` names the experts a result
    shows (a change to one of their calendars drops it); ``free_time``: the result was filtered
    by free time, so a change to anyone's calendar may change it.
    """

    @property
    def caching(self) -> bool:
        """Whether results are kept (then callers round "now" to the slot grid in the key)."""
        ...

    async def read(
        self,
        key: Hashable,
        load: Callable[[], Awaitable[T]],
        *,
        experts: Callable[[T], Iterable[UUID]],
        free_time: bool = False,
    ) -> T: ...


class NoCache:
    """Keeps nothing: every read loads (the default, and for one-off commands)."""

    caching = False

    async def read(
        self,
        key: Hashable,
        load: Callable[[], Awaitable[T]],
        *,
        experts: Callable[[T], Iterable[UUID]],
        free_time: bool = False,
    ) -> T:
        return await load()


NO_CACHE: SearchCache = NoCache()


class ExpertRepository(Protocol):
    async def lock(self, expert_id: UUID) -> None:
        """Hold the expert's advisory lock until the transaction ends."""
        ...

    async def lock_for_booking(self, expert_id: UUID, learner_id: UUID) -> Bookable | None:
        """Hold the expert's advisory lock and read what booking them needs (one statement)."""
        ...

    async def get(
        self, expert_id: UUID, *, specialties: bool = True, changes: bool = False
    ) -> Expert | None: ...

    async def by_user(self, user_id: UUID) -> Expert | None: ...

    async def add(self, user_id: UUID, draft: ExpertDraft, currency: str) -> UUID: ...

    async def update(self, expert_id: UUID, **values: Any) -> None: ...

    async def replace_specialties(
        self, expert_id: UUID, specialties: tuple[Specialty, ...]
    ) -> None: ...

    async def listing(self, statuses: tuple[Verification, ...]) -> list[Expert]:
        """Experts in any of ``statuses`` with their changes waiting for review."""
        ...

    async def put_change(self, expert_id: UUID, change: ProfileChange) -> None: ...

    async def drop_changes(self, expert_id: UUID, field: str | None = None) -> None: ...

    async def reject_changes(self, expert_id: UUID, reason: str) -> None: ...

    async def set_verification(
        self,
        expert_id: UUID,
        status: Verification,
        at: datetime | None,
        *,
        reason: str | None = None,
    ) -> None: ...

    async def weekly_rows(self, expert_id: UUID) -> list[tuple[int, list[list[str]]]]: ...

    async def set_weekly_rows(
        self, expert_id: UUID, rows: list[tuple[int, list[list[str]]]], zone: str
    ) -> None: ...

    async def time_off(self, expert_id: UUID) -> list[tuple[date, date]]: ...

    async def add_time_off(self, expert_id: UUID, start: date, end: date) -> None: ...

    async def remove_time_off(self, expert_id: UUID, start: date, end: date) -> int: ...

    async def busy(
        self,
        expert_id: UUID,
        start: datetime,
        end: datetime,
        now: datetime,
        *,
        firm_only: bool = False,
        exclude: UUID | None = None,
    ) -> list[tuple[datetime, datetime]]:
        """Time held by the expert's bookings (``Booking.holds_time``) overlapping
        ``start..end``; ``firm_only``: by those that never lapse (confirmed ones)."""
        ...

    async def search(self, filters: SearchFilters, *, limit: int, offset: int) -> list[Expert]: ...

    async def reviews(self, expert_ids: list[UUID], each: int) -> dict[UUID, list[Review]]: ...

    async def calendars(
        self,
        expert_ids: list[UUID],
        start: datetime,
        end: datetime,
        now: datetime,
        *,
        exclude: UUID | None = None,
    ) -> dict[UUID, Calendar]: ...


class BookingRepository(Protocol):
    async def add(
        self,
        *,
        learner_id: UUID,
        expert_id: UUID,
        starts_at: datetime,
        minutes: int,
        price: Decimal,
        currency: str,
        expires_at: datetime,
    ) -> UUID: ...

    async def add_if_free(
        self,
        *,
        booking_id: UUID,
        learner_id: UUID,
        expert_user_id: UUID,
        expert_id: UUID,
        starts_at: datetime,
        minutes: int,
        price: Decimal,
        currency: str,
        expires_at: datetime,
        now: datetime,
        buffer: timedelta,
        cancel_notice: timedelta | None = None,
        reschedule_limit: int | None = None,
        trial: bool = False,
        series: tuple[UUID, int] | None = None,
        planned: Sequence[Planned] = (),
    ) -> tuple[UUID, datetime, Decimal, datetime] | None:
        """Add pending booking ``booking_id`` and notify the expert unless held time overlaps
        the slot (widened by ``buffer``), writing ``planned`` (its nudges) with it; (id, start,
        price, expiry) as stored, or None. Under the lock. An occurrence of a ``series`` (its
        id, its week) gets no notice of its own.
        """
        ...

    async def get(self, booking_id: UUID, *, lock: bool = False) -> Booking | None: ...

    async def find(self, user_id: UUID | None, ref: str) -> list[Booking]:
        """Bookings of ``user_id`` (None: anyone's) whose id starts with ``ref``."""
        ...

    async def sharing_refs(self, user_id: UUID | None, ids: list[UUID]) -> list[UUID]:
        """Ids of bookings ``user_id`` can see (None: all) sharing a short reference with
        one of ``ids``."""
        ...

    async def for_user(self, user_id: UUID) -> list[Booking]: ...

    async def booked_before(self, learner_id: UUID, expert_id: UUID) -> bool:
        """Whether the learner has a booking with the expert in ``terms.EARLIER_LESSON``."""
        ...

    async def update(self, booking_id: UUID, **values: Any) -> None: ...

    async def save_feedback(
        self,
        booking_id: UUID,
        *,
        rating: int | None = None,
        review: str | None = None,
        expert_notes: str | None = None,
    ) -> None: ...

    async def refresh_expert_stats(self, expert_id: UUID) -> None: ...

    async def add_commission(
        self,
        booking_id: UUID,
        *,
        commission: Decimal,
        earnings: Decimal,
        rate: Decimal,
        currency: str,
        refund: Decimal = Decimal(0),
        payable_at: datetime | None = None,
        decision: Decision | None = None,
    ) -> bool: ...

    async def earnings(self, expert_id: UUID, zone: str, now: datetime) -> list[Earning]:
        """By month: only rows payable at ``now`` count; the rest is ``held``."""
        ...

    async def ended_unmarked(self, now: datetime, *, since: datetime) -> list[Booking]:
        """Scheduled sessions started after ``since`` that have ended by ``now``."""
        ...

    async def lapsed_pending(self, now: datetime) -> list[Booking]: ...

    async def pay_out(self, now: datetime) -> list[Payout]:
        """Mark paid every unpaid ledger row payable at ``now`` (never a held one)."""
        ...

    async def add_message(
        self, booking_id: UUID, sender_id: UUID, body: str, now: datetime
    ) -> UUID: ...

    async def message(self, message_id: UUID) -> BookingMessage | None: ...


class WaitlistRepository(Protocol):
    """Learners waiting for a time to free up on an expert's fully booked day."""

    async def join(
        self,
        user_id: UUID,
        expert_id: UUID,
        starts_on: date,
        ends_on: date,
        minutes: int,
        *,
        now: datetime,
        expires_at: datetime,
    ) -> UUID: ...

    async def leave(self, entry_id: UUID, user_id: UUID) -> WaitlistEntry | None: ...

    async def of_user(self, user_id: UUID, now: datetime) -> list[WaitlistEntry]: ...

    async def take(self, expert_id: UUID, day: date, now: datetime) -> list[WaitlistEntry]: ...

    async def purge(self, now: datetime) -> int: ...


class SeriesRepository(Protocol):
    async def add(
        self,
        *,
        learner_id: UUID,
        expert_id: UUID,
        weekday: int,
        local_time: time,
        timezone: str,
        weeks: int,
        minutes: int,
    ) -> UUID:
        """A weekly series (the learner's weekday and wall-clock time in ``timezone``)."""
        ...

    async def occurrences(self, series_id: UUID, *, lock: bool = False) -> list[Booking]:
        """The series' bookings, soonest first (``lock``: their rows locked for update)."""
        ...


class DisputeRepository(Protocol):
    """Problems reported with bookings, and the ledger rows they hold (``disputes``)."""

    async def add(
        self,
        booking_id: UUID,
        opened_by: Role,
        kind: ProblemKind,
        details: str | None,
        now: datetime,
    ) -> bool:
        """Record the booking's one dispute; False if it already has one."""
        ...

    async def get(self, booking_id: UUID) -> Dispute | None: ...

    async def answer(self, booking_id: UUID, text: str, now: datetime) -> None: ...

    async def decide(
        self, booking_id: UUID, decision: Decision, by: UUID | None, now: datetime
    ) -> None: ...

    async def open(self, limit: int) -> list[Dispute]:
        """Undecided disputes, the oldest first."""
        ...

    async def count_open(self) -> int: ...

    async def lock_ledger(self, booking_id: UUID) -> str | None:
        """Lock the booking's ledger row; its status ("pending", "paid"), None if none."""
        ...

    async def set_ledger(self, booking_id: UUID, **values: Any) -> None: ...

    async def to_ask(self, now: datetime, since: datetime) -> list[Booking]:
        """Sessions that ended between ``since`` and ``now`` (scheduled or completed), with
        neither the learner's yes nor a problem reported."""


class HomeworkRepository(Protocol):
    async def add(
        self,
        *,
        booking_id: UUID,
        curriculum_id: UUID,
        title: str,
        description: str | None,
        position: int,
        now: datetime,
    ) -> Homework | None:
        """The booking's homework, or None if the booking already has one."""
        ...

    async def get(self, homework_id: UUID, *, lock: bool = False) -> Homework | None: ...

    async def answer(self, homework_id: UUID, *, accepted: bool, now: datetime) -> bool:
        """Record the learner's answer once; False if it was answered already."""
        ...
