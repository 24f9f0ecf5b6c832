"""Weekly series: "every Tuesday 18:00 for 6 weeks", booked in one flow and answered by the
expert with one tap; each occurrence stays a booking of its own (cancelled, moved, reminded of
and lapsing on its own, by the same rules).

**Whose clock.** A series keeps the *learner's* wall-clock time: every occurrence is the same
weekday and local time in the learner's zone (the zone the walk was started in), expanded per
date in that zone and then converted, so it stays 18:00 for the learner across their DST
change. In the expert's zone it may then move by an hour when only one of the two zones
changes; each occurrence is checked against the expert's hours at its own instant.

**Horizon.** The first occurrence is picked in the walk within ``Policy.horizon``; the later
ones may lie up to ``Policy.series_horizon`` ahead (13 weeks by default, so 12 weeks fit).

**Booking** is one transaction: ``book_in`` for each confirmed occurrence (so the expert's
advisory lock and the race rules are those of a single booking), all or nothing: if any of
them was taken meanwhile, nothing is booked and the list is shown again as it now stands.

**Answering.** Confirm all / Decline all derive from the per-occurrence rules: offered while
``rules.refusal`` allows CONFIRM (DECLINE) on at least one occurrence, and applied to each
occurrence the rules allow; an occurrence that overlaps a confirmed session is reported and
left pending (the rest are confirmed), as confirming it alone would be refused.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from uuid import UUID
from zoneinfo import ZoneInfo

from domain.accounts import conversations
from domain.accounts.model import Conversation
from domain.marketplace.booking_walk import FLOW, SELF_BOOKING, _at, _bookable
from domain.marketplace.bookings import QuoteChanged, SlotTaken, book_in, confirmation
from domain.marketplace.commands import BookSlot
from domain.marketplace.model import (
    Action,
    Booking,
    BookingStatus,
    Calendar,
    CancelKind,
    Expert,
    PaymentStatus,
    Policy,
    Role,
    Verification,
)
from domain.marketplace.notices import tell
from domain.marketplace.payments import PaymentProvider
from domain.marketplace.plan_shares import share_in
from domain.marketplace.rules import next_status, price_for, refusal, series_policy
from domain.marketplace.series_commands import (
    AnswerSeries,
    Occurrence,
    SeriesAnswered,
    SeriesAsked,
    SeriesBooked,
    SeriesShown,
    WeeksAsked,
)
from domain.marketplace.slots import is_open, slot_policy, weekly_of
from domain.marketplace.waitlist import request_nudges
from domain.notifications.model import NotificationKind
from domain.notifications.services import replan_booking
from domain.shared.clock import Clock
from domain.shared.errors import DomainError, InvalidInput, NotFound
from domain.shared.timezones import local_date
from domain.unit_of_work import UnitOfWork

WEEKS = tuple(range(2, 13))  # how many weeks a series may run
STEPS = ("weeks", "series")  # the booking walk's steps this module adds
NO_SERIES = "I can't find that series among your bookings. See /bookings."


def weekly(first: datetime, weeks: int, zone: str) -> list[datetime]:
    """``first``'s wall-clock time in ``zone`` on the same weekday for ``weeks`` weeks, each as
    a UTC instant (expanded per local date, then converted: DST-correct)."""
    tz = ZoneInfo(zone)
    local = first.astimezone(tz)
    return [
        datetime.combine(local.date() + timedelta(weeks=i), local.time(), tzinfo=tz).astimezone(
            UTC
        )
        for i in range(weeks)
    ]


def series_actions(
    occurrences: list[Booking], user_id: UUID, now: datetime, policy: Policy
) -> frozenset[Action]:
    """Confirm all / Decline all: the actions ``user_id`` may take on at least one occurrence."""
    return frozenset(
        action
        for action in (Action.CONFIRM, Action.DECLINE)
        if any(refusal(action, b, b.role_of(user_id), now, policy) is None for b in occurrences)
    )


TRIAL_ALONE = (
    "A trial lesson is booked on its own. Book it, then a weekly series at the usual price."
)


async def repeat(user_id: UUID, token: str, uow: UnitOfWork, clock: Clock) -> WeeksAsked:
    """🔁 Repeat weekly under the quote: for how many weeks?"""
    now = clock.now()
    async with uow:
        walk = await _at(uow, user_id, token, "confirm", now)
        if "reschedule" in walk.data:
            raise InvalidInput(conversations.STALE)
        if walk.data.get("is_trial"):
            raise InvalidInput(TRIAL_ALONE)
        walk = await conversations.advance(uow, user_id, walk, "weeks", walk.data, now)
        await uow.commit()
    return _weeks(walk)


async def choose_weeks(
    user_id: UUID, token: str, weeks: int, uow: UnitOfWork, clock: Clock, policy: Policy
) -> SeriesShown:
    """A number of weeks: every date of the series, each checked, in the learner's zone."""
    if weeks not in WEEKS:
        raise InvalidInput(conversations.STALE)
    now = clock.now()
    async with uow:
        walk = await _at(uow, user_id, token, "weeks", now)
        data = {**walk.data, "weeks": weeks}
        data["open"] = await _checked(uow, data, now, policy)
        walk = await conversations.advance(uow, user_id, walk, "series", data, now)
        await uow.commit()
    return shown(walk)


