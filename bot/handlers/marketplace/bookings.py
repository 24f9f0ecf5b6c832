"""Bookings: /bookings with each booking's actions, the reason and review questions, /paid,
/refunded, /session_notes and /earnings. The walk that makes a booking is ``booking_walk``; a
booking's card and its buttons are ``booking_card``; messages between its sides are
``booking_messages``."""

from __future__ import annotations

from dataclasses import replace
from uuid import UUID

from bot.handlers import payloads
from bot.handlers.base import (
    Ask,
    Button,
    Command,
    Replies,
    Reply,
    Request,
    flow_of_button,
    rows,
)
from bot.handlers.formatting import local_time, money, month_name, plural, short_time
from bot.handlers.marketplace import (
    booking_invites,
    booking_messages,
    booking_walk,
    disputes,
    plan_shares,
    waitlist,
)
from bot.handlers.marketplace import series as series_chat
from bot.handlers.marketplace.booking_card import (
    BUTTONS as ACTION_BUTTONS,
)
from bot.handlers.marketplace.booking_card import (
    CODES,
    STARS,
    action_buttons,
    booking_card,
    series_label,
    status_label,
    summary,
)
from bot.handlers.wizard import control_row, skipped
from domain.accounts import conversations
from domain.accounts.model import Conversation
from domain.accounts.registration import get_user
from domain.marketplace import bookings, feedback, invites, payments
from domain.marketplace.commands import (
    ActOnBooking,
    AnnotateSession,
    AskReason,
    RateSession,
    ReviewSession,
)
from domain.marketplace.model import HOLDS_TIME, Action, Booking, PaymentState, Role
from domain.marketplace.rules import is_late, notice_hours, payment_state
from domain.marketplace.terms import hours_text
from domain.shared.errors import InvalidInput
from domain.unit_of_work import UnitOfWork

REASON = "reason"


REVIEW = "review"


DONE_TEXT = {
    Action.CONFIRM: "✅ Confirmed. The learner has been told.",
    Action.DECLINE: "Declined. The learner has been told.",
    Action.CANCEL: "Cancelled. The other side has been told.",
    Action.COMPLETE: "Marked completed. The learner can now rate the session.",
    Action.NO_SHOW: "Marked as a no-show.",
    Action.MARK_PAID: "Payment recorded.",
    Action.MARK_REFUNDED: "↩️ Refund recorded. The learner has been told.",
}


async def _zone(req: Request) -> str:
    return (await get_user(req.user_id, req.ctx.uow())).timezone


async def _zone_for(req: Request, booking: Booking) -> str:
    """The zone the asker sees ``booking`` in: an expert's profile zone, else their own."""
    return booking.zone_of(req.user_id, await _zone(req))


async def list_bookings(req: Request) -> Reply:
    """Your upcoming and past bookings, with experts and (as expert) your learners'."""
    mine = await bookings.bookings_of(req.user_id, req.ctx.uow())
    if not mine:
        return Reply("No bookings yet. Find an expert with /experts <subject>.")
    now = req.ctx.clock.now()
    own = await _zone(req)
    zones = {b.id: b.zone_of(req.user_id, own) for b in mine}
    one_zone = len(set(zones.values())) == 1
    coming = [b for b in mine if b.status in HOLDS_TIME and b.ends_at >= now]
    upcoming = sorted(coming, key=lambda b: b.starts_at)
    past = [b for b in mine if b not in coming]
    lines = [f"Times in {next(iter(zones.values()))}."] if one_zone else []
    buttons: list[Button] = []
    for title, group in (("Upcoming", upcoming), ("Past and called off", past)):
        if group:
            lines.append(f"{title}:")
        for b in group[:10]:
            number = len(buttons) + 1
            zone = zones[b.id]
            who = (
                f"as expert · learner {b.learner_name}"
                if b.expert_user_id == req.user_id
                else f"with {b.expert_name}"
            )
            where = "" if one_zone else f" ({zone})"
            lines.append(
                f"{number}. {short_time(b.starts_at, zone)}{where} · {b.minutes} min · "
                f"{status_label(b, req.ctx.policy)} · {who} · {b.ref}{series_label(b)}"
            )
            other = b.learner_name if b.expert_user_id == req.user_id else b.expert_name
            label = f"{short_time(b.starts_at, zone)} · {other}"  # what it is, not "1"
            buttons.append(Button(label, payloads.encode(req.user_id, "bo", b.id.hex)))
    return Reply("\n".join(lines), rows(*buttons, per_row=2))


