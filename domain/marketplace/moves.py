"""Moving a booking to another time: 🗓 Reschedule, and the answer to a proposed new time.

The learner moves a booking at once (it waits for the expert's confirmation again). An expert
moving a *scheduled* booking only proposes the new time, with a reason: the booking keeps its
time until the learner accepts, and declining keeps it for good. A proposal holds no time; the
acceptance checks the slot again under the expert's lock, as every booking decision does, so a
slot taken meanwhile is refused and the booking stays as it was. A later proposal replaces an
earlier one, and an answer names the proposal it answers (``AnswerMove.proposed_start``), so a
button under an old proposal is stale.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from domain.marketplace import invites
from domain.marketplace.bookings import SlotTaken, booking_of
from domain.marketplace.commands import AnswerMove, RescheduleBooking
from domain.marketplace.model import Action, Booking, BookingStatus, Expert, Policy, Role
from domain.marketplace.notices import tell
from domain.marketplace.rules import check_allowed, policy_for
from domain.marketplace.slots import open_slots_of, slot_is_open
from domain.marketplace.waitlist import NUDGE, freed, request_nudges
from domain.notifications.model import NotificationKind
from domain.notifications.services import replan_booking
from domain.shared.clock import Clock
from domain.shared.errors import InvalidInput
from domain.shared.text import clean_text
from domain.unit_of_work import UnitOfWork

NO_PROPOSAL = "That proposed time is no longer open (it was answered or replaced). See /bookings."


def proposes(booking: Booking, role: Role) -> bool:
    """Whether moving ``booking`` as ``role`` asks the other side first (an expert moving a
    confirmed session) rather than moving it at once."""
    return role is Role.EXPERT and booking.status is BookingStatus.SCHEDULED


async def reschedule(
    cmd: RescheduleBooking, uow: UnitOfWork, clock: Clock, policy: Policy
) -> Booking:
    """Move a booking to another open slot of the same length, or propose it (``proposes``).

    Moved by the learner, it waits for the expert's confirmation again; a pending request moved
    by its expert stays pending. Either way the other side is told who moved it, from when to
    when.
    """
    async with uow:
        updated = await reschedule_in(uow, cmd, clock.now(), policy)
        await uow.commit()
    return updated


async def reschedule_in(
    uow: UnitOfWork, cmd: RescheduleBooking, now: datetime, policy: Policy
) -> Booking:
    """``reschedule`` inside an open unit of work (which the caller commits)."""
    booking, role = await booking_of(uow, cmd.user_id, cmd.booking_id, None, lock=True)
    check_allowed(Action.RESCHEDULE, booking, role, now, policy)
    expert = await uow.experts.get(booking.expert_id, specialties=False)
    assert expert is not None
    await _check_open(uow, expert, booking, cmd.starts_at, now, policy)
    other = booking.expert_user_id if role is Role.LEARNER else booking.learner_id
    moved = {"booking_id": str(booking.id), "from": booking.starts_at.isoformat()}
    moved |= {"to": cmd.starts_at.isoformat(), "by": role.value}
    if proposes(booking, role):
        reason = clean_text(cmd.reason or "", what="reason", limit=500, required=False)
        if reason is None:
            raise InvalidInput("Say why you are moving the session: the learner will see it.")
        await uow.bookings.update(
            booking.id, proposed_start=cmd.starts_at, proposed_by=cmd.user_id, move_reason=reason
        )
        await tell(uow, other, NotificationKind.BOOKING_MOVE_PROPOSED, moved, now)
        updated = await uow.bookings.get(booking.id)
        assert updated is not None
        return updated
    status = BookingStatus.PENDING if role is Role.LEARNER else booking.status
    pending = status is BookingStatus.PENDING
    expires_at = min(now + policy.pending_expiry, cmd.starts_at) if pending else None
    invite = invites.next_invite(booking, now)  # moved after a confirmation: the invite follows
    await uow.bookings.update(
        booking.id,
        session_date=cmd.starts_at,
        status=status.value,
        expires_at=expires_at,
        reschedules=booking.reschedules + 1,  # counted against ``Booking.reschedule_limit``
        **_NO_PROPOSAL,
        **invite,
    )
    if role is Role.LEARNER and expires_at is not None:  # a request again: nudged afresh
        await uow.notifications.withdraw([booking.expert_user_id], [NUDGE], booking_id=booking.id)
        await uow.notifications.plan(
            request_nudges(booking.id, booking.expert_user_id, now, expires_at, policy)
        )
    await tell(uow, other, NotificationKind.BOOKING_RESCHEDULED, moved | invites.told(invite), now)
    await freed(uow, booking, now)  # the time it left: the waitlist of that day
    updated = await uow.bookings.get(booking.id)
    assert updated is not None
    await replan_booking(updated, uow, now)
    return updated


async def answer_move(cmd: AnswerMove, uow: UnitOfWork, clock: Clock, policy: Policy) -> Booking:
    """Accept or decline the other side's proposed new time (``cmd.proposed_start``).

    Accepted, the booking moves there and stays scheduled, if the slot is still open; declined,
    it keeps its time. Either way the proposal closes and the side that asked is told.

    Raises:
        InvalidInput: no proposal, or another one than ``cmd.proposed_start`` (stale).
        NotAllowed: the side that proposed it answering.
        SlotTaken: accepted, but the time is no longer free (the booking is unchanged).
    """
    action = Action.ACCEPT_MOVE if cmd.accept else Action.DECLINE_MOVE
    now = clock.now()
    async with uow:
        booking, role = await booking_of(uow, cmd.user_id, cmd.booking_id, None, lock=True)
        check_allowed(action, booking, role, now, policy)
        if booking.proposed_start != cmd.proposed_start:
            raise InvalidInput(NO_PROPOSAL)
        assert booking.proposed_by is not None and booking.proposed_start is not None
        told = {"booking_id": str(booking.id), "from": booking.starts_at.isoformat()}
        told |= {"to": booking.proposed_start.isoformat(), "by": role.value}
        if cmd.accept:
            expert = await uow.experts.get(booking.expert_id, specialties=False)
            assert expert is not None
            await _check_open(uow, expert, booking, booking.proposed_start, now, policy)
            invite = invites.next_invite(booking, now)
            await uow.bookings.update(
                booking.id,
                session_date=booking.proposed_start,
                reschedules=booking.reschedules + 1,
                **_NO_PROPOSAL,
                **invite,
            )
            told |= invites.told(invite)
            kind = NotificationKind.BOOKING_MOVE_ACCEPTED
            await freed(uow, booking, now)  # the time it left: the waitlist of that day
        else:
            await uow.bookings.update(booking.id, **_NO_PROPOSAL)
            kind = NotificationKind.BOOKING_MOVE_DECLINED
        await tell(uow, booking.proposed_by, kind, told, now)
        updated = await uow.bookings.get(booking.id)
        assert updated is not None
        if cmd.accept:
            await replan_booking(updated, uow, now)
        await uow.commit()
    return updated


_NO_PROPOSAL: dict[str, object] = dict.fromkeys(("proposed_start", "proposed_by", "move_reason"))


async def _check_open(
    uow: UnitOfWork,
    expert: Expert,
    booking: Booking,
    start: datetime,
    now: datetime,
    policy: Policy,
) -> None:
    """Under the expert's lock: ``start`` is open for ``booking`` (its own time counts as free),
    or ``SlotTaken`` with the nearest open times."""
    policy = policy_for(booking, policy)  # a series' week: the series horizon
    await uow.experts.lock(expert.id)
    if await slot_is_open(uow, expert, start, booking.minutes, now, policy, exclude=booking.id):
        return
    week = timedelta(days=7)
    alternatives = await open_slots_of(
        uow, expert, booking.minutes, now, policy, week, limit=3, exclude=booking.id
    )
    raise SlotTaken(alternatives)
