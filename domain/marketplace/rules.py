"""The booking state machine and the money rules of the marketplace. Pure: no I/O."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal

from domain.marketplace.aftercare_rules import AFTERCARE, aftercare_refusal
from domain.marketplace.model import (
    CENT,
    DELETED_ACCOUNT,
    DURATIONS,
    Action,
    Booking,
    BookingStatus,
    CancelKind,
    Decision,
    PaymentState,
    PaymentStatus,
    Policy,
    Role,
    price_terms,
)
from domain.marketplace.share_rules import SHARING, share_refusal
from domain.marketplace.terms import cancel_notice, hours_text, reschedule_refusal
from domain.shared.errors import DomainError, InvalidInput, NotAllowed

# A session that has begun (or was marked): what a problem can be reported on.
AFTER_START = frozenset({BookingStatus.SCHEDULED, BookingStatus.COMPLETED, BookingStatus.NO_SHOW})

# The one state machine: (action) -> (states it may start from, state it leads to or None).
TRANSITIONS: dict[Action, tuple[frozenset[BookingStatus], BookingStatus | None]] = {
    Action.CONFIRM: (frozenset({BookingStatus.PENDING}), BookingStatus.SCHEDULED),
    Action.DECLINE: (frozenset({BookingStatus.PENDING}), BookingStatus.CANCELLED),
    Action.EXPIRE: (frozenset({BookingStatus.PENDING}), BookingStatus.CANCELLED),
    Action.CANCEL: (
        frozenset({BookingStatus.PENDING, BookingStatus.SCHEDULED}),
        BookingStatus.CANCELLED,
    ),
    Action.RESCHEDULE: (frozenset({BookingStatus.PENDING, BookingStatus.SCHEDULED}), None),
    Action.COMPLETE: (frozenset({BookingStatus.SCHEDULED}), BookingStatus.COMPLETED),
    Action.NO_SHOW: (frozenset({BookingStatus.SCHEDULED}), BookingStatus.NO_SHOW),
    Action.MARK_PAID: (
        frozenset({BookingStatus.PENDING, BookingStatus.SCHEDULED, BookingStatus.COMPLETED}),
        None,
    ),
    Action.MARK_REFUNDED: (frozenset({BookingStatus.CANCELLED}), None),
    Action.MESSAGE: (frozenset(BookingStatus), None),
    Action.FEEDBACK: (frozenset({BookingStatus.COMPLETED}), None),
    Action.EXPERT_NOTES: (
        frozenset({BookingStatus.SCHEDULED, BookingStatus.COMPLETED, BookingStatus.NO_SHOW}),
        None,
    ),
    Action.ACCEPT_MOVE: (frozenset({BookingStatus.SCHEDULED}), None),
    Action.DECLINE_MOVE: (frozenset({BookingStatus.SCHEDULED}), None),
    Action.INVITE: (frozenset({BookingStatus.PENDING, BookingStatus.SCHEDULED}), None),
    # After the session: the booking's status stays; the ledger row moves (``disputes``).
    Action.CONFIRM_HAPPENED: (frozenset({BookingStatus.SCHEDULED, BookingStatus.COMPLETED}), None),
    Action.REPORT_PROBLEM: (AFTER_START, None),
    Action.ANSWER_DISPUTE: (AFTER_START, None),
    Action.RESOLVE_DISPUTE: (AFTER_START, None),
    # A plan is shared, unshared and seen before the session ends (``plan_shares``); homework
    # is sent and answered after a completed one.
    Action.SHARE_PLAN: (frozenset({BookingStatus.PENDING, BookingStatus.SCHEDULED}), None),
    Action.UNSHARE_PLAN: (frozenset({BookingStatus.PENDING, BookingStatus.SCHEDULED}), None),
    Action.VIEW_PLAN: (frozenset({BookingStatus.PENDING, BookingStatus.SCHEDULED}), None),
    Action.SEND_HOMEWORK: (frozenset({BookingStatus.COMPLETED}), None),
    Action.ANSWER_HOMEWORK: (frozenset({BookingStatus.COMPLETED}), None),
}


# Who may do what. Admins verify experts and may mark payments and refunds; nothing else is
# theirs. Messages are between the booking's two sides only.
PERMISSIONS: dict[Action, frozenset[Role]] = {
    Action.CONFIRM: frozenset({Role.EXPERT}),
    Action.DECLINE: frozenset({Role.EXPERT}),
    Action.CANCEL: frozenset({Role.LEARNER, Role.EXPERT}),
    Action.RESCHEDULE: frozenset({Role.LEARNER, Role.EXPERT}),
    Action.COMPLETE: frozenset({Role.EXPERT}),
    Action.NO_SHOW: frozenset({Role.EXPERT}),
    Action.MARK_PAID: frozenset({Role.EXPERT, Role.ADMIN}),
    Action.MARK_REFUNDED: frozenset({Role.EXPERT, Role.ADMIN}),
    Action.MESSAGE: frozenset({Role.LEARNER, Role.EXPERT}),
    Action.FEEDBACK: frozenset({Role.LEARNER}),
    Action.EXPERT_NOTES: frozenset({Role.EXPERT}),
    Action.EXPIRE: frozenset(),  # the system only
    Action.ACCEPT_MOVE: frozenset({Role.LEARNER, Role.EXPERT}),  # the side that did not ask
    Action.DECLINE_MOVE: frozenset({Role.LEARNER, Role.EXPERT}),
    Action.INVITE: frozenset({Role.LEARNER, Role.EXPERT}),  # the two sides only
    Action.CONFIRM_HAPPENED: frozenset({Role.LEARNER}),
    Action.REPORT_PROBLEM: frozenset({Role.LEARNER, Role.EXPERT}),
    Action.ANSWER_DISPUTE: frozenset({Role.LEARNER, Role.EXPERT}),  # the side that did not report
    Action.RESOLVE_DISPUTE: frozenset({Role.ADMIN}),
    Action.SHARE_PLAN: frozenset({Role.LEARNER}),
    Action.UNSHARE_PLAN: frozenset({Role.LEARNER}),
    Action.VIEW_PLAN: frozenset({Role.EXPERT}),  # the booked expert, read-only
    Action.SEND_HOMEWORK: frozenset({Role.EXPERT}),
    Action.ANSWER_HOMEWORK: frozenset({Role.LEARNER}),
}


def refusal(
    action: Action, booking: Booking, role: Role, now: datetime, policy: Policy
) -> DomainError | None:
    """Why ``role`` may not take ``action`` on ``booking`` at ``now``, or None if they may.

    The one statement of the rules: ``available_actions`` (the buttons) and ``check_allowed``
    (the services) both ask it. Who may act is ``PERMISSIONS``, from which states
    ``TRANSITIONS``; then the rules of time and money below.
    """
    if role not in PERMISSIONS[action]:
        if role is Role.OTHER:
            return NotAllowed("That booking isn't yours. Nothing was changed.")
        return NotAllowed(f"Only {_who(action)} can do that. Nothing was changed.")
    allowed_from, _ = TRANSITIONS[action]
    if action in SHARING:
        return share_refusal(action, booking, now, allowed_from)
    if action is Action.EXPERT_NOTES and (
        booking.status not in allowed_from or now < booking.ends_at
    ):
        return InvalidInput(
            f"Notes on booking {booking.ref} can be added once the session has ended "
            "(not on a cancelled one); the learner sees them then."
        )
    if booking.status not in allowed_from:
        return InvalidInput(
            f"Booking {booking.ref} is {booking.status.value.replace('_', '-')}; "
            f"it can't be {_past(action)} now."
        )
    if action in (Action.RESCHEDULE, Action.ACCEPT_MOVE) and (over := reschedule_refusal(booking)):
        return over
    if action in (Action.ACCEPT_MOVE, Action.DECLINE_MOVE):
        return _move_refusal(booking, role)
    if action is Action.INVITE:
        return _invite_refusal(booking)
    if action in AFTERCARE:
        return aftercare_refusal(action, booking, role, now, policy)
    starts_in = booking.starts_at - now
    if action is Action.CONFIRM and not (booking.holds_time(now) and starts_in > timedelta(0)):
        return InvalidInput(f"Booking {booking.ref} lapsed before it was confirmed.")
    if action is Action.CANCEL and starts_in <= timedelta(0):
        return InvalidInput(f"Booking {booking.ref} has begun; it can't be cancelled now.")
    # Free changes end the booking's own window (``terms.cancel_notice``) before the start;
    # then the expert may still cancel, and nobody reschedules.
    late = starts_in < cancel_notice(booking, policy)
    by_learner = action is Action.CANCEL and role is Role.LEARNER
    if late and (action is Action.RESCHEDULE or by_learner):
        other = "expert" if role is Role.LEARNER else "learner"
        return InvalidInput(
            f"It's less than {notice_hours(policy, booking)} before the session, so it can't be "
            f"{_past(action)} here any more. Message the {other}: /message {booking.ref}"
        )
    if action in (Action.COMPLETE, Action.NO_SHOW) and now < booking.ends_at:
        return InvalidInput("You can mark a session only after it has ended.")
    if action is Action.MARK_PAID and booking.payment_status is not PaymentStatus.PENDING:
        return InvalidInput(f"Booking {booking.ref} is already {booking.payment_status}.")
    if action is Action.MARK_REFUNDED and payment_state(booking) is not PaymentState.REFUND_OWED:
        return InvalidInput(f"Booking {booking.ref} has no refund owed.")
    if action is Action.MESSAGE and DELETED_ACCOUNT in (
        booking.learner_id,
        booking.expert_user_id,
    ):
        return InvalidInput(f"The other side of booking {booking.ref} has deleted their account.")
    if action is Action.MESSAGE and now > messages_close_at(booking, policy):
        return InvalidInput(
            f"Messages about booking {booking.ref} closed "
            f"{policy.message_window.days} days after it ended."
        )
    if action is Action.FEEDBACK and booking.has_feedback:
        return InvalidInput(f"You already rated booking {booking.ref}. Thank you!")
    return None


def payment_state(booking: Booking) -> PaymentState:
    """Where the booking's money stands: a called-off booking that was never paid is not
    charged; one that was paid is owed a refund until the refund is marked made."""
    called_off = booking.status is BookingStatus.CANCELLED
    if booking.payment_status is PaymentStatus.REFUNDED:
        return PaymentState.REFUNDED
    if booking.payment_status is PaymentStatus.PAID:
        return PaymentState.REFUND_OWED if called_off else PaymentState.PAID
    return PaymentState.NOT_CHARGED if called_off else PaymentState.DUE


def is_late(booking: Booking, at: datetime, policy: Policy) -> bool:
    """Whether calling the booking off at ``at`` is a late cancellation (inside the notice)."""
    return booking.starts_at - at < cancel_notice(booking, policy)


def cancelled_late(booking: Booking, policy: Policy) -> bool:
    """Whether the booking was cancelled (not declined or lapsed) inside the notice."""
    return (
        booking.cancel_kind is CancelKind.CANCELLED
        and booking.cancelled_at is not None
        and is_late(booking, booking.cancelled_at, policy)
    )


def messages_close_at(booking: Booking, policy: Policy) -> datetime:
    """Until when the two sides may message each other about the booking: a while after it
    ended, or after it was called off."""
    ended = booking.ends_at
    if booking.status is BookingStatus.CANCELLED and booking.cancelled_at is not None:
        ended = min(ended, booking.cancelled_at)
    return ended + policy.message_window


def notice_hours(policy: Policy, booking: Booking | None = None) -> str:
    """The free-cancellation window in words: the booking's own, else the operator's."""
    if booking is None:
        return hours_text(policy.free_cancellation_notice)
    return hours_text(cancel_notice(booking, policy))


def _move_refusal(booking: Booking, role: Role) -> DomainError | None:
    """Only the side that did not ask answers an open proposal of a new time."""
    if booking.proposed_start is None or booking.proposed_by is None:
        return InvalidInput(f"Booking {booking.ref} has no new time waiting for an answer.")
    if booking.role_of(booking.proposed_by) is role:
        return NotAllowed("You proposed that time; the other side answers it.")
    return None


def _invite_refusal(booking: Booking) -> DomainError | None:
    """A booking has a calendar invite once it was confirmed (``invites``)."""
    if booking.invite_sequence is None:
        return InvalidInput(
            f"Booking {booking.ref} isn't confirmed yet: its calendar invite comes when the "
            "expert confirms it."
        )
    return None


def free_cancellation_ends(
    starts_at: datetime, policy: Policy, notice: timedelta | None = None
) -> datetime:
    """Until when a session starting at ``starts_at`` can be cancelled or moved freely (with
    the expert's window ``notice``; None: the operator's)."""
    return starts_at - (policy.free_cancellation_notice if notice is None else notice)


def available_actions(
    booking: Booking, role: Role, now: datetime, policy: Policy
) -> frozenset[Action]:
    """What ``role`` may do with ``booking`` at ``now``: exactly what the services accept."""
    return frozenset(a for a in Action if refusal(a, booking, role, now, policy) is None)


def check_allowed(
    action: Action, booking: Booking, role: Role, now: datetime, policy: Policy
) -> None:
    """Refuse an action the rules do not allow (see ``refusal``)."""
    error = refusal(action, booking, role, now, policy)
    if error is not None:
        raise error


def may_add_review(booking: Booking, role: Role) -> None:
    """A written review goes with the learner's rating, once the stars are given."""
    if role is not Role.LEARNER:
        raise NotAllowed(f"Only {_who(Action.FEEDBACK)} can do that. Nothing was changed.")
    if not booking.has_feedback:
        raise InvalidInput("Rate the session with the stars first.")


