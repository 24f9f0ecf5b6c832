"""Repositories of accounts: users, identities, conversations, inbound updates and links."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any
from uuid import UUID

from sqlalchemy import (
    Boolean,
    String,
    and_,
    bindparam,
    column,
    delete,
    exists,
    func,
    null,
    or_,
    select,
    table,
    text,
    tuple_,
    update,
)
from sqlalchemy.dialects.postgresql import insert

from db.models import (
    BookingRow,
    ConversationStateRow,
    LinkCodeRow,
    NotificationRow,
    PlatformIdentityRow,
    ProcessedUpdateRow,
    UserRow,
)
from db.tx import _Repository
from domain.accounts.model import Conversation, Identity, User
from domain.notifications.model import DailySwitch
from domain.shared.errors import NotFound

# Built once: every message starts with this lookup.
_USER_BY_IDENTITY = (
    select(UserRow.id, UserRow.name, UserRow.timezone, UserRow.current_curriculum_id)
    .join(PlatformIdentityRow, PlatformIdentityRow.user_id == UserRow.id)
    .where(
        PlatformIdentityRow.platform == bindparam("platform"),
        PlatformIdentityRow.external_id == bindparam("external_id"),
    )
)


def _user(row: Any) -> User:
    return User(row.id, row.name, row.timezone or "UTC", row.current_curriculum_id)


class SqlUserRepository(_Repository):
    async def by_identity(self, platform: str, external_id: str) -> User | None:
        result = await self._conn.execute(
            _USER_BY_IDENTITY, {"platform": platform, "external_id": external_id}
        )
        row = result.first()
        return None if row is None else _user(row)

    async def add(self, identity: Identity) -> User:
        row = UserRow(name=identity.display_name[:255] or "Learner", timezone="UTC")
        self._session.add(row)
        await self._session.flush()
        self._session.add(
            PlatformIdentityRow(
                user_id=row.id,
                platform=identity.platform,
                external_id=identity.external_id,
                chat_id=identity.chat_id,
                display_name=identity.display_name[:255],
            )
        )
        await self._session.flush()
        return _user(row)

    async def touch_identity(self, identity: Identity) -> None:
        await self._session.execute(
            update(PlatformIdentityRow)
            .where(
                PlatformIdentityRow.platform == identity.platform,
                PlatformIdentityRow.external_id == identity.external_id,
            )
            .where(
                (PlatformIdentityRow.chat_id.is_distinct_from(identity.chat_id))
                | (PlatformIdentityRow.display_name.is_distinct_from(identity.display_name[:255]))
                | PlatformIdentityRow.blocked_at.is_not(None)
            )
            .values(
                chat_id=identity.chat_id,
                display_name=identity.display_name[:255],
                blocked_at=None,  # they wrote to us again: reachable again
            )
        )

    async def ids_for_identities(self, identities: frozenset[tuple[str, str]]) -> set[UUID]:
        """The users behind (platform, external id) pairs; unknown pairs are skipped."""
        if not identities:
            return set()
        rows = await self._session.execute(
            select(PlatformIdentityRow.user_id).where(
                tuple_(PlatformIdentityRow.platform, PlatformIdentityRow.external_id).in_(
                    sorted(identities)
                )
            )
        )
        return {user_id for (user_id,) in rows}

    async def preferences(self, user_id: UUID, *, lock: bool = False) -> dict[str, Any]:
        query = select(UserRow.notification_preferences).where(UserRow.id == user_id)
        if lock:
            query = query.with_for_update()
        return dict(await self._session.scalar(query) or {})

    async def set_preferences(self, user_id: UUID, document: dict[str, Any]) -> None:
        await self._session.execute(
            update(UserRow).where(UserRow.id == user_id).values(notification_preferences=document)
        )

    async def reminder_profiles(
        self, user_ids: Sequence[UUID]
    ) -> dict[UUID, tuple[str, dict[str, Any]]]:
        """Time zone and stored preferences of each of ``user_ids`` (unknown ids left out)."""
        rows = await self._conn.execute(
            select(UserRow.id, UserRow.timezone, UserRow.notification_preferences).where(
                UserRow.id.in_(user_ids)
            )
        )
        return {user_id: (zone or "UTC", dict(raw or {})) for user_id, zone, raw in rows}

    async def without_daily_reminders(
        self, after: UUID | None, limit: int, switches: Sequence[DailySwitch]
    ) -> list[tuple[UUID, str, dict[str, Any]]]:
        """Users (by id, after ``after``) who want a daily reminder that is not planned;
        ``switches`` say where the preferences switch each one, and its default."""
        if not switches:
            return []
        prefs = UserRow.notification_preferences
        wants = {
            switch.kind: func.coalesce(
                prefs[switch.section]["enabled"].as_boolean(),
                bindparam(f"{switch.section}_default", switch.default, type_=Boolean),
            )
            for switch in switches
        }
        missing = [
            and_(
                wanted,
                ~exists().where(
                    NotificationRow.user_id == UserRow.id,
                    NotificationRow.kind == kind,
                    NotificationRow.status == "pending",
                ),
            )
            for kind, wanted in wants.items()
        ]
        query = select(UserRow.id, UserRow.timezone, prefs).where(or_(*missing))
        if after is not None:
            query = query.where(UserRow.id > after)
        rows = await self._conn.execute(query.order_by(UserRow.id).limit(limit))
        return [(user_id, zone or "UTC", dict(raw or {})) for user_id, zone, raw in rows]

    async def reachable(self, user_id: UUID) -> list[tuple[str, str]]:
        rows = await self._session.execute(
            select(PlatformIdentityRow.platform, PlatformIdentityRow.external_id)
            .where(
                PlatformIdentityRow.user_id == user_id,
                PlatformIdentityRow.blocked_at.is_(None),
            )
            .order_by(PlatformIdentityRow.updated_at.desc())
        )
        return [(platform, external_id) for platform, external_id in rows]

    async def mark_blocked(
        self, user_id: UUID, platform: str, external_id: str, at: datetime
    ) -> None:
        await self._session.execute(
            update(PlatformIdentityRow)
            .where(
                PlatformIdentityRow.user_id == user_id,
                PlatformIdentityRow.platform == platform,
                PlatformIdentityRow.external_id == external_id,
            )
            .values(blocked_at=at)
        )

    async def get(self, user_id: UUID) -> User:
        row = await self._session.get(UserRow, user_id)
        if row is None:
            raise NotFound("I don't know you yet. Say /start first.")
        return _user(row)

    async def set_timezone(self, user_id: UUID, zone: str) -> None:
        await self._session.execute(
            update(UserRow).where(UserRow.id == user_id).values(timezone=zone)
        )

    async def set_current_curriculum(self, user_id: UUID, curriculum_id: UUID | None) -> None:
        await self._session.execute(
            update(UserRow)
            .where(UserRow.id == user_id)
            .values(current_curriculum_id=curriculum_id)
        )


class SqlConversationRepository(_Repository):
    async def get(self, user_id: UUID, *, lock: bool = False) -> Conversation | None:
        row = await self._session.get(
            ConversationStateRow, user_id, with_for_update=lock, populate_existing=lock
        )
        if row is None:
            return None
        return Conversation(row.flow, row.step, dict(row.data or {}), row.token, row.expires_at)

    async def put(self, user_id: UUID, conversation: Conversation) -> None:
        values = {
            "flow": conversation.flow,
            "step": conversation.step,
            "data": conversation.data,
            "token": conversation.token,
            "expires_at": conversation.expires_at,
        }
        await self._session.execute(
            insert(ConversationStateRow)
            .values(user_id=user_id, **values)
            .on_conflict_do_update(index_elements=[ConversationStateRow.user_id], set_=values)
        )

    async def clear(self, user_id: UUID, *, token: str | None = None) -> bool:
        query = delete(ConversationStateRow).where(ConversationStateRow.user_id == user_id)
        if token is not None:
            query = query.where(ConversationStateRow.token == token)
        result = await self._session.execute(query.returning(ConversationStateRow.user_id))
        return result.first() is not None


# Built once: every update starts with this statement. The claim, and (a data-modifying CTE in
# the same statement) the sender's identity made reachable again if they had blocked the bot:
# a person who writes to us does not block us, whatever a bot process has cached about them.
# Only a first delivery does that: a redelivered update was sent before, maybe before a block.
_CLAIMED = (
    insert(ProcessedUpdateRow)
    .values(
        platform=bindparam("stream"),
        update_id=bindparam("update_id"),
        received_at=bindparam("at"),
        waiting_sender=bindparam("waiting", type_=String()),
    )
    .on_conflict_do_nothing()
    .returning(ProcessedUpdateRow.update_id)
    .cte("claimed")
)
_REACHABLE = (
    update(PlatformIdentityRow)
    .where(
        PlatformIdentityRow.platform == bindparam("sender_platform"),
        PlatformIdentityRow.external_id == bindparam("sender_id"),
        PlatformIdentityRow.blocked_at.is_not(None),
        exists().select_from(_CLAIMED),
    )
    .values(blocked_at=null())
    .cte("reachable")
)
_CLAIM = select(_CLAIMED.c.update_id).add_cte(_REACHABLE)


class SqlDeliveryRepository(_Repository):
    """Claims on platform updates (``processed_updates``): one Core statement each."""

    async def claim(
        self, platform: str, update_id: int, sender: Identity, at: datetime, waiting: bool = False
    ) -> bool:
        result = await self._conn.execute(
            _CLAIM,
            {
                "stream": platform,
                "update_id": update_id,
                "at": at,
                "waiting": sender.external_id if waiting else None,
                "sender_platform": sender.platform,
                "sender_id": sender.external_id,
            },
        )
        return result.first() is not None

    async def forget_before(self, moment: datetime) -> int:
        result = await self._conn.execute(
            delete(ProcessedUpdateRow).where(ProcessedUpdateRow.received_at < moment)
        )
        return result.rowcount or 0


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