async def open_booking(req: Request) -> Reply:
    """A number under /bookings: that booking with its actions."""
    if len(req.button_args) != 1:
        raise InvalidInput(payloads.STALE)
    booking = await bookings.get_booking(
        req.user_id, payloads.uuid_arg(req.button_args[0]), req.ctx.uow()
    )
    ctx = req.ctx
    zone = await _zone_for(req, booking)
    card = booking_card(booking, req.user_id, zone, ctx.clock.now(), ctx.policy)
    if all_weeks := await series_chat.week_card_answers(ctx, req.user_id, booking):
        return replace(card, buttons=(*card.buttons, tuple(all_weeks)))
    return card


async def booking_button(req: Request) -> Replies:
    """An action under a booking: confirm, decline, cancel, reschedule, complete, rate..."""
    if len(req.button_args) != 2:
        raise InvalidInput(payloads.STALE)
    booking_id, code = payloads.uuid_arg(req.button_args[0]), req.button_args[1]
    ctx, user = req.ctx, req.user_id
    action = CODES.get(code)
    if action is Action.DECLINE or action is Action.CANCEL:
        booking, asked = await bookings.ask_reason(
            AskReason(user, booking_id, action), REASON, ctx.uow(), ctx.clock, ctx.policy
        )
        question = _reason_question(user, booking.ref, action, asked.token)
        if action is Action.CANCEL and is_late(booking, ctx.clock.now(), ctx.policy):
            return _late_warning(req, booking, question)
        return question
    if action is Action.RESCHEDULE:
        return await booking_walk.start_rescheduling(req, booking_id)
    if action is Action.MESSAGE:
        return await booking_messages.start_message(req, booking_id)
    if action is Action.INVITE:
        return await booking_invites.invite_button(req, booking_id)
    if action in _AFTER_SESSION:
        return await _AFTER_SESSION[action](req, booking_id)
    if action in plan_shares.CARD_ACTIONS:
        return await plan_shares.card_press(req, booking_id, action)
    if code in STARS:
        stars = STARS[code]
        then = conversations.moving(
            ctx.uow, user, REVIEW, "text", {"booking": booking_id.hex}, ctx.clock.now()
        )
        rated = await feedback.rate(
            RateSession(user, booking_id, stars), then(), ctx.clock, ctx.policy
        )
        assert then.conversation is not None
        token = then.conversation.token
        thanks = f"Thank you! {'★' * stars} for {rated.expert_name}. "
        return replace(_review_question(user, token, thanks), edit=True)
    if action is None:
        raise InvalidInput(payloads.STALE)
    return await _act(req, ActOnBooking(user, booking_id, action), ctx.uow(), edit=True)


_AFTER_SESSION = {
    Action.CONFIRM_HAPPENED: disputes.confirm_button,
    Action.REPORT_PROBLEM: disputes.problem_button,
    Action.ANSWER_DISPUTE: disputes.account_button,
}


def _late_warning(req: Request, booking: Booking, question: Reply) -> Reply:
    """A late cancellation is said before its reason is asked, with a way to talk first."""
    policy = req.ctx.policy
    refund = ""
    if payment_state(booking) is PaymentState.PAID:
        refund = f" The learner's {money(booking.price, booking.currency)} is refunded in full."
    message = ACTION_BUTTONS[Action.MESSAGE]
    talk = Button(message[0], payloads.encode(req.user_id, "bx", booking.id.hex, message[1]))
    return replace(
        question,
        text=(
            f"⚠️ Late cancellation: booking {booking.ref} starts in less than "
            f"{notice_hours(policy, booking)}, so it counts as cancelled late and the learner "
            f"may already have set the time aside.{refund} Rather talk first? ✉️ Message the "
            "learner.\n"
            f"{question.text}"
        ),
        buttons=(*question.buttons, (talk,)),
    )


async def _act(
    req: Request, command: ActOnBooking, uow: UnitOfWork, *, edit: bool = False
) -> Reply:
    ctx = req.ctx
    booking = await bookings.act(command, uow, ctx.clock, ctx.policy, ctx.payments)
    zone = await _zone_for(req, booking)
    admin = booking.role_of(req.user_id) is Role.OTHER  # the service let an admin do it
    done = DONE_TEXT[command.action]
    if payment_state(booking) is PaymentState.REFUND_OWED and req.user_id != booking.learner_id:
        done += " A refund is owed to the learner (see below)."
    reply = Reply(
        f"{done}\n{summary(booking, req.user_id, zone, ctx.policy)}",
        action_buttons(booking, req.user_id, ctx.clock.now(), ctx.policy, is_admin=admin),
        edit=edit,
    )
    if command.action in invites.CHANGED_BY:  # the invite of the change, for its maker too
        return booking_invites.with_invite(reply, booking, req.user_id)
    return reply


