"""The booking walk: 📅 Book -> length -> day -> time -> ✅ Confirm (and 🗓 Reschedule, which
starts at the day; an expert moving a confirmed session also gives a reason before confirming).
One press is one use case: one unit of work, one transaction.

Each press checks its step (the token its buttons carry), does its part and moves the walk on
in the same transaction (``conversations.advance``, which keeps the way back for ◀ Back). What
the walk works out is worked out once and passed on in the walk's state: the learner's zone
when it starts; the slot offer (the whole booking horizon) and the quote when the length is
chosen (the day's times are taken from that offer); and the booking itself is made at exactly
the quoted price, which is the price stored (``BookSlot.price``). A slot lost to a rival is
worked out again, so the day's list then shows every time still free.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from decimal import Decimal
from uuid import UUID

from domain.accounts import conversations
from domain.accounts.model import Conversation
from domain.marketplace.bookings import QuoteChanged, SlotTaken, book_in, booking_of
from domain.marketplace.commands import (
    BookSlot,
    ChooseDay,
    ChooseLength,
    ChooseTime,
    DayFull,
    DaysOffered,
    GiveReason,
    LengthAsked,
    Moving,
    QuoteShown,
    ReasonAsked,
    RescheduleBooking,
    ShareAsked,
    StartBooking,
    StartRescheduling,
    SubmitWalk,
    TimesOffered,
    WalkDone,
    WalkEnded,
    WalkResult,
)
from domain.marketplace.model import (
    DURATIONS,
    Action,
    Expert,
    Policy,
    Role,
    Verification,
    booking_ref,
)
from domain.marketplace.moves import proposes, reschedule_in
from domain.marketplace.plan_shares import share_in, shareable
from domain.marketplace.policies import NO_TRIAL, session_price
from domain.marketplace.rules import check_allowed, free_cancellation_ends, policy_for, price_for
from domain.marketplace.slots import open_slots_of
from domain.marketplace.terms import TRIAL_MINUTES, cancel_notice, trial_eligible, window_of
from domain.marketplace.waitlist import offer_and_full
from domain.shared.clock import Clock
from domain.shared.errors import InvalidInput, NotFound
from domain.shared.text import clean_text
from domain.shared.timezones import local_date
from domain.unit_of_work import UnitOfWork

FLOW = "book"
SELF_BOOKING = (
    "That's your own profile: you can't book a session with yourself. "
    "Learners book you from this card."
)


async def start(cmd: StartBooking, uow: UnitOfWork, clock: Clock) -> LengthAsked:
    """📅 Book: ask for the session's length, with what each length costs."""
    now = clock.now()
    async with uow:
        walk, _ = await _begin(uow, cmd.user_id, cmd.expert_id, now)
        await uow.commit()
    return _lengths(walk)


async def _begin(
    uow: UnitOfWork, user_id: UUID, expert_id: UUID, now: datetime
) -> tuple[Conversation, Expert]:
    """The walk at its first step, the length (replacing any other flow)."""
    expert = await _bookable(uow, expert_id)
    if expert.user_id == user_id:
        raise InvalidInput(SELF_BOOKING)
    data: dict[str, object] = {
        "expert": expert.id.hex,
        "name": expert.display_name,
        "zone": (await uow.users.get(user_id)).timezone,  # read once for the walk
        "currency": expert.currency,
        "prices": [str(price_for(expert.rate_min, expert.rate_max, m)) for m in DURATIONS],
        "trial": await _trial_offer(uow, user_id, expert),
    }
    return await conversations.move(uow, user_id, FLOW, "duration", data, now), expert


async def start_rescheduling(
    cmd: StartRescheduling, uow: UnitOfWork, clock: Clock, policy: Policy
) -> DaysOffered:
    """🗓 Reschedule: the days with a free slot of the booking's length (its own time is free)."""
    now = clock.now()
    async with uow:
        booking, role = await booking_of(uow, cmd.user_id, cmd.booking_id, None)
        check_allowed(Action.RESCHEDULE, booking, role, now, policy)
        expert = await _bookable(uow, booking.expert_id)
        moved = policy_for(booking, policy)  # a series' week: the series horizon
        offer = await open_slots_of(
            uow, expert, booking.minutes, now, moved, moved.horizon, exclude=booking.id
        )
        data: dict[str, object] = {
            "expert": expert.id.hex,
            "name": booking.learner_name if role is Role.EXPERT else booking.expert_name,
            # the zone the booking is shown to this side in (an expert's: their profile's)
            "zone": booking.zone_of(cmd.user_id, (await uow.users.get(cmd.user_id)).timezone),
            "minutes": booking.minutes,
            "price": str(booking.price),
            "currency": booking.currency,
            "reschedule": booking.id.hex,
            "was": booking.starts_at.isoformat(),
            "propose": proposes(booking, role),
            "offer": _stored(offer),
            "notice": _hours(cancel_notice(booking, policy)),
            "limit": booking.reschedule_limit,
        }
        walk = await conversations.move(uow, cmd.user_id, FLOW, "day", data, now)
        await uow.commit()
    return _days(walk, offer)


