"""Messages between a booking's two sides, relayed by the bot: ✉️ Message under a booking,
``/message <ref> [text]``, and ↩️ Reply under a relayed message. Who may write is the domain's
(``Action.MESSAGE``); only the sender's name as the booking shows it travels with the text."""

from __future__ import annotations

from collections.abc import Callable
from uuid import UUID

from bot.handlers import payloads
from bot.handlers.base import (
    Ask,
    Button,
    Context,
    Replies,
    Reply,
    Request,
    flow_of_button,
    rows,
)
from bot.handlers.formatting import local_time
from bot.handlers.marketplace.booking_card import BUTTONS as ACTION_BUTTONS
from domain.accounts import conversations
from domain.accounts.model import Conversation
from domain.accounts.registration import get_user
from domain.marketplace import bookings, messages
from domain.marketplace.commands import SendMessage
from domain.marketplace.model import Action, Booking, Role
from domain.marketplace.rules import available_actions
from domain.shared.errors import InvalidInput
from domain.unit_of_work import UnitOfWork

MESSAGE = "message"
PRIVACY = "Only your name and this booking are shared, never your handle or other bookings."


def _other(booking: Booking, user_id: UUID) -> str:
    if user_id == booking.expert_user_id:
        return f"the learner, {booking.learner_name}"
    return f"the expert, {booking.expert_name}"


def _question(user_id: UUID, booking: Booking, token: str) -> Reply:
    to, ref = _other(booking, user_id), booking.ref
    return Reply(
        f"✉️ Your message to {to}, about booking {ref}? I'll pass it on. {PRIVACY}",
        rows(Button("Cancel", payloads.encode(user_id, "mx", token))),
        ask=Ask("Your message", "What should I pass on?", token),
    )


async def start_message(req: Request, booking_id: UUID) -> Reply:
    """✉️ Message (or ↩️ Reply): ask for the text, if the rules let this person write now."""
    ctx = req.ctx
    booking, asked = await messages.compose(
        req.user_id, booking_id, MESSAGE, ctx.uow(), ctx.clock, ctx.policy
    )
    return _question(req.user_id, booking, asked.token)


async def message_command(req: Request) -> Reply:
    """/message <ref> [text]: relay the text to the booking's other side (or ask for it)."""
    ref, _, text = req.args.strip().partition(" ")
    if not ref:
        return Reply(
            "Usage: /message <booking reference> [your message], e.g. /message 3f2a9c1b "
            f"Running 5 minutes late. I pass it on to the booking's other side. {PRIVACY}"
        )
    ctx = req.ctx
    booking = await bookings.find_booking(req.user_id, ref, ctx.uow(), ctx.policy)
    if not text.strip():
        return await start_message(req, booking.id)
    return await _send(req, SendMessage(req.user_id, booking.id, text), ctx.uow)


async def message_answer(req: Request, conversation: Conversation, text: str | None) -> Replies:
    """The text of a message: relayed as the question ends (``None``: cancelled)."""
    if text is None:
        await conversations.end(req.user_id, req.ctx.uow())
        return Reply("OK, no message sent.")
    booking_id = payloads.uuid_arg(str(conversation.data["booking"]))
    ending = conversations.ending(req.ctx.uow, req.user_id, conversation.token)
    return await _send(req, SendMessage(req.user_id, booking_id, text), ending)


async def _send(req: Request, command: SendMessage, uow: Callable[[], UnitOfWork]) -> Reply:
    ctx = req.ctx
    booking = await messages.send(command, uow(), ctx.clock, ctx.policy)
    return Reply(f"✉️ Sent to {_other(booking, req.user_id)} (booking {booking.ref}).")


async def cancel_button(req: Request) -> Replies:
    """Cancel under the message question."""
    if len(req.button_args) != 1:
        raise InvalidInput(payloads.STALE)
    conversation = await flow_of_button(req, req.button_args[0], MESSAGE)
    return await message_answer(req, conversation, None)


async def _resume(req: Request, conversation: Conversation) -> Reply:
    """The message question again, after the chat restarted."""
    booking_id = payloads.uuid_arg(str(conversation.data["booking"]))
    booking = await bookings.get_booking(req.user_id, booking_id, req.ctx.uow())
    return _question(req.user_id, booking, conversation.token)


async def relayed_notice(ctx: Context, user_id: UUID, data: dict[str, object]) -> Reply | None:
    """A relayed message as its recipient sees it, with ↩️ Reply while they may answer."""
    got = await messages.relayed(user_id, payloads.uuid_arg(str(data["message_id"])), ctx.uow())
    booking = got.booking
    sender = (
        f"{booking.expert_name} (expert)"
        if got.sender_role is Role.EXPERT
        else f"{booking.learner_name} (learner)"
    )
    zone = booking.zone_of(user_id, (await get_user(user_id, ctx.uow())).timezone)
    role = booking.role_of(user_id)
    buttons: tuple[tuple[Button, ...], ...] = ()
    if Action.MESSAGE in available_actions(booking, role, ctx.clock.now(), ctx.policy):
        code = ACTION_BUTTONS[Action.MESSAGE][1]
        buttons = rows(Button("↩️ Reply", payloads.encode(user_id, "bx", booking.id.hex, code)))
    return Reply(
        f"✉️ Message from {sender} about booking {booking.ref} "
        f"({local_time(booking.starts_at, zone)}):\n{got.message.body}\n"
        f"(relayed by the bot: ↩️ Reply, or /message {booking.ref} <text>)",
        buttons,
    )


BUTTONS = {"mx": cancel_button}
FLOWS = {MESSAGE: message_answer}
PROMPTS = {MESSAGE: _resume}
