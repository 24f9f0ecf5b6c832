"""Link codes (``/link``): the table and its repository, and joining two users into one."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from sqlalchemy import (
    column,
    delete,
    exists,
    select,
    table,
    text,
    update,
)
from sqlalchemy.dialects.postgresql import insert

from db.models import BookingRow, LinkCodeRow, PlatformIdentityRow
from db.repositories import _Repository

# Every column referencing users.id, found in the catalog, so a table added later moves too
# (or, if it allows one row per user, makes the join fail as a whole: nothing is lost).
_USER_REFERENCES = text(
    """SELECT cl.relname, a.attname
         FROM pg_constraint c
         JOIN pg_class cl ON cl.oid = c.conrelid
         JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = ANY (c.conkey)
        WHERE c.contype = 'f' AND c.confrelid = 'users'::regclass AND cl.relname <> 'users'
        ORDER BY 1, 2"""
)
# One row per user that the joining account may lose: its half-finished wizard and its code.
_DROPPED = ("conversation_states", "link_codes")
_MERGE_USER = text(
    """UPDATE users AS t
          SET timezone = CASE WHEN coalesce(t.timezone, 'UTC') = 'UTC'
                              THEN coalesce(s.timezone, 'UTC') ELSE t.timezone END,
              current_curriculum_id = coalesce(t.current_curriculum_id, s.current_curriculum_id),
              notification_preferences = coalesce(s.notification_preferences, '{}'::jsonb)
                                         || coalesce(t.notification_preferences, '{}'::jsonb)
         FROM users AS s
        WHERE t.id = :target AND s.id = :source"""
)


class SqlLinkRepository(_Repository):
    async def save_code(self, user_id: UUID, code_hash: str, expires_at: datetime) -> None:
        """Store the user's new code, replacing any earlier one."""
        statement = insert(LinkCodeRow).values(
            user_id=user_id, code_hash=code_hash, expires_at=expires_at
        )
        await self._conn.execute(
            statement.on_conflict_do_update(
                index_elements=[LinkCodeRow.user_id],
                set_={"code_hash": code_hash, "expires_at": expires_at},
            )
        )

    async def owner_of(self, code_hash: str, now: datetime) -> UUID | None:
        """The user whose unexpired code has this hash."""
        return await self._conn.scalar(
            select(LinkCodeRow.user_id).where(
                LinkCodeRow.code_hash == code_hash, LinkCodeRow.expires_at > now
            )
        )

    async def use_code(self, user_id: UUID, code_hash: str, now: datetime) -> bool:
        """Clear the user's code if it is still this one and unexpired (single use)."""
        used = await self._conn.execute(
            update(LinkCodeRow)
            .where(
                LinkCodeRow.user_id == user_id,
                LinkCodeRow.code_hash == code_hash,
                LinkCodeRow.expires_at > now,
            )
            .values(code_hash=None, expires_at=None)
            .returning(LinkCodeRow.user_id)
        )
        return used.first() is not None

    async def guesses(self, user_id: UUID) -> tuple[int, datetime | None]:
        """The user's wrong guesses and when their window started; the row stays locked."""
        await self._conn.execute(
            insert(LinkCodeRow).values(user_id=user_id).on_conflict_do_nothing()
        )
        row = (
            await self._conn.execute(
                select(LinkCodeRow.failed_guesses, LinkCodeRow.guesses_since)
                .where(LinkCodeRow.user_id == user_id)
                .with_for_update()
            )
        ).one()
        return row[0], row[1]

    async def set_guesses(self, user_id: UUID, count: int, since: datetime) -> None:
        await self._conn.execute(
            update(LinkCodeRow)
            .where(LinkCodeRow.user_id == user_id)
            .values(failed_guesses=count, guesses_since=since)
        )

    async def lock_users(self, *user_ids: UUID) -> None:
        """Lock the users' rows (in id order, so two joins cannot deadlock on them)."""
        users = table("users", column("id"))
        await self._conn.execute(
            select(users.c.id)
            .where(users.c.id.in_(user_ids))
            .order_by(users.c.id)
            .with_for_update()
        )

    async def platforms(self, user_id: UUID) -> set[str]:
        rows = await self._conn.execute(
            select(PlatformIdentityRow.platform).where(PlatformIdentityRow.user_id == user_id)
        )
        return {platform for (platform,) in rows}

    async def has_bookings_with(self, learner: UUID, expert_id: UUID) -> bool:
        booked = exists().where(BookingRow.user_id == learner, BookingRow.expert_id == expert_id)
        return bool(await self._conn.scalar(select(booked)))

    async def merge(self, source: UUID, target: UUID) -> None:
        """Move everything of ``source`` to ``target`` and delete ``source``.

        ``target`` keeps its settings where it has them and takes the source's where not; the
        source's half-finished wizard and link code are dropped. Every other row that
        references the source user (found in the catalog) is moved to the target.
        """
        await self._conn.execute(_MERGE_USER, {"source": source, "target": target})
        references = (await self._conn.execute(_USER_REFERENCES)).all()
        for name, col in references:
            if name in _DROPPED:
                continue
            referencing = table(name, column(col))
            await self._conn.execute(
                update(referencing).where(referencing.c[col] == source).values({col: target})
            )
        users = table("users", column("id"))
        await self._conn.execute(delete(users).where(users.c.id == source))
