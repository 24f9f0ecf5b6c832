"""The booking walk: 📅 Book -> length -> day -> time -> ✅ Confirm (and 🗓 Reschedule, which
starts at the day). One press is one use case: one unit of work, one transaction.

Each press checks its step (the token its buttons carry), does its part and moves the walk on
in the same transaction. What the walk works out is worked out once and passed on in the walk's
state: the learner's zone when it starts; the slot offer and the quote when the length is
chosen (the day's times are taken from that offer); and the booking itself is made at exactly
the quoted price, which is the price stored (``BookSlot.price``).
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from decimal import Decimal
from uuid import UUID

from domain.accounts import conversations
from domain.accounts.model import Conversation
from domain.marketplace.bookings import (
    QuoteChanged,
    SlotTaken,
    book_in,
    booking_of,
    reschedule_in,
)
from domain.marketplace.commands import (
    BookSlot,
    ChooseDay,
    ChooseLength,
    ChooseTime,
    DaysOffered,
    LengthAsked,
    QuoteShown,
    RescheduleBooking,
    StartBooking,
    StartRescheduling,
    SubmitWalk,
    TimesOffered,
    WalkDone,
    WalkEnded,
    WalkResult,
)
from domain.marketplace.model import DURATIONS, Action, Expert, Policy, Role, Verification
from domain.marketplace.rules import check_allowed, price_for
from domain.marketplace.slots import open_slots_of
from domain.shared.clock import Clock
from domain.shared.errors import InvalidInput, NotFound
from domain.shared.timezones import local_date
from domain.unit_of_work import UnitOfWork

FLOW = "book"
OFFERED_FOR = timedelta(days=14)  # how far ahead the walk offers slots
TIMES_SHOWN = 12  # of a day


async def start(cmd: StartBooking, uow: UnitOfWork, clock: Clock) -> LengthAsked:
    """📅 Book: ask for the session's length."""
    now = clock.now()
    async with uow:
        expert = await _bookable(uow, cmd.expert_id)
        if expert.user_id == cmd.user_id:
            raise InvalidInput("You can't book a session with yourself.")
        data: dict[str, object] = {
            "expert": expert.id.hex,
            "name": expert.display_name,
            "zone": (await uow.users.get(cmd.user_id)).timezone,  # read once for the walk
        }
        walk = await conversations.move(uow, cmd.user_id, FLOW, "duration", data, now)
        await uow.commit()
    return LengthAsked(walk.token, DURATIONS)


async def start_rescheduling(
    cmd: StartRescheduling, uow: UnitOfWork, clock: Clock, policy: Policy
) -> DaysOffered:
    """🗓 Reschedule: the days with a free slot of the booking's length (its own time is free)."""
    now = clock.now()
    async with uow:
        booking, role = await booking_of(uow, cmd.user_id, cmd.booking_id, None)
        check_allowed(Action.RESCHEDULE, booking, role, now, policy)
        expert = await _bookable(uow, booking.expert_id)
        offer = await open_slots_of(
            uow, expert, booking.minutes, now, policy, OFFERED_FOR, exclude=booking.id
        )
        data: dict[str, object] = {
            "expert": expert.id.hex,
            "name": booking.learner_name if role is Role.EXPERT else booking.expert_name,
            "zone": (await uow.users.get(cmd.user_id)).timezone,
            "minutes": booking.minutes,
            "price": str(booking.price),
            "currency": booking.currency,
            "reschedule": booking.id.hex,
            "offer": _stored(offer),
        }
        walk = await conversations.move(uow, cmd.user_id, FLOW, "day", data, now)
        await uow.commit()
    return _days(walk, offer)


async def choose_length(
    cmd: ChooseLength, uow: UnitOfWork, clock: Clock, policy: Policy
) -> DaysOffered:
    """A length: the slot offer and the quote, worked out once for the rest of the walk."""
    if cmd.minutes not in DURATIONS:
        raise InvalidInput(conversations.STALE)
    now = clock.now()
    async with uow:
        walk = await _at(uow, cmd.user_id, cmd.token, "duration", now)
        expert = await _bookable(uow, UUID(str(walk.data["expert"])))
        offer = await open_slots_of(uow, expert, cmd.minutes, now, policy, OFFERED_FOR)
        data = {
            **walk.data,
            "minutes": cmd.minutes,
            "price": str(price_for(expert.rate_min, expert.rate_max, cmd.minutes)),
            "currency": expert.currency,
            "offer": _stored(offer),
        }
        walk = await conversations.move(uow, cmd.user_id, FLOW, "day", data, now)
        await uow.commit()
    return _days(walk, offer)


async def choose_day(cmd: ChooseDay, uow: UnitOfWork, clock: Clock) -> DaysOffered | TimesOffered:
    """A day: its times, from the offer made with the length."""
    now = clock.now()
    async with uow:
        walk = await _at(uow, cmd.user_id, cmd.token, "day", now)
        offer = _instants(walk.data["offer"])
        zone = str(walk.data["zone"])
        times = [s for s in offer if local_date(s, zone) == cmd.day][:TIMES_SHOWN]
        if not times:
            return _days(walk, offer, note="That day has no free time left. ")
        data = {k: v for k, v in walk.data.items() if k != "offer"}
        walk = await conversations.move(
            uow, cmd.user_id, FLOW, "slot", {**data, "slots": _stored(times)}, now
        )
        await uow.commit()
    return TimesOffered(walk.token, zone, tuple(times))


