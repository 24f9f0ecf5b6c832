"""Ports: what the domain needs from the outside world, as protocols."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING, Any, Protocol
from uuid import UUID

if TYPE_CHECKING:
    from domain.dispatch import Due
    from domain.reminders import Planned
    from domain.schedule import Bookable

from domain.marketplace import (
    Booking,
    Calendar,
    Earning,
    Expert,
    ExpertDraft,
    Review,
    SearchFilters,
    Specialty,
    Verification,
)
from domain.model import (
    Completion,
    CompletionContext,
    Conversation,
    CurriculumOverview,
    CurriculumSpec,
    CurriculumStatus,
    Identity,
    LastCompletion,
    Note,
    PlannedSession,
    StudySession,
    User,
)


class Clock(Protocol):
    def now(self) -> datetime:
        """The current instant, timezone-aware (UTC)."""
        ...


class SystemClock:
    def now(self) -> datetime:
        return datetime.now(UTC)


class CurriculumPlanner(Protocol):
    def plan(self, spec: CurriculumSpec) -> list[PlannedSession]:
        """Design ``spec.total_sessions`` numbered sessions (1..N) for the spec."""
        ...


class UserRepository(Protocol):
    async def by_identity(self, platform: str, external_id: str) -> User | None: ...

    async def add(self, identity: Identity) -> User: ...

    async def touch_identity(self, identity: Identity) -> None:
        """Refresh the stored chat id and display name of an identity."""
        ...

    async def get(self, user_id: UUID) -> User: ...

    async def set_timezone(self, user_id: UUID, zone: str) -> None: ...

    async def ids_for_identities(self, identities: frozenset[tuple[str, str]]) -> set[UUID]: ...

    async def preferences(self, user_id: UUID, *, lock: bool = False) -> dict[str, Any]:
        """The stored ``notification_preferences`` document (unvalidated)."""
        ...

    async def set_preferences(self, user_id: UUID, document: dict[str, Any]) -> None: ...

    async def reminder_profiles(
        self, user_ids: Sequence[UUID]
    ) -> dict[UUID, tuple[str, dict[str, Any]]]:
        """Time zone and stored notification preferences of each known user."""
        ...

    async def without_daily_reminders(
        self, after: UUID | None, limit: int
    ) -> list[tuple[UUID, str, dict[str, Any]]]:
        """Users after ``after`` (by id) wanting a daily reminder that is not planned."""
        ...

    async def reachable(self, user_id: UUID) -> list[tuple[str, str]]:
        """(platform, external user id) of identities not blocked, most recent first."""
        ...

    async def mark_blocked(
        self, user_id: UUID, platform: str, external_id: str, at: datetime
    ) -> None: ...

    async def set_current_curriculum(self, user_id: UUID, curriculum_id: UUID | None) -> None: ...


class CurriculumRepository(Protocol):
    async def add(
        self, user_id: UUID, spec: CurriculumSpec, sessions: list[PlannedSession]
    ) -> UUID: ...

    async def get_owned(self, curriculum_id: UUID, owner: UUID) -> CurriculumOverview:
        """Raises ``NotFound`` unless the curriculum exists and belongs to ``owner``."""
        ...

    async def current_id(self, user_id: UUID) -> UUID | None:
        """The chosen curriculum, else the newest active or paused one."""
        ...

    async def list_for(self, user_id: UUID) -> list[CurriculumOverview]: ...

    async def sessions(
        self, curriculum_id: UUID, offset: int, limit: int
    ) -> list[StudySession]: ...

    async def set_status(self, curriculum_id: UUID, status: CurriculumStatus) -> None: ...

    async def archive_completed_before(self, moment: datetime) -> int:
        """Archive curricula completed (last changed) before ``moment``; returns how many."""
        ...

    async def completion_context(
        self, user_id: UUID, *, lock: bool = False
    ) -> CompletionContext | None:
        """What /done needs; with ``lock``, first wait for and hold the learner's row lock."""
        ...

    async def record_completion(self, completion: Completion) -> bool:
        """Write a completion unless the progress changed since it was read; False if it did."""
        ...

    async def last_completion(
        self, user_id: UUID, *, lock: bool = False
    ) -> LastCompletion | None: ...

    async def completed_days(self, curriculum_id: UUID, *, excluding: UUID) -> list[date]:
        """Local completion dates of the curriculum's sessions, leaving one session out."""
        ...

    async def revert_completion(self, last: LastCompletion, streak: int) -> None: ...


class NoteRepository(Protocol):
    async def add(self, user_id: UUID, session_id: UUID, content: str, at: datetime) -> UUID: ...

    async def recent(self, user_id: UUID, limit: int) -> list[Note]: ...


class ConversationRepository(Protocol):
    async def get(self, user_id: UUID) -> Conversation | None: ...

    async def put(self, user_id: UUID, conversation: Conversation) -> None: ...

    async def clear(self, user_id: UUID) -> None: ...


class DeliveryRepository(Protocol):
    """Which platform updates were already taken on, so a redelivered one is skipped."""

    async def claim(self, platform: str, update_id: int, at: datetime) -> bool:
        """Record the update as taken; False if it had been recorded before."""
        ...

    async def forget_before(self, moment: datetime) -> int:
        """Drop records taken before ``moment``; returns how many."""
        ...


