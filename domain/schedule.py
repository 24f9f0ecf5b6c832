"""Experts' open slots, read through the unit of work and cut by ``domain.availability``."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from functools import lru_cache
from typing import TYPE_CHECKING
from uuid import UUID

from domain import availability
from domain.marketplace import Calendar, Expert, Policy
from domain.streaks import local_date

if TYPE_CHECKING:
    from domain.ports import UnitOfWork


@dataclass(frozen=True)
class Bookable:
    """What booking an expert needs, read under their lock (``lock_for_booking``)."""

    expert: Expert
    weekly: availability.WeeklyAvailability
    time_off: list[tuple[date, date]]
    learner_name: str
    learner_timezone: str

    def offers(self, start: datetime, minutes: int, now: datetime, policy: Policy) -> bool:
        """Whether the expert's hours, time off, notice and horizon allow the slot.

        The rules of ``slot_is_open`` without held time, which the caller checks under the lock.
        """
        if self.weekly.is_empty:
            return False
        return availability.is_open(
            start,
            timedelta(minutes=minutes),
            self.weekly,
            self.expert.timezone,
            now=now,
            time_off=self.time_off,
            policy=slot_policy(policy),
        )


@lru_cache(maxsize=8)
def slot_policy(policy: Policy) -> availability.SlotPolicy:
    return availability.SlotPolicy(
        grid=policy.grid,
        buffer=policy.buffer,
        min_notice=policy.min_notice,
        horizon=policy.horizon,
    )


async def open_slots_for(
    uow: UnitOfWork,
    experts: list[Expert],
    minutes: int,
    now: datetime,
    policy: Policy,
    within: timedelta,
    *,
    limit: int | None = None,
) -> dict[UUID, list[datetime]]:
    """Open slot starts (UTC) of ``minutes`` for each expert, from now until ``now + within``.

    Reads every expert's calendar in the same three statements. Call inside a unit of work.
    """
    until = now + min(within, policy.horizon)
    calendars = await uow.experts.calendars(
        [e.id for e in experts], now - policy.buffer, until + policy.buffer, now
    )
    found = {}
    for expert in experts:
        slots = _cut(expert, calendars[expert.id], minutes, now, until, policy)
        found[expert.id] = slots[:limit] if limit is not None else slots
    return found


async def open_slots_of(
    uow: UnitOfWork,
    expert: Expert,
    minutes: int,
    now: datetime,
    policy: Policy,
    within: timedelta,
    *,
    limit: int | None = None,
) -> list[datetime]:
    """``open_slots_for`` one expert."""
    slots = await open_slots_for(uow, [expert], minutes, now, policy, within, limit=limit)
    return slots[expert.id]


def _cut(
    expert: Expert,
    calendar: Calendar,
    minutes: int,
    now: datetime,
    until: datetime,
    policy: Policy,
) -> list[datetime]:
    if not calendar.weekly_rows:
        return []
    slots = availability.open_slots(
        availability.WeeklyAvailability.from_rows(calendar.weekly_rows),
        expert.timezone,
        start=local_date(now, expert.timezone),
        end=local_date(until, expert.timezone),
        duration=timedelta(minutes=minutes),
        now=now,
        time_off=calendar.time_off,
        busy=calendar.busy,
        policy=slot_policy(policy),
    )
    return [slot for slot in slots if slot <= until]


async def slot_is_open(
    uow: UnitOfWork,
    expert: Expert,
    start: datetime,
    minutes: int,
    now: datetime,
    policy: Policy,
    *,
    exclude: UUID | None = None,
) -> bool:
    """Re-check a requested slot with the same rules (a stale or forged slot is not open).

    ``exclude`` leaves a booking's own time out (when that booking is being moved).
    """
    duration = timedelta(minutes=minutes)
    calendars = await uow.experts.calendars(
        [expert.id], start - policy.buffer, start + duration + policy.buffer, now, exclude=exclude
    )
    calendar = calendars[expert.id]
    if not calendar.weekly_rows:
        return False
    return availability.is_open(
        start,
        duration,
        availability.WeeklyAvailability.from_rows(calendar.weekly_rows),
        expert.timezone,
        now=now,
        time_off=calendar.time_off,
        busy=calendar.busy,
        policy=slot_policy(policy),
    )