async def start_typed(
    user_id: UUID, asked: SeriesAsked, uow: UnitOfWork, clock: Clock, policy: Policy
) -> SeriesShown:
    """``/book <expert> every tuesday 18:00 for 6 weeks``: the walk opened at the series' list
    (from the first such Tuesday far enough ahead), each week checked."""
    if asked.weeks not in WEEKS:
        raise InvalidInput(f"A weekly series runs from {WEEKS[0]} to {WEEKS[-1]} weeks.")
    now = clock.now()
    async with uow:
        expert = await _named(uow, asked.expert)
        if expert.user_id == user_id:
            raise InvalidInput(SELF_BOOKING)
        zone = (await uow.users.get(user_id)).timezone
        start = _first(asked, zone, now + policy.min_notice)
        data: dict[str, object] = {
            "expert": expert.id.hex,
            "name": expert.display_name,
            "zone": zone,
            "currency": expert.currency,
            "minutes": asked.minutes,
            "price": str(price_for(expert.rate_min, expert.rate_max, asked.minutes)),
            "start": start.isoformat(),
            "weeks": asked.weeks,
        }
        data["open"] = await _checked(uow, data, now, policy)
        walk = await conversations.move(uow, user_id, FLOW, "series", data, now)
        await uow.commit()
    return shown(walk)


def _first(asked: SeriesAsked, zone: str, earliest: datetime) -> datetime:
    """The first ``asked.weekday`` at ``asked.at`` in ``zone`` not before ``earliest``."""
    tz = ZoneInfo(zone)
    day = local_date(earliest, zone)
    day += timedelta(days=(asked.weekday - day.weekday()) % 7)
    start = datetime.combine(day, asked.at, tzinfo=tz).astimezone(UTC)
    if start < earliest:
        start = datetime.combine(day + timedelta(weeks=1), asked.at, tzinfo=tz).astimezone(UTC)
    return start


async def _named(uow: UnitOfWork, name: str) -> Expert:
    """The verified expert called ``name`` (any case; a part of the name if only one has it)."""
    key = name.casefold()
    listed = await uow.experts.listing((Verification.VERIFIED,))
    found = [e for e in listed if e.display_name.casefold() == key]
    found = found or [e for e in listed if key in e.display_name.casefold()]
    if not found:
        raise NotFound(
            f"I can't find an expert called “{name}”. Find one with /experts <subject>."
        )
    if len(found) > 1:
        names = ", ".join(sorted(e.display_name for e in found)[:5])
        raise InvalidInput(f"Several experts match “{name}”: {names}. Give the full name.")
    return found[0]


