"""A booking as its viewer sees it, with a button for each action the rules allow them now."""

from __future__ import annotations

from datetime import UTC, datetime
from uuid import UUID

from bot.handlers import payloads
from bot.handlers.base import Button, Reply, rows
from bot.handlers.formatting import local_time, money, plural
from domain.marketplace.model import (
    HOLDS_TIME,
    Action,
    Booking,
    BookingStatus,
    CancelKind,
    Decision,
    PaymentState,
    PaymentStatus,
    Policy,
)
from domain.marketplace.rules import (
    available_actions,
    cancelled_late,
    free_cancellation_ends,
    is_late,
    notice_hours,
    payment_state,
    settle,
)
from domain.marketplace.terms import cancel_notice, hours_text, moves_text
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
    Action.MARK_REFUNDED: ("↩️ Mark refunded", "rf"),
    Action.MESSAGE: ("✉️ Message", "ms"),
    Action.INVITE: ("📅 Add to calendar", "ic"),
    Action.CONFIRM_HAPPENED: ("👍 Yes, it happened", "hy"),
    Action.REPORT_PROBLEM: ("⚠️ There was a problem", "pb"),
    Action.ANSWER_DISPUTE: ("✍️ Give your account", "da"),
    Action.VIEW_PLAN: ("📖 Learner's plan", "vp"),
    Action.SHARE_PLAN: ("📎 Share a plan", "sh"),
    Action.UNSHARE_PLAN: ("Stop sharing", "us"),
    Action.SEND_HOMEWORK: ("📝 Send homework", "hm"),
    Action.ANSWER_HOMEWORK: ("📝 Homework", "hw"),
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


PAYMENT = {
    PaymentState.DUE: "payment pending",
    PaymentState.NOT_CHARGED: "not charged",
    PaymentState.PAID: "paid",
    PaymentState.REFUND_OWED: "paid, refund owed",
    PaymentState.REFUNDED: "refunded",
}


def status_label(booking: Booking, policy: Policy | None = None) -> str:
    """How the booking stands, in words: a decline reads "declined", a lapse "lapsed"."""
    if booking.status is BookingStatus.CANCELLED:
        if booking.cancel_kind is CancelKind.DECLINED:
            return "declined"
        if booking.cancel_kind is CancelKind.EXPIRED:
            return "lapsed"
        if policy is not None and cancelled_late(booking, policy):
            return "cancelled late"
        return "cancelled"
    return booking.status.value.replace("_", "-")


