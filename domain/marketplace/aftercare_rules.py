"""The after-session rules of the state machine (``rules.refusal`` asks them): the learner's
yes, a problem reported by either side, the other side's account and an admin's decision.
Pure: no I/O."""

from __future__ import annotations

from datetime import datetime

from domain.marketplace.model import Action, Booking, Decision, Policy, Role
from domain.marketplace.terms import hours_text
from domain.shared.errors import DomainError, InvalidInput, NotAllowed

AFTERCARE = frozenset(
    {Action.CONFIRM_HAPPENED, Action.REPORT_PROBLEM, Action.ANSWER_DISPUTE, Action.RESOLVE_DISPUTE}
)
DECIDED = {
    Decision.REFUND: "the learner is refunded",
    Decision.PAY: "the expert is paid",
    Decision.SPLIT: "the price is split",
}


def aftercare_refusal(
    action: Action, booking: Booking, role: Role, now: datetime, policy: Policy
) -> DomainError | None:
    """After a session: the learner's yes (until it is payable anyway), a problem reported by
    either side (from its start until ``dispute_window`` after its end, before the expert was
    paid out), the other side's account and the admin's decision of an open one."""
    ref, dispute = booking.ref, booking.dispute
    decided = dispute is not None and dispute.decision is not None
    if decided and action is not Action.CONFIRM_HAPPENED:
        assert dispute is not None and dispute.decision is not None
        return InvalidInput(
            f"The problem with booking {ref} was already decided: {DECIDED[dispute.decision]}."
        )
    if action is Action.CONFIRM_HAPPENED:
        if now < booking.ends_at:
            return InvalidInput(f"Booking {ref} hasn't ended yet; say how it went afterwards.")
        if dispute is not None:
            return InvalidInput(f"A problem was reported with booking {ref}; an admin decides it.")
        if booking.happened_at is not None:
            return InvalidInput(f"You already said booking {ref} happened. Thank you!")
        if now >= booking.ends_at + policy.payable_after:
            return InvalidInput(f"Booking {ref} is settled: it ended over {_hours(policy)} ago.")
        return None
    if action is Action.REPORT_PROBLEM:
        if now < booking.starts_at:
            return InvalidInput(f"Booking {ref} hasn't begun; a problem is reported after that.")
        if dispute is not None:
            return InvalidInput(
                f"A problem with booking {ref} is already reported; an admin will decide it."
            )
        if now > booking.ends_at + policy.dispute_window:
            return InvalidInput(
                f"Problems with booking {ref} can be reported until "
                f"{policy.dispute_window.days} days after it ended; it's too late now."
            )
        if booking.paid_out:
            return InvalidInput(
                f"The expert was already paid out for booking {ref}, so a problem can't be "
                f"reported here any more. Message the other side: /message {ref}"
            )
        return None
    if dispute is None:
        return InvalidInput(f"No problem is reported with booking {ref}.")
    if action is Action.ANSWER_DISPUTE:
        if dispute.opened_by is role:
            return NotAllowed("You reported this problem; the other side gives their account.")
        if dispute.answered:
            return InvalidInput(f"You already gave your account of booking {ref}'s problem.")
    return None


def _hours(policy: Policy) -> str:
    return hours_text(policy.payable_after)