class ExpertRepository(Protocol):
    async def lock(self, expert_id: UUID) -> None:
        """Hold the expert's advisory lock until the transaction ends."""
        ...

    async def lock_for_booking(self, expert_id: UUID, learner_id: UUID) -> Bookable | None:
        """Hold the expert's advisory lock and read what booking them needs (one statement)."""
        ...

    async def get(self, expert_id: UUID, *, specialties: bool = True) -> Expert | None: ...

    async def by_user(self, user_id: UUID) -> Expert | None: ...

    async def add(self, user_id: UUID, draft: ExpertDraft, currency: str) -> UUID: ...

    async def update(self, expert_id: UUID, **values: Any) -> None: ...

    async def replace_specialties(
        self, expert_id: UUID, specialties: tuple[Specialty, ...]
    ) -> None: ...

    async def pending(self) -> list[Expert]: ...

    async def set_verification(
        self, expert_id: UUID, status: Verification, at: datetime | None
    ) -> None: ...

    async def weekly_rows(self, expert_id: UUID) -> list[tuple[int, list[list[str]]]]: ...

    async def set_weekly_rows(
        self, expert_id: UUID, rows: list[tuple[int, list[list[str]]]], zone: str
    ) -> None: ...

    async def time_off(self, expert_id: UUID) -> list[tuple[date, date]]: ...

    async def add_time_off(self, expert_id: UUID, start: date, end: date) -> None: ...

    async def busy(
        self,
        expert_id: UUID,
        start: datetime,
        end: datetime,
        now: datetime,
        *,
        scheduled_only: bool = False,
        exclude: UUID | None = None,
    ) -> list[tuple[datetime, datetime]]: ...

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
    ) -> tuple[UUID, datetime, Decimal, datetime] | None:
        """Add a pending booking and notify the expert unless held time overlaps the slot
        (widened by ``buffer``); (id, start, price, expiry) as stored, or None. Under the lock.
        """
        ...

    async def get(self, booking_id: UUID, *, lock: bool = False) -> Booking | None: ...

    async def find(self, user_id: UUID, ref: str) -> list[Booking]: ...

    async def for_user(self, user_id: UUID) -> list[Booking]: ...

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
    ) -> bool: ...

    async def earnings(self, expert_id: UUID, zone: str) -> list[Earning]: ...

    async def ended_unmarked(self, now: datetime, *, since: datetime) -> list[Booking]:
        """Scheduled sessions started after ``since`` that have ended by ``now``."""
        ...

    async def lapsed_pending(self, now: datetime) -> list[Booking]: ...

    async def pay_out(self, now: datetime) -> tuple[int, Decimal]: ...


class NotificationRepository(Protocol):
    """The outbox: written in the transaction of the change it announces."""

    async def add(
        self, user_id: UUID, kind: str, data: dict[str, Any], due_at: datetime
    ) -> None: ...

    async def plan(self, planned: Sequence[Planned]) -> int:
        """Write planned notifications, skipping occurrences already written; returns how many."""
        ...

    async def withdraw(
        self, user_ids: Sequence[UUID], kinds: Sequence[str], *, booking_id: UUID | None = None
    ) -> int:
        """Delete pending notifications of ``kinds`` for the users (of one booking)."""
        ...

    async def take_due(self, user_id: UUID, now: datetime) -> list[tuple[str, dict[str, Any]]]: ...

    async def claim(self, now: datetime, lease: timedelta, limit: int) -> list[Due]:
        """Lease up to ``limit`` due notifications, oldest first (SKIP LOCKED)."""
        ...

    async def settle(
        self,
        notification_id: UUID,
        status: str,
        at: datetime,
        *,
        retry_at: datetime | None = None,
        error: str | None = None,
    ) -> None: ...


class LinkRepository(Protocol):
    """Link codes (``/link``) and joining two users; see ``db.links``."""

    async def save_code(self, user_id: UUID, code_hash: str, expires_at: datetime) -> None: ...

    async def owner_of(self, code_hash: str, now: datetime) -> UUID | None: ...

    async def use_code(self, user_id: UUID, code_hash: str, now: datetime) -> bool: ...

    async def guesses(self, user_id: UUID) -> tuple[int, datetime | None]: ...

    async def set_guesses(self, user_id: UUID, count: int, since: datetime) -> None: ...

    async def lock_users(self, *user_ids: UUID) -> None: ...

    async def platforms(self, user_id: UUID) -> set[str]: ...

    async def has_bookings_with(self, learner: UUID, expert_id: UUID) -> bool: ...

    async def merge(self, source: UUID, target: UUID) -> None: ...


class UnitOfWork(Protocol):
    """One transaction over all repositories: ``async with uow: ...; await uow.commit()``.

    Leaving the block without ``commit()`` rolls back.
    """

    @property
    def users(self) -> UserRepository: ...

    @property
    def curricula(self) -> CurriculumRepository: ...

    @property
    def notes(self) -> NoteRepository: ...

    @property
    def conversations(self) -> ConversationRepository: ...

    @property
    def experts(self) -> ExpertRepository: ...

    @property
    def bookings(self) -> BookingRepository: ...

    @property
    def notifications(self) -> NotificationRepository: ...

    @property
    def deliveries(self) -> DeliveryRepository: ...

    @property
    def links(self) -> LinkRepository: ...

    async def __aenter__(self) -> UnitOfWork: ...

    async def __aexit__(self, *exc_info: object) -> None: ...

    async def commit(self) -> None: ...
