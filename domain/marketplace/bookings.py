"""Booking services: book a slot, the state machine's actions, feedback and the ledger.

Each takes a command (``domain.marketplace.commands``) and runs in one unit of work. Every
action re-reads the booking (under a row lock where it changes it) and asks ``rules.refusal``
whether the asker may take it now: the same rule the buttons are made from. Decisions that
could double-book an expert (booking, confirming, rescheduling) also hold the expert's advisory
lock, so they happen one at a time per expert even on the embedded server (no btree_gist).
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta
from decimal import Decimal
from uuid import UUID, uuid4

from domain.accounts import conversations
from domain.accounts.model import Conversation
from domain.marketplace.commands import (
    ActOnBooking,
    AskReason,
    BookSlot,
)
from domain.marketplace.invites import next_invite, told
from domain.marketplace.model import (
    Action,
    Booking,
    BookingStatus,
    CancelKind,
    PaymentStatus,
    Policy,
    Role,
    Verification,
    ref_length,
)
from domain.marketplace.notices import tell
from domain.marketplace.payments import PaymentProvider, jitsi_room, record_ledger
from domain.marketplace.policies import NO_TRIAL, session_price
from domain.marketplace.rules import check_allowed, next_status
from domain.marketplace.slots import offers, open_slots_of
from domain.marketplace.terms import trial_eligible, window_of
from domain.marketplace.waitlist import freed, request_nudges
from domain.notifications.model import NotificationKind, Planned
from domain.notifications.services import replan_booking
from domain.shared.clock import Clock
from domain.shared.errors import Conflict, InvalidInput, NotFound
from domain.shared.text import clean_text
from domain.unit_of_work import UnitOfWork

NO_BOOKING = "I can't find that booking among yours. See /bookings."


class SlotTaken(Conflict):
    """The slot was just taken (or is no longer open); ``alternatives`` are the nearest open."""

    def __init__(self, alternatives: list[datetime]) -> None:
        super().__init__("Sorry, that slot was just taken. Nothing was booked.")
        self.alternatives = alternatives


class QuoteChanged(Conflict):
    """The expert's price for the session is no longer the one the learner confirmed."""

    def __init__(self, price: Decimal) -> None:
        super().__init__("The expert's rates changed since you saw them. Nothing was booked.")
        self.price = price


async def book(cmd: BookSlot, uow: UnitOfWork, clock: Clock, policy: Policy) -> Booking:
    """Request a slot; the booking is ``pending`` until the expert confirms.

    Raises:
        NotFound: no such verified expert.
        InvalidInput: booking oneself, or a duration we don't offer.
        SlotTaken: the slot is not open (taken a moment ago, in the past, forged...).
        QuoteChanged: ``cmd.price`` is no longer the expert's price.
    """
    async with uow:
        booking = await book_in(uow, cmd, clock.now(), policy)
        await uow.commit()
    return booking


async def book_in(uow: UnitOfWork, cmd: BookSlot, now: datetime, policy: Policy) -> Booking:
    """``book`` inside an open unit of work (which the caller commits).

    Two statements: the first takes the expert's advisory lock and reads the expert's hours;
    the second, only if those hours offer the slot, inserts the booking, the expert's notice
    and its nudges unless held time overlaps it. So bookings of one expert are decided one at
    a time.
    """
    if cmd.starts_at.tzinfo is None:
        raise ValueError("naive datetime")
    found = await uow.experts.lock_for_booking(cmd.expert_id, cmd.learner_id)
    if found is None or found.expert.status is not Verification.VERIFIED:
        raise NotFound("That expert isn't available.")
    expert = found.expert
    if expert.user_id == cmd.learner_id:
        raise InvalidInput("You can't book a session with yourself.")
    if cmd.trial and not trial_eligible(expert, found.booked_before):
        raise InvalidInput(NO_TRIAL)
    price = session_price(expert, cmd.minutes, trial=cmd.trial)
    if cmd.price is not None and cmd.price != price:
        raise QuoteChanged(price)
    notice = window_of(expert, policy)  # the expert's terms now, kept with the booking
    booking_id, expires_at = uuid4(), min(now + policy.pending_expiry, cmd.starts_at)
    # A series is nudged as a whole (``series.book_series``); a request, with the insert.
    nudges = (
        [] if cmd.series else request_nudges(booking_id, expert.user_id, now, expires_at, policy)
    )
    added = None
    if offers(found, cmd.starts_at, cmd.minutes, now, policy):
        added = await uow.bookings.add_if_free(
            booking_id=booking_id,
            learner_id=cmd.learner_id,
            expert_user_id=expert.user_id,
            expert_id=cmd.expert_id,
            starts_at=cmd.starts_at,
            minutes=cmd.minutes,
            price=price,
            currency=expert.currency,
            expires_at=expires_at,
            now=now,
            buffer=policy.buffer,
            cancel_notice=notice,
            reschedule_limit=expert.reschedule_limit,
            trial=cmd.trial,
            series=cmd.series,
            planned=nudges,
        )
    if added is None:
        since = max(now, cmd.starts_at - timedelta(days=1))
        week = timedelta(days=7)
        raise SlotTaken(
            await open_slots_of(uow, expert, cmd.minutes, since, policy, week, limit=3)
        )
    booking_id, stored_start, stored_price, expires_at = added
    return Booking(
        id=booking_id,
        learner_id=cmd.learner_id,
        expert_id=cmd.expert_id,
        expert_user_id=expert.user_id,
        expert_name=expert.display_name,
        learner_name=found.learner_name,
        starts_at=stored_start,
        minutes=cmd.minutes,
        status=BookingStatus.PENDING,
        payment_status=PaymentStatus.PENDING,
        price=stored_price,
        currency=expert.currency,
        expires_at=expires_at,
        expert_timezone=expert.timezone,
        learner_timezone=found.learner_timezone,
        cancel_notice=notice,
        reschedule_limit=expert.reschedule_limit,
        trial=cmd.trial,
    )


