"""A booking as its viewer sees it, with a button for each action the rules allow them now."""

from __future__ import annotations

from datetime import UTC, datetime
from uuid import UUID

from bot.handlers import payloads
from bot.handlers.base import Button, Reply, rows
from bot.handlers.formatting import local_time, money
from domain.marketplace.model import Action, Booking, BookingStatus, Policy
from domain.marketplace.rules import available_actions
from domain.shared.errors import InvalidInput

# The actions a booking's buttons offer, in the order shown: (label, short code in the payload).
# Rating (Action.FEEDBACK) is the row of stars below them; the expert's notes are typed.
BUTTONS: dict[Action, tuple[str, str]] = {
    Action.CONFIRM: ("✅ Confirm", "cf"),
    Action.DECLINE: ("❌ Decline", "dc"),
    Action.RESCHEDULE: ("🗓 Reschedule", "rs"),
    Action.CANCEL: ("Cancel booking", "cn"),
    Action.COMPLETE: ("Completed", "cp"),
    Action.NO_SHOW: ("No-show", "ns"),
    Action.MARK_PAID: ("💶 Mark paid", "pd"),
}
STARS = {f"r{n}": n for n in range(1, 6)}  # code -> rating
CODES = {code: action for action, (_, code) in BUTTONS.items()}
# The answers to a proposed new time: their own payload (``bm``), naming the proposal answered.
MOVE_BUTTONS: dict[Action, str] = {
    Action.ACCEPT_MOVE: "✅ Accept new time",
    Action.DECLINE_MOVE: "❌ Decline new time",
}
MOVE_ANSWERS: dict[Action, str] = {Action.ACCEPT_MOVE: "a", Action.DECLINE_MOVE: "d"}


def proposal_stamp(start: datetime) -> str:
    """A proposed start as it travels in a payload: whole seconds since the epoch."""
    return str(int(start.timestamp()))


def proposal_of(stamp: str) -> datetime:
    if not stamp.isdigit() or len(stamp) > 12:
        raise InvalidInput(payloads.STALE)
    return datetime.fromtimestamp(int(stamp), UTC)


def summary(booking: Booking, viewer: UUID, zone: str) -> str:
    """One booking as its viewer sees it (times in the viewer's zone)."""
    with_whom = booking.learner_name if viewer == booking.expert_user_id else booking.expert_name
    lines = [
        f"Booking {booking.ref} · {booking.status.value.replace('_', '-')} · with {with_whom}",
        f"{local_time(booking.starts_at, zone)} ({zone}) · {booking.minutes} min · "
        f"{money(booking.price, booking.currency)} ({booking.payment_status.value})",
    ]
    proposal = booking.proposed_start is not None and booking.proposed_by is not None
    if proposal and booking.status is BookingStatus.SCHEDULED:
        assert booking.proposed_start is not None
        expert = booking.proposed_by == booking.expert_user_id
        by = booking.expert_name if expert else booking.learner_name
        if booking.proposed_by == viewer:
            by = "you"
        lines.append(
            f"🗓 New time proposed by {by}: {local_time(booking.proposed_start, zone)}"
            f" (now {local_time(booking.starts_at, zone)})"
            + (f" · reason: {booking.move_reason}" if booking.move_reason else "")
        )
    if booking.status is BookingStatus.SCHEDULED and booking.meeting_link:
        lines.append(f"Meeting link: {booking.meeting_link}")
    if booking.cancel_reason:
        lines.append(f"Reason: {booking.cancel_reason}")
    return "\n".join(lines)


def action_buttons(
    booking: Booking, viewer: UUID, now: datetime, policy: Policy
) -> tuple[tuple[Button, ...], ...]:
    """A button for each action ``rules.available_actions`` allows the viewer now (the service
    re-checks each press with the same rule)."""
    allowed = available_actions(booking, booking.role_of(viewer), now, policy)

    def button(label: str, code: str) -> Button:
        return Button(label, payloads.encode(viewer, "bx", booking.id.hex, code))

    found = [button(label, code) for action, (label, code) in BUTTONS.items() if action in allowed]
    if booking.proposed_start is not None:
        stamp = proposal_stamp(booking.proposed_start)
        answers = [
            Button(label, payloads.encode(viewer, "bm", booking.id.hex, MOVE_ANSWERS[a], stamp))
            for a, label in MOVE_BUTTONS.items()
            if a in allowed
        ]
        found = [*answers, *found]
    stars = [button("★" * n, code) for code, n in STARS.items()]
    return (*rows(*found, per_row=2), *((tuple(stars),) if Action.FEEDBACK in allowed else ()))


def booking_card(
    booking: Booking, viewer: UUID, zone: str, now: datetime, policy: Policy
) -> Reply:
    return Reply(summary(booking, viewer, zone), action_buttons(booking, viewer, now, policy))
