"""Registering a person on first contact and the account settings they own."""

from __future__ import annotations

from uuid import UUID

from domain.accounts.model import Identity, SetTimezone, TimezoneSet, User
from domain.notifications.planning import daily_reminders
from domain.notifications.preferences import NotificationPreferences
from domain.notifications.services import replan_user
from domain.shared.clock import Clock
from domain.shared.timezones import resolve_zone
from domain.unit_of_work import UnitOfWork


async def register(identity: Identity, uow: UnitOfWork, clock: Clock) -> tuple[User, bool]:
    """Find the user behind a platform identity, creating one on first contact.

    The identity's chat id and display name are refreshed when they changed.

    Returns:
        The user and whether it was created just now.
    """
    async with uow:
        user = await uow.users.by_identity(identity.platform, identity.external_id)
        created = user is None
        if user is None:
            user = await uow.users.add(identity)
            defaults = daily_reminders(
                user.id, user.timezone, NotificationPreferences(), clock.now()
            )
            await uow.notifications.plan(defaults)  # a new user's default reminders
        else:
            await uow.users.touch_identity(identity)
        await uow.commit()
        return user, created


async def find_user(identity: Identity, uow: UnitOfWork) -> User | None:
    """The user behind a platform identity, or None if it never wrote (nothing is created)."""
    async with uow:
        return await uow.users.by_identity(identity.platform, identity.external_id)


async def get_user(user_id: UUID, uow: UnitOfWork) -> User:
    async with uow:
        return await uow.users.get(user_id)


async def set_timezone(cmd: SetTimezone, uow: UnitOfWork, clock: Clock) -> TimezoneSet:
    """Set the learner's IANA zone (any case) and re-plan their reminders in it.

    Raises ``UnknownTimeZone`` with suggestions."""
    zone = resolve_zone(cmd.zone)
    async with uow:
        await uow.users.set_timezone(cmd.user_id, zone)
        await replan_user(cmd.user_id, uow, clock.now())
        await uow.commit()
    return TimezoneSet(zone)
