"""Bookings: the book flow, /bookings with each booking's actions, feedback, /earnings."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID
from zoneinfo import ZoneInfo

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
from bot.handlers.formatting import local_time, short_time
from bot.handlers.marketplace.experts import money
from domain.accounts import conversations
from domain.accounts.model import Conversation
from domain.accounts.registration import get_user
from domain.marketplace import bookings, experts
from domain.marketplace.model import DURATIONS, Action, Booking, BookingStatus, PaymentStatus, Role
from domain.marketplace.rules import price_for
from domain.shared.errors import InvalidInput

BOOK = "book"


REASON = "reason"


REVIEW = "review"


# Short codes of booking actions in button payloads.
ACTIONS = {
    "cf": Action.CONFIRM,
    "dc": Action.DECLINE,
    "cn": Action.CANCEL,
    "cp": Action.COMPLETE,
    "ns": Action.NO_SHOW,
    "pd": Action.MARK_PAID,
}


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


def summary(booking: Booking, viewer: UUID, zone: str) -> str:
    """One booking as its viewer sees it (times in the viewer's zone)."""
    with_whom = booking.learner_name if viewer == booking.expert_user_id else booking.expert_name
    lines = [
        f"Booking {booking.ref} · {booking.status.value.replace('_', '-')} · with {with_whom}",
        f"{local_time(booking.starts_at, zone)} ({zone}) · {booking.minutes} min · "
        f"{money(booking.price, booking.currency)} ({booking.payment_status.value})",
    ]
    if booking.status is BookingStatus.SCHEDULED and booking.meeting_link:
        lines.append(f"Meeting link: {booking.meeting_link}")
    if booking.cancel_reason:
        lines.append(f"Reason: {booking.cancel_reason}")
    return "\n".join(lines)


def action_buttons(
    booking: Booking, viewer: UUID, now: datetime
) -> tuple[tuple[Button, ...], ...]:
    """The buttons a booking offers its viewer now (the service re-checks each press)."""
    role = booking.role_of(viewer)
    hex_id = booking.id.hex

    def button(label: str, code: str) -> Button:
        return Button(label, payloads.encode(viewer, "bx", hex_id, code))

    found: list[Button] = []
    status = booking.status
    if role is Role.EXPERT and status is BookingStatus.PENDING:
        found += [button("✅ Confirm", "cf"), button("❌ Decline", "dc")]
    if status in (BookingStatus.PENDING, BookingStatus.SCHEDULED) and booking.starts_at > now:
        found += [button("🗓 Reschedule", "rs"), button("Cancel booking", "cn")]
    if role is Role.EXPERT and status is BookingStatus.SCHEDULED and now >= booking.ends_at:
        found += [button("Completed", "cp"), button("No-show", "ns")]
    if (
        role is Role.EXPERT
        and booking.payment_status is PaymentStatus.PENDING
        and status is not BookingStatus.CANCELLED
    ):
        found.append(button("💶 Mark paid", "pd"))
    stars: list[Button] = []
    if role is Role.LEARNER and status is BookingStatus.COMPLETED and not booking.has_feedback:
        stars = [button("★" * n, f"r{n}") for n in range(1, 6)]
    return (*rows(*found, per_row=2), *((tuple(stars),) if stars else ()))


def booking_card(booking: Booking, viewer: UUID, zone: str, now: datetime) -> Reply:
    return Reply(summary(booking, viewer, zone), action_buttons(booking, viewer, now))


def _flow_button(req: Request, conversation: Conversation, choice: str) -> str:
    return payloads.encode(req.user_id, "bf", conversation.token, choice)


async def start_booking(req: Request) -> Reply:
    """📅 Book on a profile card: choose the session's length."""
    if len(req.button_args) != 1:
        raise InvalidInput(payloads.STALE)
    expert_id = payloads.uuid_arg(req.button_args[0])
    data: dict[str, object] = {"expert": expert_id.hex}
    conversation = await conversations.save(
        req.user_id, BOOK, "duration", data, req.ctx.uow(), req.ctx.clock
    )
    return Reply(
        "How long should the session be?",
        rows(*(Button(f"{m} min", _flow_button(req, conversation, str(m))) for m in DURATIONS)),
    )


async def _offered(req: Request, data: dict[str, object]) -> list[datetime]:
    """The open slots of the expert and length the book flow has chosen so far."""
    return await bookings.available_slots(
        UUID(str(data["expert"])),
        int(str(data["minutes"])),
        req.ctx.uow(),
        req.ctx.clock,
        req.ctx.policy,
    )


async def _days(req: Request, conversation: Conversation, *, note: str = "") -> Reply:
    data = conversation.data
    zone = await _zone(req)
    slots = await _offered(req, data)
    days: dict[str, str] = {}
    for slot in slots:
        local = slot.astimezone(ZoneInfo(zone))
        days.setdefault(local.strftime("%Y%m%d"), local.strftime("%a %d %b"))
    if not days:
        return Reply(note + "No free slots in the next two weeks, sorry. Try another expert.")
    buttons = [
        Button(label, _flow_button(req, conversation, "d" + key)) for key, label in days.items()
    ]
    return Reply(
        f"{note}Which day? (times in {zone})", rows(*buttons[:9]), edit=True, choose="Pick a day"
    )


async def _slots(
    req: Request, conversation: Conversation, slots: list[datetime], note: str = ""
) -> Reply:
    zone = await _zone(req)
    moved = await conversations.save(
        req.user_id,
        BOOK,
        "slot",
        {**conversation.data, "slots": [s.isoformat() for s in slots[:12]]},
        req.ctx.uow(),
        req.ctx.clock,
    )
    buttons = [
        Button(s.astimezone(ZoneInfo(zone)).strftime("%H:%M"), _flow_button(req, moved, f"s{i}"))
        for i, s in enumerate(slots[:12])
    ]
    day = short_time(slots[0], zone).rsplit(" ", 1)[0] if slots else ""
    return Reply(
        f"{note}Which time on {day}? ({zone})",
        rows(*buttons, per_row=4),
        edit=True,
        choose="Pick a time",
    )


async def book_button(req: Request) -> Replies:
    """A choice in the book flow: length, day, time, then the confirmation."""
    if len(req.button_args) != 2:
        raise InvalidInput(payloads.STALE)
    token, choice = req.button_args
    conversation = await flow_of_button(req, token, BOOK)
    data = conversation.data
    step = conversation.step
    if step == "duration" and choice in {str(m) for m in DURATIONS}:
        moved = await conversations.save(
            req.user_id,
            BOOK,
            "day",
            {**data, "minutes": int(choice)},
            req.ctx.uow(),
            req.ctx.clock,
        )
        return await _days(req, moved)
    if step == "day" and choice.startswith("d") and choice[1:].isdigit():
        zone = await _zone(req)
        slots = await _offered(req, data)
        chosen = [
            s for s in slots if s.astimezone(ZoneInfo(zone)).strftime("%Y%m%d") == choice[1:]
        ]
        if not chosen:
            return await _days(req, conversation, note="That day has no free time left. ")
        return await _slots(req, conversation, chosen)
    if step == "slot" and choice.startswith("s") and choice[1:].isdigit():
        offered = data.get("slots")
        index = int(choice[1:])
        if not isinstance(offered, list) or index >= len(offered):
            raise InvalidInput(payloads.STALE)
        moved = await conversations.save(
            req.user_id,
            BOOK,
            "confirm",
            {**data, "start": str(offered[index])},
            req.ctx.uow(),
            req.ctx.clock,
        )
        return await _confirmation(req, moved)
    if step == "confirm" and choice == "ok":
        return await _finish(req, conversation)
    raise InvalidInput(payloads.STALE)


async def _confirmation(req: Request, conversation: Conversation) -> Reply:
    data = conversation.data
    zone = await _zone(req)
    start = datetime.fromisoformat(str(data["start"]))
    card = await experts.profile(
        UUID(str(data["expert"])), req.ctx.uow(), req.ctx.clock, req.ctx.policy, slots=0
    )
    minutes = int(str(data["minutes"]))
    price = price_for(card.expert.rate_min, card.expert.rate_max, minutes)
    verb = "Move the booking to" if data.get("reschedule") else "Book"
    text = (
        f"{verb} {minutes} min with {card.expert.display_name} on "
        f"{local_time(start, zone)} ({zone})"
    )
    if not data.get("reschedule"):
        text += f" for {money(price, card.expert.currency)}"
    return Reply(
        text + "?", rows(Button("✅ Confirm", _flow_button(req, conversation, "ok"))), edit=True
    )


async def _finish(req: Request, conversation: Conversation) -> Replies:
    data = conversation.data
    start = datetime.fromisoformat(str(data["start"]))
    zone = await _zone(req)
    try:
        if data.get("reschedule"):
            booking = await bookings.reschedule(
                req.user_id,
                UUID(str(data["reschedule"])),
                start,
                req.ctx.uow(),
                req.ctx.clock,
                req.ctx.policy,
            )
        else:
            booking = await bookings.book(
                req.user_id,
                UUID(str(data["expert"])),
                start,
                int(str(data["minutes"])),
                req.ctx.uow(),
                req.ctx.clock,
                req.ctx.policy,
            )
    except bookings.SlotTaken as taken:
        if not taken.alternatives:
            await conversations.end(req.user_id, req.ctx.uow())
            return Reply(taken.message + " There are no other free slots soon.", edit=True)
        return await _slots(req, conversation, taken.alternatives, note=taken.message + " ")
    await conversations.end(req.user_id, req.ctx.uow())
    head = "🗓 Moved." if data.get("reschedule") else "📨 Requested!"
    waiting = (
        " The expert will confirm it; I'll tell you."
        if booking.status is BookingStatus.PENDING
        else ""
    )
    return Reply(f"{head}{waiting}\n{summary(booking, req.user_id, zone)}", edit=True)


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
    return booking_card(booking, req.user_id, await _zone(req), req.ctx.clock.now())


async def booking_button(req: Request) -> Replies:
    """An action under a booking: confirm, decline, cancel, reschedule, complete, rate..."""
    if len(req.button_args) != 2:
        raise InvalidInput(payloads.STALE)
    booking_id, code = payloads.uuid_arg(req.button_args[0]), req.button_args[1]
    if code in ("dc", "cn"):
        booking = await bookings.get_booking(req.user_id, booking_id, req.ctx.uow())
        conversation = await conversations.save(
            req.user_id, REASON, code, {"booking": booking_id.hex}, req.ctx.uow(), req.ctx.clock
        )
        verb = "declining" if code == "dc" else "cancelling"
        return Reply(
            f"Booking {booking.ref}: why are you {verb}? (the other side will see it)",
            rows(Button("Skip", payloads.encode(req.user_id, "rr", conversation.token))),
        )
    if code == "rs":
        booking = await bookings.get_booking(req.user_id, booking_id, req.ctx.uow())
        data: dict[str, object] = {
            "expert": booking.expert_id.hex,
            "minutes": booking.minutes,
            "reschedule": booking_id.hex,
        }
        conversation = await conversations.save(
            req.user_id, BOOK, "day", data, req.ctx.uow(), req.ctx.clock
        )
        return await _days(req, conversation)
    if code in {f"r{n}" for n in range(1, 6)}:
        booking = await bookings.rate(
            req.user_id, booking_id, int(code[1]), req.ctx.uow(), req.ctx.clock
        )
        conversation = await conversations.save(
            req.user_id, REVIEW, "text", {"booking": booking_id.hex}, req.ctx.uow(), req.ctx.clock
        )
        return Reply(
            f"Thank you! {'★' * int(code[1])} for {booking.expert_name}. Add a few words for "
            "other learners? (or Skip)",
            rows(Button("Skip", payloads.encode(req.user_id, "rr", conversation.token))),
            edit=True,
            ask=Ask("Your review", "A few words for other learners", conversation.token),
        )
    action = ACTIONS.get(code)
    if action is None:
        raise InvalidInput(payloads.STALE)
    return await _act(req, booking_id, action, None, edit=True)


async def _act(
    req: Request, booking_id: UUID, action: Action, reason: str | None, *, edit: bool = False
) -> Reply:
    booking = await bookings.act(
        req.user_id,
        booking_id,
        action,
        req.ctx.uow(),
        req.ctx.clock,
        req.ctx.policy,
        req.ctx.payments,
        reason=reason,
    )
    zone = await _zone(req)
    now = req.ctx.clock.now()
    return Reply(
        f"{DONE_TEXT[action]}\n{summary(booking, req.user_id, zone)}",
        action_buttons(booking, req.user_id, now),
        edit=edit,
    )


async def reason_answer(req: Request, conversation: Conversation, text: str | None) -> Replies:
    """The reason for a decline or cancellation (``None``: skipped)."""
    action = ACTIONS[conversation.step]
    booking_id = payloads.uuid_arg(str(conversation.data["booking"]))
    reply = await _act(req, booking_id, action, text)
    await conversations.end(req.user_id, req.ctx.uow())
    return reply


async def review_answer(req: Request, conversation: Conversation, text: str | None) -> Replies:
    """The written review after the stars (``None``: skipped)."""
    if text is not None:
        await bookings.add_review(
            req.user_id, payloads.uuid_arg(str(conversation.data["booking"])), text, req.ctx.uow()
        )
    await conversations.end(req.user_id, req.ctx.uow())
    return Reply("Thanks for the review!" if text else "OK, no review.")


async def skip_button(req: Request) -> Replies:
    """Skip under a reason or review question."""
    if len(req.button_args) != 1:
        raise InvalidInput(payloads.STALE)
    conversation = await flow_of_button(req, req.button_args[0], REASON, REVIEW)
    if conversation.flow == REASON:
        return await reason_answer(req, conversation, None)
    if conversation.flow == REVIEW:
        return await review_answer(req, conversation, None)
    raise InvalidInput(payloads.STALE)


async def paid(req: Request) -> Reply:
    """Record a booking's payment: /paid <reference> (the expert or an admin)."""
    if not req.args.strip():
        return Reply("Usage: /paid <booking reference>, e.g. /paid 3f2a9c1b")
    booking_id = await _resolve(req, req.args)
    return await _act(req, booking_id, Action.MARK_PAID, None)


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
    booking = await bookings.find_booking(req.user_id, ref, req.ctx.uow())
    await bookings.add_expert_notes(req.user_id, booking.id, text, req.ctx.uow())
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
    "bk": start_booking,
    "bf": book_button,
    "bo": open_booking,
    "bx": booking_button,
    "rr": skip_button,
}


FLOWS = {REASON: reason_answer, REVIEW: review_answer}
