"""The outbox repository: notifications written in the transaction of their change."""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any
from uuid import UUID

from sqlalchemy import and_, any_, delete, false, func, or_, select, update
from sqlalchemy.dialects.postgresql import insert

from db.models import NotificationRow, PlatformIdentityRow
from db.tx import Tx
from domain.notifications.model import Audience, Due, NotificationKind, Planned

logger = logging.getLogger(__name__)


def _claimable(now: datetime) -> Any:
    """Pending, due, and not leased to a worker (or its lease ran out)."""
    return and_(
        NotificationRow.status == "pending",
        NotificationRow.due_at <= now,
        or_(NotificationRow.claimed_until.is_(None), NotificationRow.claimed_until <= now),
    )


def _of(audience: Audience) -> Any:
    """Notifications of people the audience reaches (see ``Audience``)."""
    here = PlatformIdentityRow.platform.in_(sorted(audience.platforms))
    if audience.chats is not None:  # a few people: found by their chats, then their rows
        return NotificationRow.user_id.in_(
            select(PlatformIdentityRow.user_id).where(
                here,
                PlatformIdentityRow.external_id.in_(sorted(audience.chats)),
                PlatformIdentityRow.blocked_at.is_(None),
            )
        )
    # Per claimed row, one index lookup of the person's chats (never a scan of them all):
    # NULL when they have none left (reachable nowhere: taken, to be dropped), false when all
    # are on platforms this worker has no courier for (left to a worker that has).
    reaches_here = (
        select(func.bool_or(here))
        .where(
            PlatformIdentityRow.user_id == NotificationRow.user_id,
            PlatformIdentityRow.blocked_at.is_(None),
        )
        .scalar_subquery()
    )
    return reaches_here.is_not(false())


class SqlNotificationRepository:
    """The outbox: notifications written with the change they announce, delivered later."""

    def __init__(self, tx: Tx, planned: Counter[str] | None = None) -> None:
        self._tx = tx
        self._planned = planned if planned is not None else Counter()  # kinds written, counted

    async def add(
        self, user_id: UUID, kind: NotificationKind, data: dict[str, Any], due_at: datetime
    ) -> None:
        """Queue a notification, due at ``due_at`` (the domain clock's time, never NOW())."""
        await self._tx.orm.execute(
            insert(NotificationRow).values(user_id=user_id, kind=kind, data=data, due_at=due_at)
        )

    async def plan(self, planned: Sequence[Planned]) -> int:
        """Write planned notifications; an occurrence already written (same key) is skipped."""
        if not planned:
            return 0
        result = await self._tx.conn.execute(
            insert(NotificationRow)
            .values(
                [
                    {
                        "user_id": p.user_id,
                        "kind": p.kind,
                        "data": p.data,
                        "due_at": p.due_at,
                        "expires_at": p.expires_at,
                        "dedupe_key": p.dedupe_key,
                    }
                    for p in planned
                ]
            )
            .on_conflict_do_nothing(index_elements=[NotificationRow.dedupe_key])
            .returning(NotificationRow.kind)
        )
        written = Counter(kind for (kind,) in result.all())
        self._planned.update(written)
        return written.total()

    async def withdraw(
        self,
        user_ids: Sequence[UUID],
        kinds: Sequence[NotificationKind],
        *,
        booking_id: UUID | None = None,
    ) -> int:
        """Delete the users' pending notifications of ``kinds`` (of one booking, if given)."""
        query = delete(NotificationRow).where(
            NotificationRow.user_id.in_(user_ids),
            NotificationRow.kind.in_(kinds),
            NotificationRow.status == "pending",
        )
        if booking_id is not None:
            query = query.where(NotificationRow.data["booking_id"].astext == str(booking_id))
        result = await self._tx.conn.execute(query)
        return result.rowcount or 0

    async def claim(
        self, now: datetime, lease: timedelta, limit: int, audience: Audience | None = None
    ) -> list[Due]:
        """Lease up to ``limit`` due notifications to this worker, oldest first (of
        ``audience`` only, if given).

        ``FOR UPDATE SKIP LOCKED`` lets workers claim side by side without waiting for or
        taking each other's rows; the lease (``claimed_until``) hands a crashed worker's rows
        to another once it runs out. A row of a kind that ``NotificationKind`` does not name
        (written by a newer or older version) is dropped here, with one log line.
        """
        picked = select(NotificationRow.id).where(_claimable(now))
        if audience is not None:
            picked = picked.where(_of(audience))
        due = (
            picked.order_by(NotificationRow.due_at)
            .limit(limit)
            .with_for_update(skip_locked=True)
            .scalar_subquery()
        )
        rows = await self._tx.conn.execute(
            update(NotificationRow)
            # = ANY(ARRAY(...)): primary-key lookups of what was picked, never a join that
            # reads the whole table (IN (subquery) may plan as one when many are due).
            .where(NotificationRow.id == any_(func.array(due)))
            .values(claimed_until=now + lease, attempts=NotificationRow.attempts + 1)
            .returning(
                NotificationRow.id,
                NotificationRow.user_id,
                NotificationRow.kind,
                NotificationRow.data,
                NotificationRow.due_at,
                NotificationRow.expires_at,
                NotificationRow.attempts,
            )
        )
        claimed = []
        for row in rows.all():
            try:
                kind = NotificationKind(row.kind)
            except ValueError:
                logger.warning("dropped notification %s of unknown kind %r", row.id, row.kind)
                await self.settle(row.id, "dropped", now, error=f"unknown kind {row.kind!r}")
                continue
            claimed.append(Due(row.id, row.user_id, kind, *row[3:]))
        return sorted(claimed, key=lambda due: due.due_at)

    async def settle(
        self,
        notification_id: UUID,
        status: str,
        at: datetime,
        *,
        retry_at: datetime | None = None,
        error: str | None = None,
    ) -> None:
        """Record a claimed notification's outcome (``pending`` with ``retry_at``: try again)."""
        values: dict[str, Any] = {"status": status, "claimed_until": None, "last_error": error}
        if status == "sent":
            values["sent_at"] = at
        if retry_at is not None:
            values["due_at"] = retry_at
        await self._tx.conn.execute(
            update(NotificationRow).where(NotificationRow.id == notification_id).values(**values)
        )
