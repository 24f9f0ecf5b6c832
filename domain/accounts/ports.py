"""What the accounts context needs from outside: its repositories."""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from datetime import datetime
from typing import Any, Protocol
from uuid import UUID

from domain.accounts.model import (
    Conversation,
    Guard,
    Holdings,
    Identity,
    StudySession,
    User,
)
from domain.notifications.model import DailySwitch


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
        self, after: UUID | None, limit: int, switches: Sequence[DailySwitch]
    ) -> list[tuple[UUID, str, dict[str, Any]]]:
        """Users after ``after`` (by id) wanting a daily reminder (as ``switches`` read their
        preferences) that is not planned."""
        ...

    async def reachable(self, user_id: UUID) -> list[tuple[str, str]]:
        """(platform, external user id) of identities not blocked, most recent first."""
        ...

    async def mark_blocked(
        self, user_id: UUID, platform: str, external_id: str, at: datetime
    ) -> None: ...

    async def set_current_curriculum(self, user_id: UUID, curriculum_id: UUID | None) -> None: ...


class ConversationRepository(Protocol):
    async def get(self, user_id: UUID, *, lock: bool = False) -> Conversation | None:
        """The user's flow; with ``lock`` its row stays locked until the transaction ends."""
        ...

    async def put(self, user_id: UUID, conversation: Conversation) -> None: ...

    async def clear(self, user_id: UUID, *, token: str | None = None) -> bool:
        """Drop the user's flow (only at the step of ``token``, if given); False if none was."""
        ...


class DeliveryRepository(Protocol):
    """Which platform updates were already taken on, so a redelivered one is skipped."""

    async def claim(
        self, platform: str, update_id: int, sender: Identity, at: datetime, waiting: bool = False
    ) -> bool:
        """Record the update as taken and, if it was not before, ``sender`` as reachable (they
        wrote to us, so they no longer block the bot), in one statement; False if the update
        was recorded before (nothing changes then). ``waiting``: taken on arrival, to be
        handled later (``Turns`` waits for it)."""
        ...

    async def forget_before(self, moment: datetime) -> int:
        """Drop records taken before ``moment``; returns how many."""
        ...


class LinkRepository(Protocol):
    """Link codes (``/link``) and joining two users; see ``db.repositories.accounts``."""

    async def save_code(self, user_id: UUID, code_hash: str, expires_at: datetime) -> None: ...

    async def owner_of(self, code_hash: str, now: datetime) -> UUID | None: ...

    async def use_code(self, user_id: UUID, code_hash: str, now: datetime) -> bool: ...

    async def guesses(self, user_id: UUID) -> tuple[int, datetime | None]: ...

    async def set_guesses(self, user_id: UUID, count: int, since: datetime) -> None: ...

    async def lock_users(self, *user_ids: UUID) -> None: ...

    async def platforms(self, user_id: UUID) -> set[str]: ...

    async def has_bookings_with(self, learner: UUID, expert_id: UUID) -> bool: ...

    async def merge(self, source: UUID, target: UUID) -> None: ...


class DataRightsRepository(Protocol):
    """A person's own data: all of it read for ``/export``, and deleted for ``/delete_me``."""

    async def take_snapshot(self) -> None:
        """Make the rest of the transaction read one snapshot (repeatable read, read only);
        the transaction's first statement."""
        ...

    async def lock_user(self, user_id: UUID) -> bool:
        """Lock the user's row until the transaction ends; False if there is no such user."""
        ...

    async def document(self, user_id: UUID) -> dict[str, Any]:
        """Profile, identities (no secrets), curricula with sessions and progress, notes,
        bookings as learner and expert, feedback, commissions, the expert profile."""
        ...

    async def study_sessions(self, user_id: UUID) -> list[StudySession]: ...

    async def holdings(self, user_id: UUID, open_statuses: Sequence[str]) -> Holdings: ...

    async def forget_texts_on_kept_bookings(self, user_id: UUID) -> None:
        """Clear what the person wrote on bookings the other side keeps (reviews, notes)."""
        ...

    async def delete_user(self, user_id: UUID) -> int:
        """Delete the user and everything that is only theirs; how many bookings were kept."""
        ...


class RetentionRepository(Protocol):
    """Retention and clean-up: who was last seen when, who is inactive or protected, and the
    batched moves and deletions (each call one bounded batch, locked rows skipped)."""

    async def seen(self, user_id: UUID, now: datetime, unless_after: datetime) -> bool:
        """Record activity at ``now`` (and clear any inactivity warning) unless it was last
        recorded after ``unless_after``, when nothing is written; True if written."""
        ...

    async def to_warn(self, inactive_before: datetime, guard: Guard, limit: int) -> list[UUID]:
        """Lock (skipping locked rows) up to ``limit`` unwarned users whose last activity is
        before ``inactive_before`` and whom ``guard`` does not protect."""
        ...

    async def mark_warned(self, user_ids: Sequence[UUID], at: datetime) -> None: ...

    async def to_delete(
        self,
        inactive_before: datetime,
        warned_before: datetime,
        guard: Guard,
        limit: int,
        only: UUID | None = None,
    ) -> list[UUID]:
        """Users warned before ``warned_before``, inactive since before ``inactive_before``,
        not protected by ``guard`` (``only``: just that user, a re-check under its lock)."""
        ...

    async def protected(self, inactive_before: datetime, guard: Guard) -> int:
        """How many users inactive since before ``inactive_before`` ``guard`` protects."""
        ...

    async def archive_sessions(self, archived_before: datetime, limit: int) -> tuple[int, int]:
        """Move up to ``limit`` sessions of curricula archived before ``archived_before`` (and
        their notes) into the archive tables; (sessions, notes) moved."""
        ...

    async def touch_curriculum(self, curriculum_id: UUID) -> bool:
        """Mark the curriculum changed now (so it is not archived again soon); False if none."""
        ...

    async def unarchive_sessions(self, curriculum_id: UUID, limit: int) -> tuple[int, int]:
        """Move up to ``limit`` archived sessions of the curriculum (and their notes) back."""
        ...

    async def prune_notifications(self, before: datetime, limit: int) -> int:
        """Delete up to ``limit`` notifications settled (sent, dropped, failed) before
        ``before``; pending ones are never pruned."""
        ...

    async def prune_updates(self, before: datetime, limit: int) -> int:
        """Delete up to ``limit`` claims on platform updates received before ``before``."""
        ...


class Turns(Protocol):
    """One person's updates handled one at a time and in order, across processes."""

    def turn(
        self, stream: str, sender: str, update_id: int, stale_before: datetime
    ) -> AbstractAsyncContextManager[None]:
        """Held while ``update_id`` of ``sender`` is handled: entered once no other process
        handles one of theirs and no earlier update of theirs claimed on arrival (after
        ``stale_before``) is still waiting; leaving marks the update handled."""
        ...


class LocalTurns:
    """No turns across processes (one process receives everything: its own order suffices)."""

    @asynccontextmanager
    async def turn(
        self, stream: str, sender: str, update_id: int, stale_before: datetime
    ) -> AsyncIterator[None]:
        yield