async def book_series(
    user_id: UUID, token: str, uow: UnitOfWork, clock: Clock, policy: Policy
) -> SeriesBooked | SeriesShown:
    """✅ Book the open weeks: all of them or none, in one transaction; one notice to the
    expert. A week taken meanwhile books nothing and shows the list again as it stands."""
    now = clock.now()
    try:
        async with uow:
            walk = await _at(uow, user_id, token, "series", now, lock=True)
            data = walk.data
            starts = _starts(data)
            chosen = [(i + 1, s) for i, s in enumerate(starts) if _open(data)[i] is None]
            if not chosen:
                raise InvalidInput("None of these weeks is open. Press ◀ Back to pick another.")
            zone, minutes = str(data["zone"]), int(str(data["minutes"]))
            local = starts[0].astimezone(ZoneInfo(zone))
            expert_id = UUID(str(data["expert"]))
            series_id = await uow.series.add(
                learner_id=user_id,
                expert_id=expert_id,
                weekday=local.weekday(),
                local_time=local.time(),
                timezone=zone,
                weeks=len(starts),
                minutes=minutes,
            )
            price, longer = Decimal(str(data["price"])), series_policy(policy)
            booked = []
            for week, start in chosen:
                slot = BookSlot(
                    user_id, expert_id, start, minutes, price, series=(series_id, week)
                )
                booked.append(await book_in(uow, slot, now, longer))
                if data.get("share"):  # the walk's share step: every week shares the plan
                    share = str(data["share"])
                    await share_in(uow, user_id, booked[-1].id, share, now, longer)
            data = {"series_id": str(series_id)}
            await tell(uow, booked[0].expert_user_id, NotificationKind.SERIES_REQUESTED, data, now)
            first = booked[0]  # its nudges show the whole series (``nudge_notice``)
            assert first.expires_at is not None
            await uow.notifications.plan(
                request_nudges(first.id, first.expert_user_id, now, first.expires_at, policy)
            )
            await conversations.finish(uow, user_id, token)
            await uow.commit()
    except (SlotTaken, QuoteChanged) as lost:
        return await _again(user_id, token, lost, uow, now, policy)
    occurrences = tuple(
        replace(b, series_id=series_id, series_index=week, series_weeks=len(starts))
        for b, (week, _) in zip(booked, chosen, strict=True)
    )
    return SeriesBooked(series_id, len(starts), occurrences, zone)


async def _again(
    user_id: UUID, token: str, lost: DomainError, uow: UnitOfWork, now: datetime, policy: Policy
) -> SeriesShown:
    """After a lost race (or a changed price): the list checked again, nothing booked."""
    async with uow:
        walk = await _at(uow, user_id, token, "series", now, lock=True)
        data = dict(walk.data)
        if isinstance(lost, QuoteChanged):
            data["price"] = str(lost.price)
        data["open"] = await _checked(uow, data, now, policy)
        walk = await conversations.advance(uow, user_id, walk, "series", data, now)
        await uow.commit()
    note = "A week was just taken" if isinstance(lost, SlotTaken) else lost.message
    return shown(walk, note=f"{note.rstrip('.')}. Nothing was booked; here is the list again. ")


async def answer(
    cmd: AnswerSeries, uow: UnitOfWork, clock: Clock, policy: Policy, payments: PaymentProvider
) -> SeriesAnswered:
    """Confirm all or Decline all, as ``cmd.user_id``: each pending occurrence by the rules
    of a single confirmation (or decline), in one transaction; the learner is told once.

    Raises:
        NotFound: not a series of the asker's bookings.
        NotAllowed, InvalidInput: the rules allow the action on none of its occurrences.
    """
    action = Action.CONFIRM if cmd.confirm else Action.DECLINE
    async with uow:
        occurrences = await uow.series.occurrences(cmd.series_id, lock=True)
        roles = {b.role_of(cmd.user_id) for b in occurrences}
        if not occurrences or roles == {Role.OTHER}:
            raise NotFound(NO_SERIES)
        now = clock.now()
        refusals = [refusal(action, b, b.role_of(cmd.user_id), now, policy) for b in occurrences]
        if all(refusals):
            pending = [(b, r) for b, r in zip(occurrences, refusals, strict=True) if r]
            first = next((r for b, r in pending if b.status is BookingStatus.PENDING), refusals[0])
            assert first is not None
            raise first
        changed, left = [], []
        for booking, refused in zip(occurrences, refusals, strict=True):
            if refused is not None:
                if booking.status is BookingStatus.PENDING:
                    left.append((booking, refused.message))
                continue
            try:
                values = await _answer(uow, action, booking, cmd.user_id, now, policy, payments)
            except DomainError as error:  # an overlap with a confirmed session
                left.append((booking, error.message))
                continue
            status = next_status(action, booking.status)
            await uow.bookings.update(booking.id, status=status.value, **values)
            updated = await uow.bookings.get(booking.id)
            assert updated is not None
            await replan_booking(updated, uow, now)
            changed.append(updated)
        if changed:
            kind = (
                NotificationKind.SERIES_CONFIRMED
                if cmd.confirm
                else NotificationKind.SERIES_DECLINED
            )
            data = {"series_id": str(cmd.series_id), "bookings": [str(b.id) for b in changed]}
            await tell(uow, changed[0].learner_id, kind, data, now)
        await uow.commit()
    return SeriesAnswered(cmd.confirm, tuple(changed), tuple(left))