async def choose_length(
    cmd: ChooseLength, uow: UnitOfWork, clock: Clock, policy: Policy
) -> DaysOffered:
    """A length: the slot offer and the quote, worked out once for the rest of the walk."""
    if cmd.minutes not in DURATIONS or (cmd.trial and cmd.minutes != TRIAL_MINUTES):
        raise InvalidInput(conversations.STALE)
    now = clock.now()
    async with uow:
        walk = await _at(uow, cmd.user_id, cmd.token, "duration", now)
        expert = await _bookable(uow, UUID(str(walk.data["expert"])))
        if cmd.trial and await _trial_offer(uow, cmd.user_id, expert) is None:
            raise InvalidInput(NO_TRIAL)
        zone = str(walk.data["zone"])
        offer, full = await offer_and_full(uow, expert, cmd.minutes, now, policy, zone)
        data = {
            **walk.data,
            "minutes": cmd.minutes,
            "price": str(session_price(expert, cmd.minutes, trial=cmd.trial)),
            "currency": expert.currency,
            "offer": _stored(offer),
            "is_trial": cmd.trial,
            "notice": _hours(window_of(expert, policy)),
            "limit": expert.reschedule_limit,
            "full": full,
        }
        walk = await conversations.advance(uow, cmd.user_id, walk, "day", data, now)
        await uow.commit()
    return _days(walk, offer)


async def choose_day(
    cmd: ChooseDay, uow: UnitOfWork, clock: Clock
) -> DaysOffered | TimesOffered | DayFull:
    """A day: every free time of it, from the offer made with the length (a full day: the
    offer to wait for a time to free up)."""
    now = clock.now()
    async with uow:
        walk = await _at(uow, cmd.user_id, cmd.token, "day", now)
        offer = _instants(walk.data["offer"])
        times = [s for s in offer if local_date(s, str(walk.data["zone"])) == cmd.day]
        if not times and cmd.day.isoformat() in _full(walk):
            data = {**walk.data, "day": cmd.day.isoformat()}
            walk = await conversations.advance(uow, cmd.user_id, walk, "full", data, now)
            await uow.commit()
            return _day_full(walk)
        if not times:
            return _days(walk, offer, note="That day has no free time left. ")
        data = {**walk.data, "day": cmd.day.isoformat(), "slots": _stored(times)}
        walk = await conversations.advance(uow, cmd.user_id, walk, "slot", data, now)
        await uow.commit()
    return _times(walk)


async def choose_time(
    cmd: ChooseTime, uow: UnitOfWork, clock: Clock, policy: Policy
) -> WalkResult:
    """A time: the confirmation question, with the quote (an expert proposing a new time is
    asked for the reason first)."""
    now = clock.now()
    async with uow:
        walk = await _at(uow, cmd.user_id, cmd.token, "slot", now)
        times = _instants(walk.data["slots"])
        if not 0 <= cmd.index < len(times):
            raise InvalidInput(conversations.STALE)
        data = {**walk.data, "start": times[cmd.index].isoformat()}
        step = "reason" if data.get("propose") else "confirm"
        plans = [] if "reschedule" in data else await shareable(uow, cmd.user_id)
        if plans:  # a learner with active plans is asked whether to share one (``plan_shares``)
            step, data = "share", {**data, "plans": [[c.id.hex, c.title] for c in plans]}
        walk = await conversations.advance(uow, cmd.user_id, walk, step, data, now)
        await uow.commit()
    return current_step(walk, policy)


async def give_reason(
    cmd: GiveReason, uow: UnitOfWork, clock: Clock, policy: Policy
) -> QuoteShown:
    """The reason for a proposed new time, typed: then the confirmation question."""
    reason = clean_text(cmd.text, what="reason", limit=500)
    now = clock.now()
    async with uow:
        walk = await _at(uow, cmd.user_id, cmd.token, "reason", now)
        data = {**walk.data, "reason": reason}
        walk = await conversations.advance(uow, cmd.user_id, walk, "confirm", data, now)
        await uow.commit()
    return _quote(walk, policy)