async def act(
    cmd: ActOnBooking, uow: UnitOfWork, clock: Clock, policy: Policy, payments: PaymentProvider
) -> Booking:
    """Confirm, decline, cancel, complete, mark no-show, mark paid or refunded, as
    ``cmd.user_id``.

    Accepts exactly what ``rules.available_actions`` offers; confirming also needs the time
    to be free of the expert's confirmed sessions. Calling off a paid booking asks the payment
    provider to refund it; a provider that cannot (the manual one) leaves it paid, so the
    booking shows a refund owed until the expert or an admin marks it refunded.
    """
    if cmd.action not in _ACTS:
        raise InvalidInput("That isn't something a booking can do.")
    reason = None
    if cmd.reason is not None:
        reason = clean_text(cmd.reason, what="reason", limit=500, required=False)
    async with uow:
        # admins only mark payments and refunds
        admins = policy if cmd.action in (Action.MARK_PAID, Action.MARK_REFUNDED) else None
        booking, role = await booking_of(uow, cmd.user_id, cmd.booking_id, admins, lock=True)
        now = clock.now()
        action = cmd.action
        check_allowed(action, booking, role, now, policy)
        other = booking.learner_id if role is Role.EXPERT else booking.expert_user_id
        values: dict[str, object] = {}
        if action is Action.CONFIRM:
            values = await confirmation(uow, booking, now, policy)
        elif action in (Action.DECLINE, Action.CANCEL):
            kind = CancelKind.DECLINED if action is Action.DECLINE else CancelKind.CANCELLED
            values = {
                "cancel_reason": reason,
                "cancelled_by": cmd.user_id,
                "cancel_kind": kind.value,
                "cancelled_at": now,
            }
            if booking.payment_status is PaymentStatus.PAID and await payments.refund(booking):
                values["payment_status"] = PaymentStatus.REFUNDED.value
            values |= next_invite(booking, now)  # called off after a confirmation: cancel it
        elif action is Action.MARK_PAID:
            values = {"payment_status": PaymentStatus.PAID.value}
            other = booking.learner_id
        elif action is Action.MARK_REFUNDED:
            values = {"payment_status": PaymentStatus.REFUNDED.value}
            other = booking.learner_id

        status = next_status(action, booking.status)
        await uow.bookings.update(cmd.booking_id, status=status.value, **values)
        if action is Action.COMPLETE:
            await uow.bookings.refresh_expert_stats(booking.expert_id)
        paid = values.get("payment_status") == PaymentStatus.PAID.value or (
            booking.payment_status is PaymentStatus.PAID
        )
        if paid and status is BookingStatus.COMPLETED:  # held until payable (``disputes``)
            await record_ledger(uow, booking, policy, now)
        data = {"booking_id": str(cmd.booking_id), **told(values)}
        await tell(uow, other, _ANNOUNCED[action], data, now)
        updated = await uow.bookings.get(cmd.booking_id)
        assert updated is not None
        if action in (Action.CONFIRM, Action.DECLINE, Action.CANCEL):
            await replan_booking(updated, uow, now)
        if action in (Action.DECLINE, Action.CANCEL):
            await freed(uow, booking, now)  # the waitlist of its day
        updated = replace(updated, ref_length=booking.ref_length)
        await uow.commit()
    return updated