async def _answer(
    uow: UnitOfWork,
    action: Action,
    booking: Booking,
    user_id: UUID,
    now: datetime,
    policy: Policy,
    payments: PaymentProvider,
) -> dict[str, object]:
    if action is Action.CONFIRM:
        return await confirmation(uow, booking, now, policy)
    values: dict[str, object] = {
        "cancel_reason": None,
        "cancelled_by": user_id,
        "cancel_kind": CancelKind.DECLINED.value,
        "cancelled_at": now,
    }
    if booking.payment_status is PaymentStatus.PAID and await payments.refund(booking):
        values["payment_status"] = PaymentStatus.REFUNDED.value
    return values


async def occurrences_of(user_id: UUID, series_id: UUID, uow: UnitOfWork) -> list[Booking]:
    """The series' bookings, as one of its two sides sees them (else "not found")."""
    async with uow:
        found = await uow.series.occurrences(series_id)
    if not found or all(b.role_of(user_id) is Role.OTHER for b in found):
        raise NotFound(NO_SERIES)
    return found


def shown(walk: Conversation, note: str = "") -> SeriesShown:
    """The series step of the walk, from what it stored."""
    data = walk.data
    closed = _open(data)
    occurrences = tuple(
        Occurrence(i + 1, start, closed[i]) for i, start in enumerate(_starts(data))
    )
    return SeriesShown(
        token=walk.token,
        zone=str(data["zone"]),
        other_name=str(data["name"]),
        minutes=int(str(data["minutes"])),
        price=Decimal(str(data["price"])),
        currency=str(data["currency"]),
        occurrences=occurrences,
        note=note,
        back=bool(conversations.history(walk)),
    )


def current(walk: Conversation) -> WeeksAsked | SeriesShown:
    """The series question the walk is at (after ◀ Back, or a restart)."""
    return _weeks(walk) if walk.step == "weeks" else shown(walk)


def _weeks(walk: Conversation) -> WeeksAsked:
    start = datetime.fromisoformat(str(walk.data["start"]))
    return WeeksAsked(walk.token, str(walk.data["zone"]), start, WEEKS)


def _starts(data: dict[str, object]) -> list[datetime]:
    start = datetime.fromisoformat(str(data["start"]))
    return weekly(start, int(str(data["weeks"])), str(data["zone"]))


def _open(data: dict[str, object]) -> list[str | None]:
    closed = data.get("open")
    if not isinstance(closed, list):
        raise InvalidInput(conversations.STALE)
    return [None if c is None else str(c) for c in closed]


async def _checked(
    uow: UnitOfWork, data: dict[str, object], now: datetime, policy: Policy
) -> list[str | None]:
    """Why each occurrence can't be booked now (None: open): beyond the series horizon, the
    expert's time off, taken, or outside the expert's hours."""
    expert = await _bookable(uow, UUID(str(data["expert"])))
    starts, minutes = _starts(data), int(str(data["minutes"]))
    longer = series_policy(policy)
    length = timedelta(minutes=minutes)
    calendar = (
        await uow.experts.calendars(
            [expert.id], starts[0] - policy.buffer, starts[-1] + length + policy.buffer, now
        )
    )[expert.id]
    return [_why(expert, calendar, s, length, now, longer) for s in starts]


def _why(
    expert: Expert,
    calendar: Calendar,
    start: datetime,
    length: timedelta,
    now: datetime,
    policy: Policy,
) -> str | None:
    weekly_hours, rules = weekly_of(calendar.weekly_rows), slot_policy(policy)
    if start > now + policy.horizon:
        return "beyond the booking horizon"
    if start < now + policy.min_notice:
        return "too soon"
    day = local_date(start, expert.timezone)
    if any(first <= day <= last for first, last in calendar.time_off):
        return "the expert's time off"

    def free(busy: list[tuple[datetime, datetime]]) -> bool:
        return not weekly_hours.is_empty and is_open(
            start,
            length,
            weekly_hours,
            expert.timezone,
            now=now,
            busy=busy,
            policy=rules,
            time_off=calendar.time_off,
        )

    if free(calendar.busy):
        return None
    return "taken" if free([]) else "outside the expert's hours"