async def submit(cmd: SubmitWalk, uow: UnitOfWork, clock: Clock, policy: Policy) -> WalkResult:
    """✅ Confirm: book the slot at the quoted price (or move the booking there, or propose it)
    and end the walk, in one transaction. A slot taken meanwhile offers every time still free
    that day instead; a changed price asks again with the new one. A second press finds the
    walk ended."""
    now = clock.now()
    async with uow:
        walk = await _at(uow, cmd.user_id, cmd.token, "confirm", now, lock=True)
        data = walk.data
        zone, start = str(data["zone"]), datetime.fromisoformat(str(data["start"]))
        try:
            if "reschedule" in data:
                reason = None if data.get("reason") is None else str(data["reason"])
                change = RescheduleBooking(
                    cmd.user_id, UUID(str(data["reschedule"])), start, reason
                )
                booking = await reschedule_in(uow, change, now, policy)
            else:
                request = BookSlot(
                    cmd.user_id,
                    UUID(str(data["expert"])),
                    start,
                    int(str(data["minutes"])),
                    price=Decimal(str(data["price"])),
                    trial=bool(data.get("is_trial")),
                )
                booking = await book_in(uow, request, now, policy)
                if data.get("share"):  # chosen at the share step: told with the request
                    share = str(data["share"])
                    booking = await share_in(uow, cmd.user_id, booking.id, share, now, policy)
        except SlotTaken as taken:
            return await _after_race(uow, cmd.user_id, walk, taken.message, now, policy)
        except QuoteChanged as changed:
            again = {**data, "price": str(changed.price)}
            walk = await conversations.advance(uow, cmd.user_id, walk, "confirm", again, now)
            await uow.commit()
            return _quote(walk, policy, note=changed.message + " ")
        await conversations.finish(uow, cmd.user_id, cmd.token)
        await uow.commit()
    return WalkDone(booking, zone, _moving(walk))


async def _after_race(
    uow: UnitOfWork, user_id: UUID, walk: Conversation, lost: str, now: datetime, policy: Policy
) -> WalkResult:
    """The slot was lost: the offer worked out again, and every time still free that day (or
    the days, if none is left), in the transaction of the press."""
    data = walk.data
    expert = await _bookable(uow, UUID(str(data["expert"])))
    moved = None if "reschedule" not in data else UUID(str(data["reschedule"]))
    minutes, zone = int(str(data["minutes"])), str(data["zone"])
    full: dict[str, list[str]] = {}
    if moved is None:
        offer, full = await offer_and_full(uow, expert, minutes, now, policy, zone)
    else:
        horizon = policy.horizon
        offer = await open_slots_of(uow, expert, minutes, now, policy, horizon, exclude=moved)
    if not offer and not full:
        await conversations.finish(uow, user_id, walk.token)
        await uow.commit()
        return WalkEnded(lost + " There are no other free times, sorry.")
    day = local_date(datetime.fromisoformat(str(data["start"])), zone)
    times = [s for s in offer if local_date(s, zone) == day]
    again = {**data, "offer": _stored(offer), "slots": _stored(times), "full": full}
    step = "slot" if times else "day"
    walk = await conversations.advance(uow, user_id, walk, step, again, now)
    await uow.commit()
    if times:
        return _times(walk, note=f"{lost} These times are still free that day.\n")
    return _days(walk, offer, note=f"{lost} That day has no free time left. ")


def current_step(walk: Conversation, policy: Policy) -> WalkResult:
    """The question the walk is at, from what it stored (to show it again after a restart, or
    after ◀ Back)."""
    if walk.step == "duration":
        return _lengths(walk)
    if walk.step == "day":
        return _days(walk, _instants(walk.data["offer"]))
    if walk.step == "slot":
        return _times(walk)
    if walk.step == "reason":
        return _reason(walk)
    if walk.step == "confirm":
        return _quote(walk, policy)
    if walk.step == "share":
        plans = walk.data.get("plans")
        shown = tuple((str(p[0]), str(p[1])) for p in plans) if isinstance(plans, list) else ()
        return ShareAsked(walk.token, _name(walk), shown)
    if walk.step == "full":
        return _day_full(walk)
    raise InvalidInput(conversations.STALE)


