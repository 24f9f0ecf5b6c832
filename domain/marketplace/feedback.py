"""After a session: the learner's stars and review, the expert's notes; each side is told.

Each runs in one unit of work and asks ``rules`` whether the asker may, as the buttons do.
"""

from __future__ import annotations

from domain.marketplace.bookings import booking_of
from domain.marketplace.commands import AnnotateSession, RateSession, ReviewSession
from domain.marketplace.model import Action, Booking, Policy
from domain.marketplace.notices import tell
from domain.marketplace.rules import check_allowed, may_add_review
from domain.notifications.model import NotificationKind
from domain.shared.clock import Clock
from domain.shared.errors import InvalidInput
from domain.shared.text import clean_text
from domain.unit_of_work import UnitOfWork


async def rate(cmd: RateSession, uow: UnitOfWork, clock: Clock, policy: Policy) -> Booking:
    """The learner's 1–5 stars (and optional review) for a completed session; once only.
    The expert is told, with the stars."""
    if not 1 <= cmd.rating <= 5:
        raise InvalidInput("Ratings go from 1 to 5 stars.")
    review = None
    if cmd.review is not None:
        review = clean_text(cmd.review, what="review", limit=2000, required=False)
    async with uow:
        booking, role = await booking_of(uow, cmd.user_id, cmd.booking_id, None)
        now = clock.now()
        check_allowed(Action.FEEDBACK, booking, role, now, policy)
        await uow.bookings.save_feedback(booking.id, rating=cmd.rating, review=review)
        await uow.bookings.refresh_expert_stats(booking.expert_id)
        await tell(
            uow,
            booking.expert_user_id,
            NotificationKind.BOOKING_RATED,
            {"booking_id": str(booking.id)},
            now,
        )
        updated = await uow.bookings.get(booking.id)
        await uow.commit()
    assert updated is not None
    return updated


async def add_review(cmd: ReviewSession, uow: UnitOfWork, clock: Clock) -> None:
    """Add the written review to a rating already given; the expert is told."""
    review = clean_text(cmd.text, what="review", limit=2000)
    async with uow:
        booking, role = await booking_of(uow, cmd.user_id, cmd.booking_id, None)
        may_add_review(booking, role)
        await uow.bookings.save_feedback(booking.id, review=review)
        await tell(
            uow,
            booking.expert_user_id,
            NotificationKind.BOOKING_REVIEWED,
            {"booking_id": str(booking.id)},
            clock.now(),
        )
        await uow.commit()


async def add_expert_notes(
    cmd: AnnotateSession, uow: UnitOfWork, clock: Clock, policy: Policy
) -> Booking:
    """The expert's notes on a session that has ended (kept with the feedback); the learner
    is told and sees them on the booking."""
    notes = clean_text(cmd.text, what="notes", limit=4000)
    async with uow:
        booking, role = await booking_of(uow, cmd.user_id, cmd.booking_id, None)
        now = clock.now()
        check_allowed(Action.EXPERT_NOTES, booking, role, now, policy)
        await uow.bookings.save_feedback(booking.id, expert_notes=notes)
        await tell(
            uow,
            booking.learner_id,
            NotificationKind.BOOKING_NOTES,
            {"booking_id": str(booking.id)},
            now,
        )
        await uow.commit()
    return booking
