"""The booking walk entered from elsewhere than a profile card's 📅 Book: at a free time a
notice offers (a lapsed request's alternatives, a freed waitlist day), and left at a full day
by waiting for a time to free up (🔔). Each press is one transaction, as every step of the walk
(``booking_walk``), whose state and screens these share."""

from __future__ import annotations

from datetime import date
from uuid import UUID

from domain.accounts import conversations
from domain.marketplace.booking_walk import (
    _at,
    _begin,
    _bookable,
    _days,
    _full,
    _name,
    _quote,
    _stored,
    _times,
)
from domain.marketplace.commands import JoinWaitlist, StartAtSlot, WaitlistJoined, WalkResult
from domain.marketplace.model import DURATIONS, Policy
from domain.marketplace.rules import price_for
from domain.marketplace.waitlist import expires, offer_and_full
from domain.shared.clock import Clock
from domain.shared.errors import InvalidInput
from domain.shared.timezones import local_date
from domain.unit_of_work import UnitOfWork


async def start_at(cmd: StartAtSlot, uow: UnitOfWork, clock: Clock, policy: Policy) -> WalkResult:
    """📅 A time offered in a notice: the walk at its confirmation, with the way back through
    the time, day and length steps, as if chosen one by one (one transaction). A time no
    longer free shows the day's free times instead (or the days), "just taken"."""
    if cmd.minutes not in DURATIONS:
        raise InvalidInput(conversations.STALE)
    now = clock.now()
    async with uow:
        walk, expert = await _begin(uow, cmd.user_id, cmd.expert_id, now)
        zone = str(walk.data["zone"])
        offer, full = await offer_and_full(uow, expert, cmd.minutes, now, policy, zone)
        data = {
            **walk.data,
            "minutes": cmd.minutes,
            "price": str(price_for(expert.rate_min, expert.rate_max, cmd.minutes)),
            "offer": _stored(offer),
            "full": full,
        }
        walk = await conversations.advance(uow, cmd.user_id, walk, "day", data, now)
        day = local_date(cmd.starts_at, zone)
        times = [s for s in offer if local_date(s, zone) == day]
        if not times:
            await uow.commit()
            return _days(walk, offer, note=f"{TAKEN} That day has no free time left. ")
        data = {**data, "day": day.isoformat(), "slots": _stored(times)}
        walk = await conversations.advance(uow, cmd.user_id, walk, "slot", data, now)
        if cmd.starts_at not in times:
            await uow.commit()
            return _times(walk, note=f"{TAKEN} These times are still free that day.\n")
        data = {**data, "start": cmd.starts_at.isoformat()}
        walk = await conversations.advance(uow, cmd.user_id, walk, "confirm", data, now)
        await uow.commit()
    return _quote(walk, policy)


TAKEN = "Sorry, that time was just taken."


async def join_waitlist(cmd: JoinWaitlist, uow: UnitOfWork, clock: Clock) -> WaitlistJoined:
    """🔔 Tell me if a slot frees up: wait for the full day the walk is at (the expert's local
    dates of its times), and end the walk, in one transaction. A second press finds the walk
    ended; the same day again keeps one entry."""
    now = clock.now()
    async with uow:
        walk = await _at(uow, cmd.user_id, cmd.token, "full", now, lock=True)
        day = str(walk.data["day"])
        theirs = _full(walk).get(day)
        if not isinstance(theirs, list) or len(theirs) != 2:
            raise InvalidInput(conversations.STALE)
        expert = await _bookable(uow, UUID(str(walk.data["expert"])))
        first, last = date.fromisoformat(str(theirs[0])), date.fromisoformat(str(theirs[1]))
        entry_id = await uow.waitlist.join(
            cmd.user_id,
            expert.id,
            first,
            last,
            int(str(walk.data["minutes"])),
            now=now,
            expires_at=expires(last, expert.timezone),
        )
        await conversations.finish(uow, cmd.user_id, cmd.token)
        await uow.commit()
    return WaitlistJoined(entry_id, date.fromisoformat(day), _name(walk))
