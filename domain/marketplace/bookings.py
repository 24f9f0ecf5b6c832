"""Booking services: book a slot, the state machine's actions, feedback and the ledger.

Every action re-reads the booking under a row lock and checks who is asking against
``rules.PERMISSIONS`` and the state against ``TRANSITIONS``. Decisions that could
double-book an expert (booking, confirming, rescheduling) also hold the expert's advisory lock,
so they happen one at a time per expert even on the embedded server (no btree_gist needed).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal
from uuid import UUID

from domain.marketplace.experts import is_admin
from domain.marketplace.model import (
    Action,
    Booking,
    BookingStatus,
    Earning,
    PaymentStatus,
    Policy,
    Role,
    Verification,
)
from domain.marketplace.payments import PaymentProvider, jitsi_room
from domain.marketplace.rules import check_allowed, next_status, price_for, split_commission
from domain.marketplace.slots import offers, open_slots_of, slot_is_open
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


async def book(
    learner_id: UUID,
    expert_id: UUID,
    starts_at: datetime,
    minutes: int,
    uow: UnitOfWork,
    clock: Clock,
    policy: Policy,
) -> Booking:
    """Request a slot; the booking is ``pending`` until the expert confirms.

    Two statements: the first takes the expert's advisory lock and reads the expert's hours;
    the second, only if those hours offer the slot, inserts the booking and the expert's notice
    unless held time overlaps it. So bookings of one expert are decided one at a time.

    Raises:
        NotFound: no such verified expert.
        InvalidInput: booking oneself, or a duration we don't offer.
        SlotTaken: the slot is not open (taken a moment ago, in the past, forged...).
    """
    if starts_at.tzinfo is None:
        raise ValueError("naive datetime")
    now = clock.now()
    async with uow:
        found = await uow.experts.lock_for_booking(expert_id, learner_id)
        if found is None or found.expert.status is not Verification.VERIFIED:
            raise NotFound("That expert isn't available.")
        expert = found.expert
        if expert.user_id == learner_id:
            raise InvalidInput("You can't book a session with yourself.")
        price = price_for(expert.rate_min, expert.rate_max, minutes)
        added = None
        if offers(found, starts_at, minutes, now, policy):
            added = await uow.bookings.add_if_free(
                learner_id=learner_id,
                expert_user_id=expert.user_id,
                expert_id=expert_id,
                starts_at=starts_at,
                minutes=minutes,
                price=price,
                currency=expert.currency,
                expires_at=min(now + policy.pending_expiry, starts_at),
                now=now,
                buffer=policy.buffer,
            )
        if added is None:
            alternatives = await open_slots_of(
                uow,
                expert,
                minutes,
                max(now, starts_at - timedelta(days=1)),
                policy,
                timedelta(days=7),
                limit=3,
            )
            raise SlotTaken(alternatives)
        await uow.commit()
    booking_id, stored_start, stored_price, expires_at = added
    return Booking(
        id=booking_id,
        learner_id=learner_id,
        expert_id=expert_id,
        expert_user_id=expert.user_id,
        expert_name=expert.display_name,
        learner_name=found.learner_name,
        starts_at=stored_start,
        minutes=minutes,
        status=BookingStatus.PENDING,
        payment_status=PaymentStatus.PENDING,
        price=stored_price,
        currency=expert.currency,
        expires_at=expires_at,
        expert_timezone=expert.timezone,
        learner_timezone=found.learner_timezone,
    )


async def act(
    user_id: UUID,
    booking_id: UUID,
    action: Action,
    uow: UnitOfWork,
    clock: Clock,
    policy: Policy,
    payments: PaymentProvider,
    *,
    reason: str | None = None,
) -> Booking:
    """Confirm, decline, cancel, complete, mark no-show or mark paid, as ``user_id``."""
    admin = action is Action.MARK_PAID and await is_admin(user_id, uow, policy)
    if reason is not None:
        reason = clean_text(reason, what="reason", limit=500, required=False)
    async with uow:
        booking = await uow.bookings.get(booking_id, lock=True)
        if booking is None:
            raise NotFound(NO_BOOKING)
        role = booking.role_of(user_id, is_admin=admin)
        if role is Role.OTHER:
            raise NotFound(NO_BOOKING)  # do not confirm that somebody else's booking exists
        check_allowed(action, booking, role)
        now = clock.now()
        other = booking.learner_id if role is Role.EXPERT else booking.expert_user_id
        values: dict[str, object] = {}
        notice = NotificationKind(f"booking_{action.value}")  # act() serves only these

        if action is Action.CONFIRM:
            lapsed = booking.expires_at is not None and booking.expires_at <= now
            if lapsed or booking.starts_at <= now:
                raise InvalidInput(f"Booking {booking.ref} lapsed before it was confirmed.")
            await uow.experts.lock(booking.expert_id)
            if await uow.experts.busy(
                booking.expert_id,
                booking.starts_at - policy.buffer,
                booking.ends_at + policy.buffer,
                now,
                scheduled_only=True,
            ):
                raise Conflict(
                    f"Booking {booking.ref} overlaps a session you already confirmed. "
                    "Decline it or reschedule one of them."
                )
            expert = await uow.experts.get(booking.expert_id)
            assert expert is not None
            values = {
                "confirmed_at": now,
                "meeting_link": expert.meeting_link or jitsi_room(),
                "expires_at": None,
            }
        elif action in (Action.DECLINE, Action.CANCEL):
            if (
                action is Action.CANCEL
                and role is Role.LEARNER
                and booking.starts_at - now < policy.free_cancellation_notice
            ):
                raise InvalidInput(_late(policy, "cancelled"))
            values = {"cancel_reason": reason, "cancelled_by": user_id}
            if booking.payment_status is PaymentStatus.PAID:
                await payments.refund(booking)
                values["payment_status"] = PaymentStatus.REFUNDED.value
        elif action in (Action.COMPLETE, Action.NO_SHOW):
            if now < booking.ends_at:
                raise InvalidInput("You can mark a session only after it has ended.")
        elif action is Action.MARK_PAID:
            if booking.payment_status is not PaymentStatus.PENDING:
                raise InvalidInput(f"Booking {booking.ref} is already {booking.payment_status}.")
            values = {"payment_status": PaymentStatus.PAID.value}
            other = booking.learner_id
        else:
            raise InvalidInput("That isn't something a booking can do.")

        status = next_status(action, booking.status)
        await uow.bookings.update(booking_id, status=status.value, **values)
        if action is Action.COMPLETE:
            await uow.bookings.refresh_expert_stats(booking.expert_id)
        paid = values.get("payment_status") == PaymentStatus.PAID.value or (
            booking.payment_status is PaymentStatus.PAID
        )
        if paid and status is BookingStatus.COMPLETED:
            commission, earnings = split_commission(booking.price, policy.commission_rate)
            await uow.bookings.add_commission(
                booking_id,
                commission=commission,
                earnings=earnings,
                rate=policy.commission_rate,
                currency=booking.currency,
            )
        await uow.notifications.add(other, notice, {"booking_id": str(booking_id)}, now)
        updated = await uow.bookings.get(booking_id)
        assert updated is not None
        if action in (Action.CONFIRM, Action.DECLINE, Action.CANCEL):
            await replan_booking(updated, uow, now)
        await uow.commit()
    assert updated is not None
    return updated


async def reschedule(
    user_id: UUID,
    booking_id: UUID,
    starts_at: datetime,
    uow: UnitOfWork,
    clock: Clock,
    policy: Policy,
) -> Booking:
    """Move a booking to another open slot of the same length.

    Moved by the learner, it waits for the expert's confirmation again; moved by the expert,
    it stays scheduled. Either way the other side is told.
    """
    now = clock.now()
    async with uow:
        booking = await uow.bookings.get(booking_id, lock=True)
        if booking is None:
            raise NotFound(NO_BOOKING)
        role = booking.role_of(user_id)
        if role is Role.OTHER:
            raise NotFound(NO_BOOKING)
        check_allowed(Action.RESCHEDULE, booking, role)
        if booking.starts_at - now < policy.free_cancellation_notice:
            raise InvalidInput(_late(policy, "rescheduled"))
        expert = await uow.experts.get(booking.expert_id)
        assert expert is not None
        await uow.experts.lock(expert.id)
        if not await slot_is_open(
            uow, expert, starts_at, booking.minutes, now, policy, exclude=booking_id
        ):
            alternatives = await open_slots_of(
                uow, expert, booking.minutes, now, policy, timedelta(days=7), limit=3
            )
            raise SlotTaken(alternatives)
        by_learner = role is Role.LEARNER
        status = BookingStatus.PENDING if by_learner else booking.status
        await uow.bookings.update(
            booking_id,
            session_date=starts_at,
            status=status.value,
            expires_at=(
                min(now + policy.pending_expiry, starts_at)
                if status is BookingStatus.PENDING
                else None
            ),
        )
        other = booking.expert_user_id if by_learner else booking.learner_id
        await uow.notifications.add(
            other, NotificationKind.BOOKING_RESCHEDULED, {"booking_id": str(booking_id)}, now
        )
        updated = await uow.bookings.get(booking_id)
        assert updated is not None
        await replan_booking(updated, uow, now)
        await uow.commit()
    assert updated is not None
    return updated


async def rate(
    user_id: UUID,
    booking_id: UUID,
    rating: int,
    uow: UnitOfWork,
    clock: Clock,
    *,
    review: str | None = None,
) -> Booking:
    """The learner's 1–5 stars (and optional review) for a completed session; once only."""
    if not 1 <= rating <= 5:
        raise InvalidInput("Ratings go from 1 to 5 stars.")
    if review is not None:
        review = clean_text(review, what="review", limit=2000, required=False)
    async with uow:
        booking = await _owned(uow, user_id, booking_id)
        check_allowed(Action.FEEDBACK, booking, booking.role_of(user_id))
        if booking.has_feedback:
            raise InvalidInput(f"You already rated booking {booking.ref}. Thank you!")
        await uow.bookings.save_feedback(booking_id, rating=rating, review=review)
        await uow.bookings.refresh_expert_stats(booking.expert_id)
        await uow.notifications.add(
            booking.expert_user_id,
            NotificationKind.BOOKING_RATED,
            {"booking_id": str(booking_id)},
            clock.now(),
        )
        updated = await uow.bookings.get(booking_id)
        await uow.commit()
    assert updated is not None
    return updated


