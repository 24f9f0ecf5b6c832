"""Requests that do not rot: the expert's nudges, the learner's lapse notice with other times
and similar experts, and the waitlist of a fully booked day.

A day of the booking walk is *full* when the expert's hours offer slots of the chosen length
on it that only bookings hold (``offer_and_full``): the learner may wait for it. The entry is
for the expert's local dates of those slots (the learner's day as the expert lives it), so a
booking on one of them that is declined, cancelled, lapses or moves (``freed``) tells the learners
waiting, once each, in the transaction of the change; the first to book the time wins, under
the expert's lock as every booking (``bookings.book_in``).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, time, timedelta
from uuid import UUID

from domain.marketplace.model import (
    Booking,
    Expert,
    Policy,
    SearchFilters,
    Verification,
    WaitlistEntry,
)
from domain.marketplace.notices import tell
from domain.marketplace.slots import _cut, open_slots_of
from domain.notifications.model import NotificationKind, Planned
from domain.notifications.wallclock import local_instant
from domain.shared.clock import Clock
from domain.shared.errors import NotFound
from domain.shared.timezones import local_date
from domain.unit_of_work import UnitOfWork

NUDGE = NotificationKind.BOOKING_NUDGE
FREED = NotificationKind.WAITLIST_FREED
SIMILAR = 3  # similar experts offered with a lapse notice
NEXT_SLOTS = 3  # the expert's next free times offered with it
NOT_ON_IT = "You're not on that waitlist (any more). See /waitlist."


def request_nudges(
    booking_id: UUID,
    expert_user_id: UUID,
    requested_at: datetime,
    expires_at: datetime,
    policy: Policy,
) -> list[Planned]:
    """The expert's nudges about a new request: ``policy.nudges`` after it was made (in real
    time: UTC arithmetic, so a DST change in between moves no nudge), each valid until the
    request lapses; one that would not come before the lapse is not planned."""
    made = requested_at.astimezone(UTC)
    planned = []
    for after in policy.nudges:
        due = made + after
        if due >= expires_at:
            continue
        hours = int(after.total_seconds() // 3600)
        data = {"booking_id": str(booking_id), "after_hours": hours}
        key = f"{NUDGE}:{booking_id}:{made:%Y%m%dT%H%M%SZ}:{int(after.total_seconds())}"
        planned.append(Planned(expert_user_id, NUDGE, data, due, expires_at, key))
    return planned


async def offer_and_full(
    uow: UnitOfWork, expert: Expert, minutes: int, now: datetime, policy: Policy, zone: str
) -> tuple[list[datetime], dict[str, list[str]]]:
    """The expert's open slots of ``minutes`` over the booking horizon, and the full days: the
    learner's local dates (in ``zone``) with no open slot whose hours bookings hold, each with
    the expert's local dates of those slots (first, last) as ISO strings. One calendar read."""
    until = now + policy.horizon
    calendar = (
        await uow.experts.calendars([expert.id], now - policy.buffer, until + policy.buffer, now)
    )[expert.id]
    offer = _cut(expert, calendar, minutes, now, until, policy)
    if not calendar.busy:
        return offer, {}
    free = {local_date(slot, zone) for slot in offer}
    held: dict[date, list[date]] = {}
    for slot in _cut(expert, replace(calendar, busy=[]), minutes, now, until, policy):
        day = local_date(slot, zone)
        if day not in free:
            held.setdefault(day, []).append(local_date(slot, expert.timezone))
    return offer, {
        day.isoformat(): [min(theirs).isoformat(), max(theirs).isoformat()]
        for day, theirs in held.items()
    }


def expires(ends_on: date, zone: str) -> datetime:
    """When a wait for the expert's dates up to ``ends_on`` is over: the expert's next local
    midnight after it, in UTC (a 23- or 25-hour day across DST is still one day)."""
    return local_instant(ends_on + timedelta(days=1), time(0), zone)