async def reason_answer(req: Request, conversation: Conversation, text: str | None) -> Replies:
    """The reason for a decline or cancellation (``None``: skipped): the action and the end of
    the question commit together."""
    action = {a.value: a for a in (Action.DECLINE, Action.CANCEL)}.get(conversation.step)
    if action is None:
        raise InvalidInput(payloads.STALE)
    text = skipped(text)
    booking_id = payloads.uuid_arg(str(conversation.data["booking"]))
    ending = conversations.ending(req.ctx.uow, req.user_id, conversation.token)
    return await _act(req, ActOnBooking(req.user_id, booking_id, action, text), ending())


async def review_answer(req: Request, conversation: Conversation, text: str | None) -> Replies:
    """The written review after the stars (``None``: skipped), saved as the question ends."""
    if (text := skipped(text)) is None:
        await conversations.end(req.user_id, req.ctx.uow())
        return Reply("OK, no review.")
    booking_id = payloads.uuid_arg(str(conversation.data["booking"]))
    ending = conversations.ending(req.ctx.uow, req.user_id, conversation.token)
    await feedback.add_review(
        ReviewSession(req.user_id, booking_id, text), ending(), req.ctx.clock
    )
    return Reply("Thanks for the review!")


def _reason_question(user_id: UUID, ref: str, action: Action, token: str) -> Reply:
    verb = "declining" if action is Action.DECLINE else "cancelling"
    keep = "✖ Don't decline" if action is Action.DECLINE else "✖ Keep the booking"
    return Reply(
        f"Booking {ref}: why are you {verb}? (the other side will see it)",
        (
            *rows(Button("Skip", payloads.encode(user_id, "rr", token))),
            *control_row(user_id, token, back=False, cancel=keep),
        ),
    )


def _review_question(user_id: UUID, token: str, lead: str = "") -> Reply:
    return Reply(
        f"{lead}Add a few words for other learners? (or Skip)",
        rows(Button("Skip", payloads.encode(user_id, "rr", token))),
        ask=Ask("Your review", "A few words for other learners", token),
    )


async def _resume_reason(req: Request, conversation: Conversation) -> Reply:
    """The reason question again, after the chat restarted."""
    action = {a.value: a for a in (Action.DECLINE, Action.CANCEL)}.get(conversation.step)
    if action is None:
        raise InvalidInput(payloads.STALE)
    booking_id = payloads.uuid_arg(str(conversation.data["booking"]))
    booking = await bookings.get_booking(req.user_id, booking_id, req.ctx.uow())
    return _reason_question(req.user_id, booking.ref, action, conversation.token)


async def _resume_review(req: Request, conversation: Conversation) -> Reply:
    """The review question again, after the chat restarted."""
    return _review_question(req.user_id, conversation.token, "About your rated session: ")


async def skip_button(req: Request) -> Replies:
    """Skip under a reason or review question."""
    if len(req.button_args) != 1:
        raise InvalidInput(payloads.STALE)
    conversation = await flow_of_button(req, req.button_args[0], REASON, REVIEW)
    if conversation.flow == REASON:
        return await reason_answer(req, conversation, None)
    return await review_answer(req, conversation, None)


async def paid(req: Request) -> Reply:
    """Record a booking's payment: /paid <reference> (the expert or an admin)."""
    if not req.args.strip():
        return Reply("Usage: /paid <booking reference>, e.g. /paid 3f2a9c1b")
    booking_id = await _resolve(req, req.args)
    return await _act(req, ActOnBooking(req.user_id, booking_id, Action.MARK_PAID), req.ctx.uow())


async def refunded(req: Request) -> Reply:
    """Record that a called-off booking's payment was sent back: /refunded <reference>."""
    if not req.args.strip():
        return Reply("Usage: /refunded <booking reference>, e.g. /refunded 3f2a9c1b")
    booking_id = await _resolve(req, req.args)
    refund = ActOnBooking(req.user_id, booking_id, Action.MARK_REFUNDED)
    return await _act(req, refund, req.ctx.uow())


async def _resolve(req: Request, ref: str) -> UUID:
    """A booking reference typed by the user, as the screens show it (admins: any booking's)."""
    return (await bookings.find_booking(req.user_id, ref, req.ctx.uow(), req.ctx.policy)).id


NOTES_RULE = "Notes can be added once the session has ended; the learner sees them then."