async def confirmation(
    uow: UnitOfWork, booking: Booking, now: datetime, policy: Policy
) -> dict[str, object]:
    """What confirming ``booking`` writes, under the expert's lock, once its time is free of
    the expert's confirmed sessions (else ``Conflict``). The rules were asked before."""
    await uow.experts.lock(booking.expert_id)
    if await uow.experts.busy(
        booking.expert_id,
        booking.starts_at - policy.buffer,
        booking.ends_at + policy.buffer,
        now,
        firm_only=True,
    ):
        raise Conflict(
            f"Booking {booking.ref} overlaps a session you already confirmed. "
            "Decline it or reschedule one of them."
        )
    expert = await uow.experts.get(booking.expert_id, specialties=False)
    assert expert is not None
    link = expert.meeting_link or jitsi_room()
    values: dict[str, object] = {"confirmed_at": now, "meeting_link": link, "expires_at": None}
    return values | next_invite(booking, now, confirming=True)


# What act() does, and what it tells the other side; the other actions have services of
# their own (or are the system's).
_ANNOUNCED = {
    Action.CONFIRM: NotificationKind.BOOKING_CONFIRM,
    Action.DECLINE: NotificationKind.BOOKING_DECLINE,
    Action.CANCEL: NotificationKind.BOOKING_CANCEL,
    Action.COMPLETE: NotificationKind.BOOKING_COMPLETE,
    Action.NO_SHOW: NotificationKind.BOOKING_NO_SHOW,
    Action.MARK_PAID: NotificationKind.BOOKING_MARK_PAID,
    Action.MARK_REFUNDED: NotificationKind.BOOKING_REFUNDED,
}
_ACTS = frozenset(_ANNOUNCED)


async def ask_reason(
    cmd: AskReason, flow: str, uow: UnitOfWork, clock: Clock, policy: Policy
) -> tuple[Booking, Conversation]:
    """A Decline or Cancel press: check it is allowed now, then open the question for its
    reason (the ``flow``, at the action's step) in the same transaction."""
    if cmd.action not in (Action.DECLINE, Action.CANCEL):
        raise InvalidInput("That isn't something a booking can do.")
    booking, _, asked = await ask_about(
        cmd.user_id, cmd.booking_id, cmd.action, flow, cmd.action.value, uow, clock, policy
    )
    return booking, asked


async def ask_about(
    user_id: UUID,
    booking_id: UUID,
    action: Action,
    flow: str,
    step: str,
    uow: UnitOfWork,
    clock: Clock,
    policy: Policy,
    data: dict[str, object] | None = None,
) -> tuple[Booking, Role, Conversation]:
    """A press that asks for words before ``action`` (a reason, a message, a problem's
    words, an account, homework): check ``user_id`` may take it now, then open the question
    (``flow`` at ``step``, with the booking and ``data``) in the same transaction."""
    async with uow:
        now = clock.now()
        booking, role = await allowed(uow, user_id, booking_id, action, now, policy)
        data = {"booking": booking.id.hex, **(data or {})}
        asked = await conversations.move(uow, user_id, flow, step, data, now)
        await uow.commit()
    return booking, role, asked


async def allowed(
    uow: UnitOfWork,
    user_id: UUID,
    booking_id: UUID,
    action: Action,
    now: datetime,
    policy: Policy,
) -> tuple[Booking, Role]:
    """The booking and ``user_id``'s role in it, in an open unit of work, if the rules let
    them take ``action`` now (else the rules' refusal)."""
    booking, role = await booking_of(uow, user_id, booking_id, None)
    check_allowed(action, booking, role, now, policy)
    return booking, role


async def get_booking(
    user_id: UUID, booking_id: UUID, uow: UnitOfWork, policy: Policy | None = None
) -> Booking:
    """The booking as ``user_id`` sees it (with ``policy``, an admin may see any)."""
    async with uow:
        booking, _ = await booking_of(uow, user_id, booking_id, policy)
    return booking


async def invite_of(
    user_id: UUID, booking_id: UUID, uow: UnitOfWork, clock: Clock, policy: Policy
) -> Booking:
    """The booking whose calendar invite ``user_id`` asks for (📅 Add to calendar), if the
    rules let them have it now (``Action.INVITE``: its two sides, once it was confirmed).

    Raises:
        NotFound: somebody else's booking.
        InvalidInput: not confirmed yet, or called off or over.
    """
    async with uow:
        booking, role = await booking_of(uow, user_id, booking_id, None)
        check_allowed(Action.INVITE, booking, role, clock.now(), policy)
    return booking


