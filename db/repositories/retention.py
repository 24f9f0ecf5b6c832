"""Retention and clean-up in SQL: last seen, inactive and protected users, and the batched
archive moves and prunes. Each method is one bounded batch in the caller's transaction; rows
another transaction holds are skipped (``FOR UPDATE SKIP LOCKED``), never waited for."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from uuid import UUID

from sqlalchemy import text

from db.repositories.data_rights import NOTE_COLUMNS, SESSION_COLUMNS
from db.tx import Tx
from domain.accounts.model import Guard

_SEEN = text(
    """UPDATE users SET last_seen_at = :now, inactive_warned_at = NULL
        WHERE id = :u AND (last_seen_at <= :unless OR inactive_warned_at IS NOT NULL)"""
)
# No message since :before and no booking, as either side, made or held since then.
_INACTIVE = """u.last_seen_at < :before
   AND NOT EXISTS (SELECT 1 FROM bookings b WHERE b.user_id = u.id
                      AND (b.created_at >= :before OR b.session_date >= :before))
   AND NOT EXISTS (SELECT 1 FROM bookings b JOIN experts e ON e.id = b.expert_id
                    WHERE e.user_id = u.id
                      AND (b.created_at >= :before OR b.session_date >= :before))"""
_OWED = """((b.status = :refund_status AND b.payment_status = :refund_payment)
    OR (b.status = :owed_status AND b.payment_status = :owed_payment))"""
# The domain's Guard: open bookings as expert, unpaid commissions, money owed either way.
_PROTECTED = f"""(EXISTS (SELECT 1 FROM bookings b JOIN experts e ON e.id = b.expert_id
                  WHERE e.user_id = u.id AND b.status = ANY(:open))
   OR EXISTS (SELECT 1 FROM commissions c JOIN bookings b ON b.id = c.booking_id
                JOIN experts e ON e.id = b.expert_id
               WHERE e.user_id = u.id AND c.status = ANY(:unsettled))
   OR EXISTS (SELECT 1 FROM bookings b WHERE b.user_id = u.id AND {_OWED})
   OR EXISTS (SELECT 1 FROM bookings b JOIN experts e ON e.id = b.expert_id
               WHERE e.user_id = u.id AND {_OWED}))"""  # noqa: S608
_TO_WARN = text(
    f"""SELECT u.id FROM users u
         WHERE u.inactive_warned_at IS NULL AND {_INACTIVE} AND NOT {_PROTECTED}
         ORDER BY u.last_seen_at, u.id LIMIT :n FOR UPDATE OF u SKIP LOCKED"""  # noqa: S608
)
_MARK_WARNED = text(
    "UPDATE users SET inactive_warned_at = :at WHERE id = ANY(CAST(:ids AS uuid[]))"
)
_TO_DELETE = text(
    f"""SELECT u.id FROM users u
         WHERE u.inactive_warned_at <= :warned_before AND {_INACTIVE} AND NOT {_PROTECTED}
           AND (CAST(:only AS uuid) IS NULL OR u.id = CAST(:only AS uuid))
         ORDER BY u.inactive_warned_at, u.id LIMIT :n"""  # noqa: S608
)
_COUNT_PROTECTED = text(f"SELECT count(*) FROM users u WHERE {_INACTIVE} AND {_PROTECTED}")  # noqa: S608

_OLD_SESSIONS = text(
    """SELECT s.id FROM sessions s JOIN curricula c ON c.id = s.curriculum_id
        WHERE c.status = 'archived' AND c.updated_at < :before
        ORDER BY s.id LIMIT :n FOR UPDATE OF s SKIP LOCKED"""
)
_ARCHIVE_SESSIONS = text(
    f"""INSERT INTO archived_sessions ({SESSION_COLUMNS})
        SELECT {SESSION_COLUMNS} FROM sessions WHERE id = ANY(CAST(:ids AS uuid[]))"""  # noqa: S608
)
_ARCHIVE_NOTES = text(
    f"""WITH moved AS (DELETE FROM user_notes WHERE session_id = ANY(CAST(:ids AS uuid[]))
                       RETURNING {NOTE_COLUMNS})
        INSERT INTO archived_user_notes ({NOTE_COLUMNS}) SELECT {NOTE_COLUMNS} FROM moved"""  # noqa: S608
)
_DELETE_SESSIONS = text("DELETE FROM sessions WHERE id = ANY(CAST(:ids AS uuid[]))")
_TOUCH = text("UPDATE curricula SET updated_at = now() WHERE id = :c RETURNING id")
_ARCHIVED_OF = text(
    """SELECT id FROM archived_sessions WHERE curriculum_id = :c
        ORDER BY id LIMIT :n FOR UPDATE SKIP LOCKED"""
)
_RESTORE_SESSIONS = text(
    f"""INSERT INTO sessions ({SESSION_COLUMNS})
        SELECT {SESSION_COLUMNS} FROM archived_sessions WHERE id = ANY(CAST(:ids AS uuid[]))"""  # noqa: S608
)
_RESTORE_NOTES = text(
    f"""INSERT INTO user_notes ({NOTE_COLUMNS})
        SELECT {NOTE_COLUMNS} FROM archived_user_notes
         WHERE session_id = ANY(CAST(:ids AS uuid[]))"""  # noqa: S608
)
# Their archived notes go with them (ON DELETE CASCADE), already copied back.
_DELETE_ARCHIVED = text("DELETE FROM archived_sessions WHERE id = ANY(CAST(:ids AS uuid[]))")
_PRUNE_NOTIFICATIONS = text(
    """DELETE FROM notifications WHERE id IN (
         SELECT id FROM notifications
          WHERE status IN ('sent', 'dropped', 'failed') AND coalesce(sent_at, due_at) < :before
          LIMIT :n FOR UPDATE SKIP LOCKED)"""
)
_PRUNE_UPDATES = text(
    """DELETE FROM processed_updates WHERE ctid = ANY(ARRAY(
         SELECT ctid FROM processed_updates WHERE received_at < :before
          LIMIT :n FOR UPDATE SKIP LOCKED))"""
)


def _guarded(guard: Guard) -> dict[str, object]:
    return {
        "open": list(guard.open_statuses),
        "unsettled": list(guard.unsettled),
        "refund_status": guard.refund_owed[0],
        "refund_payment": guard.refund_owed[1],
        "owed_status": guard.payment_owed[0],
        "owed_payment": guard.payment_owed[1],
    }


class SqlRetentionRepository:
    def __init__(self, tx: Tx) -> None:
        self._tx = tx

    async def _ids(self, statement: object, params: dict[str, object]) -> list[UUID]:
        result = await self._tx.conn.execute(statement, params)  # type: ignore[call-overload]
        return [row[0] for row in result]

    async def _count(self, statement: object, params: dict[str, object]) -> int:
        result = await self._tx.conn.execute(statement, params)  # type: ignore[call-overload]
        return int(result.rowcount or 0)

    async def seen(self, user_id: UUID, now: datetime, unless_after: datetime) -> bool:
        params = {"u": user_id, "now": now, "unless": unless_after}
        return await self._count(_SEEN, params) > 0

    async def to_warn(self, inactive_before: datetime, guard: Guard, limit: int) -> list[UUID]:
        params = {"before": inactive_before, "n": limit, **_guarded(guard)}
        return await self._ids(_TO_WARN, params)

    async def mark_warned(self, user_ids: Sequence[UUID], at: datetime) -> None:
        if user_ids:
            await self._tx.conn.execute(_MARK_WARNED, {"ids": list(user_ids), "at": at})

    async def to_delete(
        self,
        inactive_before: datetime,
        warned_before: datetime,
        guard: Guard,
        limit: int,
        only: UUID | None = None,
    ) -> list[UUID]:
        params = {
            "before": inactive_before,
            "warned_before": warned_before,
            "n": limit,
            "only": only,
            **_guarded(guard),
        }
        return await self._ids(_TO_DELETE, params)

    async def protected(self, inactive_before: datetime, guard: Guard) -> int:
        params = {"before": inactive_before, **_guarded(guard)}
        return int(await self._tx.conn.scalar(_COUNT_PROTECTED, params) or 0)

    async def archive_sessions(self, archived_before: datetime, limit: int) -> tuple[int, int]:
        ids = await self._ids(_OLD_SESSIONS, {"before": archived_before, "n": limit})
        if not ids:
            return 0, 0
        await self._tx.conn.execute(_ARCHIVE_SESSIONS, {"ids": ids})
        notes = await self._count(_ARCHIVE_NOTES, {"ids": ids})
        await self._tx.conn.execute(_DELETE_SESSIONS, {"ids": ids})
        return len(ids), notes

    async def touch_curriculum(self, curriculum_id: UUID) -> bool:
        return await self._tx.conn.scalar(_TOUCH, {"c": curriculum_id}) is not None

    async def unarchive_sessions(self, curriculum_id: UUID, limit: int) -> tuple[int, int]:
        ids = await self._ids(_ARCHIVED_OF, {"c": curriculum_id, "n": limit})
        if not ids:
            return 0, 0
        await self._tx.conn.execute(_RESTORE_SESSIONS, {"ids": ids})
        notes = await self._count(_RESTORE_NOTES, {"ids": ids})
        await self._tx.conn.execute(_DELETE_ARCHIVED, {"ids": ids})
        return len(ids), notes

    async def prune_notifications(self, before: datetime, limit: int) -> int:
        return await self._count(_PRUNE_NOTIFICATIONS, {"before": before, "n": limit})

    async def prune_updates(self, before: datetime, limit: int) -> int:
        return await self._count(_PRUNE_UPDATES, {"before": before, "n": limit})