async def session_notes(req: Request) -> Reply:
    """Experts' notes on a session that has ended: /session_notes <reference> <text>."""
    ref, _, text = req.args.strip().partition(" ")
    if not ref or not text.strip():
        return Reply(f"Usage: /session_notes <booking reference> <your notes>. {NOTES_RULE}")
    ctx = req.ctx
    booking = await bookings.find_booking(req.user_id, ref, ctx.uow(), ctx.policy)
    if booking.status in HOLDS_TIME and ctx.clock.now() < booking.ends_at:
        zone = await _zone_for(req, booking)
        return Reply(
            f"Booking {booking.ref} ends {local_time(booking.ends_at, zone)} ({zone}). "
            f"{NOTES_RULE} Nothing was saved."
        )
    notes = AnnotateSession(req.user_id, booking.id, text)
    await feedback.add_expert_notes(notes, ctx.uow(), ctx.clock, ctx.policy)
    return Reply(f"Notes saved on booking {booking.ref}; the learner has been told.")


async def earnings(req: Request) -> Reply:
    """Your earnings by month and payout status (experts)."""
    months = await payments.earnings(req.user_id, req.ctx.uow(), req.ctx.clock)
    if not months:
        return Reply("No earnings yet: they appear when a completed session is paid.")
    lines = ["Your earnings (after commission):"]
    for m in months:
        held = ""
        if m.held:
            held = (
                f"held {money(m.held, m.currency)} until the learner confirms, "
                f"{hours_text(req.ctx.policy.payable_after)} pass, or a problem is decided"
            )
        if not m.sessions:  # nothing payable that month yet
            lines.append(f"{month_name(m.month)}: {held}")
            continue
        held = f" · {held}" if held else ""
        lines.append(
            f"{month_name(m.month)}: {plural(m.sessions, 'session')} · "
            f"gross {money(m.gross, m.currency)} · "
            f"commission {money(m.commission, m.currency)} · earned "
            f"{money(m.earnings, m.currency)} (paid out {money(m.paid, m.currency)}, "
            f"pending {money(m.pending, m.currency)}){held}"
        )
    return Reply("\n".join(lines))


async def booking_refs(req: Request, typed: str) -> list[tuple[str, str]]:
    """The user's bookings whose reference or other party matches what was typed."""
    zone = await _zone(req)
    found = []
    for b in await bookings.bookings_of(req.user_id, req.ctx.uow()):
        other = b.learner_name if req.user_id == b.expert_user_id else b.expert_name
        if typed.lower() in b.ref or typed.lower() in other.lower():
            when = short_time(b.starts_at, b.zone_of(req.user_id, zone))
            found.append((f"{b.ref} · {status_label(b)} · {other} · {when}", b.ref))
    return found


COMMANDS = [
    Command("bookings", list_bookings, "your bookings, with what you can do with each"),
    Command("paid", paid, "record a payment: /paid <reference>", suggest=booking_refs),
    Command(
        "refunded",
        refunded,
        "record a refund sent: /refunded <reference>",
        suggest=booking_refs,
    ),
    Command(
        "message",
        booking_messages.message_command,
        "message a booking's other side: /message <ref> <text>",
        suggest=booking_refs,
    ),
    Command(
        "session_notes",
        session_notes,
        "notes on a session: /session_notes <ref> <text>",
        suggest=booking_refs,
    ),
    Command(
        "learner_plan",
        plan_shares.learner_plan,
        "the plan a booking's learner shares with you: /learner_plan <ref> (experts)",
        suggest=booking_refs,
    ),
    Command("earnings", earnings, "your earnings by month (experts)"),
    Command(
        "problem",
        disputes.problem_command,
        "report a problem with a session: /problem <ref> [what happened]",
        suggest=booking_refs,
    ),
    Command(
        "dispute",
        disputes.dispute_command,
        "your account of a reported problem: /dispute <ref> <text>",
        suggest=booking_refs,
    ),
    *waitlist.COMMANDS,
    *series_chat.COMMANDS,
]


BUTTONS = {
    **booking_walk.BUTTONS,
    **booking_messages.BUTTONS,
    **plan_shares.BUTTONS,
    "bo": open_booking,
    "bx": booking_button,
    "rr": skip_button,
    **disputes.BUTTONS,
    **waitlist.BUTTONS,
    **series_chat.BUTTONS,
}


FLOWS = {
    **booking_walk.FLOWS,
    REASON: reason_answer,
    REVIEW: review_answer,
    **booking_messages.FLOWS,
    **disputes.FLOWS,
    **plan_shares.FLOWS,
}
PROMPTS = {
    **booking_walk.PROMPTS,
    **booking_messages.PROMPTS,
    **disputes.PROMPTS,
    **plan_shares.PROMPTS,
    REASON: _resume_reason,
    REVIEW: _resume_review,
}