async def freed(uow: UnitOfWork, booking: Booking, now: datetime) -> None:
    """A booking was declined, cancelled, lapsed or moved away from its time: tell the learners
    waiting for its day (the expert's local date of its start), once each, and take them off
    the waitlist."""
    day = local_date(booking.starts_at, booking.expert_timezone)
    for entry in await uow.waitlist.take(booking.expert_id, day, now):
        data = {
            "expert_id": str(entry.expert_id),
            "day": day.isoformat(),
            "minutes": entry.minutes,
        }
        await tell(uow, entry.user_id, FREED, data, now)


@dataclass(frozen=True)
class FreedTimes:
    """What a waitlisted learner is told: the expert, and the open times of the freed day."""

    expert: Expert
    day: date  # the expert's local date
    minutes: int
    times: tuple[datetime, ...]


async def freed_times(
    expert_id: UUID, day: date, minutes: int, uow: UnitOfWork, clock: Clock, policy: Policy
) -> FreedTimes:
    """The open times of ``minutes`` on the expert's local ``day``, now (at delivery)."""
    now = clock.now()
    async with uow:
        expert = await _listed(uow, expert_id)
        offer = await open_slots_of(uow, expert, minutes, now, policy, policy.horizon)
    times = tuple(s for s in offer if local_date(s, expert.timezone) == day)
    return FreedTimes(expert, day, minutes, times)


@dataclass(frozen=True)
class Alternatives:
    """What a learner whose request lapsed is offered: the expert's next free times and up to
    three similar experts (a specialty in common, verified, not the same expert)."""

    expert: Expert | None  # None: no longer listed
    times: tuple[datetime, ...]
    similar: tuple[Expert, ...]


async def alternatives(
    booking: Booking, uow: UnitOfWork, clock: Clock, policy: Policy
) -> Alternatives:
    """The lapsed request's alternatives, read now (at delivery)."""
    now = clock.now()
    async with uow:
        expert = await uow.experts.get(booking.expert_id)
        if expert is None:
            return Alternatives(None, (), ())
        times: list[datetime] = []
        if expert.status is Verification.VERIFIED:
            week = timedelta(days=7)
            times = await open_slots_of(
                uow, expert, booking.minutes, now, policy, week, limit=NEXT_SLOTS
            )
        similar: dict[UUID, Expert] = {}
        for specialty in expert.specialties:
            filters = SearchFilters(specialty.subject)
            for other in await uow.experts.search(filters, limit=SIMILAR + 1, offset=0):
                if other.id != expert.id and other.user_id != booking.learner_id:
                    similar.setdefault(other.id, other)
            if len(similar) >= SIMILAR:
                break
    listed = expert if expert.status is Verification.VERIFIED else None
    return Alternatives(listed, tuple(times), tuple(similar.values())[:SIMILAR])


async def entries(user_id: UUID, uow: UnitOfWork, clock: Clock) -> list[tuple[WaitlistEntry, str]]:
    """The user's waitlist entries, each with the expert's name (/waitlist)."""
    async with uow:
        found = await uow.waitlist.of_user(user_id, clock.now())
        names = []
        for entry in found:
            expert = await uow.experts.get(entry.expert_id, specialties=False)
            names.append("an expert" if expert is None else expert.display_name)
    return list(zip(found, names, strict=True))


async def leave(user_id: UUID, entry_id: UUID, uow: UnitOfWork) -> WaitlistEntry:
    """Leave a waitlist: only one's own entry (anyone else's is "not on it")."""
    async with uow:
        entry = await uow.waitlist.leave(entry_id, user_id)
        if entry is None:
            raise NotFound(NOT_ON_IT)
        await uow.commit()
    return entry


async def purge(uow: UnitOfWork, clock: Clock) -> int:
    """Daily: delete the waitlist entries whose dates have passed."""
    async with uow:
        count = await uow.waitlist.purge(clock.now())
        await uow.commit()
    return count


async def _listed(uow: UnitOfWork, expert_id: UUID) -> Expert:
    expert = await uow.experts.get(expert_id, specialties=False)
    if expert is None or not expert.status.listed:
        raise NotFound("That expert isn't available.")
    return expert
