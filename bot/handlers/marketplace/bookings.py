"""Bookings: /bookings with each booking's actions, the reason and review questions, /paid,
/session_notes and /earnings. The walk that makes a booking is ``booking_walk``; a booking's
card and its buttons are ``booking_card``."""

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
from bot.handlers.formatting import money, short_time
from bot.handlers.marketplace import booking_walk
from bot.handlers.marketplace.booking_card import (
    CODES,
    STARS,
    action_buttons,
    booking_card,
    summary,
)
from bot.handlers.wizard import control_row
from domain.accounts import conversations
from domain.accounts.model import Conversation
from domain.accounts.registration import get_user
from domain.marketplace import bookings, experts
from domain.marketplace.commands import (
    ActOnBooking,
    AnnotateSession,
    AskReason,
    RateSession,
    ReviewSession,
)
from domain.marketplace.model import Action, booking_ref
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
}


async def _zone(req: Request) -> str:
    return (await get_user(req.user_id, req.ctx.uow())).timezone


async def list_bookings(req: Request) -> Reply:
    """Your upcoming and past bookings, as learner and as expert."""
    mine = await bookings.bookings_of(req.user_id, req.ctx.uow())
    if not mine:
        return Reply("No bookings yet. Find an expert with /experts <subject>.")
    now = req.ctx.clock.now()
    zone = await _zone(req)
    upcoming = sorted((b for b in mine if b.ends_at >= now), key=lambda b: b.starts_at)
    past = [b for b in mine if b.ends_at < now]
    lines: list[str] = []
    buttons: list[Button] = []
    for title, group in (("Upcoming", upcoming), ("Past", past)):
        if group:
            lines.append(f"{title}:")
        for b in group[:10]:
            number = len(buttons) + 1
            role = "as expert" if b.expert_user_id == req.user_id else "with"
            who = b.learner_name if role == "as expert" else b.expert_name
            lines.append(
                f"{number}. {short_time(b.starts_at, zone)} · {b.minutes} min · "
                f"{b.status.value.replace('_', '-')} · {role} {who} · {b.ref}"
            )
            buttons.append(Button(str(number), payloads.encode(req.user_id, "bo", b.id.hex)))
    return Reply("\n".join(lines), rows(*buttons, per_row=5))


async def open_booking(req: Request) -> Reply:
    """A number under /bookings: that booking with its actions."""
    if len(req.button_args) != 1:
        raise InvalidInput(payloads.STALE)
    booking = await bookings.get_booking(
        req.user_id, payloads.uuid_arg(req.button_args[0]), req.ctx.uow()
    )
    ctx = req.ctx
    return booking_card(booking, req.user_id, await _zone(req), ctx.clock.now(), ctx.policy)


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
        return _reason_question(user, booking.ref, action, asked.token)
    if action is Action.RESCHEDULE:
        return await booking_walk.start_rescheduling(req, booking_id)
    if code in STARS:
        stars = STARS[code]
        then = conversations.moving(
            ctx.uow, user, REVIEW, "text", {"booking": booking_id.hex}, ctx.clock.now()
        )
        rated = await bookings.rate(
            RateSession(user, booking_id, stars), then(), ctx.clock, ctx.policy
        )
        assert then.conversation is not None
        token = then.conversation.token
        thanks = f"Thank you! {'★' * stars} for {rated.expert_name}. "
        return replace(_review_question(user, token, thanks), edit=True)
    if action is None:
        raise InvalidInput(payloads.STALE)
    return await _act(req, ActOnBooking(user, booking_id, action), ctx.uow(), edit=True)


async def _act(
    req: Request, command: ActOnBooking, uow: UnitOfWork, *, edit: bool = False
) -> Reply:
    ctx = req.ctx
    booking = await bookings.act(command, uow, ctx.clock, ctx.policy, ctx.payments)
    zone = await _zone(req)
    return Reply(
        f"{DONE_TEXT[command.action]}\n{summary(booking, req.user_id, zone)}",
        action_buttons(booking, req.user_id, ctx.clock.now(), ctx.policy),
        edit=edit,
    )


