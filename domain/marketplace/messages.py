"""Messages between a booking's two sides, relayed by the bot (``/message <ref>``).

Only the booking's learner and expert may write, and only until ``rules.messages_close_at``
(a while after the session ended or was called off): ``Action.MESSAGE`` in the one state
machine, so the ✉️ button and the service agree. The other side gets the text, the sender's
name as the booking shows it and the booking's reference; nothing else of the sender's.
"""

from __future__ import annotations

from uuid import UUID

from domain.accounts.model import Conversation
from domain.marketplace.bookings import ask_about, booking_of
from domain.marketplace.commands import Relayed, SendMessage
from domain.marketplace.model import Action, Booking, Policy, Role
from domain.marketplace.notices import tell
from domain.marketplace.rules import check_allowed
from domain.notifications.model import NotificationKind
from domain.shared.clock import Clock
from domain.shared.errors import NotFound
from domain.shared.text import clean_text
from domain.unit_of_work import UnitOfWork


async def compose(
    user_id: UUID, booking_id: UUID, flow: str, uow: UnitOfWork, clock: Clock, policy: Policy
) -> tuple[Booking, Conversation]:
    """A ✉️ Message press or a bare ``/message <ref>``: check ``user_id`` may message the
    booking's other side now, then open the question for the text (``ask_about``)."""
    booking, _, asked = await ask_about(
        user_id, booking_id, Action.MESSAGE, flow, "text", uow, clock, policy
    )
    return booking, asked


async def send(cmd: SendMessage, uow: UnitOfWork, clock: Clock, policy: Policy) -> Booking:
    """Store the message and tell the booking's other side, in one transaction."""
    body = clean_text(cmd.text, what="message", limit=2000)
    async with uow:
        booking, role = await booking_of(uow, cmd.user_id, cmd.booking_id, None)
        now = clock.now()
        check_allowed(Action.MESSAGE, booking, role, now, policy)
        assert body is not None
        message_id = await uow.bookings.add_message(booking.id, cmd.user_id, body, now)
        other = booking.expert_user_id if role is Role.LEARNER else booking.learner_id
        data = {"booking_id": str(booking.id), "message_id": str(message_id)}
        await tell(uow, other, NotificationKind.BOOKING_MESSAGE, data, now)
        await uow.commit()
    return booking


async def relayed(user_id: UUID, message_id: UUID, uow: UnitOfWork) -> Relayed:
    """A message sent to ``user_id`` (the other side of its booking); anyone else: not found."""
    async with uow:
        message = await uow.bookings.message(message_id)
        if message is None or message.sender_id == user_id:
            raise NotFound("That message is not for you.")
        booking, role = await booking_of(uow, user_id, message.booking_id, None)
    sender = Role.EXPERT if role is Role.LEARNER else Role.LEARNER
    return Relayed(message, booking, sender)