async def choose_time(cmd: ChooseTime, uow: UnitOfWork, clock: Clock) -> QuoteShown:
    """A time: the confirmation question, with the quote."""
    now = clock.now()
    async with uow:
        walk = await _at(uow, cmd.user_id, cmd.token, "slot", now)
        times = _instants(walk.data["slots"])
        if not 0 <= cmd.index < len(times):
            raise InvalidInput(conversations.STALE)
        data = {**walk.data, "start": times[cmd.index].isoformat()}
        walk = await conversations.move(uow, cmd.user_id, FLOW, "confirm", data, now)
        await uow.commit()
    return _quote(walk)


async def submit(cmd: SubmitWalk, uow: UnitOfWork, clock: Clock, policy: Policy) -> WalkResult:
    """✅ Confirm: book the slot at the quoted price (or move the booking there) and end the
    walk, in one transaction. A slot taken meanwhile offers the nearest others instead; a
    changed price asks again with the new one. A second press finds the walk ended."""
    now = clock.now()
    async with uow:
        walk = await _at(uow, cmd.user_id, cmd.token, "confirm", now, lock=True)
        data = walk.data
        zone, start = str(data["zone"]), datetime.fromisoformat(str(data["start"]))
        moving = "reschedule" in data
        try:
            if moving:
                change = RescheduleBooking(cmd.user_id, UUID(str(data["reschedule"])), start)
                booking = await reschedule_in(uow, change, now, policy)
            else:
                request = BookSlot(
                    cmd.user_id,
                    UUID(str(data["expert"])),
                    start,
                    int(str(data["minutes"])),
                    price=Decimal(str(data["price"])),
                )
                booking = await book_in(uow, request, now, policy)
        except SlotTaken as taken:
            if not taken.alternatives:
                await conversations.finish(uow, cmd.user_id, cmd.token)
                await uow.commit()
                return WalkEnded(taken.message + " There are no other free slots soon.")
            again = {**data, "slots": _stored(taken.alternatives)}
            walk = await conversations.move(uow, cmd.user_id, FLOW, "slot", again, now)
            await uow.commit()
            return TimesOffered(walk.token, zone, tuple(taken.alternatives), taken.message + " ")
        except QuoteChanged as changed:
            again = {**data, "price": str(changed.price)}
            walk = await conversations.move(uow, cmd.user_id, FLOW, "confirm", again, now)
            await uow.commit()
            return _quote(walk, note=changed.message + " ")
        await conversations.finish(uow, cmd.user_id, cmd.token)
        await uow.commit()
    return WalkDone(booking, zone, moved=moving)


def current_step(walk: Conversation) -> WalkResult:
    """The question the walk is at, from what it stored (to show it again after a restart)."""
    if walk.step == "duration":
        return LengthAsked(walk.token, DURATIONS)
    if walk.step == "day":
        return _days(walk, _instants(walk.data["offer"]))
    if walk.step == "slot":
        return TimesOffered(
            walk.token, str(walk.data["zone"]), tuple(_instants(walk.data["slots"]))
        )
    if walk.step == "confirm":
        return _quote(walk)
    raise InvalidInput(conversations.STALE)


async def _at(
    uow: UnitOfWork, user_id: UUID, token: str, step: str, now: datetime, *, lock: bool = False
) -> Conversation:
    walk = await conversations.step_of(uow, user_id, token, (FLOW,), now, lock=lock)
    if walk.step != step:
        raise InvalidInput(conversations.STALE)
    return walk


async def _bookable(uow: UnitOfWork, expert_id: UUID) -> Expert:
    expert = await uow.experts.get(expert_id, specialties=False)
    if expert is None or expert.status is not Verification.VERIFIED:
        raise NotFound("That expert isn't available.")
    return expert


def _days(walk: Conversation, offer: list[datetime], note: str = "") -> DaysOffered:
    zone = str(walk.data["zone"])
    days: list[date] = sorted({local_date(slot, zone) for slot in offer})
    return DaysOffered(walk.token, zone, tuple(days), note)


def _quote(walk: Conversation, note: str = "") -> QuoteShown:
    data = walk.data
    return QuoteShown(
        token=walk.token,
        zone=str(data["zone"]),
        expert_name=str(data["name"]),
        minutes=int(str(data["minutes"])),
        starts_at=datetime.fromisoformat(str(data["start"])),
        price=Decimal(str(data["price"])),
        currency=str(data["currency"]),
        moving="reschedule" in data,
        note=note,
    )


def _stored(instants: list[datetime]) -> list[str]:
    return [instant.isoformat() for instant in instants]


def _instants(stored: object) -> list[datetime]:
    if not isinstance(stored, list):
        raise InvalidInput(conversations.STALE)
    return [datetime.fromisoformat(str(s)) for s in stored]