async def _at(
    uow: UnitOfWork, user_id: UUID, token: str, step: str, now: datetime, *, lock: bool = False
) -> Conversation:
    walk = await conversations.step_of(uow, user_id, token, (FLOW,), now, lock=lock)
    if walk.step != step:
        raise InvalidInput(conversations.STALE)
    return walk


async def _trial_offer(uow: UnitOfWork, learner_id: UUID, expert: Expert) -> str | None:
    """The trial lesson's price, when this learner's booking would be a first lesson with
    ``expert`` (``terms.trial_eligible``; ``book_in`` checks it again under the lock)."""
    booked = await uow.bookings.booked_before(learner_id, expert.id)
    return str(expert.trial_price) if trial_eligible(expert, booked) else None


def _hours(notice: timedelta) -> int:
    return int(notice.total_seconds() // 3600)


async def _bookable(uow: UnitOfWork, expert_id: UUID) -> Expert:
    expert = await uow.experts.get(expert_id, specialties=False)
    if expert is None or expert.status is not Verification.VERIFIED:
        raise NotFound("That expert isn't available.")
    return expert


def _lengths(walk: Conversation) -> LengthAsked:
    prices = walk.data.get("prices")
    if not isinstance(prices, list) or len(prices) != len(DURATIONS):
        raise InvalidInput(conversations.STALE)
    trial = walk.data.get("trial")
    return LengthAsked(
        walk.token,
        DURATIONS,
        tuple(Decimal(str(p)) for p in prices),
        str(walk.data["currency"]),
        None if trial is None else Decimal(str(trial)),
    )


def _days(walk: Conversation, offer: list[datetime], note: str = "") -> DaysOffered:
    zone = str(walk.data["zone"])
    days: list[date] = sorted({local_date(slot, zone) for slot in offer})
    back = bool(conversations.history(walk))
    full = tuple(sorted(date.fromisoformat(day) for day in _full(walk)))
    return DaysOffered(walk.token, zone, tuple(days), note, back, _moving(walk), full)


def _full(walk: Conversation) -> dict[str, object]:
    """The walk's full days (``waitlist.offer_and_full``): learner's date -> expert's dates."""
    full = walk.data.get("full")
    return full if isinstance(full, dict) else {}


def _day_full(walk: Conversation) -> DayFull:
    day = date.fromisoformat(str(walk.data["day"]))
    return DayFull(walk.token, str(walk.data["zone"]), day, _name(walk))


def _times(walk: Conversation, note: str = "") -> TimesOffered:
    times = tuple(_instants(walk.data["slots"]))
    back = bool(conversations.history(walk))
    return TimesOffered(walk.token, str(walk.data["zone"]), times, note, back, _moving(walk))


def _reason(walk: Conversation) -> ReasonAsked:
    moving = _moving(walk)
    if moving is None:
        raise InvalidInput(conversations.STALE)
    start = datetime.fromisoformat(str(walk.data["start"]))
    return ReasonAsked(walk.token, str(walk.data["zone"]), start, _name(walk), moving)


def _quote(walk: Conversation, policy: Policy, note: str = "") -> QuoteShown:
    data = walk.data
    start = datetime.fromisoformat(str(data["start"]))
    notice = None if data.get("notice") is None else timedelta(hours=int(str(data["notice"])))
    limit = data.get("limit")
    return QuoteShown(
        token=walk.token,
        zone=str(data["zone"]),
        other_name=_name(walk),
        minutes=int(str(data["minutes"])),
        starts_at=start,
        price=Decimal(str(data["price"])),
        currency=str(data["currency"]),
        free_until=free_cancellation_ends(start, policy, notice),
        moving=_moving(walk),
        reason=None if data.get("reason") is None else str(data["reason"]),
        note=note,
        trial=bool(data.get("is_trial")),
        notice=notice,
        reschedule_limit=None if limit is None else int(str(limit)),
    )


def _name(walk: Conversation) -> str:
    return str(walk.data["name"])


def _moving(walk: Conversation) -> Moving | None:
    data = walk.data
    if "reschedule" not in data:
        return None
    was = datetime.fromisoformat(str(data["was"]))
    return Moving(booking_ref(UUID(str(data["reschedule"]))), was, bool(data.get("propose")))


def _stored(instants: list[datetime]) -> list[str]:
    return [instant.isoformat() for instant in instants]


def _instants(stored: object) -> list[datetime]:
    if not isinstance(stored, list):
        raise InvalidInput(conversations.STALE)
    return [datetime.fromisoformat(str(s)) for s in stored]
