"""An expert's open slots, read through the unit of work and cut by ``domain.availability``."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from uuid import UUID

from domain import availability
from domain.marketplace import Expert, Policy
from domain.ports import UnitOfWork
from domain.streaks import local_date


def slot_policy(policy: Policy) -> availability.SlotPolicy:
    return availability.SlotPolicy(
        grid=policy.grid,
        buffer=policy.buffer,
        min_notice=policy.min_notice,
        horizon=policy.horizon,
    )


@dataclass(frozen=True)
class _Calendar:
    """What the slot rules need to know about one expert around a time window."""

    weekly: availability.WeeklyAvailability
    time_off: list[tuple[date, date]]
    busy: list[tuple[datetime, datetime]]


async def _calendar(
    uow: UnitOfWork,
    expert: Expert,
    start: datetime,
    end: datetime,
    now: datetime,
    policy: Policy,
    exclude: UUID | None,
) -> _Calendar | None:
    rows = await uow.experts.weekly_rows(expert.id)
    if not rows:
        return None
    return _Calendar(
        weekly=availability.WeeklyAvailability.from_rows(rows),
        time_off=await uow.experts.time_off(expert.id),
        busy=await uow.experts.busy(
            expert.id, start - policy.buffer, end + policy.buffer, now, exclude=exclude
        ),
    )


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
    """Open slot starts (UTC) of ``minutes`` for ``expert`` from now until ``now + within``.

    Call inside an open unit of work.
    """
    until = now + min(within, policy.horizon)
    calendar = await _calendar(uow, expert, now, until, now, policy, None)
    if calendar is None:
        return []
    slots = availability.open_slots(
        calendar.weekly,
        expert.timezone,
        start=local_date(now, expert.timezone),
        end=local_date(until, expert.timezone),
        duration=timedelta(minutes=minutes),
        now=now,
        time_off=calendar.time_off,
        busy=calendar.busy,
        policy=slot_policy(policy),
    )
    slots = [s for s in slots if s <= until]
    return slots[:limit] if limit is not None else slots


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
    calendar = await _calendar(uow, expert, start, start + duration, now, policy, exclude)
    if calendar is None:
        return False
    return availability.is_open(
        start,
        duration,
        calendar.weekly,
        expert.timezone,
        now=now,
        time_off=calendar.time_off,
        busy=calendar.busy,
        policy=slot_policy(policy),
    )
