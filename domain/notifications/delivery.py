"""Delivering the outbox: workers claim due notifications, send them, and record the outcome.

A claim is a lease: the claiming worker has ``LEASE`` to settle each row; if it dies, the rows
become claimable again when the lease runs out, so another worker sends them. Two workers
never hold one row at once (``FOR UPDATE SKIP LOCKED``), so each notification is sent once,
unless a worker dies after sending and before settling (then at most once more: the lease is
the trade between never losing a reminder and never repeating one).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from uuid import UUID

from domain.notifications import preferences, wallclock
from domain.notifications.model import PLANNED, RECURRING, UNQUIET, Audience, Due, Outcome
from domain.notifications.services import plan_following
from domain.shared.clock import Clock
from domain.unit_of_work import UnitOfWork

LEASE = timedelta(minutes=2)


async def claim(
    uow: UnitOfWork,
    clock: Clock,
    *,
    limit: int,
    lease: timedelta = LEASE,
    audience: Audience | None = None,
) -> list[Due]:
    """Lease up to ``limit`` due notifications of ``audience`` (None: anybody's), committed
    before this returns.

    Alerts (a booking request, a confirmation...) that come during the recipient's quiet hours
    are put back, due at the end of the quiet period. Reminders were planned around quiet
    hours already; a focus timer's end (``UNQUIET``) is sent at once, as the learner asked.
    """
    async with uow:
        now = clock.now()
        due = await uow.notifications.claim(now, lease, limit, audience)
        held = await _hold_for_quiet_hours(due, uow, now)
        await uow.commit()
    return [d for d in due if d.id not in held]


async def _hold_for_quiet_hours(due: list[Due], uow: UnitOfWork, now: datetime) -> set[UUID]:
    alerts = [d for d in due if d.kind not in PLANNED | UNQUIET]
    if not alerts:
        return set()
    profiles = await uow.users.reminder_profiles(sorted({d.user_id for d in alerts}))
    held = set()
    for d in alerts:
        zone, raw = profiles.get(d.user_id, ("UTC", {}))
        quiet = preferences.load_or_defaults(raw).quiet
        if quiet is None:
            continue
        _, end = wallclock.quiet_period(now, zone, quiet)
        if end > now:
            await uow.notifications.settle(
                d.id, Outcome.RETRY.value, now, retry_at=end, error="held for quiet hours"
            )
            held.add(d.id)
    return held


async def settle(
    uow: UnitOfWork,
    clock: Clock,
    outcomes: list[tuple[Due, Outcome, datetime | None, str | None]],
) -> None:
    """Record the outcomes of a batch: (notification, outcome, retry at, error).

    A daily reminder that is done with (sent, skipped or dropped) has its next occurrence
    planned in the same transaction.
    """
    async with uow:
        now = clock.now()
        for due, outcome, retry_at, error in outcomes:
            await uow.notifications.settle(
                due.id, outcome.value, now, retry_at=retry_at, error=error
            )
        await plan_following(
            [
                (due.user_id, due.kind, _meant_for(due))
                for due, outcome, _, _ in outcomes
                if outcome is not Outcome.RETRY and due.kind in RECURRING
            ],
            uow,
            now,
        )
        await uow.commit()


def _meant_for(due: Due) -> datetime:
    """The instant a planned reminder was for (its due time may have moved for quiet hours)."""
    try:
        return datetime.fromisoformat(due.data["at"])
    except (KeyError, TypeError, ValueError):
        return due.due_at


async def destinations(
    user_id: UUID, audience: Audience, uow: UnitOfWork
) -> list[tuple[str, str]]:
    """Where the user can be reached: (platform, chat id), the platform chosen in their
    preferences first, then most recently used first, leaving out chats outside ``audience``
    (platforms with no courier) and chats where the user blocked the bot."""
    async with uow:
        found = [
            (platform, chat_id)
            for platform, chat_id in await uow.users.reachable(user_id)
            if platform in audience.platforms
            and (audience.chats is None or chat_id in audience.chats)
        ]
        if len(found) > 1:
            raw = await uow.users.preferences(user_id)
            chosen = preferences.load_or_defaults(raw).platform
            found.sort(key=lambda place: place[0] != chosen)  # stable: recency otherwise
        return found


async def mark_blocked(
    user_id: UUID, platform: str, chat_id: str, uow: UnitOfWork, at: datetime
) -> None:
    """Stop sending to a chat where the user blocked the bot (until they write again)."""
    async with uow:
        await uow.users.mark_blocked(user_id, platform, chat_id, at)
        await uow.commit()
