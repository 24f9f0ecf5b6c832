"""Each expert's own terms, as rules: the free-cancellation window (within the operator's
limits), a first-lesson trial and a limit on reschedules per booking. Pure: no I/O.

A booking copies the window and the limit when it is made (``bookings.book_in``), so a later
change under /expert does not alter it. These are the only statements of the rules:
``trial_eligible`` decides for the walk's lengths and for ``book_in`` (under the expert's
lock) alike; ``cancel_notice`` and ``reschedule_refusal`` for the state machine
(``rules.refusal``), so the buttons and the services agree.
"""

from __future__ import annotations

from datetime import timedelta

from domain.marketplace.model import Booking, Expert, Policy
from domain.shared.errors import InvalidInput
from domain.shared.text import plural

TRIAL_MINUTES = 30
MAX_RESCHEDULES = 5  # the most a limit may be; no limit at all is None


def window_of(expert: Expert, policy: Policy) -> timedelta:
    """The expert's free-cancellation window now: their own, kept within the operator's
    limits (which may have narrowed since they set it), else the operator's notice."""
    if expert.cancel_notice is None:
        return policy.free_cancellation_notice
    low, high = policy.min_cancellation_notice, policy.max_cancellation_notice
    return min(max(expert.cancel_notice, low), high)


def cancel_notice(booking: Booking, policy: Policy) -> timedelta:
    """The booking's own free-cancellation window: the expert's when it was booked (the
    operator's, for a booking made before experts had their own)."""
    if booking.cancel_notice is None:
        return policy.free_cancellation_notice
    return booking.cancel_notice


def trial_eligible(expert: Expert, booked_before: bool) -> bool:
    """Whether a learner may book ``expert``'s trial lesson: the expert offers one and the
    learner has no earlier booking with them (``model.EARLIER_LESSON``)."""
    return expert.trial_price is not None and not booked_before


def hours_text(notice: timedelta) -> str:
    return plural(int(notice.total_seconds() // 3600), "hour")


def moves_text(limit: int | None) -> str:
    """A reschedule limit in words."""
    if limit is None:
        return "rescheduling as often as needed"
    if limit == 0:
        return "no rescheduling"
    return f"up to {plural(limit, 'reschedule')} per booking"


def reschedule_refusal(booking: Booking) -> InvalidInput | None:
    """A move beyond the booking's limit (the expert's when it was booked) is refused."""
    limit = booking.reschedule_limit
    if limit is None or booking.reschedules < limit:
        return None
    done = "can't be moved" if limit == 0 else f"has been moved {plural(limit, 'time')} already"
    return InvalidInput(
        f"Booking {booking.ref} {done}: {booking.expert_name} allows {moves_text(limit)}. "
        f"Message the other side instead: /message {booking.ref}"
    )