def next_status(action: Action, current: BookingStatus) -> BookingStatus:
    allowed_from, target = TRANSITIONS[action]
    if current not in allowed_from:
        raise InvalidInput(f"A {current.value} booking can't be {_past(action)}.")
    return target or current


def _who(action: Action) -> str:
    roles = sorted(role.value for role in PERMISSIONS[action])
    names = {"learner": "the learner", "expert": "the booked expert", "admin": "an admin"}
    return " or ".join(names[r] for r in roles) or "the system"


def _past(action: Action) -> str:
    return {
        Action.CONFIRM: "confirmed",
        Action.DECLINE: "declined",
        Action.CANCEL: "cancelled",
        Action.RESCHEDULE: "rescheduled",
        Action.COMPLETE: "marked completed",
        Action.NO_SHOW: "marked no-show",
        Action.MARK_PAID: "marked paid",
        Action.MARK_REFUNDED: "marked refunded",
        Action.MESSAGE: "messaged about",
        Action.FEEDBACK: "rated",
        Action.EXPERT_NOTES: "annotated",
        Action.EXPIRE: "expired",
        Action.ACCEPT_MOVE: "moved",
        Action.DECLINE_MOVE: "kept at its time",
        Action.INVITE: "added to a calendar",
        Action.CONFIRM_HAPPENED: "confirmed as happened",
        Action.REPORT_PROBLEM: "reported as a problem",
        Action.ANSWER_DISPUTE: "answered about",
        Action.RESOLVE_DISPUTE: "decided",
        Action.SHARE_PLAN: "shared a plan",
        Action.UNSHARE_PLAN: "unshared",
        Action.VIEW_PLAN: "viewed",
        Action.SEND_HOMEWORK: "given homework",
        Action.ANSWER_HOMEWORK: "answered",
    }[action]