async def add_review(user_id: UUID, booking_id: UUID, text: str, uow: UnitOfWork) -> None:
    """Add the written review to a rating already given."""
    review = clean_text(text, what="review", limit=2000)
    async with uow:
        booking = await _owned(uow, user_id, booking_id)
        check_allowed(Action.FEEDBACK, booking, booking.role_of(user_id))
        if not booking.has_feedback:
            raise InvalidInput("Rate the session with the stars first.")
        await uow.bookings.save_feedback(booking_id, review=review)
        await uow.commit()


async def add_expert_notes(user_id: UUID, booking_id: UUID, text: str, uow: UnitOfWork) -> None:
    """The expert's notes on a finished session (kept with the feedback)."""
    notes = clean_text(text, what="notes", limit=4000)
    async with uow:
        booking = await _owned(uow, user_id, booking_id)
        check_allowed(Action.EXPERT_NOTES, booking, booking.role_of(user_id))
        await uow.bookings.save_feedback(booking_id, expert_notes=notes)
        await uow.commit()


async def get_booking(user_id: UUID, booking_id: UUID, uow: UnitOfWork) -> Booking:
    async with uow:
        return await _owned(uow, user_id, booking_id)


async def find_booking(user_id: UUID, ref: str, uow: UnitOfWork) -> Booking:
    """One of the user's bookings by the short reference shown in /bookings."""
    ref = ref.strip().lower()
    if not (4 <= len(ref) <= 32) or any(c not in "0123456789abcdef" for c in ref):
        raise InvalidInput("Give the booking's reference as shown in /bookings, e.g. 3f2a9c1b.")
    async with uow:
        found = await uow.bookings.find(user_id, ref)
    if not found:
        raise NotFound(NO_BOOKING)
    if len(found) > 1:
        raise InvalidInput("That reference matches several bookings; give more characters.")
    return found[0]