def summary(
    booking: Booking,
    viewer: UUID,
    zone: str,
    policy: Policy | None = None,
    now: datetime | None = None,
) -> str:
    """One booking as its viewer sees it (times in ``zone``, the viewer's; ``now``: whether its
    session has ended, for what it shares)."""
    party = viewer in (booking.expert_user_id, booking.learner_id)
    with_whom = booking.learner_name if viewer == booking.expert_user_id else booking.expert_name
    who = f"with {with_whom}" if party else f"{booking.learner_name} with {booking.expert_name}"
    state = payment_state(booking)
    lines = [
        f"Booking {booking.ref}{series_label(booking)} · {status_label(booking, policy)} · {who}",
        f"{local_time(booking.starts_at, zone)} ({zone}) · {booking.minutes} min · "
        f"{money(booking.price, booking.currency)} ({PAYMENT[state]})",
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
    if booking.status in HOLDS_TIME:
        lines.append(terms_line(booking, zone, policy))
    if booking.shared_plan_title and booking.status in HOLDS_TIME and party:
        ended = now is not None and now >= booking.ends_at
        lines.append(shared_line(booking, viewer, ended=ended))
    if party and booking.status is BookingStatus.SCHEDULED and booking.meeting_link:
        lines.append(f"Meeting link: {booking.meeting_link}")
    if booking.cancel_reason:
        lines.append(f"Reason: {booking.cancel_reason}")
    if state is PaymentState.REFUND_OWED:
        owed = money(booking.price, booking.currency)
        if viewer == booking.learner_id:
            lines.append(f"💶 A refund of {owed} is owed to you; the expert has been told.")
        else:
            lines.append(
                f"💶 A refund of {owed} is owed to the learner: send it, then mark it with "
                f"↩️ Mark refunded or /refunded {booking.ref}."
            )
    if booking.dispute is not None:
        decision = booking.dispute.decision
        lines.append(
            "⚠️ A problem was reported; an admin decides it."
            if decision is None
            else f"⚖️ An admin decided: {decision_text(booking, decision, policy or Policy())}."
        )
    if booking.rating is not None:
        stars = "★" * booking.rating + "☆" * (5 - booking.rating)
        review = f": “{booking.review}”" if booking.review else ""
        lines.append(f"Rated {stars}{review}")
    if booking.expert_notes:
        lines.append(f"📝 Expert's notes: {booking.expert_notes}")
    return "\n".join(lines)


def decision_text(booking: Booking, decision: Decision, policy: Policy) -> str:
    """What a decision pays, in words with its amounts (``rules.settle``): money paid goes
    back; a booking not paid yet is charged only what the decision leaves."""
    commission, earned, refund = settle(booking.price, policy.commission_rate, decision)
    cur = booking.currency
    paid = booking.payment_status is PaymentStatus.PAID
    after = f"(after {money(commission, cur)} commission)"
    if decision is Decision.REFUND:
        if not paid:
            return "the learner is not charged; the expert is not paid"
        return f"the learner is refunded {money(refund, cur)} in full; the expert is not paid"
    if decision is Decision.PAY:
        return f"the expert is paid {money(earned, cur)} {after}"
    if not paid:
        charged = money(booking.price - refund, cur)
        return f"split: the learner is charged {charged} of {money(booking.price, cur)}, " + (
            f"{money(earned, cur)} to the expert {after}"
        )
    return (
        f"split: {money(refund, cur)} goes back to the learner, {money(earned, cur)} to the "
        f"expert {after}"
    )


def shared_line(booking: Booking, viewer: UUID, *, ended: bool = False) -> str:
    """The plan the learner shares on the booking, as either side reads it (``ended``: shared
    no more, the session is over)."""
    title = booking.shared_plan_title
    if ended and viewer == booking.expert_user_id:
        who = booking.learner_name
        return f"📎 {who} shared the plan “{title}” with you until the session ended."
    if ended:
        return f"📎 You shared “{title}” with {booking.expert_name} until the session ended."
    if viewer == booking.expert_user_id:
        return (
            f"📎 {booking.learner_name} shares the plan “{title}” with you until the session "
            "ends: 📖 Learner's plan"
        )
    return f"📎 You share “{title}” with {booking.expert_name} until the session ends."


def terms_line(booking: Booking, zone: str, policy: Policy | None) -> str:
    """The terms that apply to this booking: the expert's when it was booked."""
    notice = cancel_notice(booking, policy or Policy())
    until = local_time(free_cancellation_ends(booking.starts_at, policy or Policy(), notice), zone)
    limit = booking.reschedule_limit
    moved = ""
    if booking.reschedules:
        moved = f", moved {plural(booking.reschedules, 'time')}"
        moved += f" of {limit}" if limit else ""
    trial = "🎁 Trial lesson · " if booking.trial else ""
    return (
        f"{trial}Free cancellation until {until} ({hours_text(notice)} before) · "
        f"{moves_text(limit)}{moved}"
    )


def action_buttons(
    booking: Booking, viewer: UUID, now: datetime, policy: Policy, *, is_admin: bool = False
) -> tuple[tuple[Button, ...], ...]:
    """A button for each action ``rules.available_actions`` allows the viewer now (the service
    re-checks each press with the same rule)."""
    allowed = available_actions(booking, booking.role_of(viewer, is_admin=is_admin), now, policy)

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
    booking: Booking,
    viewer: UUID,
    zone: str,
    now: datetime,
    policy: Policy,
    *,
    is_admin: bool = False,
) -> Reply:
    text = summary(booking, viewer, zone, policy, now)
    late = (
        booking.status in HOLDS_TIME and now < booking.starts_at and is_late(booking, now, policy)
    )
    if late and viewer == booking.learner_id:  # the rules refuse the learner's late changes
        text += (
            f"\nIt starts in less than {notice_hours(policy, booking)}: it can't be cancelled or "
            "moved here any more. ✉️ Message the expert instead."
        )
    return Reply(text, action_buttons(booking, viewer, now, policy, is_admin=is_admin))


def series_label(booking: Booking) -> str:
    """ " · week 2/6" for an occurrence of a weekly series, else ""."""
    if booking.series_index is None or booking.series_weeks is None:
        return ""
    return f" · week {booking.series_index}/{booking.series_weeks}"