async def reason_answer(req: Request, conversation: Conversation, text: str | None) -> Replies:
    """The reason for a decline or cancellation (``None``: skipped): the action and the end of
    the question commit together."""
    action = {a.value: a for a in (Action.DECLINE, Action.CANCEL)}.get(conversation.step)
    if action is None:
        raise InvalidInput(payloads.STALE)
    booking_id = payloads.uuid_arg(str(conversation.data["booking"]))
    ending = conversations.ending(req.ctx.uow, req.user_id, conversation.token)
    return await _act(req, ActOnBooking(req.user_id, booking_id, action, text), ending())


async def review_answer(req: Request, conversation: Conversation, text: str | None) -> Replies:
    """The written review after the stars (``None``: skipped), saved as the question ends."""
    if text is None:
        await conversations.end(req.user_id, req.ctx.uow())
        return Reply("OK, no review.")
    booking_id = payloads.uuid_arg(str(conversation.data["booking"]))
    ending = conversations.ending(req.ctx.uow, req.user_id, conversation.token)
    await bookings.add_review(ReviewSession(req.user_id, booking_id, text), ending())
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
    return _reason_question(req.user_id, booking_ref(booking_id), action, conversation.token)


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


async def _resolve(req: Request, ref: str) -> UUID:
    """A booking reference typed by the user; admins may name any booking by its full id."""
    text = ref.strip().replace("-", "")
    if len(text) == 32 and await experts.is_admin(req.user_id, req.ctx.uow(), req.ctx.policy):
        return payloads.uuid_arg(text)
    return (await bookings.find_booking(req.user_id, text, req.ctx.uow())).id


async def session_notes(req: Request) -> Reply:
    """Experts' notes on a finished session: /session_notes <reference> <text>."""
    ref, _, text = req.args.strip().partition(" ")
    if not ref or not text.strip():
        return Reply("Usage: /session_notes <booking reference> <your notes>")
    ctx = req.ctx
    booking = await bookings.find_booking(req.user_id, ref, ctx.uow())
    notes = AnnotateSession(req.user_id, booking.id, text)
    await bookings.add_expert_notes(notes, ctx.uow(), ctx.clock, ctx.policy)
    return Reply(f"Notes saved on booking {booking.ref}.")


async def earnings(req: Request) -> Reply:
    """Your earnings by month and payout status (experts)."""
    months = await bookings.earnings(req.user_id, req.ctx.uow())
    if not months:
        return Reply("No earnings yet: they appear when a completed session is paid.")
    lines = ["Your earnings (after commission):"]
    for m in months:
        lines.append(
            f"{m.month}: {m.sessions} sessions · gross {money(m.gross, m.currency)} · "
            f"commission {money(m.commission, m.currency)} · earned "
            f"{money(m.earnings, m.currency)} (paid out {money(m.paid, m.currency)}, "
            f"pending {money(m.pending, m.currency)})"
        )
    return Reply("\n".join(lines))


async def booking_refs(req: Request, typed: str) -> list[tuple[str, str]]:
    """The user's bookings whose reference or other party matches what was typed."""
    zone = await _zone(req)
    found = []
    for b in await bookings.bookings_of(req.user_id, req.ctx.uow()):
        other = b.learner_name if req.user_id == b.expert_user_id else b.expert_name
        if typed.lower() in b.ref or typed.lower() in other.lower():
            when = short_time(b.starts_at, zone)
            found.append((f"{b.ref} · {b.status.value} · {other} · {when}", b.ref))
    return found


COMMANDS = [
    Command("bookings", list_bookings, "your bookings, with what you can do with each"),
    Command("paid", paid, "record a payment: /paid <reference>", suggest=booking_refs),
    Command(
        "session_notes",
        session_notes,
        "notes on a session: /session_notes <ref> <text>",
        suggest=booking_refs,
    ),
    Command("earnings", earnings, "your earnings by month (experts)"),
]


BUTTONS = {
    **booking_walk.BUTTONS,
    "bo": open_booking,
    "bx": booking_button,
    "rr": skip_button,
}


FLOWS = {**booking_walk.FLOWS, REASON: reason_answer, REVIEW: review_answer}
PROMPTS = {**booking_walk.PROMPTS, REASON: _resume_reason, REVIEW: _resume_review}
