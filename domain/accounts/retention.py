"""Retention: inactive accounts are warned, then deleted; old session data is archived; old
outbox rows and update claims are pruned. The rules (windows, who is protected) live here;
the SQL in ``db.repositories.retention``.

Inactive accounts: a person is active when they write or press anything (the dispatcher calls
:func:`seen`, which writes at most once a :data:`SEEN_EVERY`) or have a booking, as either
side, made or taking place within the window. With no activity for ``inactive_after`` minus
``warn_ahead`` they are told in chat (``ACCOUNT_INACTIVE``, through the outbox) with a button
to keep the account; still inactive ``warn_ahead`` later, their account is deleted by
``/delete_me``'s own deletion (:func:`domain.accounts.data_rights.erase`). Never deleted
automatically (nor warned): an expert with future (or unsettled open) bookings, and anyone
with money still owed to or by them (a commission not yet paid out on their bookings as
expert; a refund owed, or a completed session not paid for, on either side).

Old session data: the sessions and notes of curricula archived more than ``archive_after``
ago move into ``archived_sessions`` and ``archived_user_notes`` (still in ``/export``);
:func:`unarchive` brings a curriculum's back.

Every job runs in batches of ``batch`` rows, one transaction each (``FOR UPDATE SKIP LOCKED``,
so it never waits for, or blocks, a person using Syllabot), is idempotent (a second run finds
nothing) and logs what it did.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import timedelta
from uuid import UUID

from domain.accounts import data_rights, inbound
from domain.accounts.model import CleanupReport, Guard
from domain.marketplace.model import BookingStatus, PaymentStatus
from domain.marketplace.payments import PaymentProvider
from domain.notifications.model import NotificationKind
from domain.shared.clock import Clock
from domain.shared.errors import NotFound
from domain.unit_of_work import UnitOfWork

logger = logging.getLogger(__name__)

SEEN_EVERY = timedelta(days=1)  # last_seen_at is written at most this often per person
UNSETTLED = ("pending", "failed")  # commissions not yet paid out
REFUND_OWED = (BookingStatus.CANCELLED.value, PaymentStatus.PAID.value)
PAYMENT_OWED = (BookingStatus.COMPLETED.value, PaymentStatus.PENDING.value)


@dataclass(frozen=True)
class Retention:
    """The configurable windows (``SYLLABOT_INACTIVE_DAYS`` sets ``inactive_after``)."""

    inactive_after: timedelta = timedelta(days=730)
    warn_ahead: timedelta = timedelta(days=30)
    archive_after: timedelta = timedelta(days=730)  # since the curriculum was archived
    notifications: timedelta = timedelta(days=90)  # sent, dropped or failed ones
    updates: timedelta = inbound.KEEP  # claims on platform updates
    batch: int = 1000


def guard() -> Guard:
    """Who is protected from automatic deletion."""
    return Guard(
        open_statuses=data_rights.OPEN,
        unsettled=UNSETTLED,
        refund_owed=REFUND_OWED,
        payment_owed=PAYMENT_OWED,
    )


async def seen(user_id: UUID, uow: UnitOfWork, clock: Clock) -> bool:
    """The person wrote or pressed something: record it, unless already recorded within
    :data:`SEEN_EVERY` (then nothing is written). Clears an inactivity warning."""
    now = clock.now()
    async with uow:
        written = await uow.retention.seen(user_id, now, now - SEEN_EVERY)
        await uow.commit()
    return written


async def keep_account(user_id: UUID, uow: UnitOfWork, clock: Clock) -> None:
    """The "Keep my account" button: the person is active now, the warning is withdrawn."""
    now = clock.now()
    async with uow:
        await uow.retention.seen(user_id, now, now)
        await uow.commit()


async def _batches(step: Callable[[], Awaitable[int]], batch: int) -> int:
    """Run ``step`` (one batch, one transaction) until a batch is not full; the total."""
    total = 0
    while (done := await step()) > 0:
        total += done
        if done < batch:
            break
    return total


async def warn_inactive(uow: Callable[[], UnitOfWork], clock: Clock, rules: Retention) -> int:
    """Tell each unprotected person inactive for ``inactive_after - warn_ahead`` that their
    account goes in ``warn_ahead`` unless they keep it; how many were told."""
    now = clock.now()
    delete_on = (now + rules.warn_ahead).date().isoformat()

    async def step() -> int:
        async with (work := uow()):
            ids = await work.retention.to_warn(
                now - (rules.inactive_after - rules.warn_ahead), guard(), rules.batch
            )
            for user_id in ids:
                kind = NotificationKind.ACCOUNT_INACTIVE
                await work.notifications.add(user_id, kind, {"delete_on": delete_on}, now)
            await work.retention.mark_warned(ids, now)
            await work.commit()
        return len(ids)

    return await _batches(step, rules.batch)


async def delete_inactive(
    uow: Callable[[], UnitOfWork], clock: Clock, rules: Retention, payments: PaymentProvider
) -> int:
    """Delete the accounts warned ``warn_ahead`` ago and inactive since, each in its own
    transaction with ``/delete_me``'s deletion, after re-checking under the user's lock."""
    now = clock.now()
    inactive_before, warned_before = now - rules.inactive_after, now - rules.warn_ahead
    deleted, tried = 0, set[UUID]()
    while True:
        async with (work := uow()):
            found = await work.retention.to_delete(
                inactive_before, warned_before, guard(), rules.batch
            )
        fresh = [user_id for user_id in found if user_id not in tried]
        for user_id in fresh:
            tried.add(user_id)
            async with (work := uow()):
                if not await data_rights.lock_for_deletion(work, user_id):
                    continue
                again = await work.retention.to_delete(
                    inactive_before, warned_before, guard(), 1, only=user_id
                )
                if not again:  # active or protected since the list was read
                    continue
                try:
                    await data_rights.erase(work, user_id, now, payments)
                except data_rights.OpenAsExpert:  # the guard's rule, seen by /delete_me's
                    logger.info("retention: kept %s, an expert with open bookings", user_id)
                    continue
                await work.commit()
            deleted += 1
            logger.info("retention: deleted inactive account %s", user_id)
        if len(found) < rules.batch or not fresh:
            return deleted


async def archive_old_sessions(
    uow: Callable[[], UnitOfWork], clock: Clock, rules: Retention
) -> tuple[int, int]:
    """Move the sessions and notes of curricula archived over ``archive_after`` ago into the
    archive tables; (sessions, notes) moved."""
    before, notes = clock.now() - rules.archive_after, 0

    async def step() -> int:
        nonlocal notes
        async with (work := uow()):
            sessions, moved_notes = await work.retention.archive_sessions(before, rules.batch)
            await work.commit()
        notes += moved_notes
        return sessions

    return await _batches(step, rules.batch), notes


async def unarchive(
    curriculum_id: UUID, uow: Callable[[], UnitOfWork], rules: Retention
) -> tuple[int, int]:
    """Bring a curriculum's archived sessions and notes back (``syllabot db unarchive``); the
    curriculum counts as changed now, so it is archived again only ``archive_after`` later.

    Raises:
        NotFound: there is no such curriculum.
    """
    async with (work := uow()):
        if not await work.retention.touch_curriculum(curriculum_id):
            raise NotFound("There is no such curriculum.")
        await work.commit()
    notes = 0

    async def step() -> int:
        nonlocal notes
        async with (work := uow()):
            sessions, moved_notes = await work.retention.unarchive_sessions(
                curriculum_id, rules.batch
            )
            await work.commit()
        notes += moved_notes
        return sessions

    sessions = await _batches(step, rules.batch)
    logger.info(
        "retention: restored %d session(s), %d note(s) of %s", sessions, notes, curriculum_id
    )
    return sessions, notes


async def prune(uow: Callable[[], UnitOfWork], clock: Clock, rules: Retention) -> tuple[int, int]:
    """Delete settled notifications older than ``notifications`` and update claims older than
    ``updates``; (notifications, claims) deleted."""
    now = clock.now()

    async def notifications() -> int:
        async with (work := uow()):
            done = await work.retention.prune_notifications(now - rules.notifications, rules.batch)
            await work.commit()
        return done

    async def updates() -> int:
        async with (work := uow()):
            done = await work.retention.prune_updates(now - rules.updates, rules.batch)
            await work.commit()
        return done

    return await _batches(notifications, rules.batch), await _batches(updates, rules.batch)


async def clean_up(
    uow: Callable[[], UnitOfWork], clock: Clock, rules: Retention, payments: PaymentProvider
) -> CleanupReport:
    """Every retention job, in order (deletion before warning, so a person is never warned and
    deleted in one run); logs and returns what they did."""
    deleted = await delete_inactive(uow, clock, rules, payments)
    warned = await warn_inactive(uow, clock, rules)
    async with (work := uow()):
        inactive_before = clock.now() - (rules.inactive_after - rules.warn_ahead)
        protected = await work.retention.protected(inactive_before, guard())
    sessions, notes = await archive_old_sessions(uow, clock, rules)
    notifications, updates = await prune(uow, clock, rules)
    report = CleanupReport(
        warned=warned,
        deleted=deleted,
        protected=protected,
        sessions_archived=sessions,
        notes_archived=notes,
        notifications_pruned=notifications,
        updates_pruned=updates,
    )
    logger.info(
        "clean-up: %d inactive account(s) warned, %d deleted, %d protected; %d session(s) and "
        "%d note(s) archived; %d notification(s) and %d update claim(s) pruned",
        report.warned,
        report.deleted,
        report.protected,
        report.sessions_archived,
        report.notes_archived,
        report.notifications_pruned,
        report.updates_pruned,
    )
    return report