def price_for(rate_min: Decimal, rate_max: Decimal, minutes: int) -> Decimal:
    """The price of a session, fixed when it is booked.

    Shorter sessions cost more per hour: 30 minutes at the top of the expert's range, 60 at its
    middle, 90 at its bottom; the price is that hourly rate times the hours, in cents.
    """
    if minutes not in DURATIONS:
        raise InvalidInput(f"Sessions are {', '.join(map(str, DURATIONS))} minutes long.")
    low, high = price_terms(minutes)  # the shares of HOURLY_SHARES
    return (low * rate_min + high * rate_max).quantize(CENT, rounding=ROUND_HALF_UP)


def split_commission(price: Decimal, rate: Decimal) -> tuple[Decimal, Decimal]:
    """(platform commission, expert earnings), in cents, always summing exactly to ``price``."""
    if not Decimal(0) <= rate <= Decimal(1):
        raise ValueError("commission rate must be between 0 and 1")
    commission = (price * rate).quantize(CENT, rounding=ROUND_HALF_UP)
    return commission, price - commission


def settle(price: Decimal, rate: Decimal, decision: Decision | None) -> tuple[Decimal, ...]:
    """(platform commission, expert earnings, learner refund) of a booking's ledger row, in
    cents, always summing exactly to ``price``: no decision or PAY is the usual split, REFUND
    gives it all back, SPLIT gives half back (rounded half up) and splits the rest."""
    refund = Decimal(0)
    if decision is Decision.REFUND:
        refund = price
    elif decision is Decision.SPLIT:
        refund = (price / 2).quantize(CENT, rounding=ROUND_HALF_UP)
    commission, earnings = split_commission(price - refund, rate)
    return commission, earnings, refund


def payable_at(booking: Booking, policy: Policy, now: datetime) -> datetime | None:
    """When a booking's ledger row may be paid out: held (None) while a problem is open; at
    once when decided; else at the learner's yes, or ``payable_after`` after the end."""
    if booking.dispute is not None:
        return None if booking.dispute.decision is None else now
    if booking.happened_at is not None:
        return booking.happened_at
    return booking.ends_at + policy.payable_after


def series_policy(policy: Policy) -> Policy:
    """The policy a weekly series' weeks are checked, booked and moved with: its later weeks
    may lie up to ``series_horizon`` ahead (``domain.marketplace.series``)."""
    return replace(policy, horizon=max(policy.horizon, policy.series_horizon))


def policy_for(booking: Booking, policy: Policy) -> Policy:
    """The policy that moving ``booking`` obeys: a series' week, the series horizon."""
    return policy if booking.series_id is None else series_policy(policy)