async def find_booking(
    user_id: UUID | None, ref: str, uow: UnitOfWork, policy: Policy | None = None
) -> Booking:
    """A booking by a reference the screens show (its id's first hex digits, or all of it),
    among the user's own; with ``policy``, an admin finds any booking (None: the command
    line, an operator, finds any)."""
    ref = ref.strip().lower().replace("-", "")
    if not (4 <= len(ref) <= 32) or any(c not in "0123456789abcdef" for c in ref):
        raise InvalidInput("Give the booking's reference as shown in /bookings, e.g. 3f2a9c1b.")
    async with uow:
        admin = user_id is None or (policy is not None and await _is_admin(uow, user_id, policy))
        found = await uow.bookings.find(None if admin else user_id, ref)
        if len(found) > 1:
            raise InvalidInput("That reference matches several bookings; give more characters.")
        if not found:
            raise NotFound(NO_BOOKING)
        return (await _with_refs(uow, None if admin else user_id, found))[0]


async def bookings_of(user_id: UUID, uow: UnitOfWork) -> list[Booking]:
    """The user's bookings (as learner and as expert), each with its reference for them."""
    async with uow:
        return await _with_refs(uow, user_id, await uow.bookings.for_user(user_id))


async def _with_refs(uow: UnitOfWork, viewer: UUID | None, shown: list[Booking]) -> list[Booking]:
    """``shown`` with references long enough to tell each apart from every other booking
    ``viewer`` can see (None: an admin, who can see them all)."""
    neighbours = await uow.bookings.sharing_refs(viewer, [b.id for b in shown])
    return [replace(b, ref_length=ref_length(b.id, neighbours)) for b in shown]


async def _is_admin(uow: UnitOfWork, user_id: UUID, policy: Policy) -> bool:
    return bool(policy.admins) and user_id in await uow.users.ids_for_identities(policy.admins)


MARK_PROMPT = NotificationKind.BOOKING_MARK_PROMPT


async def prompt_to_mark(uow: UnitOfWork, clock: Clock) -> int:
    """Ask experts to mark their ended sessions completed or no-show (each session once)."""
    now = clock.now()
    async with uow:
        ended = await uow.bookings.ended_unmarked(now, since=now - timedelta(days=30))
        prompts = [
            Planned(
                b.expert_user_id,
                MARK_PROMPT,
                {"booking_id": str(b.id)},
                now,
                None,
                f"{MARK_PROMPT}:{b.id}",
            )
            for b in ended
        ]
        count = await uow.notifications.plan(prompts)
        await uow.commit()
    return count


async def expire_pending(uow: UnitOfWork, clock: Clock) -> int:
    """Cancel pending bookings nobody answered in time, freeing their slots; tell both sides,
    once for the weeks of a series that lapse together (``data["bookings"]``)."""
    now = clock.now()
    async with uow:
        lapsed = await uow.bookings.lapsed_pending(now)
        weeks: dict[UUID, list[Booking]] = {}  # series id -> its never-confirmed weeks
        for booking in lapsed:
            invite = next_invite(booking, now)  # a moved request that had been confirmed
            await uow.bookings.update(
                booking.id,
                status=next_status(Action.EXPIRE, booking.status).value,
                cancel_reason="expired: the expert did not answer in time",
                cancel_kind=CancelKind.EXPIRED.value,
                cancelled_at=now,
                **invite,
            )
            await freed(uow, booking, now)  # the waitlist of its day
            if booking.series_id is not None and not invite:
                weeks.setdefault(booking.series_id, []).append(booking)
                continue
            await _tell_lapsed(uow, booking, [booking], told(invite), now)
        for series in weeks.values():
            series.sort(key=lambda b: b.starts_at)
            await _tell_lapsed(uow, series[0], series, {}, now)
        await uow.commit()
    return len(lapsed)


async def _tell_lapsed(
    uow: UnitOfWork,
    booking: Booking,
    lapsed: list[Booking],
    data: dict[str, object],
    now: datetime,
) -> None:
    """Tell both sides that ``lapsed`` (``booking`` and the weeks of its series that lapsed
    with it) lapsed."""
    data = {"booking_id": str(booking.id), **data}
    if len(lapsed) > 1:
        data["bookings"] = [str(b.id) for b in lapsed]
    for user in (booking.learner_id, booking.expert_user_id):
        await tell(uow, user, NotificationKind.BOOKING_EXPIRED, data, now)


async def booking_of(
    uow: UnitOfWork, user_id: UUID, booking_id: UUID, policy: Policy | None, *, lock: bool = False
) -> tuple[Booking, Role]:
    """The booking and how ``user_id`` relates to it; someone else's is "not found". With a
    ``policy``, a user who is not a party may be one of its admins."""
    booking = await uow.bookings.get(booking_id, lock=lock)
    if booking is None:
        raise NotFound(NO_BOOKING)
    role = booking.role_of(user_id)
    if role is Role.OTHER and policy is not None and await _is_admin(uow, user_id, policy):
        role = Role.ADMIN
    if role is Role.OTHER:
        raise NotFound(NO_BOOKING)  # do not confirm that somebody else's booking exists
    (booking,) = await _with_refs(uow, None if role is Role.ADMIN else user_id, [booking])
    return booking, role