async def bookings_of(user_id: UUID, uow: UnitOfWork) -> list[Booking]:
    async with uow:
        return await uow.bookings.for_user(user_id)


async def earnings(user_id: UUID, uow: UnitOfWork) -> list[Earning]:
    """The expert's earnings by month (in their zone) with what is paid out and pending."""
    async with uow:
        expert = await uow.experts.by_user(user_id)
        if expert is None:
            raise NotFound("Only experts have earnings. See /become_expert.")
        return await uow.bookings.earnings(expert.id, expert.timezone)


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
    """Cancel pending bookings nobody answered in time, freeing their slots; tell both sides."""
    now = clock.now()
    async with uow:
        lapsed = await uow.bookings.lapsed_pending(now)
        for booking in lapsed:
            await uow.bookings.update(
                booking.id,
                status=next_status(Action.EXPIRE, booking.status).value,
                cancel_reason="expired: the expert did not answer in time",
            )
            for user in (booking.learner_id, booking.expert_user_id):
                await uow.notifications.add(
                    user, NotificationKind.BOOKING_EXPIRED, {"booking_id": str(booking.id)}, now
                )
        await uow.commit()
    return len(lapsed)


async def pay_out(uow: UnitOfWork, clock: Clock) -> tuple[int, Decimal]:
    """Mark every pending commission row paid (the payout run); returns (rows, total)."""
    async with uow:
        result = await uow.bookings.pay_out(clock.now())
        await uow.commit()
    return result


async def _owned(uow: UnitOfWork, user_id: UUID, booking_id: UUID) -> Booking:
    booking = await uow.bookings.get(booking_id)
    if booking is None or booking.role_of(user_id) is Role.OTHER:
        raise NotFound(NO_BOOKING)
    return booking


def _late(policy: Policy, done: str) -> str:
    hours = int(policy.free_cancellation_notice.total_seconds() // 3600)
    return (
        f"It's less than {hours} hours before the session, so it can't be {done} here "
        "any more. Please contact the expert."
    )


async def available_slots(
    expert_id: UUID,
    minutes: int,
    uow: UnitOfWork,
    clock: Clock,
    policy: Policy,
    within: timedelta = timedelta(days=14),
) -> list[datetime]:
    """Open slot starts (UTC) of a verified expert for a session of ``minutes``."""
    price_for(Decimal(1), Decimal(1), minutes)  # refuses durations we don't offer
    async with uow:
        expert = await uow.experts.get(expert_id)
        if expert is None or expert.status is not Verification.VERIFIED:
            raise NotFound("That expert isn't available.")
        return await open_slots_of(uow, expert, minutes, clock.now(), policy, within)
