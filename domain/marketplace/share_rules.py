"""The rules of a plan shared with a booking's expert and the homework sent into it (the state
machine's ``rules.refusal`` asks them). Pure: no I/O."""

from __future__ import annotations

from datetime import datetime

from domain.marketplace.model import DELETED_ACCOUNT, Action, Booking, BookingStatus
from domain.shared.errors import DomainError, InvalidInput

SHARING = frozenset(
    {
        Action.SHARE_PLAN,
        Action.UNSHARE_PLAN,
        Action.VIEW_PLAN,
        Action.SEND_HOMEWORK,
        Action.ANSWER_HOMEWORK,
    }
)


def share_refusal(
    action: Action, booking: Booking, now: datetime, allowed_from: frozenset[BookingStatus]
) -> DomainError | None:
    """A shared plan lives until the session ends: the learner shares or stops sharing it and
    the expert reads it while the booking is pending or scheduled and not over; after a
    completed session the expert sends one homework into it, which the learner answers."""
    ref = booking.ref
    if action in (Action.SEND_HOMEWORK, Action.ANSWER_HOMEWORK):
        if booking.status not in allowed_from or now < booking.ends_at:
            return InvalidInput(
                f"Homework for booking {ref} comes after the session, once it is marked completed."
            )
        if action is Action.ANSWER_HOMEWORK:  # once: a second tap (or a forged one) is refused
            if booking.homework_id is None:
                return InvalidInput(f"There is no homework for booking {ref}.")
            if booking.homework_answer is not None:
                said = "accepted" if booking.homework_answer else "declined"
                return InvalidInput(f"You already {said} the homework of booking {ref}.")
            return None
        if DELETED_ACCOUNT == booking.learner_id:
            return InvalidInput(f"The learner of booking {ref} has deleted their account.")
        if booking.shared_curriculum_id is None:
            return InvalidInput(
                f"{booking.learner_name} shared no plan on booking {ref}, so there is no plan "
                "to send homework into. ✉️ Message them instead."
            )
        if booking.homework_id is not None:
            return InvalidInput(f"You already sent homework for booking {ref}.")
        return None
    if booking.status not in allowed_from or now >= booking.ends_at:
        if action is Action.VIEW_PLAN:
            return InvalidInput(
                f"Booking {ref}'s session has ended (or was called off): its plan is no longer "
                "shared with you."
            )
        return InvalidInput(
            f"Booking {ref}'s session has ended (or was called off): a plan is shared only "
            "until the session ends."
        )
    if action is Action.SHARE_PLAN and not booking.shareable_plans:
        return InvalidInput(
            "You have no active plan to share. Start one with /new, or /resume a paused one."
        )
    if action is Action.SHARE_PLAN and booking.shared_curriculum_id is not None:
        return InvalidInput(
            f"You already share “{booking.shared_plan_title}” on booking {ref}. Stop sharing "
            "it first to share another."
        )
    if action is not Action.SHARE_PLAN and booking.shared_curriculum_id is None:
        if action is Action.VIEW_PLAN:
            return InvalidInput(f"{booking.learner_name} shares no plan on booking {ref}.")
        return InvalidInput(f"You share no plan on booking {ref}.")
    return None
