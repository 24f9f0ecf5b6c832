"""Bookable slots: expanding weekly hours into UTC slots per date, in the expert's zone."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from functools import lru_cache
from uuid import UUID
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from domain.marketplace.availability import (
    _MINUTE,
    TIMEOFF_DAYS_MAX,
    TimeRange,
    WeeklyAvailability,
    _describe,
    _shown,
)
from domain.marketplace.model import Bookable, Calendar, Expert, Policy
from domain.shared.errors import InvalidInput
from domain.shared.timezones import local_date
from domain.unit_of_work import UnitOfWork

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_EPOCH_ORDINAL = date(1970, 1, 1).toordinal()
_SECOND = timedelta(seconds=1)


_ONE_DAY = timedelta(days=1)
_DAY_SECONDS = 86_400
_OFFSET_MARGIN = 16 * 3600  # every UTC offset there is, and ever was, lies within ±16 hours
_PROBE_STEP = 3600  # offsets are probed hourly, then a change is pinned to the second


@dataclass(frozen=True)
class SlotPolicy:
    """How slots are cut and which are bookable (see the module docstring for the rules)."""

    grid: timedelta = timedelta(minutes=30)
    buffer: timedelta = timedelta(0)
    min_notice: timedelta = timedelta(hours=12)
    horizon: timedelta = timedelta(days=30)

    def __post_init__(self) -> None:
        if self.grid <= timedelta(0) or self.grid % _MINUTE:
            raise ValueError("the grid must be a positive whole number of minutes")
        if self.buffer < timedelta(0) or self.min_notice < timedelta(0):
            raise ValueError("buffer and min_notice can't be negative")
        if not timedelta(0) < self.horizon <= timedelta(days=TIMEOFF_DAYS_MAX):
            raise ValueError(f"the horizon must be from 1 second to {TIMEOFF_DAYS_MAX} days")


def open_slots(
    weekly: WeeklyAvailability,
    zone: str,
    *,
    start: date,
    end: date,
    duration: timedelta,
    now: datetime,
    time_off: Iterable[tuple[date, date]] = (),
    busy: Iterable[tuple[datetime, datetime]] = (),
    policy: SlotPolicy = SlotPolicy(),
) -> list[datetime]:
    """The bookable slot starts of the local dates ``start..end`` (inclusive, expert's zone).

    Args:
        weekly: the expert's pattern.
        zone: the expert's IANA zone.
        start: first local date to list.
        end: last local date to list (inclusive).
        duration: the session length; a positive multiple of ``policy.grid``.
        now: the current aware instant.
        time_off: ``(first, last)`` local dates, both included, on which nothing is open.
        busy: ``(start, end)`` aware instants of the expert's pending and scheduled bookings
            (leave out the booking being rescheduled, if any).
        policy: grid, buffer, minimum notice and horizon.

    Returns:
        Aware UTC instants, sorted, without duplicates.

    Raises:
        InvalidInput: an unknown zone, or a duration that is not a positive multiple of the grid.
        ValueError: naive datetimes, or a window, time off or busy interval ending before it
            starts (programming errors).
    """
    tz = _zone(zone)
    _check_duration(duration, policy.grid)
    if end < start:
        raise ValueError(f"the window ends ({end}) before it starts ({start})")
    now_utc = _utc(now, "now")
    earliest = now_utc + policy.min_notice
    latest = now_utc + policy.horizon
    days_off = _checked_days_off(time_off)
    blocked = _widened(busy, policy.buffer)
    length, step = duration // _SECOND, policy.grid // _SECOND

    found: list[datetime] = []
    day = max(start, earliest.astimezone(tz).date())
    last_day = min(end, latest.astimezone(tz).date())
    while day <= last_day:
        if not any(first <= day <= last for first, last in days_off):
            for stretch_start, stretch_end in _stretches(weekly.ranges_on(day), tz, day):
                for second in range(stretch_start, stretch_end - length + 1, step):
                    slot = _EPOCH + timedelta(seconds=second)
                    if earliest <= slot <= latest and not _clashes(slot, slot + duration, blocked):
                        found.append(slot)
        day += _ONE_DAY
    return sorted(found)


def is_open(
    slot_start: datetime,
    duration: timedelta,
    weekly: WeeklyAvailability,
    zone: str,
    *,
    now: datetime,
    time_off: Iterable[tuple[date, date]] = (),
    busy: Iterable[tuple[datetime, datetime]] = (),
    policy: SlotPolicy = SlotPolicy(),
) -> bool:
    """Whether ``open_slots`` (same arguments) lists ``slot_start``: the booking re-check.

    A slot off the grid, outside the pattern, on a day off, too soon, too far ahead, or
    clashing with a busy interval is not open. Raises what ``open_slots`` raises. The same
    rules as ``open_slots``, applied to the one slot rather than by listing its day.
    """
    start = _utc(slot_start, "slot_start")
    tz = _zone(zone)
    _check_duration(duration, policy.grid)
    now_utc = _utc(now, "now")
    days_off = _checked_days_off(time_off)
    blocked = _widened(busy, policy.buffer)
    if not now_utc + policy.min_notice <= start <= now_utc + policy.horizon:
        return False
    offset = start - _EPOCH
    if offset % _SECOND:
        return False
    day = start.astimezone(tz).date()
    if any(first <= day <= last for first, last in days_off):
        return False
    second, length, step = offset // _SECOND, duration // _SECOND, policy.grid // _SECOND
    on_grid = any(
        low <= second <= high - length and (second - low) % step == 0
        for low, high in _stretches(weekly.ranges_on(day), tz, day)
    )
    return on_grid and not _clashes(start, start + duration, blocked)


def in_zone(instant: datetime, zone: str) -> datetime:
    """``instant`` as a wall-clock time in ``zone`` (to show a slot in the learner's zone)."""
    return _utc(instant, "instant").astimezone(_zone(zone))


def _stretches(ranges: Sequence[TimeRange], tz: ZoneInfo, day: date) -> list[tuple[int, int]]:
    """The UTC stretches ``[start, end)`` (epoch seconds) of ``day``'s ranges.

    A range's instants are those whose clock reading on ``day`` lies in the range; within each
    stretch of constant UTC offset they are that offset away from the clock. Pieces that touch
    (across a gap) join into one stretch; a fold can leave a range in two stretches.
    """
    midnight = (day.toordinal() - _EPOCH_ORDINAL) * _DAY_SECONDS  # clock seconds, not UTC
    pieces = _offset_pieces(tz, day) if ranges else ()
    stretches: list[tuple[int, int]] = []
    for time_range in ranges:
        clock_start = midnight + time_range.start * 60
        clock_end = midnight + time_range.end * 60
        own: list[tuple[int, int]] = []
        for piece_start, piece_end, offset in pieces:
            low = max(piece_start + offset, clock_start) - offset
            high = min(piece_end + offset, clock_end) - offset
            if low >= high:
                continue
            if own and own[-1][1] == low:
                own[-1] = (own[-1][0], high)
            else:
                own.append((low, high))
        stretches.extend(own)
    return stretches


@lru_cache(maxsize=2048)
def _offset_pieces(tz: ZoneInfo, day: date) -> tuple[tuple[int, int, int], ...]:
    """``(start, end, offset)`` in epoch seconds covering every instant whose local date can be
    ``day``, cut wherever ``tz``'s UTC offset changes."""
    low = (day.toordinal() - _EPOCH_ORDINAL) * _DAY_SECONDS - _OFFSET_MARGIN
    high = low + _DAY_SECONDS + 2 * _OFFSET_MARGIN
    pieces: list[tuple[int, int, int]] = []
    piece_start, offset = low, _offset(tz, low)
    probe = low
    while probe < high:
        following = min(probe + _PROBE_STEP, high)
        new_offset = _offset(tz, following)
        if new_offset != offset:
            before, after = probe, following  # offset at ``before``, new_offset at ``after``
            while after - before > 1:
                middle = (before + after) // 2
                if _offset(tz, middle) == offset:
                    before = middle
                else:
                    after = middle
            pieces.append((piece_start, after, offset))
            piece_start, offset = after, new_offset
        probe = following
    pieces.append((piece_start, high, offset))
    return tuple(pieces)


def _offset(tz: ZoneInfo, second: int) -> int:
    offset = (_EPOCH + timedelta(seconds=second)).astimezone(tz).utcoffset()
    assert offset is not None  # a ZoneInfo always knows its offset
    return offset // _SECOND


def _check_duration(duration: timedelta, grid: timedelta) -> None:
    if duration <= timedelta(0) or duration % grid:
        step = grid // _MINUTE
        raise InvalidInput(
            f"A session must last a whole number of {step}-minute steps"
            f" (like {step}, {2 * step} or {3 * step} minutes), not {_describe(duration)}."
        )


def _checked_days_off(time_off: Iterable[tuple[date, date]]) -> list[tuple[date, date]]:
    days_off = list(time_off)
    for first, last in days_off:
        if last < first:
            raise ValueError(f"time off ends ({last}) before it starts ({first})")
    return days_off


def _widened(
    busy: Iterable[tuple[datetime, datetime]], buffer: timedelta
) -> list[tuple[datetime, datetime]]:
    widened = []
    for busy_start, busy_end in busy:
        low, high = _utc(busy_start, "busy start"), _utc(busy_end, "busy end")
        if high < low:
            raise ValueError(f"busy interval ends ({high}) before it starts ({low})")
        widened.append((low - buffer, high + buffer))
    return sorted(widened)


def _clashes(
    slot_start: datetime, slot_end: datetime, blocked: Sequence[tuple[datetime, datetime]]
) -> bool:
    return any(low < slot_end and slot_start < high for low, high in blocked)


def _utc(instant: datetime, what: str) -> datetime:
    if instant.tzinfo is None or instant.utcoffset() is None:
        raise ValueError(f"naive datetime for {what}: pass an aware instant")
    return instant.astimezone(UTC)


def _zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise InvalidInput(
            f"“{_shown(name)}” is not a time zone I know; use an IANA name such as Europe/Berlin."
        ) from None


def weekly_of(rows: Sequence[tuple[int, Sequence[Sequence[str]]]]) -> WeeklyAvailability:
    """Stored weekly rows as a pattern, parsed once per distinct set of rows (it is frozen)."""
    return _parsed_weekly(tuple((day, tuple(map(tuple, ranges))) for day, ranges in rows))


@lru_cache(maxsize=4096)
def _parsed_weekly(
    rows: tuple[tuple[int, tuple[tuple[str, ...], ...]], ...],
) -> WeeklyAvailability:
    return WeeklyAvailability.from_rows(rows)


@lru_cache(maxsize=8)
def slot_policy(policy: Policy) -> SlotPolicy:
    return SlotPolicy(
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
    exclude: UUID | None = None,
) -> dict[UUID, list[datetime]]:
    """Open slot starts (UTC) of ``minutes`` for each expert, from now until ``now + within``.

    Reads every expert's calendar in the same three statements. Call inside a unit of work.
    ``exclude`` leaves a booking's own time out (when that booking is being moved).
    """
    until = now + min(within, policy.horizon)
    calendars = await uow.experts.calendars(
        [e.id for e in experts], now - policy.buffer, until + policy.buffer, now, exclude=exclude
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
    exclude: UUID | None = None,
) -> list[datetime]:
    """``open_slots_for`` one expert."""
    slots = await open_slots_for(
        uow, [expert], minutes, now, policy, within, limit=limit, exclude=exclude
    )
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
    slots = open_slots(
        weekly_of(calendar.weekly_rows),
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
    return _allows(
        weekly_of(calendar.weekly_rows),
        expert.timezone,
        calendar.time_off,
        calendar.busy,
        start,
        minutes,
        now,
        policy,
    )


def offers(found: Bookable, start: datetime, minutes: int, now: datetime, policy: Policy) -> bool:
    """Whether the expert's hours, time off, notice and horizon allow the slot: the rules of
    ``slot_is_open`` without held time, which the booking statement checks under the lock."""
    return _allows(
        weekly_of(found.weekly_rows),
        found.expert.timezone,
        found.time_off,
        (),
        start,
        minutes,
        now,
        policy,
    )


def _allows(
    weekly: WeeklyAvailability,
    zone: str,
    time_off: Sequence[tuple[date, date]],
    busy: Sequence[tuple[datetime, datetime]],
    start: datetime,
    minutes: int,
    now: datetime,
    policy: Policy,
) -> bool:
    """The one check of a single slot, shared by booking and rescheduling."""
    if weekly.is_empty:
        return False
    return is_open(
        start,
        timedelta(minutes=minutes),
        weekly,
        zone,
        now=now,
        time_off=time_off,
        busy=busy,
        policy=slot_policy(policy),
    )
